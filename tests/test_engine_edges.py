"""Edges of the engine that the other tests leave open, found by mutation testing (mutmut,
see the README): how tabular and JSON inputs map onto records and back onto their fields,
which rows and lines are records at all, and what the checker hands back for them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic import Checker
from nicelogic.cli import main
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.jsonl import jsonl_lines
from nicelogic.input.read import ReadPosition, read_lines
from nicelogic.input.records import to_record
from nicelogic.model import Record, Sex, System

from .conftest import one_rule_pack


@pytest.fixture(scope="module")
def parser() -> RecordParser:
    return RecordParser()


def read(path: Path, parser: RecordParser, **kwargs: object) -> list[Record | Rejected]:
    return [to_record(item, parser) for item in read_lines(str(path), **kwargs)]  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


# ----------------------------------------------------------------- tabular extracts


@pytest.mark.parametrize("header", ["EPIKEY,OPERTN_4_01,OPERTN_01", "EPIKEY,OPERTN_01,OPERTN_4_01"])
def test_full_code_field_wins_over_the_four_character_one_in_either_order(
    header: str, parser: RecordParser, tmp_path: Path
) -> None:
    values = {"OPERTN_4_01": "V444", "OPERTN_01": "V44.5"}
    row = ",".join(["e1", *(values[name] for name in header.split(",")[1:])])
    (record,) = read(write(tmp_path, "x.csv", f"{header}\n{row}\n"), parser)
    assert isinstance(record, Record)
    assert [c.value for c in record.codes(System.OPCS)] == ["V44.5"]
    assert [(f.name, f.column) for f in record.fields] == [("OPERTN_01", header.split(",").index("OPERTN_01") + 1)]


def test_rows_without_an_id_column_or_id_cell_take_their_line_number(parser: RecordParser, tmp_path: Path) -> None:
    no_column = read(write(tmp_path, "a.csv", "OPERTN_01\nV44.4\nV55.1\n"), parser)
    assert [(r.id, r.line) for r in no_column] == [("2", 2), ("3", 3)]
    empty_cell = read(write(tmp_path, "b.csv", "EPIKEY,OPERTN_01\n,V44.4\ne2,V55.1\n"), parser)
    assert [(r.id, r.line) for r in empty_cell] == [("2", 2), ("e2", 3)]


def test_short_rows_read_the_cells_they_have(parser: RecordParser, tmp_path: Path) -> None:
    path = write(tmp_path, "short.csv", "OPERTN_01,OPERTN_02,EPIKEY\nV44.4\nV44.4,V55.1\n")
    first, second = read(path, parser)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert (first.id, [c.value for c in first.codes(System.OPCS)]) == ("2", ["V44.4"])
    assert (second.id, [c.value for c in second.codes(System.OPCS)]) == ("3", ["V44.4", "V55.1"])


def test_blank_rows_are_skipped_and_reading_goes_on(parser: RecordParser, tmp_path: Path) -> None:
    path = write(tmp_path, "gaps.csv", "EPIKEY,OPERTN_01\ne1,V44.4\n,\n\ne2,V55.1\n")
    got = read(path, parser)
    assert [(r.id, r.line, r.source) for r in got] == [("e1", 2, str(path)), ("e2", 5, str(path))]


def test_tabular_codes_map_back_to_their_columns_in_both_sections(parser: RecordParser, tmp_path: Path) -> None:
    header = "EPIKEY,OPERTN_01,OPERTN_02,DIAG_01,DIAG_02"
    path = write(tmp_path, "map.csv", f"{header}\ne1,V44.4,V55.1,M80.0,C79.5\ne2,V44.4,V55.1,M80.0,C7X.5\n")
    good, bad = read(path, parser)
    assert isinstance(good, Record) and good.source == str(path)
    assert [(f.name, f.column) for f in good.fields] == [("OPERTN_01", 2), ("OPERTN_02", 3), ("DIAG_01", 4), ("DIAG_02", 5)]
    text = good.text()
    for field, code in zip(good.fields, ["V44.4", "V55.1", "M80.0", "C79.5"], strict=True):
        assert good.locate(field.offset + 1) == (field.column, field.name)
        assert text[len("e1: ") + field.offset :].startswith(code)
    assert isinstance(bad, Rejected) and (bad.id, bad.line, bad.source) == ("e2", 3, str(path))
    assert (bad.error.where, bad.error.column) == ("DIAG_02", 5)


def test_second_code_of_a_section_locates_its_own_field(parser: RecordParser, tmp_path: Path) -> None:
    path = write(tmp_path, "second.csv", "EPIKEY,OPERTN_01,OPERTN_02,OPERTN_03\ne1,V44.4,V5X.1,Y53.4\n")
    (bad,) = read(path, parser)
    assert isinstance(bad, Rejected) and (bad.error.where, bad.error.column) == ("OPERTN_02", 3)


def test_opdate_wins_over_admidate(parser: RecordParser, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "EPIKEY,ADMIDATE,OPERTN_01,OPDATE_01\ne1,2024-01-02,V44.4,2024-01-05\ne2,2024-01-02,V44.4,\n")
    first, second = read(path, parser)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert (first.date, second.date) == ("2024-01-05", "2024-01-02")


def test_bad_attribute_rejects_the_row_at_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, "sex.csv", "EPIKEY,SEX,OPERTN_01\ne1,7,V44.4\ne2,1,V44.4\n")
    records = json.loads(run("check", str(path), "--rules", "opcs4", "-f", "json").stdout)["records"]
    assert [(r["id"], r["source"], r["line"]) for r in records] == [("e1", str(path), 2), ("e2", str(path), 3)]
    error = records[0]["error"]
    assert (error["kind"], error["line"], error["column"], error["field"]) == ("attribute", 2, 0, "SEX")
    assert error["message"]
    assert records[1]["error"] is None


def test_unreadable_row_is_rejected_alone(parser: RecordParser, tmp_path: Path) -> None:
    huge = '"' + "V" * (csv.field_size_limit() + 10) + '"'
    path = write(tmp_path, "huge.csv", f"EPIKEY,OPERTN_01\ne1,V44.4\ne2,{huge}\ne3,V55.1\n")
    items = list(read_lines(str(path)))
    rejected = [i for i in items if isinstance(i, InputLine) and i.error is not None]
    (item,) = rejected
    assert (item.source, item.line, item.id, item.text) == (str(path), 3, "3", "")
    assert (item.error.label, item.error.line, item.error.column) == ("table-row", 3, 1)
    got = [to_record(i, parser) for i in items]
    assert [(r.id, type(r).__name__) for r in got] == [("e1", "Record"), ("3", "Rejected"), ("e3", "Record")]


def test_tsv_rows_are_read_with_tabs(parser: RecordParser, tmp_path: Path) -> None:
    path = write(tmp_path, "t.tsv", "EPIKEY\tOPERTN_01\tSEX\ne1\tV44.4\t2\n")
    (record,) = read(path, parser)
    assert isinstance(record, Record) and record.sex is Sex.FEMALE and record.fields[0].column == 2


# ------------------------------------------------------------------------ JSON Lines


def test_jsonl_skips_blank_and_comment_lines_and_goes_on() -> None:
    lines = ['{"id": "a", "opcs": ["V44.4"]}\n', "\n", "# a comment\n", '{"id": "b", "opcs": ["V55.1"]}\n']
    got = list(jsonl_lines(lines, "f.jsonl"))
    assert [(line.id, line.line, line.error) for line in got] == [("a", 1, None), ("b", 4, None)]


# ---------------------------------------------------------------------- progress


def test_read_position_gives_back_the_position_of_each_record_in_order(tmp_path: Path) -> None:
    first = write(tmp_path, "a.txt", "a: V44.4\nb: V55.1\n")
    second = write(tmp_path, "b.txt", "c: V44.4\n")
    position = ReadPosition([str(first), str(second)])
    assert position.total == first.stat().st_size + second.stat().st_size
    ids = []
    for path in (first, second):
        for item in position.track(read_lines(str(path), position=position)):
            ids.append(item.text.split(":")[0])  # type: ignore[union-attr]
    assert ids == ["a", "b", "c"]
    marks = [position.checked() for _ in ids]
    assert marks == sorted(marks) and marks[-1] >= first.stat().st_size
    assert position.checked() == position.total  # nothing left in flight: everything read
    assert ReadPosition(["-"]).total is None


# ------------------------------------------------------------------------- checker


def test_library_check_reads_lines_in_the_given_system_with_the_given_tables() -> None:
    from nicelogic import check
    from nicelogic.tables import TableConfig

    from .conftest import UK_ICD10

    (icd,) = check("G01*", ["icd10"], system="icd10")
    assert not icd.rejected and [(v.rule, v.section, v.positions) for v in icd.violations] == [
        ("icd.asterisk-not-primary", "icd10", (1,))
    ]
    (opcs,) = check("G01*", ["icd10"])  # an asterisk cannot end an OPCS-4 code
    assert opcs.rejected
    record = '{"icd10": ["M80.0"], "sex": "male", "age": 70}'
    assert [v.rule for r in check(record, ["icd10"]) for v in r.violations] == []
    uk = check(record, ["icd10"], tables=TableConfig(icd10_file=UK_ICD10))
    assert [(v.rule, v.positions) for r in uk for v in r.violations] == [("icd.sex-conflict", (1,))]


def test_unused_waiver_is_a_record_level_warning_of_the_engine() -> None:
    from nicelogic import Checker
    from nicelogic.checking.diagnostics import UNUSED_WAIVER

    result = Checker(["opcs4"]).check_record("u: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order", system="opcs")
    (v,) = result.violations
    assert (v.rule, v.severity, v.section, v.positions, v.codes, v.line, v.column) == (
        UNUSED_WAIVER.id, "warning", "", (), (), 1, 0,
    )  # fmt: skip
    assert (v.title, v.source) == (UNUSED_WAIVER.title, UNUSED_WAIVER.source) and v.title and v.source


def test_a_variant_program_is_checked_with_a_cache_of_its_own() -> None:
    from nicelogic import Checker

    checker = Checker(["opcs4"], explain=True)
    record = "v: opcs V44.4 V55.1 Y53.4 Z66.5"
    assert checker.check_record(record).violations == ()  # now cached for this program
    whole = 'violation("opcs.group-order", R, opcs, 0) :- record(R).'
    variant = checker.with_program(checker.ruleset.program + "\n" + whole + "\n")
    (v,) = variant.check_record(record).violations
    assert (v.rule, v.positions, v.codes, v.column) == ("opcs.group-order", (), (), 0)
    assert checker.check_record(record).violations == ()  # the original program is untouched
    # a violation of the record as a whole explains itself with the facts of every code
    assert v.explanation is not None
    for position in range(1, 5):
        assert any(f",opcs,{position}," in fact or fact.endswith(f",opcs,{position}).") for fact in v.explanation.facts)
    assert [blamed for _, _, _, blamed in v.explanation.codes] == [False] * 4


def test_explanation_lists_titles_rule_file_and_description(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nicelogic import Checker

    monkeypatch.chdir(tmp_path)  # the rule file is named from the repository, wherever the run is
    checker = Checker(["icd10"], explain=True)
    result = checker.check_record("G01* M80.0", system="icd10")
    (v,) = result.violations
    rule = checker.rules[v.rule]
    assert rule.description and v.explanation is not None
    assert v.explanation.rule_file == f"logic/{rule.file.parent.name}/{rule.file.name}:{rule.line}"
    assert v.explanation.description == rule.description
    assert [(p, code, blamed) for p, code, _, blamed in v.explanation.codes] == [(1, "G01*", True), (2, "M80.0", False)]
    assert all(title for _, _, title, _ in v.explanation.codes)
    assert all(",icd10,1," in fact or fact.endswith(",icd10,1).") for fact in v.explanation.facts)
    assert all(fact.startswith(fact.split("(")[0] + "(R,") for fact in v.explanation.facts)


def test_explanation_lines_mark_the_blamed_codes_and_list_the_facts() -> None:
    from nicelogic import Checker

    (v,) = Checker(["icd10"], explain=True).check_record("G01* M80.0", system="icd10").violations
    assert v.explanation is not None
    lines = v.explanation.lines()
    code_lines = [line for line in lines if line.split()[:2] in (["1", "G01*"], ["2", "M80.0"])]
    assert len(code_lines) == 2
    assert code_lines[0].endswith("<- blamed") and not code_lines[1].endswith("<- blamed")
    assert code_lines[1].rstrip() == code_lines[1]
    (facts,) = [line for line in lines if line.endswith(" ".join(v.explanation.facts))]
    assert len(v.explanation.facts) > 1 and " ".join(v.explanation.description.split()) in " ".join(lines)


# ------------------------------------------------------------ parsing, facts, completion


@pytest.mark.parametrize("word", ["V4X.4", "v4x.4", "M8", "m8"])
def test_a_bad_code_opening_a_line_is_a_code_error_not_a_missing_id(word: str, parser: RecordParser) -> None:
    from nicelogic.errors import RecordSyntaxIssue

    with pytest.raises(RecordSyntaxIssue) as caught:
        parser.parse(f"{word} V55.1")
    assert (caught.value.problem.label, caught.value.problem.column) == ("opcs-code", 1)


def test_record_facts_name_record_one_unless_told() -> None:
    from nicelogic.asp.facts import record_facts

    record = Record("x", ((System.OPCS, (parse_code("V44.4"),)),))
    assert record_facts(record).splitlines()[0] == "record(1)."
    assert 'code(1,opcs,1,"V44.4").' in record_facts(record).splitlines()
    assert record_facts(record, 7).splitlines()[0] == "record(7)."


def parse_code(text: str):  # type: ignore[no-untyped-def]
    (system, (code,)), *_ = RecordParser().parse(f"opcs {text}").sections
    return code


def test_produces_accepts_exactly_the_valid_completions() -> None:
    from nicelogic import Checker
    from nicelogic.complete import Completer

    completer = Completer(Checker(["opcs4", "nice.htg3"]))
    assert completer.produces("opcs V44.4", "opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0")
    assert not completer.produces("opcs V44.4", "opcs V44.4 V55.1 Y53.4 Z66.5")  # a prefix of a completion
    assert not completer.produces("opcs V44.4", "opcs V44.4 V55.1; icd M80.0")
    assert not completer.produces("opcs V44.4", "opcs V44.4 Y53.4 V55.1 Z66.5; icd M80.0")  # V55 not second
    assert not completer.produces("opcs V44.4", "opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0; cpt 22512")


def test_dates_fillers_and_day_first_dates(parser: RecordParser, tmp_path: Path) -> None:
    text = "EPIKEY,ADMIDATE,OPDATE_01,OPERTN_01\ne1,2024-01-02,-,V44.4\ne2,-,05/01/2024,V44.4\ne3,2024-01-02,2024-13-01,V44.4\n"
    first, second, third = read(write(tmp_path, "dates.csv", text), parser)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert (first.date, second.date) == ("2024-01-02", "2024-01-05")
    assert isinstance(third, Rejected)
    assert (third.error.label, third.error.column, third.error.where) == ("attribute", 0, "date") and third.error.message
    (fourth,) = read(write(tmp_path, "bad.csv", "EPIKEY,OPDATE_01,OPERTN_01\ne4,2024/01/05,V44.4\n"), parser)
    assert isinstance(fourth, Rejected) and (fourth.error.column, fourth.error.where) == (0, "date") and fourth.error.message


def test_a_line_that_is_not_json_is_rejected_alone() -> None:
    lines = ['{"id": "a", "opcs": ["V44.4"]}\n', '{"id": "b", "opcs": [\n', '{"id": "c", "opcs": ["V55.1"]}\n']
    first, bad, last = jsonl_lines(lines, "f.jsonl")
    assert (first.id, last.id) == ("a", "c") and first.error is None and last.error is None
    assert (bad.source, bad.line, bad.text, bad.id) == ("f.jsonl", 2, "", "2")
    assert bad.error is not None and (bad.error.label, bad.error.line) == ("json", 2) and bad.error.message


def test_a_report_iterates_over_its_records() -> None:
    from nicelogic import check

    report = check("a: opcs V44.4 V55.1\nb: opcs V4X.4\n", ["opcs4"])
    assert list(report) == list(report.records) and [r.id for r in report] == ["a", "b"] and len(report) == 2


def test_consequences_are_over_every_valid_completion_unless_minimal_is_asked() -> None:
    from nicelogic import Checker
    from nicelogic.complete import Completer

    completer = Completer(Checker(["opcs4"]))
    default, minimal = completer.consequences("opcs V44.4"), completer.consequences("opcs V44.4", minimal=True)
    assert (default.minimal, minimal.minimal) == (False, True)
    # the fewest codes to add: V55 in second place and nothing else
    assert set(minimal.may) < set(default.may) and len(minimal.must) > len(default.must)
    for found in (default, minimal):
        # a code's category is where its code is, in the answers of the same kind
        assert {(p.section, p.position, p.code[:3]) for p in found.may} == {
            (p.section, p.position, p.code) for p in found.may_categories
        }
        assert {(p.section, p.position, p.code[:3]) for p in found.must} <= {
            (p.section, p.position, p.code) for p in found.must_categories
        }


def test_cpt_line_items_keep_what_was_written_and_where(parser: RecordParser) -> None:
    parsed = parser.parse("c: cpt 22512-59x2 77003", System.OPCS)
    ((system, codes),) = parsed.sections
    assert system is System.CPT
    assert [(c.value, c.raw, c.column, c.modifiers, c.units) for c in codes] == [
        ("22512", "22512-59x2", 8, ("59",), 2),
        ("77003", "77003", 19, (), 1),
    ]


def test_warnings_alone_pass_unless_told_to_fail() -> None:
    from nicelogic import check
    from nicelogic.results import exit_code

    report = check("u: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order", ["opcs4"])
    summary = report.summary
    assert (summary.warnings, summary.invalid) == (1, 0)
    assert summary.ok() and exit_code(summary) == 0
    assert not summary.ok(fail_on_warning=True) and exit_code(summary, fail_on_warning=True) == 1


@pytest.mark.parametrize(
    ("age", "expected"), [(7001, 0), (7007, 0), (150, 150), (0, 0), (7000, None), (7008, None), (151, None), ("x", None)]
)
def test_ages_in_years_and_hes_codes_for_infants(age: object, expected: int | None) -> None:
    from nicelogic.input.jsonl import json_record

    line = json_record({"id": "a", "opcs": ["V44.4"], "age": age}, "f.jsonl", 3, json.dumps({"id": "a", "age": age}))
    if expected is not None:
        assert line.error is None and line.age == expected
    else:
        assert line.error is not None and (line.error.label, line.error.where, line.error.line) == ("json", "age", 3)
        assert line.error.column == len('{"id": "a", ') + 1 and line.error.message
        assert (line.source, line.id, line.text) == ("f.jsonl", "a", "")


def test_json_records_map_codes_back_to_their_keys(parser: RecordParser) -> None:
    from nicelogic.input.jsonl import json_line

    text = '{"id": 7, "icd10": "M80.0, C79.5", "opcs": ["V44.4", "V5X.1"]}'
    item = json_line(text, "f.jsonl", 2)
    assert item.id == "7" and item.text == "opcs V44.4 V5X.1; icd10 M80.0 C79.5"
    assert [(f.name, f.column) for f in item.fields] == [
        ("opcs[1]", text.index('"V44.4"') + 2), ("opcs[2]", text.index('"V5X.1"') + 2),
        ("icd10[1]", 0), ("icd10[2]", 0),
    ]  # fmt: skip
    rejected = to_record(item, parser)
    assert isinstance(rejected, Rejected) and (rejected.error.where, rejected.error.column) == (
        "opcs[2]",
        text.index('"V5X.1"') + 2,
    )
    not_object = json_line("[1, 2]", "f.jsonl", 4)
    assert (not_object.source, not_object.id, not_object.text) == ("f.jsonl", "4", "")
    assert not_object.error is not None and (not_object.error.label, not_object.error.line, not_object.error.column) == (
        "json",
        4,
        1,
    )
    unknown = json_line('{"opcs": ["V44.4"], "sexe": "m"}', "f.jsonl", 5)
    assert unknown.id == "5" and unknown.error is not None
    assert (unknown.error.where, unknown.error.column) == ("sexe", len('{"opcs": ["V44.4"], ') + 1)


def test_a_violation_of_a_whole_section_blames_no_code_and_its_code_title_is_empty(tmp_path: Path) -> None:
    """Position 0 blames the section: no code, no column, and ``{code_title}`` is empty (a
    blamed code's title is tested with every other template field in ``test_checker``)."""
    whole = one_rule_pack(
        tmp_path / "whole", 'violation("whole.rule", R, opcs, 0) :- section(R, opcs, N), N > 1.', "[{code_title}]"
    )
    (found,) = Checker([str(whole)]).check_record("ep1: opcs V44.4 V44.6").violations
    assert (found.rule, found.positions, found.codes, found.column, found.message) == ("whole.rule", (), (), 0, "[]")


def test_a_relation_rule_violation_names_its_table_row_and_an_unknown_code_notice_its_column() -> None:
    standards = Checker(["opcs4.standards"])
    (needs,) = standards.check_record("ep1: opcs A57.3").violations
    table = standards.ruleset.relations[needs.rule]
    assert needs.row is not None and "A57.3" in dict(table.row(needs.row).cells)["code"]
    assert needs.standard == table.row(needs.row).standard
    text = "a: cpt 22511 12345"
    (notice,) = [v for v in Checker(["ncci"]).check_record(text).violations if v.rule == "table.unknown-code"]
    assert (notice.positions, notice.codes, notice.column) == ((2,), ("12345",), text.index("12345") + 1)
