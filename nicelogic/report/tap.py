"""TAP 13 (Test Anything Protocol): one test point per record, its violations as
diagnostics below it. The plan comes last, so that records stream as they are checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO

from nicelogic.report.base import ReporterBase
from nicelogic.report.escape import tap_description, visible
from nicelogic.report.text import explanation_lines, rejection_line, violation_line
from nicelogic.results import RecordResult, Summary
from nicelogic.rules.metadata import Rule


def tap_line(ok: bool, number: int, description: str, directive: str = "") -> str:
    line = f"{'ok' if ok else 'not ok'} {number} - {tap_description(description)}"
    return f"{line} # {visible(directive)}" if directive else line


def tap_diagnostic(text: str) -> str:
    return f"# {visible(text)}"


class TapReporter(ReporterBase):
    def __init__(self, out: IO[str], rules: dict[str, Rule], tables: Mapping[str, str] | None = None) -> None:
        super().__init__(out, rules, tables)
        self.count = 0
        self.out.write("TAP version 13\n")

    def _write(self, lines: Iterable[str]) -> None:
        self.out.write("".join(line + "\n" for line in lines))

    def add(self, result: RecordResult) -> None:
        self.count += 1
        lines = [tap_line(result.valid, self.count, f"{result.id} ({result.source}:{result.line})")]
        if result.error is not None:
            lines.append(tap_diagnostic(rejection_line(result)))
        for v in result.violations:
            lines += [tap_diagnostic(line) for line in (violation_line(result, v), *explanation_lines(v))]
        for v in result.waived:
            lines += [tap_diagnostic(line) for line in (violation_line(result, v, waived=True), *explanation_lines(v))]
        self._write(lines)

    def finish(self, summary: Summary) -> None:
        self._write([f"1..{self.count}"])
