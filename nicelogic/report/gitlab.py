"""GitLab Code Quality report: a JSON array of issues with ``description``,
``check_name``, ``fingerprint``, ``severity`` and ``location.path``/``lines.begin``."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from nicelogic.report.base import ReporterBase
from nicelogic.report.escape import visible
from nicelogic.results import RecordResult, Summary, Violation

SEVERITY = {"error": "major", "warning": "minor", "rejected": "critical", "waived": "info"}


class GitlabReporter(ReporterBase):
    """Streams the array; a count per finding seen is all it keeps."""

    _started = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.seen: Counter[str] = Counter()

    def _fingerprint(self, *identity: object) -> str:
        # What the finding is, not where it stands: a record moved down the file keeps
        # its fingerprint, so GitLab does not see it as fixed and found anew. The same
        # finding twice (a repeated record id) is told apart by its occurrence.
        base = json.dumps(identity, ensure_ascii=False)
        occurrence = self.seen[base]
        self.seen[base] += 1
        return hashlib.sha256(f"{base}#{occurrence}".encode()).hexdigest()

    def _issue(self, description: str, check: str, severity: str, path: str, line: int, identity: tuple[object, ...]) -> None:
        issue: dict[str, Any] = {
            "description": visible(description),  # shown in merge requests: one plain line
            "check_name": check,
            "fingerprint": self._fingerprint(*identity),
            "severity": severity,
            "location": {"path": path, "lines": {"begin": max(line, 1)}},
        }
        self.out.write(",\n  " if self._started else "[\n  ")
        self._started = True
        self.out.write(json.dumps(issue, ensure_ascii=False))

    def _violation(self, result: RecordResult, v: Violation, severity: str) -> None:
        identity = (result.source, result.id, v.rule, v.section, list(v.positions), list(v.codes), severity == "info")
        self._issue(f"{v.message} (record {result.id})", v.rule, severity, result.source, v.line, identity)

    def add(self, result: RecordResult) -> None:
        if result.error is not None:
            e = result.error
            identity = (result.source, result.id, "input.rejected", e.label, e.where)
            self._issue(
                f"{e.message} (record {result.id})", "input.rejected", SEVERITY["rejected"], result.source, e.line, identity
            )
        for v in result.violations:
            self._violation(result, v, SEVERITY[v.severity])
        for v in result.waived:
            self._violation(result, v, SEVERITY["waived"])

    def finish(self, summary: Summary) -> None:
        self.out.write("\n]\n" if self._started else "[]\n")
