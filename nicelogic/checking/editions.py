"""Which loaded edition judges a record, and what the rules say where none was in force.

A record is coded with the edition in force when its episode ended
(:attr:`nicelogic.model.Record.judged_on`). Rules that ask whether a code exists in the
loaded table (they read ``opcs_code``, ``opcs_subdivided``, ``icd_code`` or
``icd_subdivided``) are the validity rules: on a record dated when no loaded table of their
classification was in force, their findings are replaced by one notice per section, "not
judged against OPCS-4.11: episode dated 2001-09-27", never "not a code" by today's table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from nicelogic.checking.diagnostics import NOT_IN_FORCE
from nicelogic.model import Record, System
from nicelogic.results import Violation
from nicelogic.rules.packs import RuleSet
from nicelogic.tables import CodeTables, Icd10Table, OpcsTable

_VALIDITY = {
    System.OPCS: re.compile(r"\bopcs_(code|subdivided)\("),
    System.ICD10: re.compile(r"\bicd_(code|subdivided)\("),
}
_CHOICE = "\n%tables "  # the line a form ends with when another edition than the default judges it


def validity_rules(ruleset: RuleSet) -> dict[str, frozenset[System]]:
    """Each rule that reads whether a code exists in a classification's table, with those classifications."""
    found: dict[str, frozenset[System]] = {}
    for pack in ruleset.packs:
        texts = dict(zip(pack.files, pack.texts, strict=True))
        for rule in pack.rules:
            text = texts.get(rule.file, "")
            systems = frozenset(system for system, pattern in _VALIDITY.items() if pattern.search(text))
            if systems:
                found[rule.id] = systems
    return found


def edition_choice(tables: CodeTables, record: Record) -> tuple[tuple[System, int], ...]:
    """For each section judged by another loaded edition than the default, its index."""
    day = record.judged_on
    if day is None:
        return ()
    chosen = []
    for system, codes in record.sections:
        if not codes or system is System.CPT:
            continue
        table = tables.table_for(system, day)
        if table is not None and table is not tables.classification(system):
            chosen.append((system, [id(t) for t in tables.editions(system)].index(id(table))))
    return tuple(chosen)


def mark_form(form: str, choice: tuple[tuple[System, int], ...]) -> str:
    """A record form that says which editions judge it (an ASP comment: the rules never see it)."""
    if not choice:
        return form
    return form + _CHOICE + " ".join(f"{system.value}={index}" for system, index in choice)


def form_choice(form: str) -> dict[System, int]:
    """The editions a form says judge it (see :func:`mark_form`)."""
    if _CHOICE not in form:
        return {}
    marker = form.rpartition(_CHOICE)[2]
    return {System(name): int(index) for name, _, index in (part.partition("=") for part in marker.split())}


def stale_sections(tables: CodeTables, record: Record) -> dict[System, str]:
    """Sections of a dated record that no loaded table judges, with the default table's edition."""
    day = record.judged_on
    if day is None:
        return {}
    stale: dict[System, str] = {}
    for system, codes in record.sections:
        if codes and system is not System.CPT and tables.table_for(system, day) is None:
            default = tables.classification(system)
            stale[system] = edition_label(default) if default is not None else system.label
    return stale


def _with_period(table: OpcsTable | Icd10Table) -> str:
    label = edition_label(table)
    dates = table.dates
    if dates is None or not dates.dated:
        return label
    if dates.start and dates.end:
        return f"{label} (in force {dates.start} to {dates.end})"
    return f"{label} (in force from {dates.start})" if dates.start else f"{label} (in force until {dates.end})"


def judging_editions(tables: CodeTables, record: Record) -> tuple[str, ...]:
    """The editions that judged each OPCS-4 and ICD-10 section of a record."""
    found = []
    for system, codes in record.sections:
        if codes and system is not System.CPT:
            table = tables.table_for(system, record.judged_on)
            if table is not None:
                found.append(edition_label(table))
    return tuple(dict.fromkeys(found))


def edition_label(table: OpcsTable | Icd10Table) -> str:
    """A table's edition as messages and counts name it (OPCS-4.11, ICD-10 5th Edition)."""
    if table.dates is not None and table.dates.dated:
        return table.dates.name
    return table.release if isinstance(table, OpcsTable) else table.edition


def not_in_force(record: Record, stale: Mapping[System, str], tables: CodeTables) -> list[Violation]:
    """The notice for each section whose validity no loaded edition could judge."""
    found = []
    for system, label in stale.items():
        default = tables.classification(system)
        edition = _with_period(default) if default is not None else label
        column, where = record.locate(record.codes(system)[0].column)
        message = f"not judged against {edition}: the episode is dated outside it"
        found.append(NOT_IN_FORCE.violation(record, message, section=system.value, column=column, where=where))
    return found
