"""Studies: documented configurations of the patient-level packs that rerun a published method.

``hardy``: Hardy et al. 2022 (BMJ Health & Care Informatics 29:e100633), the persistence of
three mandatory chronic conditions across later spells, with the ``consistency`` pack's
persistence rules: unit the spell, index the patient's first spell with the condition,
subsequent spells those discharged after it within the study window (by default theirs, 1
April 2013 to 31 March 2021), their exclusions. The table states the unit, the window and the
exclusions, read from the pack's tables (``logic/consistency/persistence-*.tsv``), so that
what is printed is what was run. The unit can be the episode instead (``unit="episode"``:
Hardy et al. report 42.5% for autism so counted, against 43.7% by spell).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from nicelogic.history.checker import PatientChecker
from nicelogic.history.facts import day
from nicelogic.history.results import HistorySummary
from nicelogic.model import Record
from nicelogic.research.statistics import rate, shown_count
from nicelogic.rules.relations import RelationRow

HARDY_WINDOW = (date(2013, 4, 1), date(2021, 3, 31))
HARDY_SOURCE = (
    "Hardy F et al. Data consistency in the English Hospital Episode Statistics database. BMJ Health Care Inform 2022;29:e100633"
)
HARDY_PUBLISHED = {"autism": "43.7%", "diabetes": "8.6%", "pdd": "31.2%"}  # their Table, for comparison
UNITS = ("spell", "episode")  # what is counted: Hardy et al.'s spell, or the episode
_UNIT_TEXT = {
    "spell": "the spell (the diagnoses of its episodes pooled)",
    "episode": "the episode (each episode of the subsequent spells judged by its own diagnoses; exclusions by spell)",
}


@dataclass(frozen=True, slots=True)
class StudyRow:
    condition: str
    title: str
    inconsistent: int
    subsequent: int
    published: str


@dataclass(frozen=True, slots=True)
class HardyStudy:
    rows: tuple[StudyRow, ...]
    window: tuple[date, date] | None
    exclusions: tuple[str, ...]
    summary: HistorySummary
    spell_method: str
    unit: str = "spell"

    def lines(self, suppress: bool = True) -> list[str]:
        window = f"{self.window[0]} to {self.window[1]}" if self.window else "every spell of the extract"
        out = [
            f"Persistence of chronic conditions across spells, after {HARDY_SOURCE}",
            f"unit: {_UNIT_TEXT[self.unit]}; index: the patient's first spell with the condition;",
            f"subsequent spells: discharged after the index spell, within {window}; spells: {self.spell_method}",
            "exclusions: " + "; ".join(self.exclusions),
            "",
            f"{'condition':32} {'inconsistent':>14} {f'subsequent {self.unit}s':>19}  rate (95% CI)            "
            f"published (by spell)",
        ]
        for row in self.rows:
            shown = rate(row.inconsistent, row.subsequent, suppress).text()
            out.append(
                f"{row.title:32} {shown_count(row.inconsistent, suppress):>14} {shown_count(row.subsequent, suppress):>19}  "
                f"{shown:24} {row.published}"
            )
        not_judged = ", ".join(f"{count:,} ({reason})" for reason, count in self.summary.not_judged.items())
        out += ["", f"{self.summary.patients:,} patients; records not judged: {not_judged or 'none'}"]
        return out


def window_facts(window: tuple[date, date] | None) -> str:
    """The study window as the pack's data reads it (days since 1 January 1970)."""
    if window is None:
        return ""
    return f"persistence_window({day(window[0].isoformat())},{day(window[1].isoformat())})."


def unit_facts(unit: str) -> str:
    """What the persistence rules count, as the pack reads it (the spell unless told)."""
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    return "persistence_unit(episode)." if unit == "episode" else ""


def _rows(checker: PatientChecker) -> dict[str, RelationRow]:
    """The row of each Hardy condition's table, as the pack loaded it."""
    found = {}
    for condition in HARDY_PUBLISHED:
        table = checker.ruleset.relations.get(f"consistency.persistence-{condition}")
        if table is not None and table.rows:
            found[condition] = table.rows[0]
    return found


def exclusions(rows: dict[str, RelationRow]) -> list[str]:
    """The exclusions of subsequent spells, as the pack's tables state them."""
    sole = sorted({code for row in rows.values() for code in row.codes("sole_only")})
    out = [f"spells whose only diagnoses are {', '.join(sole)}"] if sole else []
    for row in rows.values():
        parts = [f"age under {age}"] if (age := row.value("min_age")) else []
        if procedures := row.codes("excluding"):
            parts.append(f"spells with a procedure {', '.join(procedures)} (dialysis)")
        if zero := row.codes("zero_length_only"):
            parts.append(f"zero-length spells coded only {', '.join(zero)}")
        if parts:
            out.append(f"{row.value('condition')}: {', '.join(parts)}")
    return out


def hardy(
    records: Iterable[Record], window: tuple[date, date] | None = HARDY_WINDOW, spells: str = "auto", unit: str = "spell"
) -> HardyStudy:
    """Run Hardy et al.'s method over checked records and tabulate it, counting spells (theirs) or episodes."""
    configuration = "\n".join(part for part in (window_facts(window), unit_facts(unit)) if part)
    checker = PatientChecker(["consistency"], configuration=configuration)
    try:
        _, _, summary = checker.check_records(records, spells)
    finally:
        checker.close()
    tables = _rows(checker)
    counts = {r.rule: r for r in summary.rates}
    rows = []
    for condition, published in HARDY_PUBLISHED.items():
        figure = counts.get(f"consistency.persistence-{condition}")
        inconsistent, subsequent = (figure.violating, figure.applies) if figure else (0, 0)
        title = tables[condition].value("condition") if condition in tables else None
        rows.append(StudyRow(condition, title or condition, inconsistent, subsequent, published))
    methods = ", ".join(f"{method} ({count:,} patients)" for method, count in summary.spell_methods.items()) or "none"
    return HardyStudy(tuple(rows), window, tuple(exclusions(tables)), summary, methods, unit)
