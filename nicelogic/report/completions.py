"""Text and JSON for completions, consequences and repairs."""

from __future__ import annotations

import dataclasses
from typing import Any

from nicelogic.complete.results import Completion, CompletionReport, Conflict, Consequences, Placed, RepairReport
from nicelogic.input.items import Rejected


def report_dict(report: CompletionReport | Consequences | RepairReport) -> dict[str, Any]:
    """The documented JSON shape (docs/completions.md): dataclasses as plain objects."""
    data = dataclasses.asdict(report)
    if isinstance(report, CompletionReport):
        for item, completion in zip(data["completions"], report.completions, strict=True):
            if not completion.template:
                for key in ("template", "count", "exhaustive", "example"):
                    item.pop(key)
    return data


def rejected_dict(record: Rejected) -> dict[str, Any]:
    """A record that could not be read, in the shape ``check --format json`` gives it."""
    error = record.error
    problem: dict[str, Any] = {"message": error.message, "line": error.line, "column": error.column, "kind": error.label}
    if error.where:
        problem["field"] = error.where
    return {"id": record.id, "source": record.source, "line": record.line, "error": problem}


def rejected_text(record: Rejected) -> str:
    error = record.error
    where = f" [{error.where}]" if error.where else ""
    column = f"{error.column}:" if error.column else ""
    return f"{record.id}: rejected\n  {record.source}:{error.line}:{column} input error: {error.message}{where}"


def _count(count: int, exhaustive: bool) -> str:
    return f"{count:,}" if exhaustive else f"{count:,}+"


def conflict_text(conflict: Conflict | None) -> str:
    return f"no valid completion: {conflict.message}" if conflict else "no valid completion"


def report_text(report: CompletionReport) -> str:
    kind = "minimal completions" if report.minimal else "completions"
    if report.count == 0:
        return f"{report.input}\n  {conflict_text(report.conflict)}"
    if report.grouped:
        head = f"{report.input}\n  {_count(report.count, report.exhaustive)} templates of {kind}"
    else:
        head = f"{report.input}\n  {_count(report.count, report.exhaustive)} {kind}"
    if report.count == 1:
        head = head.replace(" templates of ", " template of ").replace(f"1 {kind}", f"1 {kind[:-1]}")
    lines = [head + (f", the first {len(report.completions)}:" if len(report.completions) < report.count else ":")]
    if report.gave_up is not None:
        lines.append(f"  (gave up after {report.gave_up:g} s (--time-limit): these were found by then, and there may be more)")
    for n, completion in enumerate(report.completions, start=1):
        lines.append(f"  {n:>3}. {_completion(completion)}")
    return "\n".join(lines)


def _completion(completion: Completion) -> str:
    record = completion.record.split(": ", 1)[-1]
    warned = f"  (warnings: {', '.join(completion.warnings)})" if completion.warnings else ""
    if completion.template:
        example = completion.example.split(": ", 1)[-1] if completion.example else ""
        return f"{record}   {_count(completion.count, completion.exhaustive)} completions, first: {example}{warned}"
    return record + warned


def _places(items: tuple[Placed, ...]) -> str:
    by_slot: dict[tuple[str, int], list[str]] = {}
    for item in items:
        by_slot.setdefault((item.section, item.position), []).append(item.code)
    return "\n".join(f"    {section}:{position}  {' '.join(codes)}" for (section, position), codes in by_slot.items())


def consequences_text(result: Consequences, may: bool, must: bool) -> str:
    if result.conflict is not None:
        return f"{result.input}\n  {conflict_text(result.conflict)}"
    scope = "minimal completions" if result.minimal else "valid completions"
    parts = [result.input]
    if result.gave_up is not None:
        parts.append(
            f"  (gave up after {result.gave_up:g} s (--time-limit): the codes that may appear are those found by then, "
            "and there may be more; which must appear is not known)"
        )
    if must:
        parts += [f"  in every one of the {scope} (categories):", _places(result.must_categories) or "    (none)"]
        parts += ["  codes in every one:", _places(result.must) or "    (none)"]
    if may:
        parts += [f"  may appear in {scope} (categories):", _places(result.may_categories) or "    (none)"]
        parts += ["  codes that may appear:", _places(result.may) or "    (none)"]
    return "\n".join(parts)


def repair_text(report: RepairReport) -> str:
    if not report.violations:
        return f"{report.input}\n  valid: nothing to repair"
    if report.count == 0:
        return f"{report.input}\n  {conflict_text(report.conflict)}"
    plural = "" if (report.count, report.exhaustive) == (1, True) else "s"  # 1+ is one or more
    lines = [
        f"{report.input}\n  errors: {', '.join(report.violations)}",
        f"  {_count(report.count, report.exhaustive)} minimal repair{plural}"
        + (f", the first {len(report.repairs)}:" if len(report.repairs) < report.count else ":"),
    ]
    if report.gave_up is not None:
        proven = "" if report.proven_minimal else ", valid but not proven the smallest"
        lines.append(
            f"  (gave up after {report.gave_up:g} s (--time-limit): these were found by then{proven}, and there may be more)"
        )
        if not report.proven_minimal:
            lines[1] = lines[1].replace(" minimal repair", " repair")
    for n, repair in enumerate(report.repairs, start=1):
        edits = "; ".join(_edit(e) for e in repair.edits)
        lines.append(f"  {n:>3}. {repair.record.split(': ', 1)[-1]}")
        lines.append(f"       {edits}  (removes {', '.join(repair.removes)})")
    return "\n".join(lines)


def _edit(edit) -> str:  # type: ignore[no-untyped-def]
    if edit.kind == "insert":
        return f"insert {edit.code} at {edit.section}:{edit.position}"
    if edit.kind == "delete":
        return f"delete {edit.code} ({edit.section}:{edit.original})"
    if edit.kind == "move":
        return f"move {edit.code} from {edit.section}:{edit.original} to {edit.section}:{edit.position}"
    return f"replace {edit.code} ({edit.section}:{edit.original}) by {edit.replacement}"
