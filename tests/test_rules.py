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


# ---------------------------------------------------------------- validity against the real tables


@pytest.mark.parametrize(("text", "expected"), [
    ("V44.0", {("opcs.valid-code", "opcs", (1,))}),                # V44 exists, V44.0 does not
    ("V99.9", {("opcs.valid-code", "opcs", (1,))}),                # no category V99
    ("V55", {("opcs.fourth-character", "opcs", (1,))}),            # a category, not a code
    ("V55.-", {("opcs.fourth-character", "opcs", (1,))}),
    ("E45", set()),                                                # a category without subdivisions is a code
    ("icd M80.7", {("icd.valid-code", "icd10", (1,))}),
    ("icd M80", {("icd.fourth-character", "icd10", (1,))}),
    ("icd R69X", set()),
])  # fmt: skip
def test_validity(checker: Checker, text: str, expected: set) -> None:
    validity = {"opcs.valid-code", "opcs.fourth-character", "icd.valid-code", "icd.fourth-character"}
    assert {v for v in found(checker, text) if v[0] in validity} == expected


def test_extended_categories_are_derived_from_release_titles(checker: Checker) -> None:
    extended = checker.tables.opcs.extended
    assert {"Y68": "Y53", "V67": "V25", "V69": "V22", "V53": "V24"}.items() <= extended.items()
    assert "Y53" not in extended and "V55" not in extended
    result = checker.check_record("V44.4 V55.1 Y68.9 Z66.5; icd M80.0")
    (violation,) = [v for v in result.violations if v.rule == "opcs.extended-category"]
    assert violation.positions == (3,) and "Y53.9" in violation.message


# ---------------------------------------------------------------- the NICE packs, group by group


def nice(checker: Checker, text: str, pack: str) -> set:
    return {v for v in found(checker, text) if v[0].startswith(pack + ".")}


def test_two_procedure_groups_are_judged_separately(checker: Checker) -> None:
    # NICE IPG387 publishes this as correct: each operation has its own V55 and Y53
    assert nice(checker, "V33.8 V55.1 Y53.4 V38.8 V55.1 Y53.4 Z67.6", "opcs") == set()
    # one vertebroplasty complete, the second without its approach and site
    text = "V44.4 V55.1 Y53.4 Z66.5 V44.4 V55.1; icd M80.0"
    assert nice(checker, text, "nice.htg3") == {
        ("nice.htg3.image-approach", "opcs", (5,)),
        ("nice.htg3.site-code", "opcs", (5,)),
    }
    # a site code after a later operation does not serve the earlier one
    assert ("nice.htg3.site-code", "opcs", (1,)) in nice(checker, "V44.4 V55.1 Y53.4 W35.1 Z66.5; icd M80.0", "nice.htg3")


@pytest.mark.parametrize(("text", "pack", "expected"), [
    ("V44.4 V55.1 Y53.4 Z66.5; icd M80.0", "nice.htg3", set()),
    ("V44.6 V55.9 Y68.9 Z66.9; icd C79.5", "nice.htg3", set()),  # Y68.9 is opcs.extended-category's business
    ("V44.4 Y53.4 Z66.5", "nice.htg3", {("nice.htg3.levels-second", "opcs", (1,)), ("nice.htg3.diagnosis", "opcs", (1,))}),
    ("V44.6 V55.1 Y53.4 Z66.5; icd C79.5", "nice.ipg12", set()),  # IPG12 is about V44.4 only
    ("V44.4 V55.1 Y53.4 Z66.5; icd S32.0", "nice.ipg12", {("nice.ipg12.indication", "opcs", (1,))}),
    ("V40.1 V55.1 Y53.9 Z67.5", "nice.ipg366", set()),
    ("V40.1 V55.1", "nice.ipg366", {("nice.ipg366.image-approach", "opcs", (1,)), ("nice.ipg366.site-code", "opcs", (1,))}),
    ("V52.2 V55.1 Y10.2 Y53.4 Z99.3", "nice.ipg319", set()),
    ("V52.2 V55.1 Y53.4 Z67.5", "nice.ipg319", {
        ("nice.ipg319.electrocauterisation", "opcs", (1,)), ("nice.ipg319.disc-site", "opcs", (1,)),
    }),
])  # fmt: skip
def test_nice_packs(checker: Checker, text: str, pack: str, expected: set) -> None:
    assert nice(checker, text, pack) == expected


# ---------------------------------------------------------------- OPCS-4 standards


