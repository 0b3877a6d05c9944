"""The HTML report: one self-contained file (plotly.js inlined, no request at view time)
with the figures of :mod:`nicelogic.research.figures` as tables and plotly charts."""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from nicelogic.research.consistency import ConsistencyFigures, UnitGroup
from nicelogic.research.figures import AUDIT_LABEL, Figures, GroupFigure, dated_only
from nicelogic.research.statistics import SUPPRESS_BELOW, Rate, funnel_limits, shown_count

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e3e3e3; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9rem; } .label { font-weight: 600; color: #8a3b00; }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(table_id: str, header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A table; ``numeric`` columns (by default all but the first) are right-aligned."""
    right = set(numeric) if numeric else set(range(1, len(header)))
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    cells = (("".join(_cell(c, i in right) for i, c in enumerate(row))) for row in rows)
    body = "".join(f"<tr>{row}</tr>" for row in cells)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: str, numeric: bool) -> str:
    return f'<td class="n">{_e(value)}</td>' if numeric else f"<td>{_e(value)}</td>"


def _group_rows(groups: Sequence[GroupFigure], suppress: bool) -> list[list[str]]:
    return [[g.key, shown_count(g.records, suppress), shown_count(g.invalid, suppress), g.rate.text()] for g in groups]


def _plot(figure: go.Figure, div_id: str) -> str:
    figure.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=420)
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}))


def _percent(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else 100 * v for v in values]


def _funnel(figures: Figures) -> go.Figure:
    shown = [(g.key, g.records, g.rate) for g in figures.providers if g.key != "(none)"]
    figure = funnel_plot(shown, figures.overall.value or 0.0, "records")
    figure.update_layout(title="Invalid records by provider against volume", xaxis_title="records checked",
                         yaxis_title="invalid records (%)")  # fmt: skip
    return figure


