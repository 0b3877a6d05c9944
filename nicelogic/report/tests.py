"""Output of ``nicelogic test``: text, json, junit and tap."""

from __future__ import annotations

import json

from junitparser import TestCase

from nicelogic.authoring.testing import TestRun
from nicelogic.report import junitxml
from nicelogic.report.escape import visible_lines
from nicelogic.report.tap import tap_diagnostic, tap_line
from nicelogic.resources import shown_path


def _status(result) -> str:  # type: ignore[no-untyped-def]
    return "skipped" if result.skipped else ("passed" if result.passed else "failed")


def coverage_lines(run: TestRun) -> list[str]:
    rows = run.counted_rows
    tables = f" and {sum(r.covered for r in rows)} of {len(rows)} relation-table rows" if run.rows else ""
    rules = f"{sum(c.covered for c in run.coverage if c.applicable)} of {sum(c.applicable for c in run.coverage)} rules"
    lines = [f"rule coverage: {run.coverage_percent:.1f}% ({rules}{tables} fire in some case and stay quiet in some case)"]
    for item in run.coverage:
        if not item.applicable:
            lines.append(f"  {item.rule}: not applicable, needs data the loaded tables lack")
        elif not item.covered:
            missing = " and ".join(
                m for m, ok in (("never fires in a case", item.fired), ("never shown quiet", item.quiet)) if not ok
            )
            lines.append(f"  {item.rule}: {missing}")
    for row in rows:
        if not row.covered:
            missing = " and ".join(
                m for m, ok in (("never fires in a case", row.fire_cases), ("never shown quiet", row.quiet_cases)) if not ok
            )
            lines.append(f"  {row.rule} row {row.table.name}:{row.line} ({row.standard}): {missing}")
    return lines


def text(run: TestRun, verbose: bool = False, coverage: bool = False) -> str:
    lines = [f"error: {error}" for error in run.errors]
    for result in run.results:
        status = _status(result)
        if status == "failed":
            lines.append(f"FAIL {result.case.name}: {result.case.text}")
            lines += [f"     {problem}" for problem in result.problems]
        elif status == "skipped":
            lines.append(f"SKIP {result.case.name}: todo: {result.case.todo}")
        elif verbose:
            lines.append(f"ok   {result.case.name}: {result.case.text}")
    if coverage:
        lines += coverage_lines(run)
    if not run.results:
        lines.append("no test case ran")
    lines.append(f"{run.passed} passed, {run.failed} failed, {run.skipped} skipped")
    return visible_lines(lines)


def as_json(run: TestRun) -> str:
    return json.dumps(
        {
            "cases": [
                {
                    "file": r.case.source, "line": r.case.line, "record": r.case.text,
                    "status": _status(r), "problems": list(r.problems), "todo": r.case.todo,
                }
                for r in run.results
            ],
            "errors": list(run.errors),
            "summary": {"cases": len(run.results), "passed": run.passed, "failed": run.failed, "skipped": run.skipped},
            "coverage": {
                "percent": round(run.coverage_percent, 1),
                "rules": [
                    {"rule": c.rule, "pack": c.pack, "fired": c.fired, "quiet": c.quiet, "applicable": c.applicable,
                     "fire_cases": c.fire_cases, "quiet_cases": c.quiet_cases}
                    for c in run.coverage
                ],
                "rows": [
                    {"rule": r.rule, "table": shown_path(r.table), "line": r.line, "standard": r.standard,
                     "fire_cases": r.fire_cases, "quiet_cases": r.quiet_cases}
                    for r in run.rows
                ],
            },
        },
        indent=2,
    )  # fmt: skip


def junit(run: TestRun) -> str:
    suites: dict[str, list[TestCase]] = {}
    if run.errors:  # a file that could not run is a case in error, so that CI counts it
        suites["errors"] = [
            junitxml.case(f"error {n}", "nicelogic test", [junitxml.result(junitxml.Error, error, "file")])
            for n, error in enumerate(run.errors, start=1)
        ]
    for result in run.results:
        outcomes: list[junitxml.Outcome] = []
        if result.skipped:
            outcomes.append(junitxml.result(junitxml.Skipped, result.case.todo or "todo"))
        elif not result.passed:
            outcomes.append(junitxml.result(junitxml.Failure, result.problems[0], None, result.problems))
        suites.setdefault(result.case.source, []).append(
            junitxml.case(f"line {result.case.line}: {result.case.text}", result.case.source, outcomes,
                          file=result.case.source, line=result.case.line)
        )  # fmt: skip
    return junitxml.document("nicelogic test", suites).rstrip("\n")


def tap(run: TestRun) -> str:
    """TAP 13; files that could not run come first, as failed test points."""
    points: list[tuple[bool, str, str, tuple[str, ...]]] = [(False, f"error: {error}", "", ()) for error in run.errors]
    for result in run.results:
        description = f"{result.case.name} {result.case.text}"
        if result.skipped:
            points.append((True, description, f"SKIP {result.case.todo}", ()))
        else:
            points.append((result.passed, description, "", result.problems))
    lines = ["TAP version 13", f"1..{len(points)}"]
    for n, (ok, description, directive, problems) in enumerate(points, start=1):
        lines.append(tap_line(ok, n, description, directive))
        lines += [tap_diagnostic(problem) for problem in problems]
    return "\n".join(lines)
