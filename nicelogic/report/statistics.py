"""``check --statistics``: how often each rule fired, most frequent first, as ruff prints."""

from __future__ import annotations

from nicelogic.checking.diagnostics import ENGINE_RULES, INPUT_REJECTED
from nicelogic.report.text import TextReporter, summary_line
from nicelogic.results import RecordResult, Summary


class StatisticsReporter(TextReporter):
    """Counts instead of lines: the summary's count per rule, with severity and title."""

    def add(self, result: RecordResult) -> None:
        pass  # the summary already counts every violation by rule

    def finish(self, summary: Summary) -> None:
        counts = dict(summary.by_rule)
        if summary.rejected:
            counts[INPUT_REJECTED.id] = summary.rejected
        rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        width = max((len(f"{count:,}") for _, count in rows), default=1)
        for rule_id, count in rows:
            rule = self.rules.get(rule_id) or ENGINE_RULES.get(rule_id)
            severity, title = (rule.severity, rule.title) if rule else ("", "")
            self._emit(f"{count:>{width},}  {rule_id}  {severity}  {title}", "bold red" if severity == "error" else None)
        if not self.quiet:
            self._emit(summary_line(summary), "bold green" if summary.ok() else "bold")