def funnel_plot(groups: Sequence[tuple[str, int, Rate]], overall: float, unit: str) -> go.Figure:
    """Providers' rates (key, volume, rate) against their volume, with 95% and 99.8% control
    limits around the overall rate; groups whose rate is withheld are not plotted."""
    shown = [(key, volume, shown_rate) for key, volume, shown_rate in groups if shown_rate.value is not None]
    figure = go.Figure()
    if shown:
        low_n, high_n = min(n for _, n, _ in shown), max(n for _, n, _ in shown)
        volumes = sorted({*range(max(1, low_n), high_n + 1, max(1, (high_n - low_n) // 200)), high_n})
        for level, dash, name in ((0.95, "dash", "95% limits"), (0.998, "dot", "99.8% limits")):
            limits = [funnel_limits(overall, n, level) for n in volumes]
            for index, side in enumerate(("lower", "upper")):
                figure.add_trace(
                    go.Scatter(
                        x=volumes,
                        y=[100 * limit[index] for limit in limits],
                        mode="lines",
                        line={"dash": dash, "color": "#555"},
                        name=name,
                        legendgroup=name,
                        showlegend=side == "upper",
                        hoverinfo="skip",
                    )  # fmt: skip
                )
        figure.add_hline(y=100 * overall, line={"color": "#1f77b4"}, annotation_text="overall")
        figure.add_trace(
            go.Scatter(
                x=[n for _, n, _ in shown],
                y=_percent([r.value for _, _, r in shown]),
                mode="markers",
                name="providers",
                text=[key for key, _, _ in shown],
                marker={"size": 9, "color": "#d62728"},
                hovertemplate=f"%{{text}}: %{{y:.1f}}% of %{{x:,}} {unit}<extra></extra>",
            )  # fmt: skip
        )
    return figure


def _trend(groups: Sequence[GroupFigure], title: str, axis: str) -> go.Figure:
    shown = [g for g in dated_only(groups) if g.rate.value is not None]
    values = [g.rate.value or 0.0 for g in shown]
    intervals = [g.rate.interval or (v, v) for g, v in zip(shown, values, strict=True)]
    above = [100 * (high - v) for (_, high), v in zip(intervals, values, strict=True)]
    below = [100 * (v - low) for (low, _), v in zip(intervals, values, strict=True)]
    figure = go.Figure(
        go.Scatter(
            x=[g.key for g in shown],
            y=_percent(values),
            mode="lines+markers",
            name="invalid records",
            error_y={"type": "data", "symmetric": False, "array": above, "arrayminus": below},
        )  # fmt: skip
    )
    figure.update_layout(title=title, xaxis_title=axis, yaxis_title="invalid records (%), 95% CI")
    return figure


def _bars(labels: Sequence[str], values: Sequence[float | None], title: str, axis: str = "records (%)") -> go.Figure:
    figure = go.Figure(go.Bar(x=list(labels), y=_percent(values), marker={"color": "#1f77b4"}))
    figure.update_layout(title=title, yaxis_title=axis)
    return figure


def _provenance(figures: Figures) -> str:
    """Which run, rule set, tables and inputs the figures come from, and how they are shown."""
    run = figures.run
    packs = ", ".join(f"{p['name']} {p['version']} (sha256 {str(p['sha256'])[:12]})" for p in _listed(run, "packs"))
    tables = ", ".join(f"{t['name']} {t['version']}" for t in _listed(run, "tables"))
    inputs = ", ".join(f"{i['path']} ({i['size']:,} bytes, sha256 {str(i['sha256'])[:12]})" for i in _listed(run, "inputs"))
    if run.get("complete"):
        status = "complete"
    else:
        status = f"INCOMPLETE ({run.get('status')}): the figures cover the records committed so far"
    if figures.suppress:
        shown = f"counts from 1 to {SUPPRESS_BELOW - 1} records are shown as *, and rates from them withheld"
        suppression = f"Small numbers are suppressed: {shown}."
    else:
        suppression = "Small-number suppression is OFF (--no-suppression): for local use only, do not publish."
    return (
        f"<p id='provenance' class='note'>Run {_e(run['run_id'])}, {_e(status)}; started {_e(run.get('started'))}, "
        f"finished {_e(run.get('finished') or '-')}.<br>Rule packs: {_e(packs)}.<br>Code tables: {_e(tables)}.<br>"
        f"Inputs: {_e(inputs)}.<br>{_e(suppression)}</p>"
    )


def _listed(run: dict[str, object], key: str) -> list[dict[str, object]]:
    value = run.get(key)
    return list(value) if isinstance(value, list) else []


def render(figures: Figures, sections: Sequence[str] = (), records: bool = True) -> str:
    """The whole report as one HTML document; ``sections`` (HTML) follow the figures of the
    records, which are left out when ``records`` is false (a run that checked none, such as
    a comparison of two codings)."""
    run = figures.run
    suppress = figures.suppress
    summary_rows = [
        ["checked", shown_count(figures.checked, suppress)],
        ["rejected (could not be read)", shown_count(figures.rejected, suppress)],
        ["invalid (an error-severity violation), 95% CI", figures.overall.text()],
    ]
    rule_rows = [
        [f.rule, f.severity, shown_count(f.applies, suppress), shown_count(f.violating, suppress), f.rate.text(), f.title]
        for f in figures.rules
    ]
    audit_rows = [[a.label, shown_count(a.records, suppress), a.rate.text()] for a in figures.audit]
    rated = [f for f in figures.rules if f.rate.value is not None][:20]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>nicelogic report</title>",
        f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<h1>Coding consistency report, run {_e(run['run_id'])}</h1>",
        _provenance(figures),
    ]
    body = [
        "<h2>Summary</h2>",
        _table("summary", ["", "records"], summary_rows),
        f"<h2>Audit figures <span class='label'>({AUDIT_LABEL})</span></h2>",
        "<p class='note'>Share of checked episodes with an error-severity violation blamed on each part of the record "
        "(position 1 of the diagnoses or procedures is the primary one). These are what the rules detect; a coding "
        "audit compares the codes with the case notes, which no rule can.</p>",
        _table("audit", ["", "episodes with an error", "share of episodes (95% CI)"], audit_rows),
        _plot(
            _bars(
                [a.label for a in figures.audit],
                [a.rate.value for a in figures.audit],
                f"Episodes with an error, by part of the record ({AUDIT_LABEL})",
                "episodes (%)",
            ),
            "plot-audit",
        ),  # fmt: skip
        "<h2>Rules</h2>",
        "<p class='note'>For each rule: the records it applies to (its trigger is in the record), the records that "
        "break it, and the rate with its 95% Wilson interval. Rates are of records, not violations.</p>",
        _table("rules", ["rule", "severity", "applies to", "violating", "rate (95% CI)", "title"], rule_rows, numeric=(2, 3, 4)),
        _plot(
            _bars(
                [f.rule for f in rated],
                [f.rate.value for f in rated],
                "Violation rate by rule (records it applies to)",
                "records violating (%)",
            ),
            "plot-rules",
        ),  # fmt: skip
        "<h2>By provider</h2>",
        "<p class='note'>A funnel plot: each provider's share of invalid records against its volume, with 95% and 99.8% "
        "control limits around the overall rate (Wilson score limits). A provider outside the 99.8% limits differs by "
        "more than chance. "
        + (
            f"{figures.providers_withheld} provider(s) withheld (fewer than {SUPPRESS_BELOW} records)."
            if figures.providers_withheld
            else ""
        )
        + "</p>",  # fmt: skip
        _plot(_funnel(figures), "plot-funnel"),
        _table("providers", ["provider", "records", "invalid", "rate (95% CI)"], _group_rows(figures.providers, suppress)),
    ]
    if figures.months:
        body += [
            "<h2>Trend</h2>",
            _plot(_trend(figures.months, "Invalid records by month", "month of admission"), "plot-months"),
            _table("years", ["financial year", "records", "invalid", "rate (95% CI)"], _group_rows(figures.years, suppress)),
            _table("months", ["month", "records", "invalid", "rate (95% CI)"], _group_rows(figures.months, suppress)),
        ]
    body += [
        "<h2>By specialty (MAINSPEF)</h2>",
        _plot(
            _bars(
                [g.key for g in figures.specialties],
                [g.rate.value for g in figures.specialties],
                "Invalid records by main specialty",
                "invalid records (%)",
            ),
            "plot-specialties",
        ),  # fmt: skip
        _table("specialties", ["specialty", "records", "invalid", "rate (95% CI)"], _group_rows(figures.specialties, suppress)),
    ]
    parts += [*(body if records else []), *sections]
    parts += [
        "<p class='note'>Made by nicelogic report from the tables records, violations and runs of the results database.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _unit_rows(groups: Sequence[UnitGroup], suppress: bool) -> list[list[str]]:
    return [[g.rule, g.key, shown_count(g.units, suppress), shown_count(g.violating, suppress), g.rate.text()] for g in groups]


def _by_rule(groups: Sequence[UnitGroup], title: str, axis: str, lines: bool) -> go.Figure:
    """One trace per rule: each group's rate with its 95% interval (withheld rates left out)."""
    figure = go.Figure()
    for rule in dict.fromkeys(g.rule for g in groups):
        shown = [g for g in groups if g.rule == rule and g.rate.value is not None and g.rate.interval is not None]
        values = [g.rate.value or 0.0 for g in shown]
        above = [100 * (g.rate.interval[1] - v) for g, v in zip(shown, values, strict=True) if g.rate.interval]
        below = [100 * (v - g.rate.interval[0]) for g, v in zip(shown, values, strict=True) if g.rate.interval]
        errors = {"type": "data", "symmetric": False, "array": above, "arrayminus": below}
        x, y, name = [g.key for g in shown], _percent(values), rule.removeprefix("consistency.")
        if lines:
            figure.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name, error_y=errors))
        else:
            figure.add_trace(go.Bar(x=x, y=y, name=name, error_y=errors))
    figure.update_layout(title=title, xaxis_title=axis, yaxis_title="units blamed (%), 95% CI", barmode="group")
    return figure


def consistency_section(figures: ConsistencyFigures) -> str:
    """The report's section on the patient-level rules of a run (HTML)."""
    suppress = figures.suppress
    rule_rows = [
        [r.rule, shown_count(r.applies, suppress), shown_count(r.violating, suppress), r.rate.text(), r.title]
        for r in figures.rules
    ]
    parts = [
        "<section id='consistency'><h2>Consistency across a patient's history</h2>",
        f"<p class='note'>Rules that read a patient's whole history, over {shown_count(figures.patients, suppress)} "
        f"patients ({shown_count(figures.not_judged, suppress)} records not judged by them: no patient key, unfinished "
        "or over a limit). Each rate is of the units a rule judged (spells, or episodes where a rule or study counts "
        "them), with its 95% Wilson interval; a persistence rule judges every spell after the patient's index spell "
        "(the first with the condition) for its condition's codes.</p>",
        _table("consistency-rules", ["rule", "units judged", "units blamed", "rate (95% CI)", "title"], rule_rows, (1, 2, 3)),
        _plot(
            _bars(
                [r.rule.removeprefix("consistency.") for r in figures.rules],
                [r.rate.value for r in figures.rules],
                "Units blamed by each patient-level rule",
                "units blamed (%)",
            ),
            "plot-consistency-rules",
        ),  # fmt: skip
    ]
    for number, condition in enumerate(figures.conditions, start=1):
        providers = figures.of(figures.providers, condition.rule)
        withheld = sum(1 for g in providers if g.rate.suppressed)
        funnel = funnel_plot([(g.key, g.units, g.rate) for g in providers if g.key != "(none)"], condition.rate.value or 0.0,
                             "units")  # fmt: skip
        funnel.update_layout(title=f"{condition.rule}: units blamed by provider against units judged",
                             xaxis_title="units judged", yaxis_title="units blamed (%)")  # fmt: skip
        parts += [
            f"<h3>{_e(condition.rule)}: by provider</h3>",
            "<p class='note'>A funnel plot with 95% and 99.8% control limits around the rule's overall rate. "
            + (f"{withheld} provider(s) withheld (fewer than {SUPPRESS_BELOW} units)." if withheld else "")
            + "</p>",
            _plot(funnel, f"plot-consistency-funnel-{number}"),
            _table(
                f"consistency-providers-{number}",
                ["provider", "units judged", "units blamed", "rate (95% CI)"],
                [[g.key, shown_count(g.units, suppress), shown_count(g.violating, suppress), g.rate.text()] for g in providers],
            ),  # fmt: skip
        ]
    header = ["rule", "", "units judged", "units blamed", "rate (95% CI)"]
    if figures.years:
        parts += [
            "<h3>By financial year of the unit's end</h3>",
            _plot(_by_rule(figures.years, "Units blamed by financial year", "financial year", True), "plot-consistency-years"),
            _table("consistency-years", header, _unit_rows(figures.years, suppress), (2, 3, 4)),
        ]
    if figures.since_index:
        parts += [
            "<h3>By time since the index spell</h3>",
            _plot(
                _by_rule(figures.since_index, "Units blamed by time since the index spell", "time since the index spell", False),
                "plot-consistency-since-index",
            ),  # fmt: skip
            _table("consistency-since-index", header, _unit_rows(figures.since_index, suppress), (2, 3, 4)),
        ]
    if figures.provider_change:
        parts += [
            "<h3>Provider changed since the index spell, or not</h3>",
            _plot(
                _by_rule(figures.provider_change, "Units blamed by the provider against the index spell's", "provider", False),
                "plot-consistency-provider-change",
            ),  # fmt: skip
            _table("consistency-provider-change", header, _unit_rows(figures.provider_change, suppress), (2, 3, 4)),
        ]
    parts.append("<p class='note'>From the tables patient_rules and patient_units of the results database.</p></section>")
    return "\n".join(parts)
