"""CSV: one row per violation, and one row for each record without any, so that every
input record appears (valid ones with empty rule columns, rejected ones with the reason)."""

from __future__ import annotations

import csv

from ..results import RecordResult, Summary
from .base import ReporterBase

COLUMNS = (
    "source", "record", "status", "line", "column", "rule", "severity",
    "section", "positions", "codes", "message", "citation",
)  # fmt: skip


class CsvReporter(ReporterBase):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(COLUMNS)

    def add(self, result: RecordResult) -> None:
        status = "rejected" if result.rejected else ("valid" if result.valid else "invalid")
        if result.error is not None:
            e = result.error
            self.writer.writerow([result.source, result.id, status, e.line, e.column, "", "", "", "", "", e.message, ""])
            return
        for v in result.waived:
            self.writer.writerow([
                result.source, result.id, "waived", v.line, v.column, v.rule, v.severity, v.section,
                " ".join(map(str, v.positions)), " ".join(v.codes), v.message, v.source,
            ])  # fmt: skip
        if not result.violations:
            self.writer.writerow([result.source, result.id, status, result.line, "", "", "", "", "", "", "", ""])
            return
        for v in result.violations:
            self.writer.writerow([
                result.source, result.id, status, v.line, v.column, v.rule, v.severity, v.section,
                " ".join(map(str, v.positions)), " ".join(v.codes), v.message, v.source,
            ])  # fmt: skip

    def finish(self, summary: Summary) -> None:
        self.out.flush()
