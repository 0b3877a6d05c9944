"""The report's figures, and query results, as rich tables on a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from nicelogic.research.consistency import ConsistencyFigures, UnitGroup
from nicelogic.research.figures import AUDIT_LABEL, Figures, GroupFigure
from nicelogic.research.statistics import SUPPRESS_BELOW, shown_count


def _groups(title: str, key: str, groups: Sequence[GroupFigure], suppress: bool, limit: int | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(key)
    for name in ("records", "invalid", "rate (95% CI)"):
        table.add_column(name, justify="right")
    for g in groups[:limit] if limit else groups:
        table.add_row(g.key, shown_count(g.records, suppress), shown_count(g.invalid, suppress), g.rate.text())
    if limit and len(groups) > limit:
        table.caption = f"the {limit} largest of {len(groups)}; the HTML report lists all"
    return table


def print_summary(figures: Figures, out: Console, records: bool = True) -> None:
    """The run, then (unless ``records`` is false: a run that checked none) its figures."""
    run, suppress = figures.run, figures.suppress
    packs = ", ".join(f"{p['name']} {p['version']}" for p in run.get("packs") or [])  # type: ignore[attr-defined]
    tables = ", ".join(f"{t['name']} {t['version']}" for t in run.get("tables") or [])  # type: ignore[attr-defined]
    state = "complete" if run.get("complete") else f"INCOMPLETE ({run.get('status')})"
    out.print(f"[bold]run {run['run_id']}[/bold], {state}")
    out.print(f"rule packs: {packs}", highlight=False)
    out.print(f"code tables: {tables}", highlight=False)
    if suppress:
        out.print(
            f"counts of 1-{SUPPRESS_BELOW - 1} records shown as *, rates from them withheld (--no-suppression for local use)"
        )
    else:
        out.print("[bold]small-number suppression is off[/bold]: for local use only")
    if not records:
        return
    summary = Table(title="Records", title_justify="left")
    summary.add_column("")
    summary.add_column("records", justify="right")
    summary.add_row("checked", shown_count(figures.checked, suppress))
    summary.add_row("rejected", shown_count(figures.rejected, suppress))
    summary.add_row("invalid (95% CI)", figures.overall.text())
    out.print(summary)
    audit = Table(title=f"Audit figures ({AUDIT_LABEL})", title_justify="left")
    audit.add_column("")
    audit.add_column("episodes with an error", justify="right")
    audit.add_column("share (95% CI)", justify="right")
    for a in figures.audit:
        audit.add_row(a.label, shown_count(a.records, suppress), a.rate.text())
    out.print(audit)
    rules = Table(title="Rules: records it applies to, records violating it", title_justify="left")
    rules.add_column("rule", no_wrap=True)
    rules.add_column("severity")
    for name in ("applies to", "violating", "rate (95% CI)"):
        rules.add_column(name, justify="right", no_wrap=True)
    for f in figures.rules:
        rules.add_row(f.rule, f.severity, shown_count(f.applies, suppress), shown_count(f.violating, suppress), f.rate.text())
    out.print(rules)
    out.print(_groups("By provider", "provider", figures.providers, suppress, limit=20))
    if figures.years:
        out.print(_groups("By financial year", "year", figures.years, suppress))
    out.print(_groups("By main specialty", "specialty", figures.specialties, suppress, limit=20))


def print_rows(names: Sequence[str], rows: Sequence[Sequence[object]], out: Console) -> None:
    table = Table(caption=f"{len(rows):,} rows", caption_justify="left")
    for index, name in enumerate(names):
        numbers = bool(rows) and all(isinstance(row[index], int | float) or row[index] is None for row in rows)
        table.add_column(name, justify="right" if numbers else "left")
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    out.print(table)


def _unit_groups(title: str, key: str, groups: Sequence[UnitGroup], suppress: bool, limit: int | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("rule", overflow="fold")
    table.add_column(key, no_wrap=True)
    for name in ("units judged", "units blamed"):
        table.add_column(name, justify="right")
    table.add_column("rate (95% CI)", justify="right", no_wrap=True)
    shown = 0
    for rule in dict.fromkeys(g.rule for g in groups):
        of_rule = [g for g in groups if g.rule == rule]
        for g in of_rule[:limit] if limit else of_rule:
            table.add_row(g.rule, g.key, shown_count(g.units, suppress), shown_count(g.violating, suppress), g.rate.text())
            shown += 1
    if shown < len(groups):
        table.caption = f"the {limit} largest of each rule; the HTML report lists all"
    return table


def print_consistency(figures: ConsistencyFigures, out: Console) -> None:
    """The patient-level rules of a run: each rule's rate, and its breakdowns."""
    suppress = figures.suppress
    rules = Table(
        title="Consistency across a patient's history: units each rule judged and blamed", title_justify="left"
    )  # fmt: skip
    rules.add_column("rule", overflow="fold")
    for name in ("units judged", "units blamed"):
        rules.add_column(name, justify="right")
    rules.add_column("rate (95% CI)", justify="right", no_wrap=True)
    for r in figures.rules:
        rules.add_row(r.rule, shown_count(r.applies, suppress), shown_count(r.violating, suppress), r.rate.text())
    rules.caption = (
        f"{shown_count(figures.patients, suppress)} patients; {shown_count(figures.not_judged, suppress)} records not judged"
    )
    out.print(rules)
    out.print(_unit_groups("By provider (persistence rules)", "provider", figures.providers, suppress, limit=10))
    if figures.years:
        out.print(_unit_groups("By financial year", "year", figures.years, suppress))
    if figures.since_index:
        out.print(_unit_groups("By time since the index spell", "since the index", figures.since_index, suppress))
    if figures.provider_change:
        out.print(_unit_groups("Provider changed since the index spell", "provider", figures.provider_change, suppress))
