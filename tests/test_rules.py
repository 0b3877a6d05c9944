"""What the rules read from the code tables: derived categories, the UK file's usage,
limits and fifth characters, and details that messages show. The rules' own cases
(firing, quiet, ranges and traps) live beside them in logic/<pack>/tests/."""

from __future__ import annotations

from nicelogic import Checker

from .conftest import found

# ---------------------------------------------------------------- validity against the real tables


def test_extended_categories_are_derived_from_release_titles(checker: Checker) -> None:
    extended = checker.tables.opcs.extended
    assert {"Y68": "Y53", "V67": "V25", "V69": "V22", "V53": "V24"}.items() <= extended.items()
    assert "Y53" not in extended and "V55" not in extended
    result = checker.check_record("V44.4 V55.1 Y68.9 Z66.5; icd M80.0")
    (violation,) = [v for v in result.violations if v.rule == "opcs.extended-category"]
    assert violation.positions == (3,) and "Y53.9" in violation.message


# ---------------------------------------------------------------- ICD-10


def test_uk_file_adds_dagger_usage_and_limits(uk_checker: Checker) -> None:
    assert uk_checker.tables.icd10.uk
    # with the UK file the code before an asterisk must be a dagger code
    assert ("icd.asterisk-needs-dagger", "icd10", (2,)) in found(uk_checker, "icd C79.5 G55.1")
    assert not {v for v in found(uk_checker, "icd M51.1 G55.1") if v[0] == "icd.asterisk-needs-dagger"}
    # USAGE_UK 0 codes may not be primary
    assert ("icd.not-primary", "icd10", (1,)) in found(uk_checker, "icd W19 M80.0")
    male = uk_checker.check_record({"icd10": ["M80.08"], "sex": "male", "age": 50})
    assert [(v.rule, v.positions) for v in male.violations] == [("icd.sex-conflict", (1,))]
    # M80.08 with its fifth character: M80.0 alone also gets the DChS.XIII.4 warning (icd10.standards)
    young = uk_checker.check_record({"icd10": ["M80.08"], "sex": "female", "age": 44})
    assert [(v.rule, v.positions) for v in young.violations] == [("icd.age-conflict", (1,))]


def test_uk_file_judges_fifth_characters_exactly(checker: Checker, uk_checker: Checker) -> None:
    assert not {v for v in found(checker, "icd M80.08") if v[0] == "icd.valid-code"}  # WHO: stem M80.0 exists
    assert ("icd.valid-code", "icd10", (1,)) in found(uk_checker, "icd M80.07")  # not in the UK sample
    assert not {v for v in found(uk_checker, "icd M80.08") if v[0] == "icd.valid-code"}


def test_sex_and_age_need_the_uk_file(checker: Checker) -> None:
    assert checker.check_record({"icd10": ["M80.0"], "sex": "male", "age": 20}).violations == ()


# ---------------------------------------------------------------- CPT and NCCI


def test_ptp_detail_names_column_two_first(checker: Checker) -> None:
    (violation,) = [v for v in checker.check_record("cpt 77003 22511").violations if v.rule == "ncci.ptp"]
    assert violation.positions == (1, 2) and violation.message.startswith("77003 is not reported with 22511")
