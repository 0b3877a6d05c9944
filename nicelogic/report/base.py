"""The interface every output format implements, and the shared record/violation shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any, Protocol

from nicelogic.results import Explanation, RecordResult, Summary, Violation
from nicelogic.rules.metadata import Rule


class Reporter(Protocol):
    """Receives results in input order; writes as it goes where the format allows."""

    def add(self, result: RecordResult) -> None: ...

    def finish(self, summary: Summary) -> None: ...


class ReporterBase:
    def __init__(self, out: IO[str], rules: dict[str, Rule], tables: Mapping[str, str] | None = None) -> None:
        self.out = out
        self.rules = rules
        # which edition of each code table the run used (CodeTables.versions), for the run's metadata
        self.tables = dict(tables or {})

    def add(self, result: RecordResult) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def finish(self, summary: Summary) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def violation_dict(violation: Violation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": violation.rule,
        "severity": violation.severity,
        "title": violation.title,
        "section": violation.section,
        "positions": list(violation.positions),
        "codes": list(violation.codes),
        "message": violation.message,
        "source": violation.source,
        "line": violation.line,
        "column": violation.column,
    }
    if violation.where:
        data["field"] = violation.where
    if violation.row is not None:  # a relation rule: the table row broken, and what it cites
        data["row"] = violation.row
        data["standard"] = violation.standard
    if violation.also:  # the same mistake, as other guidance states it: counted once
        data["also"] = [
            {"rule": r.rule, "severity": r.severity, "source": r.source, "message": r.message} for r in violation.also
        ]
    if violation.explanation is not None:
        data["explanation"] = explanation_dict(violation.explanation)
    return data


def explanation_dict(e: Explanation) -> dict[str, Any]:
    return {
        "rule_file": e.rule_file,
        "rule": e.rule_text,
        "what_it_checks": " ".join(e.description.split()),
        "facts": list(e.facts),
        "codes": [{"position": p, "code": c, "title": t, "blamed": b} for p, c, t, b in e.codes],
        "guidance": e.guidance,
    }


def record_dict(result: RecordResult) -> dict[str, Any]:
    """One record in the documented JSON shape (see docs/output.md)."""
    error = None
    if result.error is not None:
        error = {"message": result.error.message, "line": result.error.line, "column": result.error.column}
        if result.error.label:
            error["kind"] = result.error.label
        if result.error.where:
            error["field"] = result.error.where
    return {
        "id": result.id,
        "source": result.source,
        "line": result.line,
        "valid": result.valid,
        "error": error,
        "violations": [violation_dict(v) for v in result.violations],
        "waived": [violation_dict(v) for v in result.waived],
    }


def summary_dict(summary: Summary) -> dict[str, Any]:
    return {
        "records": summary.records,
        "valid": summary.valid,
        "invalid": summary.invalid,
        "rejected": summary.rejected,
        "violations": summary.violations,
        "warnings": summary.warnings,
        "waived": summary.waived,
        "by_rule": dict(summary.by_rule),
    }
