"""The figures of the report's consistency section, by SQL on the patient-level tables of a run
(``patient_rules`` and ``patient_units``, :mod:`nicelogic.research.patients`).

Rates are of the units a rule judged (spells or episodes, as the rule counts them), never of
violations, and nothing of the rules' logic is computed here: a unit's provider, end date,
index spell and whether the provider changed are columns the checker wrote. The breakdowns by
provider, time since the index spell and change of provider are of the rules that judge a
unit against an index spell (the persistence rules, one per condition); the breakdown by
year is of every rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from nicelogic.research.figures import financial_year
from nicelogic.research.statistics import Rate, rate

# Time since the index spell, in days, as the report groups it (the lower bound of each band).
SINCE_INDEX = ((0, "under 1 year"), (365, "1 to 2 years"), (730, "2 to 5 years"), (1826, "5 years or more"))


@dataclass(frozen=True, slots=True)
class RuleUnits:
    rule: str
    title: str
    applies: int  # units judged
    violating: int  # units blamed
    rate: Rate
    indexed: bool  # it judges each unit against an index spell (a condition's persistence)


@dataclass(frozen=True, slots=True)
class UnitGroup:
    rule: str
    key: str
    units: int
    violating: int
    rate: Rate


@dataclass(frozen=True, slots=True)
class ConsistencyFigures:
    rules: tuple[RuleUnits, ...]
    providers: tuple[UnitGroup, ...]  # rules with an index spell, each provider
    years: tuple[UnitGroup, ...]  # every rule, financial year of the unit's end
    since_index: tuple[UnitGroup, ...]  # rules with an index spell, bands of SINCE_INDEX
    provider_change: tuple[UnitGroup, ...]  # rules with an index spell: same provider as the index or not
    patients: int
    not_judged: int
    suppress: bool

    @property
    def conditions(self) -> tuple[RuleUnits, ...]:
        return tuple(r for r in self.rules if r.indexed)

    def of(self, groups: tuple[UnitGroup, ...], rule: str) -> tuple[UnitGroup, ...]:
        return tuple(g for g in groups if g.rule == rule)


def _tables(db: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(name) for (name,) in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _groups(
    db: duckdb.DuckDBPyConnection, run_id: str, key: str, rules: list[str], suppress: bool, order: str = "key"
) -> tuple[UnitGroup, ...]:
    """Units judged and blamed by rule and ``key`` (SQL on patient_units; null keys left out)."""
    rows = db.execute(
        f"""SELECT rule, {key} AS key, count(*) AS units, count(*) FILTER (WHERE violating) AS bad
            FROM patient_units WHERE run_id = ? AND list_contains(?, rule) AND key IS NOT NULL
            GROUP BY ALL ORDER BY rule, {order}""",
        [run_id, rules],
    ).fetchall()
    return tuple(UnitGroup(str(r), str(k), int(n), int(b), rate(int(b), int(n), suppress)) for r, k, n, b in rows)


def _band() -> str:
    cases = " ".join(f"WHEN days_since_reference >= {low} THEN '{label}'" for low, label in reversed(SINCE_INDEX))
    return f"CASE {cases} END"


_CHANGE = "CASE WHEN provider_changed THEN 'another provider' WHEN NOT provider_changed THEN 'the same provider' END"


def consistency_figures(
    db: duckdb.DuckDBPyConnection, run: dict[str, object], suppress: bool = True
) -> ConsistencyFigures | None:
    """The consistency figures of a run, or None when it has no patient-level results."""
    if not {"patient_rules", "patient_units"} <= _tables(db):
        return None
    run_id = str(run["run_id"])
    rows = db.execute(
        """SELECT r.rule, r.applies, r.violating, r.patients, r.not_judged,
                  coalesce(bool_or(u.reference IS NOT NULL), false), any_value(r.title)
           FROM patient_rules r LEFT JOIN patient_units u ON u.run_id = r.run_id AND u.rule = r.rule
           WHERE r.run_id = ? GROUP BY ALL ORDER BY r.rule""",
        [run_id],
    ).fetchall()
    if not rows:
        return None
    rules = tuple(
        RuleUnits(str(rule), str(title or ""), int(n), int(k), rate(int(k), int(n), suppress), bool(indexed))
        for rule, n, k, _, _, indexed, title in rows
    )
    indexed = [r.rule for r in rules if r.indexed]
    return ConsistencyFigures(
        rules=rules,
        providers=_groups(db, run_id, "coalesce(provider, '(none)')", indexed, suppress, "units DESC, key"),
        years=_groups(db, run_id, financial_year("ended"), [r.rule for r in rules], suppress),
        since_index=_groups(db, run_id, _band(), indexed, suppress, "min(days_since_reference)"),
        provider_change=_groups(db, run_id, _CHANGE, indexed, suppress, "key DESC"),
        patients=int(rows[0][3]),
        not_judged=int(rows[0][4]),
        suppress=suppress,
    )
