"""Relation rows left out of a batch that cannot trigger them, and (for one record a batch)
the rules its facts cannot reach: every finding (violations,
where rules apply, the row each names) is what the whole program gives, and a program with
another reader of the rows gets them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker
from nicelogic.asp.facts import record_form
from nicelogic.asp.relevance import relevant_program
from nicelogic.asp.solve import _with_applicability, solve_forms
from nicelogic.input.items import Rejected
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Record, System
from nicelogic.resources import logic_dir
from nicelogic.rules.cases import load_cases


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(applicability=True, cache_size=0)


def _case_records(checker: Checker) -> list[Record]:
    """The records of every built-in pack's cases: made to fire each row of each table and
    to keep it quiet."""
    records = []
    for path in sorted(logic_dir().glob("*/tests/*.txt")):
        for case in load_cases(path):
            item = line_item(case.text, str(path), case.line)
            record = None if item is None else to_record(item, checker.parser)
            if record is not None and not isinstance(record, Rejected):
                records.append(record)
    return records


def _codes(records: list[Record]) -> dict[System, set[str]]:
    codes: dict[System, set[str]] = {}
    for record in records:
        for system, section in record.sections:
            codes.setdefault(system, set()).update(code.value for code in section)
    return codes


def _solve(checker: Checker, records: list[Record], *, relevant: bool) -> list[object]:
    forms = [record_form(record, checker.ruleset.attribute_scope(checker.tables.empty_predicates())) for record in records]
    codes = _codes(records)
    facts = checker.tables.facts(codes)
    return solve_forms(checker.ruleset, forms, facts, applicability=True, codes=codes if relevant else None)  # type: ignore[return-value]


def test_each_case_alone_finds_with_its_rows_what_it_finds_with_every_row(checker: Checker) -> None:
    records = _case_records(checker)
    assert len(records) > 500
    findings = 0
    for start in range(0, len(records), 1):  # one record a batch: the rows of its own codes only
        batch = records[start : start + 1]
        relevant = _solve(checker, batch, relevant=True)
        assert relevant == _solve(checker, batch, relevant=False), batch[0].text()
        findings += sum(len(found) for found in relevant)  # type: ignore[arg-type]
    assert findings > 1000  # violations and where rules apply, rows named


def test_a_batch_of_many_records_finds_what_it_finds_with_every_row(checker: Checker) -> None:
    records = _case_records(checker)
    assert _solve(checker, records, relevant=True) == _solve(checker, records, relevant=False)


def test_a_record_gets_only_the_rows_its_codes_can_trigger(checker: Checker) -> None:
    program = _with_applicability(checker.ruleset.program, checker.ruleset.applies_program)
    parsed = relevant_program(program)
    assert len(parsed.rows) > 100 and parsed.kept_kinds == {"never-coded"}  # applies to every record with codes
    every = sum(1 for _ in parsed.for_codes(None))
    one = sum(1 for _ in parsed.for_codes({System.OPCS: {"V44.4"}}))
    assert one < every / 3


def test_another_reader_of_the_rows_gets_every_row(checker: Checker, tmp_path: Path) -> None:
    program = checker.ruleset.program + "\nseen(Id) :- relation_code(Id, _, _, _, _).\n#show seen/1.\n"
    assert relevant_program(program).rows == ()
    within = checker.ruleset.program + "\nany(R) :- relation_within(R, _, _, _).\n"
    assert relevant_program(within).rows == ()
