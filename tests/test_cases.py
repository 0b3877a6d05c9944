"""Annotated case files per pack, and the annotation format itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker, load_rules
from nicelogic.authoring.cases import run_cases
from nicelogic.authoring.testing import run_tests
from nicelogic.errors import CaseError
from nicelogic.history.checker import PatientChecker
from nicelogic.rules.cases import load_cases, parse_cases
from nicelogic.rules.packs import patient_pack_dirs
from nicelogic.tables import TableConfig

from .conftest import ROOT, UK_ICD10, one_rule_pack

CASES = Path(__file__).resolve().parent / "cases"


def test_builtin_packs_pass_their_own_tests_with_full_rule_coverage() -> None:
    run = run_tests(strict=True)
    failures = [f"{r.case.name}: {'; '.join(r.problems)}" for r in run.results if not r.passed and not r.skipped]
    assert not failures and not run.errors, "\n".join(failures + list(run.errors))
    assert run.passed >= 80 and run.coverage_percent == 100.0
    # every built-in pack is tested, those that read whole patients too
    patient_rules = PatientChecker(list(patient_pack_dirs())).ruleset.rules
    assert {c.rule for c in run.coverage} == set(load_rules().rules) | set(patient_rules)
    # the rules that need a UK file run against the small UK-format table beside their cases
    assert run.skipped == 0 and all(c.applicable and c.has_trigger for c in run.coverage)


def test_uk_file_cases_cover_the_rules_that_need_it() -> None:
    run = run_tests([str(CASES / "icd10-uk.txt")], rules=["icd10"], tables=TableConfig(icd10_file=UK_ICD10), strict=True)
    assert run.failed == 0 and run.passed == 12
    covered = {c.rule for c in run.coverage if c.covered}
    assert {"icd.sex-conflict", "icd.age-conflict"} <= covered


def test_examples_and_uk_cases_assert_positions_for_every_rule() -> None:
    fired = set()
    for path in [
        CASES / "icd10-uk.txt",
        *sorted((ROOT / "logic").glob("*/tests/*.txt")),
        *sorted((ROOT / "examples").glob("*.txt")),
    ]:
        fired |= {e.rule for case in load_cases(path) for e in case.expect if e.positions is not None}
    assert set(load_rules().rules) - fired == set(), "rules with no case asserting where they fire"


def test_annotation_errors_are_reported_with_their_line() -> None:
    with pytest.raises(CaseError, match="x.txt:2: cannot read expectation"):
        parse_cases(["V44.4", "# expect: opcs.v55-orphan @ somewhere", "V55.1"], "x.txt")
    with pytest.raises(CaseError, match="x.txt:1: annotation without a record"):
        parse_cases(["# ok"], "x.txt")
    with pytest.raises(CaseError, match="names no loaded rule"):
        run_cases(Checker(["opcs4"]), parse_cases(["# expect: opcs.no-such-rule", "V44.4"], "x.txt"))


def test_failing_expectations_are_reported() -> None:
    cases = parse_cases(
        ["# expect: opcs.v55-orphan @ opcs:1", "V44.4 V55.1", "# ok: opcs4", "V55.1", "# expect: input.rejected", "V44.4"], "x"
    )
    results = run_cases(Checker(["opcs4"]), cases)
    assert [r.passed for r in results] == [False, False, False]
    assert results[0].problems == ("expected opcs.v55-orphan @ opcs:1, not found",)
    assert "expected no violation of opcs.v55-orphan" in results[1].problems[0]
    assert results[2].problems == ("expected the record to be rejected, but it was read",)


def _coverage(lines: list[str], tmp_path: Path) -> dict[str, tuple[int, int]]:
    path = tmp_path / "cases.txt"
    path.write_text("\n".join(lines) + "\n")
    run = run_tests([str(path)], rules=["opcs4"])
    assert run.failed == 0, [r.problems for r in run.results]
    return {c.rule: (c.fire_cases, c.quiet_cases) for c in run.coverage}


def test_a_bare_ok_credits_only_the_rules_that_apply(tmp_path: Path) -> None:
    # W37.1 Z94.1: laterality-once applies (a laterality code) and stays quiet; the
    # spinal rules have no trigger in this record, so a bare "# ok" shows nothing of them
    coverage = _coverage(["# ok", "W37.1 Z94.1"], tmp_path)
    assert coverage["opcs.laterality-once"] == (0, 1)
    assert coverage["opcs.spinal-levels-second"] == (0, 0) and coverage["opcs.v55-orphan"] == (0, 0)
    named = _coverage(["# ok: opcs.spinal-levels-second", "W37.1 Z94.1"], tmp_path)
    assert named["opcs.spinal-levels-second"] == (0, 0)  # naming it does not make it apply


def test_fire_and_quiet_cases_are_counted_per_rule(tmp_path: Path) -> None:
    lines = [
        "# expect: opcs.spinal-levels-second @ opcs:1", "V44.4 Y53.4",
        "# expect: opcs.spinal-levels-second @ opcs:1", "V38.2 Y53.4",
        "# ok", "V44.4 V55.1 Y53.4",
    ]  # fmt: skip
    assert _coverage(lines, tmp_path)["opcs.spinal-levels-second"] == (2, 1)


def test_a_rule_firing_where_it_says_it_does_not_apply_fails_its_case(tmp_path: Path) -> None:
    pack = one_rule_pack(
        tmp_path / "narrow",
        'violation("narrow.rule", R, opcs, 1) :- code(R, opcs, 1, "W37.1").\n'
        'applies("narrow.rule", R, opcs, P) :- code(R, opcs, P, "W38.1").\n',
    )
    (pack / "tests").mkdir()
    (pack / "tests" / "cases.txt").write_text("# expect: narrow.rule @ opcs:1\nW37.1\n")
    run = run_tests([str(pack / "tests")])
    assert run.failed == 1
    assert "narrow.rule fired, but its applies(...) does not cover this record" in run.results[0].problems


def test_completes_to_is_checked_against_what_the_completer_returns(tmp_path: Path) -> None:
    path = tmp_path / "complete.txt"
    # a valid record, but one that adds five codes: more than the completer's --max-add 4
    path.write_text("# completes-to: opcs V44.4 V55.9 Y53.9 Z66.9 W37.1 Z94.1; icd M80.0\nopcs V44.4; icd M80.0\n")
    run = run_tests([str(path)], rules=["nice.htg3"])
    assert run.failed == 1 and "not among the completions" in run.results[0].problems[0]
