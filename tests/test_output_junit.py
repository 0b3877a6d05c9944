"""JUnit XML read back with junitparser: counts, failures, waived violations, hostile ids."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, TestCase

from nicelogic.cli import main
from nicelogic.report.escape import visible

from .conftest import HOSTILE_IDS, ROOT, hostile_input

EXAMPLE = str(ROOT / "examples" / "episodes.txt")


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def junit(*args: str, input: str | None = None) -> JUnitXml:
    return JUnitXml.fromstring(run(*args, "--format", "junit", input=input).output.encode("utf-8"))


def cases(document: JUnitXml) -> dict[str, TestCase]:
    return {case.name: case for suite in document for case in suite}


def test_counts_and_verdicts_of_the_example() -> None:
    document = junit("check", EXAMPLE, "--rules", "opcs4")
    assert (document.tests, document.failures, document.errors, document.skipped) == (7, 3, 1, 0)
    (suite,) = list(document)
    assert (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped) == (EXAMPLE, 7, 3, 1, 0)
    by_name = cases(document)
    failure = by_name["ep03"].result[0]
    assert isinstance(failure, Failure) and failure.type == "opcs.spinal-levels-second"
    assert isinstance(by_name["ep06"].result[0], Error) and by_name["ep01"].is_passed


def test_waived_violations_stay_in_a_case_that_also_fails(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("w2: opcs V44.4 Y53.4 Z66.5; icd M80.0  # waive: opcs.spinal-levels-second, nice.htg3.levels-second\n")
    case = cases(junit("check", str(path)))["w2"]
    assert case.is_failure and case.result[0].type == "nice.ipg12.levels-second"
    assert {"opcs.spinal-levels-second", "nice.htg3.levels-second"} <= set(case.system_out.split())
    assert "opcs.spinal-levels-second" not in case.result[0].text  # waived: not part of the failure


def test_explanation_is_in_the_failure_text() -> None:
    text = "ep3: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    (record,) = json.loads(run("check", "-", "--rules", "opcs4", "--explain", "--format", "json", input=text).output)["records"]
    explanation = record["violations"][0]["explanation"]
    failure = cases(junit("check", "-", "--rules", "opcs4", "--explain", input=text))["ep3"].result[0]
    assert explanation["rule_file"] in failure.text and explanation["guidance"] in failure.text
    assert all(fact in failure.text for fact in explanation["facts"])
    plain = cases(junit("check", "-", "--rules", "opcs4", input=text))["ep3"].result[0]
    assert explanation["rule_file"] not in plain.text


def test_control_characters_in_ids_still_give_xml_that_parses(tmp_path: Path) -> None:
    path = hostile_input(tmp_path)
    document = junit("check", str(path), "--rules", "opcs4")
    assert (document.tests, document.failures, document.errors, document.skipped) == (3, 1, 1, 0)
    by_name = cases(document)
    assert set(by_name) == {visible(i) for i in HOSTILE_IDS.values()}  # shown, not dropped
    assert by_name[visible(HOSTILE_IDS["invalid"])].is_failure
    assert by_name[visible(HOSTILE_IDS["rejected"])].is_error
    assert {case.classname for case in by_name.values()} == {str(path)}
