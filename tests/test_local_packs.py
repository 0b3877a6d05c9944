"""The opt-in packs of local audit lists (icd10.local, opcs4.local): out of the default
selection, loaded when named, every row a warning citing its list, each row tested."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from nicelogic import Checker, load_rules
from nicelogic.authoring.lint import lint
from nicelogic.authoring.testing import run_tests
from nicelogic.cli import main
from nicelogic.rules.packs import builtin_pack_dirs, named_pack_dirs, opt_in_pack_dirs, resolve_selection

from .conftest import ROOT

LOCAL = ("icd10.local", "opcs4.local")
# the packs every check loads when none are named, as they were before the local packs came
DEFAULT = {
    "cpt.vertebral-augmentation", "icd10", "icd10.standards", "ncci", "nice.htg3", "nice.ipg12", "nice.ipg179",
    "nice.ipg306", "nice.ipg319", "nice.ipg365", "nice.ipg366", "nice.ipg387", "opcs4", "opcs4.standards",
}  # fmt: skip
# a list name, then its key: PLAC:002, T1:001, FSCP:22, I460.UNSPEC:0; a row may cite several
CITATION = re.compile(
    r"^(?:(?:PLAC|T1|FSCP|CHICKS|PRIM|LATCODING|LENSSEQ|COLECTOMY|THERAPU|PROCURE|HIGHCOST|MLE|[A-Z0-9]+\.UNSPEC):\d+ ?)+$"
)


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_default_selection_does_not_include_the_local_packs() -> None:
    assert set(builtin_pack_dirs()) == DEFAULT
    assert {pack.name for pack in load_rules().packs} == DEFAULT
    assert set(opt_in_pack_dirs()) == set(LOCAL) and set(LOCAL) <= set(named_pack_dirs())
    info = json.loads(run("info", "--format", "json").output)
    assert {p["name"] for p in info["packs"]} == DEFAULT and set(LOCAL) <= set(info["packs_when_named"])


def test_default_names_the_default_packs_beside_others() -> None:
    named = [folder.name for folder in resolve_selection(["default,icd10.local", "opcs4.local"])]
    assert set(named) == DEFAULT | set(LOCAL) and len(named) == len(set(named))
    assert [folder.name for folder in resolve_selection(["opcs4.local"])] == ["opcs4.local"]
    packs = {pack.name: pack for pack in load_rules(["default,icd10.local,opcs4.local"]).packs}
    assert all(packs[name].opt_in for name in LOCAL) and not any(packs[name].opt_in for name in DEFAULT)


def test_selecting_the_local_packs_checks_end_to_end() -> None:
    plain = json.loads(run("check", "--record", "icd G91.9 Q05.9", "-f", "json").output)
    assert plain["records"][0]["violations"] == []
    result = run("check", "--record", "icd G91.9 Q05.9", "--rules", "default,icd10.local", "-f", "json")
    [violation] = json.loads(result.output)["records"][0]["violations"]
    assert (violation["rule"], violation["severity"], violation["standard"]) == (
        "icd10.local.not-coded-with",
        "warning",
        "FSCP:43",
    )
    assert result.exit_code == 0  # warnings pass
    example = run("check", str(ROOT / "examples" / "episodes.txt"), "--rules", "default,opcs4.local", "-f", "json")
    # Y53.4 first breaks the OPCS-4 standard and the local list PRIM:0: one violation naming both
    ep04 = next(r for r in json.loads(example.output)["records"] if r["id"] == "ep04")
    merged = next(v for v in ep04["violations"] if v["rule"] == "opcs.subsidiary-not-first")
    assert [also["rule"] for also in merged["also"]] == ["opcs4.local.never-first"]


@pytest.mark.parametrize("pack", LOCAL)
def test_each_local_pack_passes_its_cases_with_every_row_covered(pack: str) -> None:
    result = run("test", str(ROOT / "logic" / pack), "--coverage-threshold", "100", "--strict")
    assert result.exit_code == 0, result.output
    tests = run_tests([str(ROOT / "logic" / pack / "tests")], strict=True)
    assert tests.failed == 0 and tests.rows and all(row.covered for row in tests.rows)


def test_local_packs_lint_clean_with_no_row_relating_a_code_to_itself() -> None:
    findings = lint(list(LOCAL))
    assert [str(f) for f in findings if f.level != "info"] == []


def test_every_local_rule_is_a_warning_and_every_row_cites_its_list() -> None:
    ruleset = load_rules(list(LOCAL))
    assert ruleset.rules and all(rule.severity == "warning" for rule in ruleset.rules.values())
    assert all(
        "not a national standard" in rule.source and "KeironO/coding-errors" in rule.source for rule in ruleset.rules.values()
    )
    rows = [row for table in ruleset.relations.values() for row in table.rows]
    assert len(rows) == 573 and all(CITATION.match(row.standard) for row in rows), [
        r.standard for r in rows if not CITATION.match(r.standard)
    ]
    cited = {key for row in rows for key in row.standard.split()}
    assert len(cited) == 609  # the 610 map rows encoded, FSCP:43 being the key of two of them


def test_a_local_pack_checks_alone_when_named() -> None:
    checker = Checker(["opcs4.local"])
    assert {v.rule for v in checker.check_record("opcs K72.1 K59.1").violations} == {"opcs4.local.not-coded-with"}
