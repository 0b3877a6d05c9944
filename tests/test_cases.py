"""Annotated case files per pack, and the annotation format itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker, load_rules
from nicelogic.cases import CaseError, load_cases, parse_cases, run_cases
from nicelogic.tables import TableConfig
from nicelogic.testing import run_tests

from .conftest import ROOT, UK_ICD10

CASES = Path(__file__).resolve().parent / "cases"


def test_builtin_packs_pass_their_own_tests_with_full_rule_coverage() -> None:
    run = run_tests(strict=True)
    failures = [f"{r.case.name}: {'; '.join(r.problems)}" for r in run.results if not r.passed and not r.skipped]
    assert not failures and not run.errors, "\n".join(failures + list(run.errors))
    assert run.passed >= 80 and run.coverage_percent == 100.0
    assert {c.rule for c in run.coverage} == set(load_rules().rules)
    # the two rules that need the UK file are the only ones not counted without it
    assert {c.rule for c in run.coverage if not c.applicable} == {"icd.sex-conflict", "icd.age-conflict"}


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
