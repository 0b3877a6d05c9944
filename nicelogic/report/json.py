"""JSON (one document) and JSON Lines (one record object per line)."""

from __future__ import annotations

from nicelogic._version import __version__
from nicelogic.report.base import ReporterBase, record_dict, summary_dict
from nicelogic.report.escape import json_text
from nicelogic.results import RecordResult, Summary


class JsonReporter(ReporterBase):
    """Streams ``{"records": [...], "summary": {...}}`` so large inputs need no buffering."""

    _started = False

    def add(self, result: RecordResult) -> None:
        self.out.write(",\n  " if self._started else '{"records": [\n  ')
        self._started = True
        self.out.write(json_text(record_dict(result)))

    def finish(self, summary: Summary) -> None:
        self.out.write("\n],\n" if self._started else '{"records": [],\n')
        metadata = {"nicelogic": __version__, "tables": self.tables}
        self.out.write(' "summary": ' + json_text(summary_dict(summary)) + ',\n "metadata": ' + json_text(metadata) + "}\n")


class JsonLinesReporter(ReporterBase):
    """One record object per line; the summary is left to the exit code and stderr."""

    def add(self, result: RecordResult) -> None:
        self.out.write(json_text(record_dict(result)) + "\n")

    def finish(self, summary: Summary) -> None:
        self.out.flush()
