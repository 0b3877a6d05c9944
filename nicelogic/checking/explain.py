"""``check --explain``: what a coder needs to follow a violation back to its rule."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from nicelogic.asp.facts import record_facts
from nicelogic.asp.solve import Finding
from nicelogic.model import Record, System
from nicelogic.resources import logic_dir, shown_path
from nicelogic.results import Explanation
from nicelogic.rules.metadata import Rule
from nicelogic.rules.packs import RuleSet
from nicelogic.tables import CodeTables


def explain(record: Record, system: System, finding: Finding, rule: Rule, ruleset: RuleSet, tables: CodeTables) -> Explanation:
    """Why a violation was reported: the rule, the facts it read at the blamed positions,
    the codes of the section with their titles, and the guidance."""
    codes = record.codes(system)
    positions = set(finding.positions) or set(range(1, len(codes) + 1))
    blamed_facts = [
        line.replace("(1,", "(R,")
        for line in record_facts(record, 1, ruleset.attributes).splitlines()
        if any(f",{system.value},{p}," in line or line.endswith(f",{system.value},{p}).") for p in positions)
    ]
    listed = tuple((n, c.text(), tables.title(system, c.value), n in finding.positions) for n, c in enumerate(codes, start=1))
    return Explanation(
        rule_file=f"{shown_path(rule.file, logic_dir().parent)}:{rule.line}",
        rule_text=_rule_text(rule.file),
        description=rule.description or rule.title,
        facts=tuple(blamed_facts),
        codes=listed,
        guidance=rule.source,
    )


@cache
def _rule_text(path: Path) -> str:
    """A rule file without its metadata header and comments: the statements themselves."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("%")]
    return "\n".join(lines).strip()
