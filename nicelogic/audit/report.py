"""The audit section of ``nicelogic report``: the figures of a compare run read back from
the results database by SQL (the four percentages with their intervals and the threshold
profiles, counts by error level, the categories with most errors, by coder and by
specialty, and the rule pack violations removed, introduced and shared), as HTML with
plotly charts and as rich tables."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import plotly.graph_objects as go
from rich.console import Console
from rich.table import Table

from nicelogic.audit.compare import CodeType
from nicelogic.audit.levels import ErrorLevel
from nicelogic.audit.methods import DEFAULT_METHOD, METHODS, Method
from nicelogic.audit.thresholds import Verdict, builtin_profiles, judge
from nicelogic.research.statistics import Rate, rate, shown_count


@dataclass(frozen=True, slots=True)
class AuditSection:
    method: Method
    episodes: tuple[tuple[str, int], ...]  # by status
    types: tuple[tuple[CodeType, int, int, Rate], ...]  # (type, correct, denominator, rate)
    verdicts: tuple[Verdict, ...]
    levels: tuple[tuple[ErrorLevel, CodeType, int], ...]
    worst: tuple[tuple[CodeType, str, int, int], ...]
    groups: tuple[tuple[str, str, CodeType, int, int, Rate], ...]  # (kind, key, type, correct, denominator, rate)
    rules: tuple[tuple[str, int, int, int], ...]  # (rule, removed, introduced, shared)
    suppress: bool


def _has_audit(db: duckdb.DuckDBPyConnection) -> bool:
    tables = {row[0] for row in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"audit_episodes", "audit_codes", "audit_standards"} <= tables


def _denominator(type_name: str, method: Method) -> str:
    extra = f" + {type_name}_superfluous" if method.superfluous_in_denominator else ""
    return f"sum({type_name}_correct + {type_name}_wrong + {type_name}_omitted{extra})"


def audit_section(db: duckdb.DuckDBPyConnection, run: dict[str, object], suppress: bool = True) -> AuditSection | None:
    """The audit figures of a compare run, or None when the run is not one."""
    if not _has_audit(db):
        return None
    run_id = str(run["run_id"])
    (rows,) = db.execute("SELECT count(*) FROM audit_episodes WHERE run_id = ?", [run_id]).fetchone() or (0,)
    if not rows:
        return None
    options = json.loads(str(run.get("options") or "{}"))
    method = METHODS.get(str(options.get("method", DEFAULT_METHOD)), METHODS[DEFAULT_METHOD])
    episodes = tuple(
        (str(status), int(n))
        for status, n in db.execute(
            "SELECT status, count(*) FROM audit_episodes WHERE run_id = ? GROUP BY status ORDER BY status", [run_id]
        ).fetchall()
    )
    compared_sections = {
        str(s)
        for (s,) in db.execute(
            "SELECT DISTINCT sections FROM audit_episodes WHERE run_id = ? AND status = 'compared'", [run_id]
        ).fetchall()
    }
    present = " ".join(sorted(compared_sections))
    types = []
    for code_type in CodeType:
        section = "icd10" if code_type in (CodeType.PRIMARY_DIAGNOSIS, CodeType.SECONDARY_DIAGNOSES) else "opcs"
        if section not in present:
            continue
        name = code_type.value
        correct, denominator = db.execute(
            f"SELECT coalesce(sum({name}_correct), 0), coalesce({_denominator(name, method)}, 0) FROM audit_episodes "
            "WHERE run_id = ? AND status = 'compared'",
            [run_id],
        ).fetchone() or (0, 0)
        types.append((code_type, int(correct), int(denominator), rate(int(correct), int(denominator), suppress)))
    # thresholds are judged on the figures themselves, whether or not they are shown
    percentages = {t: (100 * correct / n if n else None) for t, correct, n, _ in types}
    compared = dict(episodes).get("compared", 0)
    verdicts = tuple(judge(profile, percentages, compared) for profile in builtin_profiles().values())
    counted = {
        (str(level), str(code_type)): int(n)
        for level, code_type, n in db.execute(
            "SELECT level, code_type, count(*) FROM audit_codes WHERE run_id = ? AND level IS NOT NULL GROUP BY ALL", [run_id]
        ).fetchall()
    }
    shown_types = [t for t, *_ in types]
    levels = tuple((level, t, counted.get((level.value, t.value), 0)) for level in ErrorLevel for t in shown_types)
    worst = tuple(
        (CodeType(t), str(category), int(bad), int(n))
        for t, category, bad, n in db.execute(
            """SELECT code_type, substr(coalesce(audited_code, original_code), 1, 3) AS category,
                      count(*) FILTER (WHERE outcome <> 'correct') AS bad, count(*) AS n
               FROM audit_codes WHERE run_id = ? GROUP BY ALL HAVING bad > 0 ORDER BY bad DESC, n DESC, 1, 2 LIMIT 10""",
            [run_id],
        ).fetchall()
    )
    groups = []
    for kind in ("coder", "specialty"):
        for t in shown_types:
            name = t.value
            for key, correct, denominator in db.execute(
                f"""SELECT {kind}, coalesce(sum({name}_correct), 0), coalesce({_denominator(name, method)}, 0)
                    FROM audit_episodes WHERE run_id = ? AND status = 'compared' AND {kind} IS NOT NULL
                    GROUP BY ALL ORDER BY 1""",
                [run_id],
            ).fetchall():
                groups.append((kind, str(key), t, int(correct), int(denominator), rate(int(correct), int(denominator), suppress)))
    rules = tuple(
        (str(rule), int(removed), int(introduced), int(shared))
        for rule, removed, introduced, shared in db.execute(
            """SELECT rule, count(*) FILTER (WHERE change = 'removed'), count(*) FILTER (WHERE change = 'introduced'),
                      count(*) FILTER (WHERE change = 'shared')
               FROM audit_standards WHERE run_id = ? GROUP BY rule ORDER BY count(*) DESC, rule""",
            [run_id],
        ).fetchall()
    )
    return AuditSection(method, episodes, tuple(types), verdicts, levels, worst, tuple(groups), rules, suppress)


def _e(value: object) -> str:
    return html.escape(str(value))


def _cell(value: object, numeric: bool) -> str:
    return f'<td class="n">{_e(value)}</td>' if numeric else f"<td>{_e(value)}</td>"


def _table(table_id: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c, i > 0) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure_chart(section: AuditSection) -> go.Figure:
    shown = [(t, r) for t, _, _, r in section.types if r.value is not None]
    intervals = [r.interval or (0.0, 0.0) for _, r in shown]
    values = [100 * (r.value or 0.0) for _, r in shown]
    figure = go.Figure(
        go.Bar(
            x=[t.label for t, _ in shown],
            y=values,
            name="% correct",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [100 * high - v for (_, high), v in zip(intervals, values, strict=True)],
                "arrayminus": [v - 100 * low for (low, _), v in zip(intervals, values, strict=True)],
            },  # fmt: skip
        )
    )
    for verdict, dash in zip(section.verdicts, ("dash", "dot", "dashdot"), strict=False):
        minimums = dict(verdict.profile.minimums)
        figure.add_trace(
            go.Scatter(
                x=[t.label for t, _ in shown],
                y=[minimums.get(t) for t, _ in shown],
                mode="markers+lines",
                line={"dash": dash},
                name=f"{verdict.profile.name} threshold",
            )  # fmt: skip
        )
    figure.update_layout(title="Percentage correct by code type (95% CI), with the threshold profiles", yaxis_title="% correct",
                         yaxis_range=[0, 100], template="plotly_white", height=420)  # fmt: skip
    return figure


def _levels_chart(section: AuditSection) -> go.Figure:
    figure = go.Figure()
    for code_type in dict.fromkeys(t for _, t, _ in section.levels):
        figure.add_trace(
            go.Bar(x=[level.label for level, t, _ in section.levels if t is code_type],
                   y=[n for _, t, n in section.levels if t is code_type], name=code_type.label)
        )  # fmt: skip
    figure.update_layout(title="Codes not correct, by error level", barmode="group", yaxis_title="codes",
                         template="plotly_white", height=420)  # fmt: skip
    return figure


def _plot(figure: go.Figure, div_id: str) -> str:
    return str(figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}))


def render_section(section: AuditSection) -> str:
    """The audit section as HTML (plotly.js is inlined once by the page)."""
    suppress = section.suppress
    episodes = [[status.replace("_", " "), shown_count(n, suppress)] for status, n in section.episodes]
    types = [[t.label, shown_count(correct, suppress), shown_count(n, suppress), r.text()] for t, correct, n, r in section.types]
    thresholds = [
        [
            v.profile.name,
            "met" if v.met else "not met",
            "; ".join([*(f"{t.label} >= {m:g}%: {'pass' if ok else 'FAIL'}" for t, m, _, ok in v.results), *v.notes]),
            v.profile.source,
        ]
        for v in section.verdicts
    ]
    levels = [
        [level.label, "major" if level.major else "minor", t.label, shown_count(n, suppress)]
        for level, t, n in section.levels
        if n
    ]
    worst = [[t.label, category, shown_count(bad, suppress), shown_count(n, suppress)] for t, category, bad, n in section.worst]
    parts = [
        "<h2 id='audit-section'>Audit against a second coding</h2>",
        f"<p class='note'>Counting method <b>{_e(section.method.name)}</b>: {_e(section.method.rule)}</p>",
        _table("audit-episodes", ["episodes", "count"], episodes),
        _table("audit-types", ["code type", "correct", "denominator", "% correct (95% CI)"], types),
        _plot(_figure_chart(section), "plot-audit-types"),
        _table("audit-thresholds", ["profile", "verdict", "by code type", "source"], thresholds),
        _plot(_levels_chart(section), "plot-audit-levels"),
        _table("audit-levels", ["error level", "class", "code type", "codes"], levels),
        "<h3>Categories with most codes not correct</h3>",
        _table("audit-worst", ["code type", "category", "not correct", "codes"], worst),
    ]
    for kind in ("coder", "specialty"):
        rows = [
            [key, t.label, shown_count(c, suppress), shown_count(n, suppress), r.text()]
            for k, key, t, c, n, r in section.groups
            if k == kind
        ]
        if rows:
            parts += [
                f"<h3>By {kind}</h3>",
                _table(f"audit-{kind}", [kind, "code type", "correct", "denominator", "% correct (95% CI)"], rows),
            ]
    if section.rules:
        rules = [
            [rule, shown_count(a, suppress), shown_count(b, suppress), shown_count(c, suppress)]
            for rule, a, b, c in section.rules
        ]
        parts += [
            "<h3>Rule pack violations</h3><p class='note'>Removed and introduced by the audited coding, and shared by both "
            "(a standard broken in both codings is a training point, not a disagreement).</p>",
            _table("audit-standards", ["rule", "removed", "introduced", "shared"], rules),
        ]
    return "\n".join(parts)


def print_section(section: AuditSection, out: Console) -> None:
    suppress = section.suppress
    out.print(f"[bold]audit[/bold], counting method {section.method.name}", highlight=False)
    types = Table(title="Audit: percentage correct by code type", title_justify="left")
    types.add_column("code type")
    for name in ("correct", "denominator", "% correct (95% CI)"):
        types.add_column(name, justify="right")
    for verdict in section.verdicts:
        types.add_column(verdict.profile.name, justify="center")
    for t, correct, n, r in section.types:
        marks = []
        for verdict in section.verdicts:
            found = next((x for x in verdict.results if x[0] is t), None)
            marks.append("" if found is None else ("pass" if found[3] else "FAIL"))
        types.add_row(t.label, shown_count(correct, suppress), shown_count(n, suppress), r.text(), *marks)
    out.print(types)
    levels = Table(title="Audit: codes not correct, by error level", title_justify="left")
    for name, right in (("error level", False), ("code type", False), ("codes", True)):
        levels.add_column(name, justify="right" if right else "left")
    for level, t, n in section.levels:
        if n:
            levels.add_row(level.label, t.label, shown_count(n, suppress))
    out.print(levels)