@pytest.mark.parametrize(("text", "rule", "expected"), [
    ("W37.1 Z94.2 Z94.3", "opcs.laterality-once", {(2, 3)}),
    ("W37.1 Z94.2 W37.1 Z94.3", "opcs.laterality-once", set()),
    ("W37.1 Z94.2 Y53.4", "opcs.laterality-last", {(2,)}),
    ("C75.1 Z94.2 C75.1 Z94.3", "opcs.bilateral-once", {(1, 3)}),
    ("C75.1 Z94.2 C71.2 Z94.3", "opcs.bilateral-once", set()),
    ("C90.1 C71.2", "opcs.local-anaesthetic-secondary", {(1,)}),
    ("V52.2 V55.1 Y53.4 Y10.2 Z99.3", "opcs.group-order", {(3, 4)}),
    ("V44.4 V55.1 V44.6 V55.1", "opcs.excludes", {(1, 3)}),
    ("V40.1 V55.1 Y53.9 V38.2 V55.1", "opcs.excludes", {(1, 4)}),
])  # fmt: skip
def test_opcs_standards(checker: Checker, text: str, rule: str, expected: set) -> None:
    assert {positions for r, _, positions in found(checker, text) if r == rule} == expected


# ---------------------------------------------------------------- ICD-10


def test_asterisk_rules_use_titles_and_marks(checker: Checker) -> None:
    assert ("icd.asterisk-not-primary", "icd10", (1,)) in found(checker, "icd M49.5 C79.5")
    assert ("icd.asterisk-not-primary", "icd10", (1,)) in found(checker, "icd M48.5* C79.5")  # marked in the record
    assert ("icd.asterisk-needs-dagger", "icd10", (3,)) in found(checker, "icd C90.0 M82.0 M49.5")
    assert not {v for v in found(checker, "icd C90.0 M82.0") if v[0].startswith("icd.asterisk")}


def test_uk_file_adds_dagger_usage_and_limits(uk_checker: Checker) -> None:
    assert uk_checker.tables.icd10.uk
    # with the UK file the code before an asterisk must be a dagger code
    assert ("icd.asterisk-needs-dagger", "icd10", (2,)) in found(uk_checker, "icd C79.5 G55.1")
    assert not {v for v in found(uk_checker, "icd M51.1 G55.1") if v[0] == "icd.asterisk-needs-dagger"}
    # USAGE_UK 0 codes may not be primary
    assert ("icd.not-primary", "icd10", (1,)) in found(uk_checker, "icd W19 M80.0")
    male = uk_checker.check_record({"icd10": ["M80.08"], "sex": "male", "age": 50})
    assert [(v.rule, v.positions) for v in male.violations] == [("icd.sex-conflict", (1,))]
    young = uk_checker.check_record({"icd10": ["M80.0"], "sex": "female", "age": 44})
    assert [(v.rule, v.positions) for v in young.violations] == [("icd.age-conflict", (1,))]


def test_uk_file_judges_fifth_characters_exactly(checker: Checker, uk_checker: Checker) -> None:
    assert not {v for v in found(checker, "icd M80.08") if v[0] == "icd.valid-code"}  # WHO: stem M80.0 exists
    assert ("icd.valid-code", "icd10", (1,)) in found(uk_checker, "icd M80.07")  # not in the UK sample
    assert not {v for v in found(uk_checker, "icd M80.08") if v[0] == "icd.valid-code"}


def test_sex_and_age_need_the_uk_file(checker: Checker) -> None:
    assert checker.check_record({"icd10": ["M80.0"], "sex": "male", "age": 20}).violations == ()


# ---------------------------------------------------------------- CPT and NCCI


def cpt(checker: Checker, text: str) -> set:
    return {v for v in found(checker, text) if v[0].startswith(("ncci.", "cpt."))}


def test_seed_claim(checker: Checker) -> None:
    # the example: 77003 with modifier 59 bypasses the PTP edit (indicator 1), but
    # 77003 is itself an add-on code whose primaries are spinal injections, and the CPT
    # descriptor includes imaging in 22511
    assert cpt(checker, "cpt 22511 22512x2 77003-59") == {
        ("ncci.add-on", "cpt", (3,)),
        ("cpt.imaging-included-modifier", "cpt", (3,)),
    }


@pytest.mark.parametrize(("text", "expected"), [
    ("cpt 22511 22512x3", set()),
    ("cpt 22511 22512x4", {("ncci.mue", "cpt", (2,))}),
    ("cpt 22511 22512x2 22512x2", {("ncci.mue", "cpt", (2,))}),   # MAI 3: units add up over the day
    ("cpt 22510x2", {("ncci.mue", "cpt", (1,))}),                  # MAI 2
    ("cpt 22512", {("ncci.add-on", "cpt", (1,)), ("cpt.22512-primary", "cpt", (1,))}),
    ("cpt 22510 22511", {("ncci.ptp", "cpt", (1, 2))}),            # indicator 0: a modifier does not help
    ("cpt 22510 22511-59", {("ncci.ptp", "cpt", (1, 2))}),
    ("cpt 22511 77012", {("ncci.ptp", "cpt", (1, 2)), ("cpt.imaging-included", "cpt", (1,))}),
])  # fmt: skip
def test_ncci_and_cpt(checker: Checker, text: str, expected: set) -> None:
    assert cpt(checker, text) == expected


def test_ptp_detail_names_column_two_first(checker: Checker) -> None:
    (violation,) = [v for v in checker.check_record("cpt 77003 22511").violations if v.rule == "ncci.ptp"]
    assert violation.positions == (1, 2) and violation.message.startswith("77003 is not reported with 22511")
