"""Output of ``nicelogic test``: text, json, junit and tap."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ..testing import TestRun


def _status(result) -> str:  # type: ignore[no-untyped-def]
    return "skipped" if result.skipped else ("passed" if result.passed else "failed")


def coverage_lines(run: TestRun) -> list[str]:
    lines = [f"rule coverage: {run.coverage_percent:.1f}% ({sum(c.covered for c in run.coverage if c.applicable)} of "
             f"{sum(c.applicable for c in run.coverage)} rules fire in some case and stay quiet in some case)"]  # fmt: skip
    for item in run.coverage:
        if not item.applicable:
            lines.append(f"  {item.rule}: not applicable, needs data the loaded tables lack")
        elif not item.covered:
            missing = " and ".join(
                m for m, ok in (("never fires in a case", item.fired), ("never shown quiet", item.quiet)) if not ok
            )
            lines.append(f"  {item.rule}: {missing}")
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
    return "\n".join(lines)


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
                    {"rule": c.rule, "pack": c.pack, "fired": c.fired, "quiet": c.quiet, "applicable": c.applicable}
                    for c in run.coverage
                ],
            },
        },
        indent=2,
    )  # fmt: skip


def junit(run: TestRun) -> str:
    root = ET.Element("testsuites", name="nicelogic test", tests=str(len(run.results)), failures=str(run.failed),
                      skipped=str(run.skipped), errors=str(len(run.errors)))  # fmt: skip
    suites: dict[str, ET.Element] = {}
    for result in run.results:
        suite = suites.get(result.case.source)
        if suite is None:
            suite = suites[result.case.source] = ET.SubElement(root, "testsuite", name=result.case.source)
        case = ET.SubElement(suite, "testcase", classname=result.case.source, name=f"line {result.case.line}: {result.case.text}")
        if result.skipped:
            ET.SubElement(case, "skipped", message=result.case.todo or "")
        elif not result.passed:
            failure = ET.SubElement(case, "failure", message=result.problems[0])
            failure.text = "\n".join(result.problems)
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
        suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def tap(run: TestRun) -> str:
    lines = ["TAP version 13", f"1..{len(run.results)}"]
    for n, result in enumerate(run.results, start=1):
        description = f"{result.case.name} {result.case.text}"
        if result.skipped:
            lines.append(f"ok {n} - {description} # SKIP {result.case.todo}")
        elif result.passed:
            lines.append(f"ok {n} - {description}")
        else:
            lines.append(f"not ok {n} - {description}")
            lines += [f"  # {problem}" for problem in result.problems]
    return "\n".join(lines)
