"""GitHub Actions workflow commands: ``::error file=F,line=L,col=C,title=RULE::message``,
which the runner turns into annotations on the file. Errors and rejected records are
``error``, warnings ``warning``, waived violations ``notice``."""

from __future__ import annotations

from nicelogic.report.base import ReporterBase
from nicelogic.report.escape import visible, visible_lines, workflow_data, workflow_property
from nicelogic.report.text import explanation_lines
from nicelogic.results import RecordResult, Summary, Violation


def command(kind: str, message_lines: list[str], file: str, line: int, column: int, title: str) -> str:
    properties = {"file": file, "line": str(max(line, 1)), "col": str(column) if column > 0 else "", "title": title}
    rendered = ",".join(f"{key}={workflow_property(visible(value))}" for key, value in properties.items() if value)
    # Each line is made visible on its own; only the breaks between them reach the runner.
    message = workflow_data(visible_lines(message_lines))
    return f"::{kind} {rendered}::{message}\n"


class GithubReporter(ReporterBase):
    def _violation(self, result: RecordResult, v: Violation, kind: str, title: str) -> str:
        lines = [f"{v.message} (record {result.id})", *explanation_lines(v)]
        return command(kind, lines, result.source, v.line, v.column, title)

    def add(self, result: RecordResult) -> None:
        if result.error is not None:
            e = result.error
            self.out.write(
                command("error", [f"{e.message} (record {result.id})"], result.source, e.line, e.column, "input.rejected")
            )
        for v in result.violations:
            self.out.write(self._violation(result, v, "error" if v.is_error else "warning", v.rule))
        for v in result.waived:
            self.out.write(self._violation(result, v, "notice", f"{v.rule} (waived)"))

    def finish(self, summary: Summary) -> None:
        self.out.flush()
