"""The record grammar: what parses into which codes, and which errors bad lines get."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("plain_lines", [True, False])
@pytest.mark.parametrize(("label", "text", "column", "word"), error_examples())
def test_labelled_bad_inputs(label: str, text: str, column: int, word: str, plain_lines: bool) -> None:
    with pytest.raises(RecordSyntaxIssue) as caught:
        RecordParser(plain_lines=plain_lines).parse(text)
    error = caught.value.problem
    assert (error.label, error.line, error.column) == (label, 1, column)
    assert error.message == ERROR_LABELS[label].message.format(word=word)  # naming the offending word
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


# Words a plain line may be built from: codes of every system in their spellings, keywords
# in any case, and words that are codes of another system or of none.
_WORDS = (
    "V44.4", "v444", "V55.-", "V44", "Y53.4", "Z66.5", "Z94.1", "M80.0", "M8008", "R69X", "G55.1*", "A17.0+",
    "C79.5\u2020", "M80.0D", "K57.3A", "22512", "0591T", "77003-59", "22512x2", "22512-LT-59x3", "G0101",
    "opcs", "OPCS4", "icd", "Icd10", "cpt", "CPT", "V4X.4", "V44.44", "M8", "2251", "V44.4.", "22512-5",
    "x2", "-", "+", "*", "V44.4-", "M80.0X", "opcsx", "icd11", ".", "V.44",
)  # fmt: skip


@st.composite
def _plain_lines(draw: st.DrawFn) -> str:
    sections = draw(st.lists(st.lists(st.sampled_from(_WORDS), max_size=5), min_size=1, max_size=3))
    text = "; ".join(" ".join(words) for words in sections)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["ep1: ", "x :", "a.b:", " id9:"])) + text
    return text


_WORD_BY_WORD, _LARK_ONLY = RecordParser(0), RecordParser(0, plain_lines=False)


@settings(max_examples=3000, deadline=None)
@given(text=_plain_lines(), system=st.sampled_from(list(System)))
def test_plain_lines_read_word_by_word_give_what_lark_gives(text: str, system: System) -> None:
    """The parser's word-by-word reading of plain lines is held to the grammar: the same
    record, codes, spellings and columns, or the same rejection."""

    def outcome(parser: RecordParser) -> object:
        try:
            return parser.parse(text, system)
        except RecordSyntaxIssue as issue:
            return issue.problem

    assert outcome(_WORD_BY_WORD) == outcome(_LARK_ONLY)


def test_plain_lines_are_read_without_lark() -> None:
    """The word-by-word reading is taken for the lines tabular and JSON records become (and
    the property above would pass vacuously if it never were)."""
    parser = RecordParser(0)
    parser._lark = None  # type: ignore[assignment]  # any line that reaches Lark now fails loudly
    parsed = parser.parse("ep1: opcs V44.4 V55.1 Y53.4; icd M80.0 C79.5\u2020; cpt 22512x2")
    assert [(s.value, [(c.value, c.column) for c in codes]) for s, codes in parsed.sections] == [
        ("opcs", [("V44.4", 11), ("V55.1", 17), ("Y53.4", 23)]),
        ("icd10", [("M80.0", 34), ("C79.5", 40)]),
        ("cpt", [("22512", 52)]),
    ]


def test_a_marked_code_is_written_back_with_its_mark() -> None:
    """Code.text writes a code back in the text format: the dagger and asterisk of ICD-10
    dual classification kept, and a code without a mark as it is."""
    from nicelogic.input.grammar import RecordParser

    parsed = RecordParser().parse("ep1: icd A17.0\u2020 G01* M80.0")
    assert [code.text() for _, codes in parsed.sections for code in codes] == ["A17.0\u2020", "G01*", "M80.0"]


def test_a_record_is_written_back_as_one_line_of_the_text_format() -> None:
    from nicelogic.input.grammar import RecordParser
    from nicelogic.model import Record

    parsed = RecordParser().parse("ep1: opcs V44.4 V55.1; icd A17.0\u2020 G01*; cpt 22511-59 22512x2")
    assert Record("ep1", sections=parsed.sections).text() == "ep1: opcs V44.4 V55.1; icd10 A17.0\u2020 G01*; cpt 22511-59 22512x2"


def test_a_column_of_a_rewritten_record_is_located_in_its_field() -> None:
    """A JSON or tabular record is rewritten into the text form with a map back: a column of
    the text form is reported at the column and name of the field it came from, and a
    column before every field as it is."""
    from nicelogic.model import Field, Record

    record = Record("r", fields=(Field(5, "opcs[1]", 12), Field(11, "opcs[2]", 21)))
    assert record.locate(6) == (12, "opcs[1]") and record.locate(11) == (12, "opcs[1]")
    assert record.locate(12) == (21, "opcs[2]") and record.locate(30) == (21, "opcs[2]")
    assert record.locate(3) == (3, None)


@pytest.mark.parametrize("plain_lines", [True, False])
def test_every_field_of_a_code_as_read(plain_lines: bool) -> None:
    """Each code keeps its system, the value the rules see, the text as written (which
    outputs quote), its column, and what its form says: a wildcard, a dual-classification
    mark (also on a five-character code), CPT modifiers and units; read by Lark or word by word."""
    from nicelogic.model import Code

    parsed = RecordParser(plain_lines=plain_lines).parse("ep: opcs V44.4 V55.-; icd M80.- S7200D M4950A G01*; cpt 22511-59x2")
    opcs, icd, cpt = System.OPCS, System.ICD10, System.CPT
    assert [code for _, codes in parsed.sections for code in codes] == [
        Code(opcs, "V44.4", "V44.4", 10),
        Code(opcs, "V55", "V55.-", 16, wildcard=True),
        Code(icd, "M80", "M80.-", 27, wildcard=True),
        Code(icd, "S72.00", "S7200D", 33, mark="dagger"),
        Code(icd, "M49.50", "M4950A", 40, mark="asterisk"),
        Code(icd, "G01", "G01*", 47, mark="asterisk"),
        Code(cpt, "22511", "22511-59x2", 57, modifiers=("59",), units=2),
    ]


def test_a_line_read_again_keeps_its_own_id() -> None:
    """Lines are cached by what follows their id: a second record of the same codes is
    still itself, and a line of them without an id has none."""
    parser = RecordParser()
    first, second = parser.parse("a: opcs V44.4 V55.1"), parser.parse("b: opcs V44.4 V55.1")
    assert (first.id, second.id) == ("a", "b") and first.sections == second.sections
    assert parser.parse("opcs V44.4 V55.1").id is None
