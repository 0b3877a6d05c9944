"""Patient-level findings (nicelogic.history) in the text and JSON outputs."""

from __future__ import annotations

from typing import Any

from nicelogic.history.results import Blamed, HistorySummary, PatientViolation


def blamed_dict(blamed: Blamed) -> dict[str, Any]:
    return {
        "kind": blamed.kind, "number": blamed.number, "records": list(blamed.records),
        "lines": [{"source": source, "line": line} for source, line in blamed.lines],
    }  # fmt: skip


def patient_violation_dict(violation: PatientViolation) -> dict[str, Any]:
    return {
        "patient": violation.patient, "rule": violation.rule, "severity": violation.severity, "title": violation.title,
        "blamed": [blamed_dict(b) for b in violation.blamed], "message": violation.message, "source": violation.source,
    }  # fmt: skip


def history_summary_dict(summary: HistorySummary) -> dict[str, Any]:
    return {
        "patients": summary.patients,
        "violations": summary.violations,
        "not_judged": dict(summary.not_judged),
        "duplicate_episode_keys": summary.duplicates,
        "spell_methods": dict(summary.spell_methods),
        "rules": [{"rule": r.rule, "applies": r.applies, "violating": r.violating, "rate": r.rate} for r in summary.rates],
    }


def patient_line(violation: PatientViolation) -> str:
    first = next((b for b in violation.blamed if b.lines), None)
    where = f"{first.lines[0][0]}:{first.lines[0][1]}: " if first is not None else ""
    return f"{where}{violation.rule} {violation.severity}: {violation.message} (patient {violation.patient})"


def history_summary_line(summary: HistorySummary) -> str:
    parts = [f"{summary.patients} patients checked", f"{summary.violations} patient-level findings"]
    parts += [f"{count} records not judged by patient rules ({reason})" for reason, count in summary.not_judged.items()]
    if summary.duplicates:
        parts.append(f"{summary.duplicates} episode keys held by more than one record")
    parts.append("spells " + ", ".join(f"{method} for {count}" for method, count in summary.spell_methods.items()))
    return ", ".join(parts)


def rate_lines(summary: HistorySummary) -> list[str]:
    """Each rule's numerator, denominator and rate."""
    return [
        f"  {r.rule}: {r.violating} of {r.applies}" + (f" ({100 * r.rate:.1f}%)" if r.rate is not None else "")
        for r in summary.rates
    ]
