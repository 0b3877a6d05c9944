"""The record grammar: what parses into which codes, and which errors bad lines get."""

from __future__ import annotations

import pytest

from nicelogic.errors import RecordSyntaxIssue
from nicelogic.input.grammar import ERROR_LABELS, RecordParser, error_examples
from nicelogic.model import System


@pytest.fixture(scope="module")
def parser() -> RecordParser:
    return RecordParser()


def sections(parser: RecordParser, text: str, system: System = System.OPCS) -> dict[str, list[str]]:
    parsed = parser.parse(text, system)
    return {s.value: [c.text() for c in codes] for s, codes in parsed.sections}


VALID = [
    ("ep7: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0", {"opcs": ["V44.4", "V55.1", "Y53.4", "Z66.5"], "icd10": ["M80.0"]}),
    ("V444 V551,Y534, Z665", {"opcs": ["V44.4", "V55.1", "Y53.4", "Z66.5"]}),
    ("opcs4 V44.4; icd10 M80.08", {"opcs": ["V44.4"], "icd10": ["M80.08"]}),
    ("x: icd M8008 R69X", {"icd10": ["M80.08", "R69"]}),
    ("x: V55.-", {"opcs": ["V55.-"]}),
    ("x: V55", {"opcs": ["V55"]}),
    ("claim9: cpt 22511 22512x2 77003-59", {"cpt": ["22511", "22512x2", "77003-59"]}),
    ("cpt 0591T G0101-XS-LT", {"cpt": ["0591T", "G0101-XS-LT"]}),
    ("OPCS v44.4; ICD m80.0", {"opcs": ["V44.4"], "icd10": ["M80.0"]}),
    ("ep8: opcs V44.4; V55.1", {"opcs": ["V44.4", "V55.1"]}),  # bare sections take the default system
    ("ep9:", {}),
    ("ep10: V44.4   # trailing comment", {"opcs": ["V44.4"]}),
    ("A12.3: A12.3", {"opcs": ["A12.3"]}),  # an id may look like a code: the colon decides
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_lines(parser: RecordParser, text: str, expected: dict[str, list[str]]) -> None:
    assert sections(parser, text) == expected


def test_default_system_applies_to_bare_sections(parser: RecordParser) -> None:
    assert sections(parser, "M80.0 C79.5; opcs V44.4", System.ICD10) == {"icd10": ["M80.0", "C79.5"], "opcs": ["V44.4"]}
    assert sections(parser, "22511 22512x3", System.CPT) == {"cpt": ["22511", "22512x3"]}


def test_record_id_and_columns(parser: RecordParser) -> None:
    parsed = parser.parse("ep7: opcs V44.4 V55.1")
    assert parsed.id == "ep7"
    codes = parsed.sections[0][1]
    assert [(c.value, c.column) for c in codes] == [("V44.4", 11), ("V55.1", 17)]


@pytest.mark.parametrize(
    ("raw", "value", "mark"),
    [
        ("M49.5*", "M49.5", "asterisk"),
        ("A17.0\u2020", "A17.0", "dagger"),
        ("A17.0+", "A17.0", "dagger"),
        ("A170D", "A17.0", "dagger"),
        ("G01XA", "G01", "asterisk"),
        ("M8008", "M80.08", None),
        ("R69X", "R69", None),
    ],
)
def test_icd10_forms(parser: RecordParser, raw: str, value: str, mark: str | None) -> None:
    code = parser.parse(f"icd {raw}").sections[0][1][0]
    assert (code.value, code.mark) == (value, mark)


def test_cpt_modifiers_and_units(parser: RecordParser) -> None:
    code = parser.parse("cpt 77003-59-LTx2").sections[0][1][0]
    assert (code.value, code.modifiers, code.units) == ("77003", ("59", "LT"), 2)


def test_wildcard_keeps_category(parser: RecordParser) -> None:
    code = parser.parse("V55.-").sections[0][1][0]
    assert (code.value, code.wildcard) == ("V55", True)


@pytest.mark.parametrize(("label", "text", "column"), error_examples())
def test_labelled_bad_inputs(parser: RecordParser, label: str, text: str, column: int) -> None:
    with pytest.raises(RecordSyntaxIssue) as caught:
        parser.parse(text)
    error = caught.value.problem
    assert (error.label, error.column) == (label, column)
    assert error.message  # a friendly sentence, never Lark's internals
    assert "Token(" not in error.message and "Expected one of" not in error.message


def test_every_label_has_examples() -> None:
    assert all(spec.examples for spec in ERROR_LABELS.values())


@pytest.mark.parametrize(
    ("text", "label", "column"),
    [
        ("cpt 22512 V44.4", "cpt-code", 11),
        ("icd M80.0; cpt 225", "cpt-code", 16),
        ("ep1: icd10 M80.0; opcs V4", "opcs-code", 24),
    ],
)
def test_error_names_the_section_system(parser: RecordParser, text: str, label: str, column: int) -> None:
    with pytest.raises(RecordSyntaxIssue) as caught:
        parser.parse(text)
    assert (caught.value.problem.label, caught.value.problem.column) == (label, column)


def test_the_grammar_keywords_are_the_system_keywords() -> None:
    """The grammar file cannot import Python: its keyword terminals must name exactly the
    keywords every other reader knows (nicelogic.model.SYSTEM_KEYWORDS)."""
    from nicelogic.model import SYSTEM_KEYWORDS

    parser = RecordParser()
    for keyword, system in SYSTEM_KEYWORDS.items():
        parsed = parser.parse(f"{keyword} {'22512' if system.value == 'cpt' else 'M80.0'}")
        assert [s for s, _ in parsed.sections] == [system]
