"""What a solve found, tied back to a record's codes: the violation a user reads, with the
codes it blames, where they stand in the input, its message and (asked for) why."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from nicelogic.asp.solve import Finding
from nicelogic.checking.diagnostics import UNKNOWN_CODE, UNUSED_WAIVER
from nicelogic.checking.explain import explain
from nicelogic.checking.messages import render_message
from nicelogic.errors import RuleError
from nicelogic.model import Code, Record, System
from nicelogic.results import Restated, Violation
from nicelogic.rules.metadata import Rule
from nicelogic.rules.packs import RuleSet
from nicelogic.tables import CodeTables


def _title(tables: CodeTables, system: System, code: Code | None) -> str:
    if code is None:
        return ""
    title = tables.title(system, code.value)
    return f"{code.text()} {title}" if title else code.text()


def violation(record: Record, finding: Finding, ruleset: RuleSet, tables: CodeTables, explained: bool = False) -> Violation:
    rule = ruleset.rules[finding.rule]
    system = System(finding.section)
    section_codes = record.codes(system)
    if any(p > len(section_codes) for p in finding.positions):
        raise RuleError(
            f"rule {rule.id} blamed position(s) {finding.positions} of a {system.value} section holding "
            f"{len(section_codes)} code(s)", rule.file, rule.line,
        )  # fmt: skip
    blamed = [section_codes[p - 1] for p in finding.positions]
    first = blamed[0] if blamed else None
    column, where = record.locate(first.column) if first else (0, None)
    codes = [c.text() for c in blamed]
    table = ruleset.relations.get(rule.id)
    row = table.row(finding.row) if table is not None and finding.row is not None else None
    return Violation(
        rule=rule.id,
        severity=rule.severity,
        section=system.value,
        positions=finding.positions,
        codes=tuple(codes),
        message=render_message(rule, record, system, finding, codes, _title(tables, system, first), row.standard if row else ""),
        source=rule.source,
        line=record.line,
        column=column,
        title=rule.title,
        where=where,
        explanation=explain(record, system, finding, rule, ruleset, tables) if explained else None,
        row=finding.row,
        standard=row.standard if row else "",
    )


def unused_waiver(record: Record, waiver: str) -> Violation:
    """The engine's own warning for a waiver that waives nothing on its record."""
    message = f"the waiver {waiver!r} waives nothing: no rule it names reports a violation on this record"
    return UNUSED_WAIVER.violation(record, message)


def merge_restated(violations: list[Violation], rules: Mapping[str, Rule]) -> list[Violation]:
    """One mistake, one violation: a violation whose rule restates another rule that the
    record breaks at the same codes becomes part of that violation (its ``also``), which
    keeps the more severe of the two severities. Rules restating one another in a chain
    end at the rule that restates none that fired."""
    place = {(v.rule, v.section, v.positions): n for n, v in enumerate(violations)}
    target: dict[int, int] = {}
    for n, v in enumerate(violations):
        seen = {v.rule}
        current = n
        while True:
            rule = rules.get(violations[current].rule)
            nxt = next(
                (place[key] for r in (rule.restates if rule else ()) if (key := (r, v.section, v.positions)) in place),
                None,
            )
            if nxt is None or violations[nxt].rule in seen:
                break
            seen.add(violations[nxt].rule)
            current = nxt
        if current != n:
            target[n] = current
    # rules restating one another in a circle: each stays a violation of its own
    target = {n: into for n, into in target.items() if into not in target}
    if not target:
        return violations
    merged = list(violations)
    for n, into in target.items():
        v, head = violations[n], merged[into]
        also = (*head.also, Restated(v.rule, v.severity, v.source, v.message), *v.also)
        severity = "error" if "error" in (head.severity, v.severity) else head.severity
        merged[into] = dataclasses.replace(head, also=also, severity=severity)
    return [v for n, v in enumerate(merged) if n not in target]


def unknown_codes(record: Record, system: System, unknown: frozenset[str]) -> list[Violation]:
    """The engine's own warning for each code of a section that no loaded edit table knows."""
    found = []
    for position, code in enumerate(record.codes(system), start=1):
        if code.value not in unknown:
            continue
        column, where = record.locate(code.column)
        message = f"{code.text()} is in no loaded NCCI table (add-on, PTP or MUE): no edit could judge it"
        found.append(
            UNKNOWN_CODE.violation(
                record, message, section=system.value, positions=(position,), codes=(code.text(),), column=column, where=where
            )
        )
    return found
