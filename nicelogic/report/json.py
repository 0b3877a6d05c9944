"""JSON (one document) and JSON Lines (one record object per line)."""

from __future__ import annotations

import json

from nicelogic.report.base import ReporterBase, record_dict, summary_dict
from nicelogic.results import RecordResult, Summary


class JsonReporter(ReporterBase):
    """Streams ``{"records": [...], "summary": {...}}`` so large inputs need no buffering."""

    _started = False

    def add(self, result: RecordResult) -> None:
        self.out.write(",\n  " if self._started else '{"records": [\n  ')
        self._started = True
        self.out.write(json.dumps(record_dict(result), ensure_ascii=False))

    def finish(self, summary: Summary) -> None:
        self.out.write("\n],\n" if self._started else '{"records": [],\n')
        self.out.write(' "summary": ' + json.dumps(summary_dict(summary), ensure_ascii=False) + "}\n")


class JsonLinesReporter(ReporterBase):
    """One record object per line; the summary is left to the exit code and stderr."""

    def add(self, result: RecordResult) -> None:
        self.out.write(json.dumps(record_dict(result), ensure_ascii=False) + "\n")

    def finish(self, summary: Summary) -> None:
        self.out.flush()
