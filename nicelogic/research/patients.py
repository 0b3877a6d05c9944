"""Patient-level findings of a results run: two tables beside ``records``, ``violations`` and
``runs``, written once the run's records are complete (the patient pass reads every record).

- ``patient_violations``, one row per finding of a rule across a patient's history:
  ``run_id``, ``patient``, ``rule``, ``severity``, ``units`` (the blamed episodes or spells,
  ``spell 2``...), ``records`` (their record ids), ``message``;
- ``patient_rules``, one row per patient-level rule of the run: ``run_id``, ``rule``,
  ``applies`` (units judged), ``violating`` (units blamed), ``patients``, ``not_judged``
  (records without a patient key, or unfinished);
- ``patient_units``, one row per unit a rule judged (its denominator): the unit, whether it
  was blamed, its provider and end date, and the unit the rule judged it against where it
  names one (a persistence rule's index spell), with the days between and whether the
  provider changed: what the report's consistency section breaks rates down by.

Their columns are declared in :mod:`nicelogic.research.schema` (``docs/results-schema.md``).

Written again whole when the same command is run again (the rows of the run are replaced).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from nicelogic.history.checker import PatientPass
from nicelogic.history.results import Blamed, HistorySummary, PatientResult
from nicelogic.research.schema import PATIENT_RULES, PATIENT_UNITS, PATIENT_VIOLATIONS

_SQL_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "bool": "BOOLEAN", "date32[day]": "DATE"}


def unit_rows(run_id: str, results: Sequence[PatientResult]) -> list[dict[str, object]]:
    """The ``patient_units`` rows of checked patients."""
    return [row for result in results for row in _units_of(run_id, result)]


def _units_of(run_id: str, result: PatientResult) -> list[dict[str, object]]:
    blamed = {(v.rule, v.blamed[0].kind, v.blamed[0].number) for v in result.violations if v.blamed}
    against = {(rule, unit.kind, unit.number): reference for rule, unit, reference in result.references}
    rows = []
    for rule, unit in result.applies:
        reference: Blamed | None = against.get((rule, unit.kind, unit.number))
        days = None
        if reference is not None and reference.ended and unit.ended:
            days = (date.fromisoformat(unit.ended) - date.fromisoformat(reference.ended)).days
        changed = None
        if reference is not None and reference.provider and unit.provider:
            changed = reference.provider != unit.provider
        rows.append({
            "run_id": run_id, "patient": result.patient, "rule": rule, "unit": f"{unit.kind} {unit.number}",
            "violating": (rule, unit.kind, unit.number) in blamed, "provider": unit.provider or None,
            "ended": date.fromisoformat(unit.ended) if unit.ended else None,
            "reference": f"{reference.kind} {reference.number}" if reference else None,
            "reference_provider": (reference.provider or None) if reference else None,
            "days_since_reference": days, "provider_changed": changed,
        })  # fmt: skip
    return rows


def violation_rows(run_id: str, results: Sequence[PatientResult]) -> list[dict[str, object]]:
    """The ``patient_violations`` rows of checked patients."""
    return [
        {"run_id": run_id, "patient": v.patient, "rule": v.rule, "severity": v.severity,
         "units": [f"{b.kind} {b.number}" for b in v.blamed], "records": [r for b in v.blamed for r in b.records],
         "message": v.message}
        for result in results for v in result.violations
    ]  # fmt: skip


def rules_table(run_id: str, summary: HistorySummary, titles: Mapping[str, str] | None = None) -> pa.Table:
    """The ``patient_rules`` table of a run's summary."""
    not_judged = sum(summary.not_judged.values())
    rules = [
        {"run_id": run_id, "rule": r.rule, "applies": r.applies, "violating": r.violating, "patients": summary.patients,
         "not_judged": not_judged, "title": (titles or {}).get(r.rule)}
        for r in summary.rates
    ]  # fmt: skip
    return pa.Table.from_pylist(rules, PATIENT_RULES)


def patient_tables(
    run_id: str, results: Sequence[PatientResult], summary: HistorySummary, titles: Mapping[str, str] | None = None
) -> tuple[pa.Table, pa.Table, pa.Table]:
    violations, units = judged_tables(run_id, results)
    return violations, rules_table(run_id, summary, titles), units


JUDGED_CHUNK = 2_000  # patients' results turned into table rows at a time


def judged_tables(run_id: str, results: Iterable[PatientResult]) -> tuple[pa.Table, pa.Table]:
    """The ``patient_violations`` and ``patient_units`` tables of results as they come, each
    chunk of them held as Arrow columns, not as the results: a patient's result holds every
    unit each rule judged, as Python objects, many times the size of its rows."""
    violations: list[pa.Table] = [PATIENT_VIOLATIONS.empty_table()]
    units: list[pa.Table] = [PATIENT_UNITS.empty_table()]
    iterator = iter(results)
    while chunk := list(islice(iterator, JUDGED_CHUNK)):
        violations.append(pa.Table.from_pylist(violation_rows(run_id, chunk), PATIENT_VIOLATIONS))
        units.append(pa.Table.from_pylist(unit_rows(run_id, chunk), PATIENT_UNITS))
    return pa.concat_tables(violations).combine_chunks(), pa.concat_tables(units).combine_chunks()


def write_part(folder: Path, table: pa.Table) -> None:
    """A table as the one Parquet part of a folder (``DIR/patient_rules/RUN/``), appearing whole."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(handle)
    pq.write_table(table, temporary)
    os.replace(temporary, folder / "part-000000.parquet")


def write_patient_tables(target: str, run_id: str, judged: PatientPass, titles: Mapping[str, str] | None = None) -> None:
    """A patient pass's tables, into the results database: a DuckDB file, or a folder of
    Parquet (``DIR/patient_violations/RUN/``)."""
    violations, units = judged_tables(run_id, judged)
    rules = rules_table(run_id, judged.summary, titles)
    tables = (("patient_violations", violations), ("patient_rules", rules), ("patient_units", units))
    if target.endswith("/") or Path(target).is_dir():
        for name, table in tables:
            write_part(Path(target) / name / run_id, table)
        return
    import duckdb

    with duckdb.connect(target) as db:
        for name, table in tables:
            db.register("incoming", table)
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM incoming LIMIT 0")
            # a database written by an earlier version lacks the columns added since (always at the end)
            present = {row[0] for row in db.execute(f"DESCRIBE {name}").fetchall()}
            for field in table.schema:
                if field.name not in present:
                    db.execute(f"ALTER TABLE {name} ADD COLUMN {field.name} {_SQL_TYPES[str(field.type)]}")
            db.execute(f"DELETE FROM {name} WHERE run_id = ?", [run_id])
            db.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming")
            db.unregister("incoming")
