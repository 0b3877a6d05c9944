"""Every rule fires on its failing examples and stays quiet on its passing ones, and the
traps known from other checkers are pinned down with the blamed positions."""

from __future__ import annotations

import pytest

from nicelogic import Checker, load_rules

from .conftest import found

RULES = load_rules().rules.values()
FAILING = [pytest.param(rule.id, text, id=f"{rule.id}:{text}") for rule in RULES for text in rule.fail]
PASSING = [pytest.param(rule.id, text, id=f"{rule.id}:{text}") for rule in RULES for text in rule.passes]


def checker_for(rule_id: str, request: pytest.FixtureRequest) -> Checker:
    """Rules that need the UK ICD-10 file run their examples with the format sample loaded."""
    needs = load_rules().rules[rule_id].needs
    return request.getfixturevalue("uk_checker" if "icd10-file" in needs else "checker")


@pytest.mark.parametrize(("rule_id", "text"), FAILING)
def test_rule_fires_on_its_failing_examples(request: pytest.FixtureRequest, rule_id: str, text: str) -> None:
    assert rule_id in {rule for rule, _, _ in found(checker_for(rule_id, request), text)}


@pytest.mark.parametrize(("rule_id", "text"), PASSING)
def test_rule_is_quiet_on_its_passing_examples(request: pytest.FixtureRequest, rule_id: str, text: str) -> None:
    assert rule_id not in {rule for rule, _, _ in found(checker_for(rule_id, request), text)}


# ---------------------------------------------------------------- opcs.subsidiary-not-first


@pytest.mark.parametrize(("text", "expected"), [
    ("Y53.4 V44.4 V55.1", {("opcs.subsidiary-not-first", "opcs", (1,))}),
    ("Z94.1", {("opcs.subsidiary-not-first", "opcs", (1,))}),
])  # fmt: skip
def test_subsidiary_first(checker: Checker, text: str, expected: set) -> None:
    assert found(checker, text) & {v for v in expected} == expected


def test_subsidiary_codes_later_in_the_record_are_fine(checker: Checker) -> None:
    assert not {v for v in found(checker, "W35.1 Y53.4 Z94.1") if v[0] == "opcs.subsidiary-not-first"}


# ---------------------------------------------------------------- V55 placement


def levels_findings(checker: Checker, text: str) -> set:
    return {v for v in found(checker, text) if v[0] in {"opcs.spinal-levels-second", "opcs.v55-orphan"}}


@pytest.mark.parametrize(("text", "expected"), [
    # the seed documents' own lists are correct
    ("V44.4 V55.1 Y53.4 Z66.5", set()),
    ("V44.6 V55.9 Y68.1 Z66.4", set()),
    ("V40.1 V55.2 Y53.9 Z67.1", set()),
    ("V52.2 V55.1 Y10.2 Y53.4 Z99.3", set()),
    # NICE IPG387: two spinal operations, two V55 codes
    ("V33.8 V55.1 Y53.4 V38.8 V55.1 Y53.4 Z67.6", set()),
    ("V33.8 V55.1 Y53.4 V38.8 Y53.4 Z67.6", {("opcs.spinal-levels-second", "opcs", (4,))}),
    # V55 present but not in second place
    ("V44.4 Y53.4 V55.1 Z66.5", {("opcs.spinal-levels-second", "opcs", (1,)), ("opcs.v55-orphan", "opcs", (3,))}),
    # the range traps: V55 itself is not a spinal operation ...
    ("V55.1", {("opcs.v55-orphan", "opcs", (1,))}),
    ("V44.4 V55.1 V55.2", {("opcs.v55-orphan", "opcs", (3,))}),
    # ... nor are the temporomandibular joint categories V64 and V65 ...
    ("V64.1", set()),
    ("V65.2 V55.1", {("opcs.v55-orphan", "opcs", (2,))}),
    # ... nor skull and face (V01-V21, V71)
    ("V01.1", set()),
    ("V21.1", set()),
    ("V71.1", set()),
    # the edges of the spinal ranges
    ("V22.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    ("V54.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    ("V56.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    ("V63.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    ("V66.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    ("V70.1", {("opcs.spinal-levels-second", "opcs", (1,))}),
    # a wildcard V55.- still counts as the levels code here (opcs.fourth-character flags it)
    ("V44.4 V55.-", set()),
    # spinal operation last in the record
    ("W35.1 V44.4", {("opcs.spinal-levels-second", "opcs", (2,))}),
])  # fmt: skip
def test_levels_of_spine(checker: Checker, text: str, expected: set) -> None:
    assert levels_findings(checker, text) == expected


def test_diagnosis_codes_never_count_as_procedures(checker: Checker) -> None:
    # V44.4 is also the shape of an ICD-10 external-cause code; sections keep them apart
    assert levels_findings(checker, "icd V44.4") == set()
