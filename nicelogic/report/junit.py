"""JUnit XML: one test case per record, failed by its error-severity violations, in
error when it could not be read. Warnings go to the case's system-out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ..results import RecordResult, Summary
from .base import ReporterBase


class JunitReporter(ReporterBase):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cases: dict[str, list[ET.Element]] = defaultdict(list)
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tests, failures, errors

    def add(self, result: RecordResult) -> None:
        case = ET.Element("testcase", classname=result.source, name=result.id, line=str(result.line))
        counts = self.counts[result.source]
        counts[0] += 1
        if result.error is not None:
            counts[2] += 1
            error = ET.SubElement(case, "error", message=result.error.message, type="input.rejected")
            error.text = f"{result.source}:{result.error.line}:{result.error.column}: {result.error.message}"
        errors = [v for v in result.violations if v.is_error]
        if errors:
            counts[1] += 1
            failure = ET.SubElement(case, "failure", message=errors[0].message, type=errors[0].rule)
            failure.text = "\n".join(
                f"{result.source}:{v.line}:{v.column}: {v.rule} {v.severity}: {v.message}" for v in result.violations
            )
        notes = [f"{v.rule} warning: {v.message}" for v in result.violations if not v.is_error]
        notes += [f"{v.rule} {v.severity} (waived): {v.message}" for v in result.waived]
        if notes and not errors:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(notes)
        self.cases[result.source].append(case)

    def finish(self, summary: Summary) -> None:
        root = ET.Element(
            "testsuites",
            name="nicelogic",
            tests=str(summary.records),
            failures=str(summary.invalid),
            errors=str(summary.rejected),
        )
        for source, cases in self.cases.items():
            tests, failures, errors = self.counts[source]
            suite = ET.SubElement(
                root, "testsuite", name=source, tests=str(tests), failures=str(failures), errors=str(errors), skipped="0"
            )
            suite.extend(cases)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode"))
        self.out.write("\n")
