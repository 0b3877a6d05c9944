"""Solving batches of record forms (nicelogic.asp.solve): how an output atom is read into a
finding, which atoms are read at all, and what one grounding of a batch gives back, with a
small rule program of its own run through real clingo."""

from __future__ import annotations

import time

import clingo
import pytest

from nicelogic.asp import solve
from nicelogic.asp.solve import Finding, _finding, _finding_text, _positions, _read_model, _row, solve_forms
from nicelogic.errors import LimitExceeded, RuleError
from nicelogic.rules.packs import RuleSet

SHOW = "#show violation/4. #show violation/5.\n"


def _ruleset(program: str, applies_program: str = "") -> RuleSet:
    return RuleSet(packs=(), rules={}, program=SHOW + program, attribute_uses=(), files=(), applies_program=applies_program)


def _shown(program: str) -> list[clingo.Symbol]:
    control = clingo.Control(["--warn=none"])
    control.add("base", [], program)
    control.ground([("base", [])])
    with control.solve(yield_=True) as handle:
        return list(next(iter(handle)).symbols(shown=True))


def _term(text: str) -> clingo.Symbol:
    return clingo.parse_term(text)


def test_positions_of_a_number_a_tuple_and_other_terms() -> None:
    assert _positions(_term("0")) == ()
    assert _positions(_term("7")) == (7,)
    assert _positions(_term("(3,1)")) == (3, 1)
    assert _positions(_term("(4,)")) == (4,)
    assert _positions(_term("(1,a)")) is None  # a tuple with a term that is not a number
    assert _positions(_term("f(1,2)")) is None  # a named function is no tuple of positions
    assert _positions(_term('"1"')) is None
    assert _positions(_term("a")) is None


def test_row_is_read_only_from_row_of_one_number() -> None:
    assert _row(_term("row(3)")) == 3
    assert _row(_term("row(0)")) == 0
    assert _row(_term('row("3")')) is None
    assert _row(_term("row(3,4)")) is None
    assert _row(_term("rows(3)")) is None
    assert _row(_term("3")) is None
    assert _row(_term("(3,)")) is None


@pytest.mark.parametrize(
    ("atom", "record", "finding"),
    [
        ('violation("r",2,opcs,(3,1,3))', 2, Finding("r", "opcs", (1, 3))),
        ('violation("r",1,icd10,0)', 1, Finding("r", "icd10", ())),
        ('applies("r",4,cpt,5)', 4, Finding("r", "cpt", (5,), (), True)),
        ('applies("r",4,cpt,5,row(9))', 4, Finding("r", "cpt", (5,), (), True, 9)),
        ('violation("r",1,opcs,2,("x",3,y))', 1, Finding("r", "opcs", (2,), ("x", "3", "y"))),
        ('violation("r",1,opcs,2,"only")', 1, Finding("r", "opcs", (2,), ("only",))),
        ('violation("r",1,opcs,2,f(1))', 1, Finding("r", "opcs", (2,), ("f(1)",))),
        ('violation("r",1,opcs,2,row("x"))', 1, Finding("r", "opcs", (2,), ('row("x")',))),
        ('violation("r",1,"opcs",2)', 1, Finding("r", '"opcs"', (2,))),
        ('violation("r",1,7,2)', 1, Finding("r", "7", (2,))),
        ('violation("r",1,s(1),2)', 1, Finding("r", "s", (2,))),  # a section is its name
    ],
)
def test_an_output_atom_read_from_its_symbol(atom: str, record: int, finding: Finding) -> None:
    assert _finding(_term(atom)) == (record, finding)
    if finding.detail == ():  # the common shape, read from the text, gives the same finding
        assert _finding_text(atom) in (None, (record, finding))


@pytest.mark.parametrize(
    "atom",
    ['violation(r,1,opcs,0)', 'violation("r",a,opcs,0)', 'violation("r","1",opcs,0)', 'violation("r",1,opcs,a)',
     'violation("r",1,opcs,(1,b))', 'applies(3,1,opcs,0,row(1))'],
)  # fmt: skip
def test_a_malformed_output_atom_is_a_rule_error(atom: str) -> None:
    with pytest.raises(RuleError):
        _finding(_term(atom))


