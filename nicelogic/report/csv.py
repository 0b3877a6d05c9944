"""CSV: one row per violation, and one row for each record without any, so that every
input record appears (valid ones with empty rule columns, rejected ones with the reason).
String cells are neutralised against spreadsheet formulas (see escape.csv_cell)."""

from __future__ import annotations

import csv
from collections.abc import Sequence

from nicelogic.report.base import ReporterBase
from nicelogic.report.escape import csv_cell
from nicelogic.results import RecordResult, Summary, Violation

COLUMNS = (
    "source", "record", "status", "line", "column", "rule", "severity",
    "section", "positions", "codes", "message", "citation", "explanation",
)  # fmt: skip


class CsvReporter(ReporterBase):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # CRLF, as RFC 4180 has it: Python 3.11 quotes only cells holding a character of the
        # line terminator, and a lone CR in a cell must be quoted too.
        self.writer = csv.writer(self.out, lineterminator="\r\n")
        self.writer.writerow(COLUMNS)

    def _row(self, cells: Sequence[object]) -> None:
        self.writer.writerow([csv_cell(cell) for cell in cells])

    def _violation(self, result: RecordResult, status: str, v: Violation) -> None:
        explanation = "\n".join(v.explanation.lines()) if v.explanation is not None else ""
        self._row([
            result.source, result.id, status, v.line, v.column, v.rule, v.severity, v.section,
            " ".join(map(str, v.positions)), " ".join(v.codes), v.message, v.source, explanation,
        ])  # fmt: skip

    def add(self, result: RecordResult) -> None:
        status = "rejected" if result.rejected else ("valid" if result.valid else "invalid")
        if result.error is not None:
            e = result.error
            self._row([result.source, result.id, status, e.line, e.column, "", "", "", "", "", e.message, "", ""])
            return
        for v in result.waived:
            self._violation(result, "waived", v)
        if not result.violations:
            self._row([result.source, result.id, status, result.line, "", "", "", "", "", "", "", "", ""])
            return
        for v in result.violations:
            self._violation(result, status, v)

    def finish(self, summary: Summary) -> None:
        self.out.flush()
