"""An audit's figures as rich tables on a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from nicelogic.audit.levels import ErrorLevel
from nicelogic.audit.tally import AuditFigures

SHOWN_PROBLEMS = 20  # records not compared listed on the terminal; --format json lists them all
_STATUS_LABELS = {
    "compared": "compared",
    "only_in_original": "only in ORIGINAL (not audited)",
    "only_in_audited": "only in AUDITED (not in the original coding)",
    "duplicate_id": "records with an id that repeats (not compared)",
    "unreadable": "episodes with a record that cannot be read (not compared)",
    "original_records": "records in ORIGINAL",
    "audited_records": "records in AUDITED",
}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def print_figures(figures: AuditFigures, problems: Sequence[Any], out: Console) -> None:
    out.print(f"[bold]counting method[/bold] {figures.method.name}: {figures.method.rule}", highlight=False)
    episodes = Table(title="Episodes", title_justify="left")
    episodes.add_column("")
    episodes.add_column("count", justify="right")
    for status, count in figures.episodes:
        episodes.add_row(_STATUS_LABELS[status], f"{count:,}")
    out.print(episodes)
    for note in figures.notes:
        out.print(f"[bold]note:[/bold] {note}", highlight=False)

    types = Table(title="Codes by type (95% Wilson interval; codes treated as independent)", title_justify="left")
    types.add_column("code type")
    for name in ("correct", "wrong", "omitted", "superfluous", "sequencing", "denominator", "% correct (95% CI)"):
        types.add_column(name, justify="right")
    for f in figures.types:
        interval = f.rate.interval
        shown = "-" if interval is None else f"{_percent(f.percent)} ({100 * interval[0]:.1f}-{100 * interval[1]:.1f})"
        sequencing = "" if f.code_type.primary else f"{f.counts.sequencing:,}"
        cells = [f"{n:,}" for n in (f.counts.correct, f.counts.wrong, f.counts.omitted, f.counts.superfluous)]
        types.add_row(f.code_type.label, *cells, sequencing, f"{f.rate.denominator:,}", shown)
    out.print(types)
    if figures.verdicts:
        thresholds = Table(title="Threshold profiles (% correct at least)", title_justify="left")
        thresholds.add_column("profile")
        for f in figures.types:
            thresholds.add_column(f.code_type.label, justify="right")
        thresholds.add_column("verdict")
        for verdict in figures.verdicts:
            marks = []
            for f in figures.types:
                result = next((r for r in verdict.results if r[0] is f.code_type), None)
                marks.append("" if result is None else f"{result[1]:g}: {'pass' if result[3] else 'FAIL'}")
            thresholds.add_row(verdict.profile.name, *marks, "[green]met[/green]" if verdict.met else "[red]not met[/red]")
        out.print(thresholds)
    for verdict in figures.verdicts:
        notes = "".join(f"; {note}" for note in verdict.notes)
        out.print(f"{verdict.profile.name}: {verdict.profile.title}{notes}. Source: {verdict.profile.source}", highlight=False)

    kappas = Table(title="Cohen's kappa of the primary codes", title_justify="left")
    kappas.add_column("code type")
    kappas.add_column("level")
    for name in ("episodes", "observed agreement", "kappa"):
        kappas.add_column(name, justify="right")
    for k in figures.kappas:
        observed = "-" if k.kappa.observed is None else f"{k.kappa.observed:.3f}"
        kappas.add_row(k.code_type.label, k.level, f"{k.kappa.episodes:,}", observed, k.kappa.text())
    out.print(kappas)

    compared = [f.code_type for f in figures.types]
    levels = Table(title="Codes not correct, by error level", title_justify="left")
    levels.add_column("error level")
    levels.add_column("class")
    for code_type in compared:
        levels.add_column(code_type.label, justify="right")
    counts = {(level, code_type): n for level, code_type, n in figures.levels}
    for level in ErrorLevel:
        levels.add_row(level.label, "major" if level.major else "minor", *(f"{counts[level, t]:,}" for t in compared))
    out.print(levels)

    if figures.worst:
        worst = Table(title="Categories with most codes not correct", title_justify="left")
        for name, right in (("code type", False), ("category", False), ("not correct", True), ("codes", True)):
            worst.add_column(name, justify="right" if right else "left")
        for code_type, category, bad, n in figures.worst:
            worst.add_row(code_type.label, category, f"{bad:,}", f"{n:,}")
        out.print(worst)
    for kind in ("coder", "specialty"):
        groups = [g for g in figures.groups if g.kind == kind]
        if not groups:
            continue
        table = Table(title=f"By {kind}", title_justify="left")
        for name, right in (
            (kind, False),
            ("code type", False),
            ("correct", True),
            ("denominator", True),
            ("% correct (95% CI)", True),
        ):
            table.add_column(name, justify="right" if right else "left")
        for g in groups:
            table.add_row(g.key, g.code_type.label, f"{g.correct:,}", f"{g.denominator:,}", g.rate.text())
        out.print(table)

    if figures.standards_checked:
        rules = Table(title="Rule pack violations: removed, introduced and shared by the audited coding", title_justify="left")
        rules.add_column("rule", no_wrap=True)
        for name in ("removed", "introduced", "shared (a training point)"):
            rules.add_column(name, justify="right")
        for r in figures.rules:
            rules.add_row(r.rule, f"{r.removed:,}", f"{r.introduced:,}", f"{r.shared:,}")
        if not figures.rules:
            rules.caption = "neither coding breaks a rule"
        out.print(rules)
    else:
        out.print("rule packs not run (--no-standards)")

    if problems:
        table = Table(title="Records not compared", title_justify="left")
        table.add_column("id")
        table.add_column("status")
        table.add_column("reason")
        for p in problems[:SHOWN_PROBLEMS]:
            table.add_row(p.id, p.status, p.reason)
        if len(problems) > SHOWN_PROBLEMS:
            table.caption = f"the first {SHOWN_PROBLEMS} of {len(problems):,}; --format json or csv lists all"
        out.print(table)