@pytest.mark.parametrize(
    ("text", "record", "finding"),
    [
        ('violation("r",12,opcs,0)', 12, Finding("r", "opcs", ())),
        ('violation("r",3,opcs,7)', 3, Finding("r", "opcs", (7,))),
        ('violation("r",3,opcs,(7,2,7))', 3, Finding("r", "opcs", (2, 7))),
        ('violation("r",3,opcs,(7,))', 3, Finding("r", "opcs", (7,))),
        ('applies("r",3,icd10,(10,20),row(15))', 3, Finding("r", "icd10", (10, 20), (), True, 15)),
        ('applies("r",3,icd10,0)', 3, Finding("r", "icd10", (), (), True)),
    ],
)
def test_an_atom_of_the_common_shape_read_from_its_text(text: str, record: int, finding: Finding) -> None:
    assert _finding_text(text) == (record, finding)
    assert _finding(_term(text)) == (record, finding)


@pytest.mark.parametrize(
    "text",
    ['violation("r",1,opcs,2,("x",))', 'violation("r",1,opcs,2', 'violation("r",1,opcs,2) ', 'other("r",1,opcs,2)',
     'violation("r",1,Opcs,2)', 'violation("a\\"b",1,opcs,2)', 'violation("r",-1,opcs,2)'],
)  # fmt: skip
def test_an_atom_of_another_shape_is_not_read_from_its_text(text: str) -> None:
    assert _finding_text(text) is None


def test_findings_read_from_text_are_kept_apart_by_everything_but_the_record() -> None:
    texts = [
        'violation("k",1,opcs,(1,2))',
        'applies("k",1,opcs,(1,2))',
        'violation("k",1,icd10,(1,2))',
        'violation("k",1,opcs,(1,3))',
        'violation("k",1,opcs,(1,2),row(4))',
        'violation("k",1,opcs,(1,2),row(5))',
        'violation("j",1,opcs,(1,2))',
    ]
    first = [_finding_text(t) for t in texts]
    assert len(set(first)) == len(texts)
    assert [_finding_text(t) for t in texts] == first  # read again, from what was kept
    assert _finding_text('violation("k",9,opcs,(1,2))') == (9, Finding("k", "opcs", (1, 2)))


def test_findings_read_from_text_are_forgotten_when_too_many_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve, "_READ", {})
    monkeypatch.setattr(solve, "_READ_SIZE", 3)
    for n in range(1, 8):
        assert _finding_text(f'violation("m",1,opcs,{n})') == (1, Finding("m", "opcs", (n,)))
        assert 1 <= len(solve._READ) <= 3
    assert _finding_text('violation("m",1,opcs,1)') == (1, Finding("m", "opcs", (1,)))


def test_only_violation_and_applies_atoms_of_four_or_five_arguments_are_read() -> None:
    symbols = _shown(
        'violation("a",1,opcs,1). violation("b",1,opcs). violation("c",1,opcs,1,x,y). applies("d",2,opcs,0).'
        'other("e",1,opcs,1). other("f",1,opcs,1,2). violation("g\\\\",1,opcs,(2,1)). applies("h",3,cpt,1,"w").'
        "#show violation/3. #show violation/4. #show violation/5. #show violation/6. #show applies/4. #show applies/5."
        "#show other/4. #show other/5."
    )
    assert sorted(_read_model(symbols), key=lambda x: x[1].rule) == [
        (1, Finding("a", "opcs", (1,))),
        (2, Finding("d", "opcs", (), (), True)),
        (1, Finding("g\\", "opcs", (1, 2))),
        (3, Finding("h", "cpt", (1,), ("w",), True)),
    ]


def test_a_model_of_uncommon_atoms_only_is_read_atom_by_atom() -> None:
    symbols = _shown('violation("a\\"",1,opcs,1,("z",)). violation("b",2,opcs,(2,1),x). #show violation/5.')
    assert sorted(_read_model(symbols)) == [(1, Finding('a"', "opcs", (1,), ("z",))), (2, Finding("b", "opcs", (1, 2), ("x",)))]


def test_no_forms_no_findings() -> None:
    assert solve_forms(_ruleset(":- ."), []) == []


