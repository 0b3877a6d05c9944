"""Compiler-style lines: ``FILE:LINE:COL: RULE-ID severity: message (record ID)``."""

from __future__ import annotations

from typing import IO

from rich.markup import escape

from nicelogic.report.base import ReporterBase
from nicelogic.report.escape import visible
from nicelogic.report.terminal import forced_console
from nicelogic.results import RecordResult, Summary, Violation
from nicelogic.rules.metadata import Rule

_STYLE = {"error": "bold red", "warning": "yellow"}


def violation_line(result: RecordResult, v: Violation, waived: bool = False) -> str:
    column = f"{v.column}:" if v.column else ""
    state = f"{v.severity} (waived)" if waived else v.severity
    also = f" [also {', '.join(r.rule for r in v.also)}]" if v.also else ""
    return f"{result.source}:{v.line}:{column} {v.rule} {state}: {v.message}{also} (record {result.id})"


def explanation_lines(v: Violation) -> list[str]:
    return ["    " + line for line in v.explanation.lines()] if v.explanation is not None else []


def rejection_line(result: RecordResult) -> str:
    assert result.error is not None
    e = result.error
    column = f"{e.column}:" if e.column else ""
    where = f" [{e.where}]" if e.where else ""
    return f"{result.source}:{e.line}:{column} input error: {e.message}{where} (record {result.id})"


class TextReporter(ReporterBase):
    """Plain lines into files and pipes; coloured through rich on a terminal."""

    def __init__(self, out: IO[str], rules: dict[str, Rule], color: bool | None = None, *, quiet: bool = False) -> None:
        super().__init__(out, rules)
        self.console = forced_console(out, color)
        self.styled = self.console.is_terminal and color is not False
        self.quiet = quiet

    def _emit(self, text: str, style: str | None = None) -> None:
        text = visible(text)  # ids and file names come from the input: no terminal control
        if self.styled:
            self.console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))
        else:
            self.out.write(text + "\n")

    def add(self, result: RecordResult) -> None:
        if result.error is not None:
            self._emit(rejection_line(result), "bold magenta")
        for v in result.violations:
            self._emit(violation_line(result, v), _STYLE.get(v.severity))
            for line in explanation_lines(v):
                self._emit(line, "dim")
        for v in result.waived:
            self._emit(violation_line(result, v, waived=True), "dim")

    def finish(self, summary: Summary) -> None:
        if not self.quiet:
            self._emit(summary_line(summary), "bold green" if summary.ok() else "bold")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def summary_line(summary: Summary) -> str:
    parts = [
        f"{_plural(summary.records, 'record')} checked",
        f"{summary.valid} valid",
        f"{summary.invalid} invalid",
        f"{summary.rejected} rejected",
        _plural(summary.violations - summary.warnings, "error"),
        _plural(summary.warnings, "warning"),
    ]
    if summary.waived:
        parts.append(f"{summary.waived} waived")
    line = ", ".join(parts)
    if summary.by_edition:  # dated records: which edition judged how many
        line += "; judged by " + ", ".join(f"{name} {count}" for name, count in summary.by_edition.items())
    if summary.not_judged:
        line += "; not judged by (dated outside it) " + ", ".join(f"{name} {count}" for name, count in summary.not_judged.items())
    return line
