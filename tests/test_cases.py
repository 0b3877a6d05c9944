"""Annotated case files per pack, and the annotation format itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker, load_rules
from nicelogic.cases import CaseError, load_cases, parse_cases, run_cases
from nicelogic.tables import TableConfig

from .conftest import ROOT, UK_ICD10

CASES = Path(__file__).resolve().parent / "cases"
FILES = sorted(CASES.glob("*.txt"))


def checker_for(path: Path) -> Checker:
    """tests/cases/PACK.txt runs with PACK alone; PACK-uk.txt with the UK ICD-10 sample too."""
    pack = path.stem.removesuffix("-uk")
    tables = TableConfig(icd10_file=UK_ICD10) if path.stem.endswith("-uk") else None
    return Checker([pack], tables=tables)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_case_file(path: Path) -> None:
    results = run_cases(checker_for(path), load_cases(path), strict=True)
    failures = [f"{r.case.source}:{r.case.line}: {'; '.join(r.problems)}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_every_rule_fires_at_asserted_positions_and_stays_quiet_somewhere() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    ruleset = load_rules()
    for path in [*FILES, *sorted((ROOT / "examples").glob("*.txt"))]:
        # a case file runs one pack; the examples run every pack
        pack = path.stem.removesuffix("-uk")
        loaded = {r.id for p in ruleset.packs if p.name == pack for r in p.rules} if path.parent == CASES else set(ruleset.rules)
        for case in load_cases(path):
            fired |= {e.rule for e in case.expect if e.positions is not None}
            if case.ok == ():
                quiet |= loaded - {e.rule for e in case.expect}
            elif case.ok:
                for name in case.ok:
                    quiet |= {r.id for p in ruleset.packs if p.name == name for r in p.rules} or {name}
    assert set(ruleset.rules) - fired == set(), "rules with no case asserting where they fire"
    assert set(ruleset.rules) - quiet == set(), "rules with no case showing them quiet"


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
