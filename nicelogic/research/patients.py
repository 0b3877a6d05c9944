"""Patient-level findings of a results run: two tables beside ``records``, ``violations`` and
``runs``, written once the run's records are complete (the patient pass reads every record).

- ``patient_violations``, one row per finding of a rule across a patient's history:
  ``run_id``, ``patient``, ``rule``, ``severity``, ``units`` (the blamed episodes or spells,
  ``spell 2``...), ``records`` (their record ids), ``message``;
- ``patient_rules``, one row per patient-level rule of the run: ``run_id``, ``rule``,
  ``applies`` (units judged), ``violating`` (units blamed), ``patients``, ``not_judged``
  (records without a patient key, or unfinished).

Written again whole when the same command is run again (the rows of the run are replaced).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from nicelogic.history.results import HistorySummary, PatientResult

PATIENT_VIOLATIONS = pa.schema([
    ("run_id", pa.string()), ("patient", pa.string()), ("rule", pa.string()), ("severity", pa.string()),
    ("units", pa.list_(pa.string())), ("records", pa.list_(pa.string())), ("message", pa.string()),
])  # fmt: skip
PATIENT_RULES = pa.schema([
    ("run_id", pa.string()), ("rule", pa.string()), ("applies", pa.int64()), ("violating", pa.int64()),
    ("patients", pa.int64()), ("not_judged", pa.int64()),
])  # fmt: skip


def violation_rows(run_id: str, results: Sequence[PatientResult]) -> list[dict[str, object]]:
    """The ``patient_violations`` rows of checked patients."""
    return [
        {"run_id": run_id, "patient": v.patient, "rule": v.rule, "severity": v.severity,
         "units": [f"{b.kind} {b.number}" for b in v.blamed], "records": [r for b in v.blamed for r in b.records],
         "message": v.message}
        for result in results for v in result.violations
    ]  # fmt: skip


def rules_table(run_id: str, summary: HistorySummary) -> pa.Table:
    """The ``patient_rules`` rows of a run."""
    not_judged = sum(summary.not_judged.values())
    rules = [
        {"run_id": run_id, "rule": r.rule, "applies": r.applies, "violating": r.violating, "patients": summary.patients,
         "not_judged": not_judged}
        for r in summary.rates
    ]  # fmt: skip
    return pa.Table.from_pylist(rules, PATIENT_RULES)


def patient_tables(run_id: str, results: Sequence[PatientResult], summary: HistorySummary) -> tuple[pa.Table, pa.Table]:
    return pa.Table.from_pylist(violation_rows(run_id, results), PATIENT_VIOLATIONS), rules_table(run_id, summary)


def write_part(folder: Path, table: pa.Table) -> None:
    """A table as the one Parquet part of a folder (``DIR/patient_rules/RUN/``), appearing whole."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(handle)
    pq.write_table(table, temporary)
    os.replace(temporary, folder / "part-000000.parquet")


def write_patient_tables(target: str, run_id: str, results: Sequence[PatientResult], summary: HistorySummary) -> None:
    """Into the results database: a DuckDB file, or a folder of Parquet (``DIR/patient_violations/RUN/``)."""
    violations, rules = patient_tables(run_id, results, summary)
    if target.endswith("/") or Path(target).is_dir():
        for name, table in (("patient_violations", violations), ("patient_rules", rules)):
            write_part(Path(target) / name / run_id, table)
        return
    import duckdb

    with duckdb.connect(target) as db:
        for name, table in (("patient_violations", violations), ("patient_rules", rules)):
            db.register("incoming", table)
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM incoming LIMIT 0")
            db.execute(f"DELETE FROM {name} WHERE run_id = ?", [run_id])
            db.execute(f"INSERT INTO {name} SELECT * FROM incoming")
            db.unregister("incoming")
