"""JUnit XML: one test case per record, failed by its error-severity violations, in
error when it could not be read. Warnings and waived violations go to the case's
system-out, whether or not it also failed."""

from __future__ import annotations

from collections import defaultdict

from junitparser import TestCase

from nicelogic.report import junitxml
from nicelogic.report.base import ReporterBase
from nicelogic.report.text import explanation_lines, rejection_line, violation_line
from nicelogic.results import RecordResult, Summary, Violation


def _lines(result: RecordResult, v: Violation, waived: bool = False) -> list[str]:
    return [violation_line(result, v, waived), *explanation_lines(v)]


class JunitReporter(ReporterBase):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cases: dict[str, list[TestCase]] = defaultdict(list)

    def add(self, result: RecordResult) -> None:
        outcomes: list[junitxml.Outcome] = []
        if result.error is not None:
            outcomes.append(junitxml.result(junitxml.Error, result.error.message, "input.rejected", [rejection_line(result)]))
        errors = [v for v in result.violations if v.is_error]
        if errors:
            detail = [line for v in errors for line in _lines(result, v)]
            outcomes.append(junitxml.result(junitxml.Failure, errors[0].message, errors[0].rule, detail))
        notes = [line for v in result.warnings for line in _lines(result, v)]
        notes += [line for v in result.waived for line in _lines(result, v, waived=True)]
        self.cases[result.source].append(
            junitxml.case(result.id, result.source, outcomes, notes, file=result.source, line=result.line)
        )

    def finish(self, summary: Summary) -> None:
        self.out.write(junitxml.document("nicelogic", self.cases, {f"table.{name}": v for name, v in self.tables.items()}))
