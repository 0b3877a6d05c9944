"""The figures of the report, computed by SQL on the results database: per rule, by
provider, by month and financial year, by specialty, and the four audit figures.

Every rate is of records, not violations: a record that breaks a rule twice, or one
mistake that breaks several bodies of guidance, is one record in each rate it counts in.
A record is *invalid* when it has an error-severity violation that it does not waive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from nicelogic.errors import UsageError
from nicelogic.research.statistics import SUPPRESS_BELOW, Rate, rate


@dataclass(frozen=True, slots=True)
class RuleFigure:
    rule: str
    pack: str
    severity: str
    title: str
    applies: int  # records the rule judged: its trigger is there
    violating: int  # records that break it (not waived)
    rate: Rate


@dataclass(frozen=True, slots=True)
class GroupFigure:
    key: str
    records: int  # checked records in the group
    invalid: int
    rate: Rate


@dataclass(frozen=True, slots=True)
class AuditFigure:
    label: str
    records: int  # episodes with an error in this part of the record
    rate: Rate


AUDIT_LABEL = "detected by rules, not audited against case notes"
# The four figures a clinical coding audit reports, as the violations' section and
# positions give them: position 1 is the primary diagnosis or procedure.
AUDIT_PARTS = (
    ("Primary diagnosis", "section = 'icd10' AND list_contains(positions, 1)"),
    ("Secondary diagnoses", "section = 'icd10' AND list_max(positions) > 1"),
    ("Primary procedure", "section = 'opcs' AND list_contains(positions, 1)"),
    ("Secondary procedures", "section = 'opcs' AND list_max(positions) > 1"),
)


@dataclass(frozen=True, slots=True)
class Figures:
    run: dict[str, object]
    overall: Rate  # invalid among checked records
    checked: int
    rejected: int
    rules: tuple[RuleFigure, ...]
    providers: tuple[GroupFigure, ...]
    months: tuple[GroupFigure, ...]
    years: tuple[GroupFigure, ...]  # financial years, April to March
    specialties: tuple[GroupFigure, ...]
    audit: tuple[AuditFigure, ...]
    suppress: bool

    @property
    def providers_withheld(self) -> int:
        return sum(1 for figure in self.providers if figure.rate.suppressed)


def choose_run(db: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict[str, object]:
    """The run asked for, else the latest complete run, else the latest run."""
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    cursor = db.execute(f"SELECT * FROM runs {where} ORDER BY complete DESC, started DESC LIMIT 1", params)
    names = [column[0] for column in cursor.description]
    row = cursor.fetchone()
    if row is None:
        raise UsageError(f"no run {run_id} in the results" if run_id else "the results hold no run")
    return dict(zip(names, row, strict=True))


def _groups(db: duckdb.DuckDBPyConnection, run_id: str, key: str, suppress: bool, order: str = "1") -> tuple[GroupFigure, ...]:
    rows = db.execute(
        f"""SELECT {key} AS key, count(*) AS records, count(*) FILTER (WHERE NOT valid) AS invalid
            FROM records WHERE run_id = ? AND NOT rejected GROUP BY ALL ORDER BY {order}""",
        [run_id],
    ).fetchall()
    return tuple(GroupFigure(str(k), int(n), int(bad), rate(int(bad), int(n), suppress)) for k, n, bad in rows)


def compute(db: duckdb.DuckDBPyConnection, run_id: str | None = None, suppress: bool = True) -> Figures:
    run = choose_run(db, run_id)
    rid = str(run["run_id"])
    checked, invalid, rejected = db.execute(
        """SELECT count(*) FILTER (WHERE NOT rejected), count(*) FILTER (WHERE NOT rejected AND NOT valid),
                  count(*) FILTER (WHERE rejected) FROM records WHERE run_id = ?""",
        [rid],
    ).fetchone() or (0, 0, 0)
    meta = {str(r["id"]): r for r in run.get("rules") or []}  # type: ignore[attr-defined]
    rule_rows = db.execute(
        """WITH applied AS (SELECT unnest(applies) AS rule FROM records WHERE run_id = ? AND NOT rejected),
                denominators AS (SELECT rule, count(*) AS n FROM applied GROUP BY rule),
                violating AS (SELECT rule, count(DISTINCT seq) AS k FROM violations
                              WHERE run_id = ? AND NOT waived GROUP BY rule)
           SELECT rule, coalesce(n, 0), coalesce(k, 0) FROM denominators FULL OUTER JOIN violating USING (rule)""",
        [rid, rid],
    ).fetchall()
    rules = []
    for rule, applies, violating in rule_rows:
        info = meta.get(rule, {})
        rules.append(
            RuleFigure(
                rule,
                str(info.get("pack", "")),
                str(info.get("severity", "")),
                str(info.get("title", "")),
                int(applies),
                int(violating),
                rate(int(violating), int(applies), suppress),
            )  # fmt: skip
        )
    rules.sort(key=lambda f: (-(f.rate.value or 0.0), f.rule))
    audit = []
    for label, condition in AUDIT_PARTS:
        (count,) = db.execute(
            f"""SELECT count(DISTINCT seq) FROM violations
                WHERE run_id = ? AND NOT waived AND severity = 'error' AND {condition}""",
            [rid],
        ).fetchone() or (0,)
        audit.append(AuditFigure(label, int(count), rate(int(count), int(checked), suppress)))
    return Figures(
        run=run,
        overall=rate(int(invalid), int(checked), suppress),
        checked=int(checked),
        rejected=int(rejected),
        rules=tuple(rules),
        providers=_groups(db, rid, "coalesce(provider, '(none)')", suppress, "records DESC, key"),
        months=_groups(db, rid, "strftime(date_trunc('month', date), '%Y-%m')", suppress) if _has_dates(db, rid) else (),
        years=_groups(db, rid, _FINANCIAL_YEAR, suppress) if _has_dates(db, rid) else (),
        specialties=_groups(db, rid, "coalesce(main_specialty, '(none)')", suppress),
        audit=tuple(audit),
        suppress=suppress,
    )


def financial_year(column: str) -> str:
    """SQL of the financial year (April to March, ``2015/16``) of a date column."""
    start = f"year({column}) - CAST(month({column}) < 4 AS INTEGER)"
    return f"CAST({start} AS VARCHAR) || '/' || lpad(CAST(({start} + 1) % 100 AS VARCHAR), 2, '0')"


_FINANCIAL_YEAR = financial_year("date")


def _has_dates(db: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    (dated,) = db.execute("SELECT count(date) FROM records WHERE run_id = ?", [run_id]).fetchone() or (0,)
    return bool(dated)


def dated_only(groups: Sequence[GroupFigure]) -> list[GroupFigure]:
    """Groups of records with a date (records without one are grouped under "None")."""
    return [g for g in groups if g.key != "None"]


__all__ = ["AUDIT_LABEL", "SUPPRESS_BELOW", "AuditFigure", "Figures", "GroupFigure", "RuleFigure", "choose_run", "compute"]
