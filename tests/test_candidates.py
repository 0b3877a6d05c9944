"""Which codes a completion may insert (nicelogic.complete.candidates): the words a rule
text names, per section, and the codes of the tables they stand for."""

from __future__ import annotations

import pytest

from nicelogic import Checker, System
from nicelogic.complete.candidates import candidates, mentions
from tests.conftest import one_rule_pack

RULES = (
    'violation("x.a", R, opcs, P) :- code(R, opcs, P, "V44.4"), not code(R, icd10, _, "M80.0").\n'
    'relation_code("x.b", 3, code, opcs, sub("V55", 1)).\n'
    'relation_code("x.b", 4, code, opcs, category("W37")).\n'
    'site(R) :- chapter(R, opcs, 2, "Z").\n'
)


def test_the_words_of_a_rule_text_by_section() -> None:
    found = mentions((RULES,))
    assert found.by_section == {"opcs": frozenset({"V44.4", "Z"}), "icd10": frozenset({"M80.0"})}
    # a relation row written in a rule file is read as a table, not as words of any section
    assert found.anywhere == frozenset({"x.a"})
    assert found.opcs_chapters == frozenset({"Z"})
    assert found.words("opcs") == {"V44.4", "Z", "x.a"} and found.words("cpt") == {"x.a"}


QUIET = 'violation("quiet.rule", R, opcs, 1) :- age(R, -1).\n'


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    """A pack that names no code: what it may insert comes from elsewhere."""
    return Checker([str(one_rule_pack(tmp_path_factory.mktemp("packs") / "quiet", QUIET))])


def test_the_built_in_packs_vocabulary_is_offered_whatever_the_selection(quiet: Checker) -> None:
    opcs = candidates(quiet.ruleset, quiet.tables, [System.OPCS])[System.OPCS]
    assert {"V55.1", "Y53.4"} <= opcs  # named by nice.htg3, which is not selected
    assert "A01.1" not in opcs  # named by no rule
    # chapter Y is named (a method of image guidance) but so are its categories Y53 and Y68:
    # the chapter does not stand for all its codes
    assert {"Y53.4", "Y68.1"} <= opcs and "Y01.1" in quiet.tables.opcs.titles and "Y01.1" not in opcs


def test_a_given_codes_siblings_and_the_callers_extras_are_offered(quiet: Checker) -> None:
    opcs = candidates(quiet.ruleset, quiet.tables, [System.OPCS], given={System.OPCS: ["A01.1"]})[System.OPCS]
    assert {"A01.1", "A01.2", "A01.9"} <= opcs and "A02.1" not in opcs
    extra = candidates(quiet.ruleset, quiet.tables, [System.OPCS], extra=[" a02.1 ", "", "b01"])[System.OPCS]
    assert "A02.1" in extra and {"B01.1", "B01.2"} <= extra and "A02.2" not in extra
    assert candidates(quiet.ruleset, quiet.tables, [System.OPCS, System.ICD10], given={})[System.ICD10]  # no codes given at all


def test_the_primary_codes_of_a_given_add_on_code_are_offered(quiet: Checker) -> None:
    cpt = candidates(quiet.ruleset, quiet.tables, [System.CPT], given={System.CPT: ["22512"]})[System.CPT]
    assert {"22510", "22511"} <= cpt


def test_a_rule_text_is_read_once() -> None:
    assert mentions((RULES,)) is mentions((RULES,))
