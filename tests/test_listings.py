"""The listings of `nicelogic info`, `rules` and `lint` (nicelogic/report/listings.py),
from values built here: the labels and counts a user reads (tests/test_cli.py runs the
commands themselves)."""

from __future__ import annotations

import json

from nicelogic import Checker
from nicelogic.authoring.lint import LintFinding
from nicelogic.report.listings import info_text, lint_json, lint_text, rules_json, rules_tsv


def test_info_names_the_versions_the_configuration_the_packs_and_then_the_tables() -> None:
    ruleset = Checker(["opcs4"]).ruleset
    (pack,) = ruleset.packs
    versions = {"nicelogic": "9.9", "clingo": "5.7.1", "lark": "1.2.2"}
    assert info_text({**versions, "config": None}, ruleset, ["tables: OPCS-4.11"]).splitlines() == [
        "nicelogic 9.9 (clingo 5.7.1, lark 1.2.2)",
        "configuration: none found (defaults)",
        f"built-in packs: opcs4 {pack.version} ({len(pack.rules)} rules)",
        "loaded only when named (--rules default,NAME): none",
        "tables: OPCS-4.11",
    ]
    named = {**versions, "config": "pyproject.toml", "packs_when_named": ("icd10.local", "opcs4.local")}
    lines = info_text(named, ruleset, []).splitlines()
    assert lines[1] == "configuration: pyproject.toml"
    assert lines[3:] == ["loaded only when named (--rules default,NAME): icd10.local, opcs4.local"]


def test_lint_counts_errors_and_notes_always_and_warnings_when_there_are_some() -> None:
    error = LintFinding("p/a.lp", 3, "error", "unsafe", "X is unbound")
    warning = LintFinding("p/a.lp", 4, "warning", "unused", "b/1 is never derived")
    note = LintFinding("p/b.lp", 1, "info", "style", "say why")
    assert lint_text([error, note, note], [error]).splitlines() == ["p/a.lp:3: error unsafe: X is unbound", "1 error, 2 notes"]
    assert lint_text([warning, warning], []) == "0 errors, 2 warnings, 0 notes"
    assert lint_text([error, error, warning, note], [warning]).splitlines()[-1] == "2 errors, 1 warning, 1 note"
    assert json.loads(lint_json([warning])) == [
        {"file": "p/a.lp", "line": 4, "level": "warning", "code": "unused", "message": "b/1 is never derived"}
    ]


def test_the_rule_catalogue_as_tsv_keeps_each_rule_on_one_line_and_as_json_lists_packs_and_rules() -> None:
    ruleset = Checker(["opcs4"]).ruleset
    rows = rules_tsv(ruleset).splitlines()
    assert rows[0] == "id\tseverity\tpack\ttitle\tsource"
    assert len(rows) == 1 + len(ruleset.rules) and all(row.count("\t") == 4 for row in rows)
    assert {row.split("\t")[0] for row in rows[1:]} == set(ruleset.rules)
    data = json.loads(rules_json(ruleset))
    assert [p["name"] for p in data["packs"]] == ["opcs4"] and {r["id"] for r in data["rules"]} == set(ruleset.rules)
