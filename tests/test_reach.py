"""Rules a batch's facts cannot reach are left out of its grounding, and only those: what a
rule left out could never derive anything for that batch. Every built-in pack's cases are
compared with the whole program in tests/test_relevance.py; here, the reading itself."""

from __future__ import annotations

import clingo
import clingo.ast
import pytest

from nicelogic import Checker
from nicelogic.asp.facts import record_form
from nicelogic.asp.reach import Reach
from nicelogic.asp.relevance import relevant_program
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Record

PROGRAM = """
bypass("59"; "XE").
spinal(R,P) :- code(R,opcs,P,C), category(R,opcs,P,"V44").
levels(R,P) :- spinal(R,P), code(R,opcs,P+1,_), category(R,opcs,P+1,"V55").
violation("levels",R,opcs,P) :- spinal(R,P), not levels(R,P).
claimed(R,P) :- code(R,cpt,P,_).
bypassed(R,P) :- modifier(R,cpt,P,M), bypass(M).
violation("pair",R,cpt,P) :- claimed(R,P), not bypassed(R,P).
violation("female",R,opcs,P) :- code(R,opcs,P,_), sex(R,female).
"""


def _statements(text: str) -> list[clingo.ast.AST]:
    found: list[clingo.ast.AST] = []
    clingo.ast.parse_string(text, found.append)
    return found


def _kept(statements: list[clingo.ast.AST], facts: str) -> set[str]:
    chosen = Reach.of(statements).select(statements, facts)
    return {str(s).split(" :- ")[0] for s in chosen if s.ast_type == clingo.ast.ASTType.Rule and s.body}


@pytest.fixture(scope="module")
def statements() -> list[clingo.ast.AST]:
    return _statements(PROGRAM)


def test_an_episode_reaches_the_rules_of_its_section_and_codes(statements: list[clingo.ast.AST]) -> None:
    facts = 'code(1,opcs,1,"V44.4").\ncategory(1,opcs,1,"V44").\nsex(1,male).'
    # levels/2 needs a V55 and violation("female") sex female; a negative literal prunes nothing
    assert _kept(statements, facts) == {"spinal(R,P)", 'violation("levels",R,opcs,P)'}
    facts += '\ncode(1,opcs,2,"V55.1").\ncategory(1,opcs,2,"V55").\nsex(1,female).'
    assert _kept(statements, facts) == {
        "spinal(R,P)",
        "levels(R,P)",
        'violation("levels",R,opcs,P)',
        'violation("female",R,opcs,P)',
    }


def test_a_constant_the_rules_name_is_matched_exactly(statements: list[clingo.ast.AST]) -> None:
    kept = _kept(statements, 'code(1,opcs,1,"W37.1").\ncategory(1,opcs,1,"W37").')
    assert "spinal(R,P)" not in kept and "levels(R,P)" not in kept
    assert 'violation("female",R,opcs,P)' not in kept  # no sex/2 fact at all


def test_a_claim_reaches_the_claim_rules_through_a_pooled_fact(statements: list[clingo.ast.AST]) -> None:
    kept = _kept(statements, 'code(1,cpt,1,"22511").\nmodifier(1,cpt,1,"59").')
    assert kept == {"claimed(R,P)", "bypassed(R,P)", 'violation("pair",R,cpt,P)'}


def test_a_fact_it_cannot_read_keeps_every_rule(statements: list[clingo.ast.AST]) -> None:
    every = {str(s).split(" :- ")[0] for s in statements if s.ast_type == clingo.ast.ASTType.Rule and s.body}
    assert _kept(statements, "code(1,cpt,1,X).") == every


def test_what_is_left_out_changes_no_answer(statements: list[clingo.ast.AST]) -> None:
    def answer(chosen: list[clingo.ast.AST], facts: str) -> list[str]:
        ctl = clingo.Control(["--warn=none"])
        with clingo.ast.ProgramBuilder(ctl) as builder:
            for statement in chosen:
                builder.add(statement)
        ctl.add("base", [], facts)
        ctl.ground([("base", [])])
        with ctl.solve(yield_=True) as handle:
            return sorted(str(s) for s in next(iter(handle)).symbols(atoms=True))

    reach = Reach.of(statements)
    for facts in (
        'code(1,opcs,1,"V44.4").\ncategory(1,opcs,1,"V44").\ncode(1,opcs,2,"V55.1").\ncategory(1,opcs,2,"V55").',
        'code(1,cpt,1,"22511").\nmodifier(1,cpt,1,"XE").\ncode(1,cpt,2,"77003").',
        'code(1,opcs,1,"W37.1").\nsex(1,female).',
    ):
        chosen = reach.select(statements, facts)
        assert len(chosen) < len(statements)
        assert answer(chosen, facts) == answer(statements, facts)


def _rules(statements: list[clingo.ast.AST]) -> set[int]:
    return {id(s) for s in statements if s.ast_type == clingo.ast.ASTType.Rule and s.body}


def test_the_built_in_packs_ground_fewer_rules_and_records_of_other_codes_share_one_choice() -> None:
    checker = Checker(cache_size=0)
    program = relevant_program(checker.ruleset.program)
    scope = checker.ruleset.attribute_scope(checker.tables.empty_predicates())

    def chosen(text: str) -> set[int]:
        item = line_item(text, "<test>", 1)
        assert item is not None
        record = to_record(item, checker.parser)
        assert isinstance(record, Record)
        codes = {system: {code.value for code in section} for system, section in record.sections}
        return _rules(program.for_batch(codes, checker.tables.facts(codes), [record_form(record, scope)]))

    every = _rules(list(program.statements))
    stomach, hernia, claim = chosen("ep: opcs G45.1; icd K21.0"), chosen("ep: opcs T20.2; icd K40.9"), chosen("c: cpt 22511")
    assert stomach == hernia  # no rule or table row names either record's codes: one choice, kept for the next batch
    assert len(stomach) < len(every) / 2 and len(claim) < len(every) / 2
    assert chosen("ep: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0") > stomach  # the spinal rules
    assert program.reach._chosen