def test_each_form_gets_the_findings_of_its_own_record_sorted() -> None:
    program = """
        violation("z", R, opcs, P) :- code(R, opcs, P, _).
        violation("a", R, opcs, (P, Q)) :- code(R, opcs, P, _), code(R, opcs, Q, _), P < Q.
        violation("a", R, opcs, (Q, P)) :- code(R, opcs, P, _), code(R, opcs, Q, _), P < Q.
        violation("d", R, opcs, 1, (C,)) :- code(R, opcs, 1, C).
        violation("d", R, opcs, 1, row(N)) :- code(R, opcs, 1, _), limit(N).
        violation("out", R + 100, opcs, 0) :- record(R).
        violation("none", 0, opcs, 0).
    """
    form_one = 'code(\x00,opcs,1,"A01").'
    form_two = 'code(\x00,opcs,1,"B02"). code(\x00,opcs,2,"C03").'
    found = solve_forms(_ruleset(program), [form_one, form_two], "limit(6).")
    assert found == [
        (
            Finding("d", "opcs", (1,), (), False, 6),  # detail row(6): no detail, row 6
            Finding("d", "opcs", (1,), ("A01",)),
            Finding("z", "opcs", (1,)),
        ),
        (
            Finding("d", "opcs", (1,), (), False, 6),
            Finding("d", "opcs", (1,), ("B02",)),
            Finding("z", "opcs", (1,)),
            Finding("a", "opcs", (1, 2)),  # (1,2) and (2,1): one finding
            Finding("z", "opcs", (2,)),
        ),
    ]


def test_findings_sort_by_kind_positions_rule_detail_and_row() -> None:
    program = """
        violation("b", R, opcs, 0) :- record(R).
        violation("a", R, opcs, 0) :- record(R).
        violation("a", R, opcs, 0, "y") :- record(R).
        violation("a", R, opcs, 0, "x") :- record(R).
        violation("a", R, opcs, 0, row(2)) :- record(R).
        violation("a", R, opcs, 0, row(1)) :- record(R).
        violation("a", R, opcs, 2) :- record(R).
        violation("c", R, opcs, 1) :- record(R).
    """
    (found,) = solve_forms(_ruleset(program), [""])
    assert [(f.rule, f.positions, f.detail, f.row) for f in found] == [
        ("a", (), (), None),
        ("a", (), (), 1),
        ("a", (), (), 2),
        ("a", (), ("x",), None),
        ("a", (), ("y",), None),
        ("b", (), (), None),
        ("c", (1,), (), None),
        ("a", (2,), (), None),
    ]


def test_where_rules_apply_comes_with_applicability_only() -> None:
    ruleset = _ruleset('violation("v", R, opcs, 1) :- record(R).', 'applies("v", R, opcs, 0) :- record(R).')
    assert solve_forms(ruleset, ["", ""]) == [(Finding("v", "opcs", (1,)),)] * 2
    both = (Finding("v", "opcs", (1,)), Finding("v", "opcs", (), (), True))
    assert solve_forms(ruleset, ["", ""], applicability=True) == [both, both]


def test_a_program_without_an_answer_is_a_rule_error() -> None:
    with pytest.raises(RuleError, match="none"):
        solve_forms(_ruleset(":- record(2)."), ["", ""])


def test_a_time_limit_gives_the_same_findings_when_the_solve_is_quick() -> None:
    ruleset = _ruleset('violation("v", R, opcs, P) :- code(R, opcs, P, _).')
    forms = ['code(\x00,opcs,1,"A").', 'code(\x00,opcs,2,"B").']
    expected = [(Finding("v", "opcs", (1,)),), (Finding("v", "opcs", (2,)),)]
    assert solve_forms(ruleset, forms) == expected
    assert solve_forms(ruleset, forms, time_limit=30.0) == expected
    with pytest.raises(RuleError, match="none"):
        solve_forms(_ruleset(":- record(1)."), [""], time_limit=30.0)


# the pigeonhole problem (21 pigeons, 20 holes): no answer, and clingo takes far longer than
# the limit to prove it
PIGEONS = """
    pigeon(1..21). hole(1..20).
    1 { in(P, H) : hole(H) } 1 :- pigeon(P).
    :- in(P, H), in(Q, H), P < Q.
"""


def test_a_solve_past_its_time_limit_is_cancelled_at_the_limit() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as raised:
        solve_forms(_ruleset(PIGEONS), [""], time_limit=0.1)
    assert (raised.value.kind, raised.value.limit) == ("time", 0.1)
    assert time.monotonic() - started < 0.9  # about 0.12 s: at its limit, not a second later


# an even loop through negation: no choice rule (which packs refuse), yet two answers
TWO_ANSWERS = """
    violation("v", R, opcs, 0) :- record(R), not quiet(R).
    quiet(R) :- record(R), not violation("v", R, opcs, 0).
"""


@pytest.mark.parametrize("time_limit", [None, 30.0])
def test_a_program_with_several_answers_is_a_rule_error(time_limit: float | None) -> None:
    with pytest.raises(RuleError, match="several"):
        solve_forms(_ruleset(TWO_ANSWERS), [""], time_limit=time_limit)
