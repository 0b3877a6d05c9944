"""One mistake, one violation: rules that restate another rule's requirement in other
guidance are reported inside that rule's violation (``also``) and counted once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from nicelogic import Checker
from nicelogic.cli import main

from .conftest import one_rule_pack

MISSING_V55 = "opcs V44.4 Y53.4 Z66.5; icd M80.0"


def test_a_missing_v55_is_one_violation_naming_every_rule_that_says_so() -> None:
    result = Checker().check_record(MISSING_V55)
    [violation] = [v for v in result.violations if "levels-second" in v.rule]
    assert violation.rule == "opcs.spinal-levels-second" and violation.positions == (1,)
    assert violation.rules == ("opcs.spinal-levels-second", "nice.htg3.levels-second", "nice.ipg12.levels-second")
    assert all(r.source and r.severity == "error" for r in violation.also)
    # each restating rule keeps the message it gives when it speaks for itself
    alone = {v.rule: v.message for v in Checker(["nice.htg3", "nice.ipg12"]).check_record(MISSING_V55).violations}
    assert [(r.rule, r.message) for r in violation.also] == [(r.rule, alone[r.rule]) for r in violation.also]


def test_without_the_restated_rule_each_guidance_speaks_for_itself() -> None:
    alone = Checker(["nice.htg3"]).check_record(MISSING_V55)
    assert [(v.rule, v.positions, v.also) for v in alone.violations] == [("nice.htg3.levels-second", (1,), ())]
    ignored = Checker(ignore=["opcs.spinal-levels-second"]).check_record(MISSING_V55)
    assert {v.rule for v in ignored.violations} == {"nice.htg3.levels-second", "nice.ipg12.levels-second"}


def test_counts_and_every_format_count_the_mistake_once(tmp_path: Path) -> None:
    records = tmp_path / "r.txt"
    records.write_text(f"ep1: {MISSING_V55}\n")
    out = CliRunner().invoke(main, ["check", str(records), "-f", "json"]).output
    data = json.loads(out)
    assert data["summary"]["violations"] == 1 and data["summary"]["by_rule"] == {"opcs.spinal-levels-second": 1}
    [violation] = data["records"][0]["violations"]
    assert [a["rule"] for a in violation["also"]] == ["nice.htg3.levels-second", "nice.ipg12.levels-second"]
    text = CliRunner().invoke(main, ["check", str(records)]).output
    assert text.count("\n") == 2 and "[also nice.htg3.levels-second, nice.ipg12.levels-second]" in text
    sarif = json.loads(CliRunner().invoke(main, ["check", str(records), "-f", "sarif"]).output)
    [result] = sarif["runs"][0]["results"]
    assert [a["rule"] for a in result["properties"]["also"]] == ["nice.htg3.levels-second", "nice.ipg12.levels-second"]


def _pack(folder: Path, severity: str, restates: str = "") -> Path:
    pack = one_rule_pack(folder, f'violation("{folder.name}.rule", R, opcs, 1) :- chapter(R, opcs, 1, "Y").\n')
    text = (pack / "rule.lp").read_text().replace('severity = "error"', f'severity = "{severity}"')
    if restates:
        text = text.replace('%! source = "s"', f'%! source = "s"\n%! restates = ["{restates}"]')
    (pack / "rule.lp").write_text(text)
    return pack


def test_the_merged_violation_keeps_the_more_severe_severity_and_cycles_end(tmp_path: Path) -> None:
    general = _pack(tmp_path / "general", "warning")
    specific = _pack(tmp_path / "specific", "error", restates="general.rule")
    [violation] = Checker([str(general), str(specific)]).check_record("Y53.4 V44.4").violations
    assert violation.rule == "general.rule" and violation.severity == "error" and violation.rules[1] == "specific.rule"
    first = _pack(tmp_path / "first", "error", restates="second.rule")
    second = _pack(tmp_path / "second", "error", restates="first.rule")
    found = Checker([str(first), str(second)]).check_record("Y53.4 V44.4").violations
    assert sorted(r for v in found for r in v.rules) == ["first.rule", "second.rule"]


def test_a_case_expecting_a_restating_rule_is_met_by_the_merged_violation(tmp_path: Path) -> None:
    from nicelogic.authoring.testing import run_tests

    cases = tmp_path / "cases.txt"
    cases.write_text(f"# expect: nice.htg3.levels-second @ opcs:1\n{MISSING_V55}\n")
    run = run_tests([str(cases)])
    assert run.passed == 1 and run.failed == 0
