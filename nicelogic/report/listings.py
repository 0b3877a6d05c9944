"""Listings of the command line other than check results: the rule catalogue, what is
installed and loaded, and lint findings."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from nicelogic.authoring.lint import LintFinding
from nicelogic.rules.catalogue import catalogue, pack_line, packs_info
from nicelogic.rules.packs import RuleSet

_ROW = ("id", "severity", "pack", "title", "source")


def rules_tsv(ruleset: RuleSet) -> str:
    """Whole rows, for pipes and files: never a table wrapped to a width they do not have."""
    rows = ["\t".join(_ROW)]
    rows += ["\t".join(" ".join(str(row[key]).split()) for key in _ROW) for row in catalogue(ruleset)]
    return "\n".join(rows)


def rules_json(ruleset: RuleSet) -> str:
    return json.dumps({"packs": packs_info(ruleset), "rules": catalogue(ruleset)}, indent=2, ensure_ascii=False)


def print_rules(ruleset: RuleSet, terminal: Console) -> None:
    packs = Table(show_lines=False, header_style="bold")
    for column in ("pack", "title", "metadata"):
        packs.add_column(column, overflow="fold")
    for pack in ruleset.packs:
        packs.add_row(pack.name, pack.title, pack_line(pack))
    terminal.print(packs)
    table = Table(show_lines=False, header_style="bold")
    for column in ("id", "severity", "title", "source"):
        table.add_column(column, overflow="fold", no_wrap=column == "id")
    for row in catalogue(ruleset):
        table.add_row(row["id"], row["severity"], row["title"], row["source"])
    terminal.print(table)


def info_text(info: dict[str, Any], ruleset: RuleSet, table_lines: Sequence[str]) -> str:
    lines = [
        f"nicelogic {info['nicelogic']} (clingo {info['clingo']}, lark {info['lark']})",
        f"configuration: {info['config'] or 'none found (defaults)'}",
        "built-in packs: " + ", ".join(f"{p.name} {p.version} ({len(p.rules)} rules)" for p in ruleset.packs),
        "loaded only when named (--rules default,NAME): " + (", ".join(info.get("packs_when_named", ())) or "none"),
        *table_lines,
    ]
    return "\n".join(lines)


def lint_text(findings: Sequence[LintFinding], shown: Sequence[LintFinding]) -> str:
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    notes = len(findings) - errors - warnings
    counts = [(errors, "error"), (warnings, "warning"), (notes, "note")]
    total = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n or word != "warning")
    return "\n".join([*(str(f) for f in shown), total])


def lint_json(shown: Sequence[LintFinding]) -> str:
    return json.dumps([dataclasses.asdict(f) for f in shown], indent=2)
