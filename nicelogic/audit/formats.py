"""An audit as JSON (the figures, the counting rule, every record not compared) and as
CSV (one row per episode, streamed)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any

from nicelogic.audit.levels import ErrorLevel
from nicelogic.audit.matching import Entry, Layout
from nicelogic.audit.rows import EPISODE_COLUMNS, Row
from nicelogic.audit.tally import AuditFigures


class EpisodeCsv:
    """The episode rows as CSV, written as they come."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.writer = csv.DictWriter(out, fieldnames=EPISODE_COLUMNS, lineterminator="\n")
        self.writer.writeheader()

    def write(self, rows: Sequence[Row]) -> None:
        self.writer.writerows(rows)

    def close(self) -> None:
        self.out.flush()


def _where(entry: Entry | None) -> dict[str, object] | None:
    return None if entry is None else {"source": entry.source, "line": entry.line}


def figures_document(figures: AuditFigures, layouts: Sequence[Layout], problems: Sequence[Any]) -> dict[str, object]:
    """Everything the terminal summary shows, for programs."""
    compared = [f.code_type for f in figures.types]
    return {
        "method": figures.method.name,
        "counting_rule": figures.method.rule,
        "inputs": {
            side: {
                "path": layout.path,
                "format": layout.format,
                "records": layout.records,
                "sections": sorted(s.value for s in layout.sections),
            }
            for side, layout in zip(("original", "audited"), layouts, strict=True)
        },  # fmt: skip
        "episodes": dict(figures.episodes),
        "notes": list(figures.notes),
        "code_types": {
            f.code_type.value: {
                "correct": f.counts.correct,
                "wrong": f.counts.wrong,
                "omitted": f.counts.omitted,
                "superfluous": f.counts.superfluous,
                "sequencing": f.counts.sequencing,
                "denominator": f.rate.denominator,
                "percent_correct": f.percent,
                "interval_95": None if f.rate.interval is None else [100 * x for x in f.rate.interval],
            }  # fmt: skip
            for f in figures.types
        },
        "kappa": [
            {
                "code_type": k.code_type.value,
                "level": k.level,
                "kappa": k.kappa.kappa,
                "observed": k.kappa.observed,
                "expected": k.kappa.expected,
                "episodes": k.kappa.episodes,
            }
            for k in figures.kappas
        ],  # fmt: skip
        "error_levels": [
            {
                "level": level.value,
                "label": level.label,
                "class": "major" if level.major else "minor",
                **{t.value: next(n for lv, ct, n in figures.levels if lv is level and ct is t) for t in compared},
            }
            for level in ErrorLevel
        ],  # fmt: skip
        "worst_categories": [
            {"code_type": t.value, "category": category, "not_correct": bad, "codes": n} for t, category, bad, n in figures.worst
        ],
        "groups": [
            {
                "kind": g.kind,
                "key": g.key,
                "code_type": g.code_type.value,
                "correct": g.correct,
                "denominator": g.denominator,
                "percent_correct": None if g.rate.value is None else 100 * g.rate.value,
            }
            for g in figures.groups
        ],  # fmt: skip
        "thresholds": [
            {
                "profile": v.profile.name,
                "title": v.profile.title,
                "source": v.profile.source,
                "met": v.met,
                "notes": list(v.notes),
                "results": [
                    {"code_type": t.value, "minimum": minimum, "percent_correct": value, "met": ok}
                    for t, minimum, value, ok in v.results
                ],
            }
            for v in figures.verdicts
        ],  # fmt: skip
        "standards": {
            "checked": figures.standards_checked,
            "rules": [
                {"rule": r.rule, "removed": r.removed, "introduced": r.introduced, "shared": r.shared} for r in figures.rules
            ],
        },
        "problems": [
            {"id": p.id, "status": p.status, "reason": p.reason, "original": _where(p.original), "audited": _where(p.audited)}
            for p in problems
        ],
    }


def write_json(figures: AuditFigures, layouts: Sequence[Layout], problems: Sequence[Any], out: IO[str]) -> None:
    json.dump(figures_document(figures, layouts, problems), out, indent=2, ensure_ascii=False)
    out.write("\n")
