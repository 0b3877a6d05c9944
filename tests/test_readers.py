"""Input formats: every record comes back, checked or rejected with where and why."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from nicelogic.errors import InputError
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.jsonl import jsonl_lines
from nicelogic.input.read import detect_format, read_lines
from nicelogic.input.records import to_record
from nicelogic.input.tabular import table_lines
from nicelogic.input.text import text_lines
from nicelogic.model import Record, Sex, System

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def parser() -> RecordParser:
    return RecordParser()


def records(path: str, parser: RecordParser, **kwargs: object) -> list:
    return [to_record(line, parser) for line in read_lines(path, **kwargs)]  # type: ignore[arg-type]


def test_text_lines_skip_comments_and_blanks_and_number_the_rest() -> None:
    lines = list(text_lines(["# heading\n", "\n", "ep1: V44.4\n", "  # indented comment\n", "V44.6\n"], "f.txt"))
    assert [(line.line, line.text) for line in lines] == [(3, "ep1: V44.4"), (5, "V44.6")]


def test_text_record_without_id_takes_its_line_number(parser: RecordParser) -> None:
    record = to_record(list(text_lines(["\n", "V44.4 V55.1\n"], "f.txt"))[0], parser)
    assert record.id == "2" and record.line == 2


def test_a_text_line_keeps_its_last_character_and_reads_codes_in_the_default_section(parser: RecordParser) -> None:
    plain, dated = text_lines(["ep1: I10X\n", "ep2: A00.0 # patient: P10X # waive: icd10.x\r\n"], "f.txt", System.ICD10)
    first = to_record(plain, parser)
    assert isinstance(first, Record)
    assert [(c.system, c.raw) for c in first.codes(System.ICD10)] == [(System.ICD10, "I10X")]  # as written, X and all
    second = to_record(dated, parser)
    assert isinstance(second, Record)
    assert (second.source, second.line, second.id) == ("f.txt", 2, "ep2")
    assert [c.value for c in second.codes(System.ICD10)] == ["A00.0"] and second.codes(System.OPCS) == ()
    assert second.episode is not None and (second.episode.patient, second.episode.spell) == ("P10X", None)
    assert second.waivers == ("icd10.x",) and second.date is None  # a patient without a date


def test_a_text_line_with_a_bad_date_or_bytes_is_rejected_where_they_are_and_the_rest_read(parser: RecordParser) -> None:
    text = ["V44.4 # date: 2024-02-30\n", "ep2: V44.4 # date: soon\n", "\n", "é \udc81\n", "ep5: V55.1 # date: 20240301\n"]
    got = [to_record(line, parser) for line in text_lines(text, "f.txt", encoding="cp1252")]
    assert [(r.id, r.source, r.line) for r in got] == [
        ("1", "f.txt", 1),
        ("ep2", "f.txt", 2),
        ("4", "f.txt", 4),
        ("ep5", "f.txt", 5),
    ]
    bad_date, unreadable, encoded = got[0], got[1], got[2]
    assert isinstance(bad_date, Rejected) and isinstance(unreadable, Rejected) and isinstance(encoded, Rejected)
    assert [(r.error.line, r.error.column, r.error.label, r.error.where) for r in (bad_date, unreadable, encoded)] == [
        (1, 15, "attribute", "date"),  # the date's first character
        (2, 20, "attribute", "date"),
        (4, 3, "encoding", None),
    ]
    assert bad_date.error.message and unreadable.error.message
    assert "byte 3 of the line" in encoded.error.message  # é is one byte in cp1252 (two in UTF-8)
    assert isinstance(got[3], Record) and got[3].date == "2024-03-01"


def test_a_single_record_line_is_json_or_text_numbered_as_given() -> None:
    from nicelogic.input.text import line_item

    json_item = line_item('  {"id": "j1", "opcs": ["V44.4"]}  ', "<record>", 7)
    assert json_item is not None and (json_item.source, json_item.line, json_item.id) == ("<record>", 7, "j1")
    text_item = line_item("ep1: A00.0", "<record>", 3, System.ICD10)
    assert text_item is not None and (text_item.source, text_item.line, text_item.default_system) == ("<record>", 3, System.ICD10)
    assert line_item("# a comment", "<record>", 4) is None
    unreadable = line_item("ep1: V44.4 \udcff", "<record>", 2)  # a byte the command line could not decode
    assert unreadable is not None and unreadable.error is not None
    assert (unreadable.id, unreadable.line, unreadable.error.column, unreadable.error.label) == ("ep1", 2, 12, "encoding")


def test_hes_extract(parser: RecordParser) -> None:
    got = records(str(FIXTURES / "inputs" / "hes_extract.csv"), parser)
    assert [r.id for r in got] == ["100001", "100002", "100003", "100004", "100005", "100006"]
    first = got[0]
    assert [c.value for c in first.codes(System.OPCS)] == ["V44.4", "V55.1", "Y53.4", "Z66.5"]
    assert [c.value for c in first.codes(System.ICD10)] == ["M80.0"]  # "-" is a filler
    assert (first.sex, first.age, first.date) == (Sex.FEMALE, 81, "2024-03-02")
    assert first.locate(first.codes(System.OPCS)[1].column) == (6, "OPERTN_4_02")  # the spreadsheet column
    third = got[2]
    assert (third.age, third.date) == (0, "2024-03-06")  # HES 7002: under one year; YYYYMMDD
    bad_code = got[3]
    assert isinstance(bad_code, Rejected)
    assert (bad_code.error.line, bad_code.error.column, bad_code.error.where) == (5, 5, "OPERTN_4_01")
    bad_age = got[4]
    assert isinstance(bad_age, Rejected) and bad_age.error.where == "STARTAGE"
    no_procedures = got[5]
    assert no_procedures.codes(System.OPCS) == () and [c.value for c in no_procedures.codes(System.ICD10)] == ["R69"]


def test_full_code_columns_win_over_four_character_ones(parser: RecordParser) -> None:
    lines = ["EPIKEY,OPERTN_01,OPERTN_4_01,DIAG_01,DIAG_4_01\n", "e1,V44.4,V444,M80.08,M800\n"]
    record = to_record(next(table_lines(lines, "x.csv")), parser)
    assert [c.value for c in record.codes(System.ICD10)] == ["M80.08"]


def test_tsv_and_custom_id_column(parser: RecordParser, tmp_path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("SPELL\tOPERTN_01\tOPERTN_02\ns1\tV444\tV551\n", encoding="utf-8")
    got = records(str(path), parser, id_column="SPELL")
    assert got[0].id == "s1"
    with pytest.raises(InputError):
        records(str(path), parser, id_column="EPIKEY2")


def test_table_without_code_columns_is_an_input_error() -> None:
    with pytest.raises(InputError):
        list(table_lines(["a,b\n", "1,2\n"], "x.csv"))


def test_jsonl(parser: RecordParser) -> None:
    got = records(str(FIXTURES / "inputs" / "records.jsonl"), parser)
    assert len(got) == 7
    assert [c.value for c in got[0].codes(System.OPCS)] == ["V44.4", "V55.1", "Y53.4", "Z66.5"]
    assert (got[0].sex, got[0].age) == (Sex.FEMALE, 80)
    assert isinstance(got[2], Rejected) and got[2].error.where == "opcs[2]" and got[2].id == "j3"
    assert got[3].date == "2024-07-01" and len(got[3].codes(System.OPCS)) == 2
    assert isinstance(got[4], Rejected) and got[4].error.line == 5 and got[4].id == "5"
    assert isinstance(got[5], Rejected) and "icd9" in got[5].error.message
    assert [c.text() for c in got[6].codes(System.CPT)] == ["22511", "22512x2", "77003-59"]


def test_jsonl_codes_are_located_in_the_line(parser: RecordParser) -> None:
    got = records(str(FIXTURES / "inputs" / "records.jsonl"), parser)
    line = (FIXTURES / "inputs" / "records.jsonl").read_text().splitlines()[1]
    column, field = got[1].locate(got[1].codes(System.OPCS)[1].column)
    assert field == "opcs[2]" and line[column - 1 : column - 1 + 5] == "Y53.4"


def test_undecodable_bytes_reject_only_their_record(parser: RecordParser, tmp_path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"ep1: V44.4 V55.1\nep2: V44.4 \xff\xfe\nep3: V44.6 V55.2\n")
    got = records(str(path), parser)
    assert [type(r).__name__ for r in got] == ["Record", "Rejected", "Record"]
    assert got[1].id == "ep2" and got[1].error.column == 12


@pytest.mark.parametrize(
    ("path", "first", "expected"),
    [
        ("a.csv", None, "csv"),
        ("a.TSV", None, "tsv"),
        ("a.jsonl", None, "jsonl"),
        ("a.txt", None, "text"),
        ("-", '{"id": 1}', "jsonl"),
        ("-", "EPIKEY,OPERTN_01", "csv"),
        ("-", "EPIKEY\tOPERTN_01", "tsv"),
        ("-", "ep1: V44.4", "text"),
    ],
)
def test_detect_format(path: str, first: str | None, expected: str) -> None:
    assert detect_format(path, first) == expected


def test_missing_file_is_an_input_error() -> None:
    with pytest.raises(InputError):
        list(read_lines("/nonexistent/file.txt"))


def test_stdin(monkeypatch: pytest.MonkeyPatch, parser: RecordParser) -> None:
    data = io.BytesIO(b'{"id": "s1", "opcs": ["V44.4"]}\n')
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(data))
    got = records("-", parser)
    assert got[0].id == "s1" and got[0].source == "<stdin>"


# Every way a tabular or JSON record can be unreadable: the record comes back rejected with
# its line, field and reason, and the records around it are still read.


@pytest.mark.parametrize(
    ("row", "field", "kind"),
    [
        ("e2,V44.4,Q,70,2024-01-01", "SEX", "attribute"),
        ("e2,V44.4,1,seventy,2024-01-01", "STARTAGE", "attribute"),
        ("e2,V44.4,1,70,2024-13-01", "date", "attribute"),
        ("e2,V44.4,1,70,01.01.2024", "date", "attribute"),
        ("e2,V4X.4,1,70,2024-01-01", "OPERTN_01", "opcs"),
    ],
)
def test_a_bad_csv_row_is_rejected_with_its_field_and_the_rest_read(
    row: str, field: str, kind: str, parser: RecordParser
) -> None:
    header = "EPIKEY,OPERTN_01,SEX,STARTAGE,ADMIDATE"
    lines = [header, "e1,V44.4,1,70,2024-01-01", row, "e3,W37.1,2,71,2024-01-02"]
    got = [to_record(item, parser) for item in table_lines([line + "\n" for line in lines], "x.csv")]
    assert [r.id for r in got] == ["e1", "e2", "e3"]
    bad = got[1]
    assert isinstance(bad, Rejected) and not isinstance(got[0], Rejected) and not isinstance(got[2], Rejected)
    assert (bad.line, bad.error.line, bad.error.where) == (3, 3, field)
    assert kind == "opcs" or bad.error.label == kind


def test_a_csv_row_the_csv_module_cannot_read_is_rejected(parser: RecordParser) -> None:
    # a corrupt row: one cell longer than the csv module's field limit
    lines = ["EPIKEY,OPERTN_01\n", "e1,V44.4\n", "e2," + "V" * 200_000 + "\n", "e3,W37.1\n"]
    got = [to_record(item, parser) for item in table_lines(lines, "x.csv")]
    assert len(got) == 3
    assert isinstance(got[1], Rejected) and got[1].error.label == "table-row" and got[1].line == 3
    assert [r.id for r in got if not isinstance(r, Rejected)] == ["e1", "e3"]


@pytest.mark.parametrize(
    ("line", "field", "column"),
    [
        ('["not", "an", "object"]', None, 1),
        ('{"id": "j2", "opcs": "V44.4 V55.1", "icd10": 7}', "icd10", 37),
        ('{"id": "j2", "opcs": ["V44.4", 5]}', "opcs", 14),
        ('{"id": "j2", "opcs": ["V44.4"], "waive": [1]}', "waive", 33),
        ('{"id": "j2", "opcs": ["V44.4"], "sex": "Q"}', "sex", 33),
        ('{"id": "j2", "opcs": ["V44.4"], "age": -3}', "age", 33),
        ('{"id": "j2", "opcs": ["V44.4"], "date": "yesterday"}', "date", 33),
        ('{"id": "j2", "opcs": ["V44.4"], "colour": "red"}', "colour", 33),
        ('{"id": "j2", "opcs": ["V44.4"', None, 30),
    ],
)
def test_a_bad_json_line_is_rejected_with_its_key_and_the_rest_read(
    line: str, field: str | None, column: int, parser: RecordParser
) -> None:
    from nicelogic.input.jsonl import jsonl_lines

    lines = ['{"id": "j1", "opcs": ["V44.4", "V55.1"]}', line, '{"id": "j3", "opcs": ["W37.1"]}']
    got = [to_record(item, parser) for item in jsonl_lines(lines, "x.jsonl")]
    assert len(got) == 3 and not isinstance(got[0], Rejected) and not isinstance(got[2], Rejected)
    bad = got[1]
    assert isinstance(bad, Rejected) and bad.line == 2
    assert (bad.error.where, bad.error.column) == (field, column)


def test_an_undecodable_csv_cell_rejects_its_row_naming_the_column(parser: RecordParser, tmp_path) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(b"EPIKEY,OPERTN_01,OPERTN_02\ne1,V44.4,V55.1\ne2,V44.4,V5\xff.1\n\xfe3,W37.1\ne4,W37.1,,\xff\ne5,W37.1\n")
    got = records(str(path), parser)
    # the bad cell's record keeps its id; a bad id cell gives way to the line number
    assert [r.id for r in got] == ["e1", "e2", "4", "e4", "e5"]
    assert [isinstance(r, Rejected) for r in got] == [False, True, True, True, False]
    found = [(r.source, r.line, r.error.line, r.error.column, r.error.where, r.error.label) for r in got[1:4]]
    assert found == [
        (str(path), 3, 3, 3, "OPERTN_02", "encoding"),
        (str(path), 4, 4, 1, "EPIKEY", "encoding"),
        (str(path), 5, 5, 4, "column 4", "encoding"),  # a cell past the header is named by its number
    ]


def test_a_quote_left_open_rejects_the_lines_it_swallows_and_reads_on(parser: RecordParser) -> None:
    lines = ["EPIKEY,OPERTN_01\n", "e1,V44.4\n", 'e2,"V44.4\n', "e3,W37.1\n", 'e4,W37.1"\n', "e5,W37.1\n"]
    got = [to_record(item, parser) for item in table_lines(lines, "x.csv")]
    assert [r.id for r in got] == ["e1", "3", "e5"]
    bad = got[1]
    assert isinstance(bad, Rejected) and bad.source == "x.csv"
    assert (bad.line, bad.error.line, bad.error.column, bad.error.label) == (3, 3, 1, "table-row")
    assert (got[2].line, got[2].source) == (6, "x.csv")


def test_a_full_code_column_before_its_four_character_twin_still_wins(parser: RecordParser) -> None:
    lines = ["EPIKEY,DIAG_01,DIAG_4_01,OPERTN_01\n", "e1,M80.08,M800,V44.4\n"]
    record = to_record(next(table_lines(lines, "x.csv")), parser)
    assert [c.value for c in record.codes(System.ICD10)] == ["M80.08"]
    assert record.locate(record.codes(System.ICD10)[0].column) == (2, "DIAG_01")


def test_an_extract_without_an_epikey_column_numbers_its_records_by_line(parser: RecordParser) -> None:
    lines = ["OPERTN_01,epikey2\n", "V44.4,x\n", "W37.1,y\n"]
    assert [r.id for r in (to_record(item, parser) for item in table_lines(lines, "x.csv"))] == ["2", "3"]


def test_every_jsonl_code_is_located_in_its_line_even_when_repeated(parser: RecordParser) -> None:
    from nicelogic.input.jsonl import jsonl_lines

    line = '{"id": "j1", "icd10": ["M80.0", "M80.0"], "opcs": ["V44.4", "V55.1", "V44.4"], "waive": "opcs.a, nice.b"}'
    record = to_record(next(jsonl_lines([line], "x.jsonl")), parser)
    assert not isinstance(record, Rejected) and record.waivers == ("opcs.a", "nice.b")
    for system, key in ((System.OPCS, "opcs"), (System.ICD10, "icd10")):
        codes = record.codes(system)
        located = [record.locate(code.column) for code in codes]
        assert [field for _, field in located] == [f"{key}[{n}]" for n in range(1, len(codes) + 1)]
        assert [line[column - 1 : column - 1 + 5] for column, _ in located] == [c.value for c in codes]
        # a repeated code points at its own place, after the first
        assert len({column for column, _ in located}) == len(codes)
        assert all(line.rfind(f'"{key}"') < column for column, _ in located)


def test_undecodable_or_escaped_surrogates_reject_a_json_line(parser: RecordParser, tmp_path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(
        b'{"id": "j1", "opcs": ["V44.4"]}\n{"id": "j2", "opcs": ["V\xff4.4"]}\n{"id": "j3", "opcs": ["\\udc80"]}\n'
        b'{"id": "j4", "opcs": ["V44.4"]}\n'
    )
    got = records(str(path), parser)
    assert [isinstance(r, Rejected) for r in got] == [False, True, True, False]
    assert [(r.id, r.source, r.line, r.error.line, r.error.column, r.error.label) for r in got[1:3]] == [
        ("2", str(path), 2, 2, 25, "json"),  # the undecodable byte's column
        ("3", str(path), 3, 3, 0, "json"),  # an escape: no column to point at
    ]


def test_an_arrow_batch_is_read_as_its_csv_or_json_lines_file_would_be(tmp_path: Path) -> None:
    """The rows Spark or DuckDB hand over as Arrow, read in this process (the Spark tests read
    them in executor processes, where mutation testing cannot see)."""
    import dataclasses
    import datetime
    import json

    import pyarrow as pa

    from nicelogic.errors import InputError
    from nicelogic.input.arrow import batch_items, is_hes, json_value
    from nicelogic.input.read import read_inputs

    hes = tmp_path / "e.csv"
    hes.write_text(
        "EPIKEY,OPERTN_01,OPERTN_02,DIAG_01,SEX,EPIEND,NOTE\n7,W37.1,Z94.1,M16.0,1,2024-03-01,x\n8,V44.4,,M80.0,2,,y\n"
    )
    table = pa.table(
        {
            "EPIKEY": pa.array([7, 8]),
            "OPERTN_01": ["W37.1", "V44.4"],
            "OPERTN_02": ["Z94.1", None],
            "DIAG_01": pa.array(["M16.0", "M80.0"]).dictionary_encode(),
            "SEX": ["1", "2"],
            "EPIEND": pa.array([datetime.date(2024, 3, 1), None], pa.date32()),
            "NOTE": ["x", "y"],
        }
    )
    expected = [item.input_line() for item in read_inputs([str(hes)], id_column="EPIKEY")]  # type: ignore[union-attr]
    items = batch_items(table, [2, 3], str(hes), id_column="EPIKEY")  # the rows' lines of the file
    assert [item.input_line() for item in items] == expected  # type: ignore[union-attr]
    assert [line.id for line in expected] == ["7", "8"] and expected[0].sex is not None

    jsonl = tmp_path / "e.jsonl"
    records = [
        {"id": "a", "opcs": ["W37.1", "Z94.1"], "icd10": ["M16.0"], "sex": "female", "age": 70, "date": "2024-03-01"},
        {"id": "b", "opcs": ["V44.4"], "icd10": [], "sex": None, "age": None, "date": None},
    ]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
    fields = pa.table(
        {
            "ID": ["a", "b"],
            "opcs": [["W37.1", "Z94.1"], ["V44.4"]],
            "Icd10": [["M16.0"], []],
            "sex": ["female", None],
            "age": [70, None],
            "date": pa.array([datetime.datetime(2024, 3, 1, 10, 30), None], pa.timestamp("s")),
            "ignored": [1, 2],
        }
    )
    from_file = [  # a batch has no line of text to point into: its codes' columns are 0
        dataclasses.replace(item, fields=tuple(dataclasses.replace(f, column=0) for f in item.fields))  # type: ignore[union-attr]
        for item in read_inputs([str(jsonl)])
    ]
    assert batch_items(fields, [1, 2], str(jsonl)) == from_file
    assert from_file[0].sex is not None and from_file[0].date == "2024-03-01" and from_file[1].age is None  # type: ignore[union-attr]
    assert not is_hes(fields.schema.names) and is_hes(table.schema.names)
    assert is_hes(["opertn_01", "opcs"]) and is_hes(["EPIKEY", " diag_4_01 "]) and not is_hes(["id", " ICD10 "])
    assert [json_value(datetime.date(2024, 3, 1)), json_value(datetime.datetime(2024, 3, 1, 23, 59)), json_value(3)] == [
        "2024-03-01",
        "2024-03-01",
        3,
    ]
    with pytest.raises(InputError, match="EPIKEY, NOTE"):
        is_hes(["EPIKEY", "NOTE"])


def test_an_arrow_batch_reads_its_own_id_column_and_renamed_episode_columns(tmp_path: Path) -> None:
    import dataclasses

    import pyarrow as pa

    from nicelogic.input.arrow import batch_items
    from nicelogic.input.episodes import EpisodeColumns
    from nicelogic.input.read import read_inputs

    renamed = EpisodeColumns.parse(["ended=FINISHED", "patient=PERSON"])
    hes = tmp_path / "e.csv"
    hes.write_text("MYID,PERSON,FINISHED,OPERTN_01\nk1,p1,2024-03-01,W37.1\n")
    table = pa.table({"MYID": ["k1"], "PERSON": ["p1"], "FINISHED": ["2024-03-01"], "OPERTN_01": ["W37.1"]})
    from_file = [i.input_line() for i in read_inputs([str(hes)], id_column="MYID", episode_columns=renamed)]  # type: ignore[union-attr]
    items = batch_items(table, [2], str(hes), id_column="MYID", episode_columns=renamed)
    assert [item.input_line() for item in items] == from_file  # type: ignore[union-attr]
    assert from_file[0].id == "k1" and from_file[0].episode is not None and from_file[0].episode.ended == "2024-03-01"

    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text('{"id": "a", "opcs": ["W37.1"], "PERSON": "p1", "FINISHED": "2024-03-01", "EPIORDER": "2"}\n')
    fields = pa.table({"id": ["a"], "opcs": [["W37.1"]], "PERSON": ["p1"], "FINISHED": ["2024-03-01"], "EPIORDER": ["2"]})
    expected = [
        dataclasses.replace(item, fields=tuple(dataclasses.replace(f, column=0) for f in item.fields))  # type: ignore[union-attr]
        for item in read_inputs([str(jsonl)], episode_columns=renamed)
    ]
    assert batch_items(fields, [1], str(jsonl), episode_columns=renamed) == expected
    episode = expected[0].episode  # type: ignore[union-attr]
    assert episode is not None and (episode.patient, episode.ended, episode.order) == ("p1", "2024-03-01", 2)


@pytest.mark.parametrize(
    ("text", "encoding", "column", "message"),
    [
        ("ep1: \udc80", "utf-8", 6, "byte 0x80 (byte 6 of the line) is not UTF-8"),  # the lowest escaped byte
        ("ab\udcff", "latin-1", 3, "byte 0xFF (byte 3 of the line) is not text in latin-1"),  # the highest
        ("é\udcff", "utf-8", 2, "byte 0xFF (byte 3 of the line)"),  # the column counts characters, the offset bytes
        ("x\ud800", "utf-8", 2, "a lone surrogate (\\ud800) is not text"),  # the ends of the surrogates: not bytes
        ("xy\udfff", "utf-8", 3, "a lone surrogate (\\udfff) is not text"),
        ("\udc7f", "utf-8", 1, "a lone surrogate (\\udc7f) is not text"),  # just below the escaped bytes
    ],
)
def test_undecodable_names_the_column_and_the_byte_or_surrogate(text: str, encoding: str, column: int, message: str) -> None:
    from nicelogic.input.items import undecodable

    found = undecodable(text, encoding)
    assert found is not None and found[0] == column and found[1].startswith(message)
    assert undecodable("ep1: opcs V44.4", encoding) is None


def test_an_arrow_batch_with_more_rows_than_line_numbers_is_refused_not_cut_short() -> None:
    """Every row of a batch becomes an item: a caller that gives fewer line numbers than rows
    (or more) gets an error, never a shorter list with rows silently left out."""
    import pyarrow as pa

    from nicelogic.input.arrow import batch_items

    hes = pa.table({"EPIKEY": ["7", "8"], "OPERTN_01": ["W37.1", "V44.4"]})
    fields = pa.table({"id": ["a", "b"], "opcs": [["W37.1"], ["V44.4"]]})
    for batch in (hes, fields):
        assert len(batch_items(batch, [1, 2], "x.parquet", id_column="EPIKEY")) == 2
        for lines in ([1], [1, 2, 3]):
            with pytest.raises(ValueError):
                batch_items(batch, lines, "x.parquet", id_column="EPIKEY")


def test_an_arrow_batch_of_json_fields_reads_the_short_episode_names_in_lower_case(tmp_path: Path) -> None:
    import dataclasses
    import json

    import pyarrow as pa

    from nicelogic.input.arrow import batch_items
    from nicelogic.input.read import read_inputs

    record = {"id": "a", "opcs": ["W37.1"], "patient": "p1", "spell": "s1", "episode": "2", "episode_end": "2024-03-01"}
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text(json.dumps(record) + "\n")
    batch = pa.table({key: [value] for key, value in record.items()})
    expected = [
        dataclasses.replace(item, fields=tuple(dataclasses.replace(f, column=0) for f in item.fields))  # type: ignore[union-attr]
        for item in read_inputs([str(jsonl)])
    ]
    items = batch_items(batch, [1], str(jsonl))
    assert items == expected
    episode = items[0].episode  # type: ignore[union-attr]
    assert episode is not None
    assert (episode.patient, episode.spell, episode.episode, episode.ended) == ("p1", "s1", "2", "2024-03-01")


# Parquet extracts, as `nicelogic check FILE.parquet` reads them: row by row, typed cells as
# the text a CSV cell would hold, numbered from 1, only the columns a record needs loaded.


def _parquet(tmp_path: Path, columns: dict[str, object], name: str = "e.parquet", **options: object) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / name
    pq.write_table(pa.table(columns), path, **options)  # type: ignore[arg-type]
    return str(path)


def test_a_parquet_extract_is_read_as_its_csv_file_would_be(parser: RecordParser, tmp_path: Path) -> None:
    import datetime

    import pyarrow as pa

    from nicelogic.input.episodes import EpisodeColumns

    day = datetime.datetime(2024, 3, 2, 13, 45)
    path = _parquet(
        tmp_path,
        {
            "REF": ["a1", "a2", "a3"],
            "EPIKEY": ["k1", "k2", "k3"],  # not the id column asked for
            "PERSON": ["p1", "p2", "p3"],  # the patient, as renamed
            "SEX": pa.array([2, 1, 1]),
            "STARTAGE": pa.array([81, 40, 50]),
            "ADMIDATE": pa.array([day, None, day], pa.timestamp("us")),  # a timestamp: its day
            "OPERTN_4_01": pa.array(["V444", "V4X4", "Y534"]).dictionary_encode(),
            "OPERTN_4_02": ["V551", None, "V444"],
            "NOTES": pa.array([[1], [2, 3], []]),  # a nested column no record reads: never loaded
        },
    )
    csv_file = tmp_path / "e.csv"
    csv_file.write_text(
        "REF,EPIKEY,PERSON,SEX,STARTAGE,ADMIDATE,OPERTN_4_01,OPERTN_4_02\n"
        "a1,k1,p1,2,81,2024-03-02,V444,V551\na2,k2,p2,1,40,,V4X4,\na3,k3,p3,1,50,2024-03-02,Y534,V444\n"
    )
    columns = EpisodeColumns.parse(["patient=PERSON"])
    got = records(path, parser, id_column="REF", episode_columns=columns)
    assert [(r.id, r.source, r.line) for r in got] == [("a1", path, 1), ("a2", path, 2), ("a3", path, 3)]
    first = got[0]
    assert [c.value for c in first.codes(System.OPCS)] == ["V44.4", "V55.1"]
    assert (first.sex, first.age, first.date) == (Sex.FEMALE, 81, "2024-03-02")
    assert first.episode is not None and first.episode.patient == "p1"
    assert first.locate(first.codes(System.OPCS)[1].column) == (8, "OPERTN_4_02")  # the column in the file
    bad = got[1]
    assert isinstance(bad, Rejected)
    assert (bad.error.line, bad.error.column, bad.error.where) == (2, 7, "OPERTN_4_01")
    assert [c.value for c in got[2].codes(System.OPCS)] == ["Y53.4", "V44.4"]
    as_csv = records(str(csv_file), parser, id_column="REF", episode_columns=columns)
    assert [r.id for r in as_csv] == [r.id for r in got]
    assert [(r.sex, r.age, r.date, r.episode, r.sections) for r in (as_csv[0], as_csv[2])] == [
        (r.sex, r.age, r.date, r.episode, r.sections) for r in (got[0], got[2])
    ]


def test_a_parquet_extract_carries_the_columns_asked_for_beside_its_rows(tmp_path: Path) -> None:
    from nicelogic.input.carry import CarrySpec
    from nicelogic.research.batches import AttributeTap

    path = _parquet(
        tmp_path,
        {"EPIKEY": ["1", "2"], "OPERTN_01": ["V44.4", "W37.1"], "PROCODE3": ["RA1", None], "ICB": ["Q1", "Q2"], "X": ["a", "b"]},
    )
    spec = CarrySpec(("icb",))
    tap = AttributeTap(spec)
    got = [dict(zip(tap.names, tap.attributes(row).values, strict=True)) for row in read_lines(path, carried=spec.keys())]
    assert [(values["provider"], values["icb"]) for values in got] == [("RA1", "Q1"), (None, "Q2")]


def test_parquet_rows_are_numbered_on_across_batches(tmp_path: Path) -> None:
    from nicelogic.input.parquet import parquet_batches, parquet_rows

    path = _parquet(tmp_path, {"EPIKEY": ["a", "b", "c", "d", "e"], "OPERTN_01": ["V44.4"] * 5})
    assert [batch.num_rows for batch in parquet_batches(path, batch_size=2)] == [2, 2, 1]
    rows = list(parquet_rows(path, batch_size=2))
    assert [(row.line, row.input_line().id) for row in rows] == [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e")]
    # read a row group at a time: a batch never spans two groups, and the rows stay in order
    grouped = _parquet(tmp_path, {"EPIKEY": list("abcdefg"), "OPERTN_01": ["V44.4"] * 7}, "g.parquet", row_group_size=3)
    assert [batch.num_rows for batch in parquet_batches(grouped, batch_size=2)] == [2, 1, 2, 1, 1]
    assert [row.input_line().id for row in parquet_rows(grouped, batch_size=2)] == list("abcdefg")


def test_a_parquet_file_that_breaks_off_gives_its_rows_then_an_error_after_the_last(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from nicelogic.input.parquet import parquet_rows

    path = _parquet(tmp_path, {"EPIKEY": [f"e{n}" for n in range(6)], "OPERTN_01": ["V44.4"] * 6}, row_group_size=2)
    chunk = pq.ParquetFile(path).metadata.row_group(2).column(1)  # the third group's codes
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(Path(path).read_bytes())
    data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    Path(path).write_bytes(data)
    lines = []
    with pytest.raises(InputError) as raised:
        for row in parquet_rows(path, batch_size=2):
            lines.append(row.line)
    assert lines == [1, 2, 3, 4]
    assert path in str(raised.value) and re.search(r"\brow 4\b", str(raised.value))  # the file, and the last row read


def test_a_file_that_is_not_parquet_or_lacks_its_columns_is_an_input_error_naming_it(tmp_path: Path) -> None:
    from nicelogic.input.parquet import parquet_batches

    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"EPIKEY,OPERTN_01\n1,V44.4\n")
    no_codes = _parquet(tmp_path, {"EPIKEY": ["1"], "SEX": ["1"]}, name="no_codes.parquet")
    for path in (str(tmp_path / "missing.parquet"), str(garbage), no_codes):
        with pytest.raises(InputError) as raised:
            list(read_lines(path))
        assert path in str(raised.value)
    with_codes = _parquet(tmp_path, {"EPIKEY": ["1"], "OPERTN_01": ["V44.4"]}, name="codes.parquet")
    with pytest.raises(InputError):  # an id column the file lacks: refused before a batch is read
        next(parquet_batches(with_codes, id_column="REF"))


def test_reading_parquet_without_pyarrow_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _parquet(tmp_path, {"EPIKEY": ["1"], "OPERTN_01": ["V44.4"]})
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as when the research extra is not installed
    with pytest.raises(InputError) as raised:
        list(read_lines(path))
    assert "nicelogic[research]" in str(raised.value)


# Which reader a file gets, how an input is opened, and how far through the inputs a run is.


@pytest.mark.parametrize(
    ("path", "first_line", "expected"),
    [
        ("a.CSV", None, "csv"), ("a.tsv", None, "tsv"), ("a.Tab", None, "tsv"), ("a.jsonl", None, "jsonl"),
        ("a.NDJSON", None, "jsonl"), ("a.parquet", None, "parquet"), ("a.pq", None, "parquet"), ("a.txt", None, "text"),
        ("a.csv", '{"id": "e1"}', "csv"),  # a file's name decides, not its first line
        ("a.txt", "EPIKEY,OPERTN_4_01", "text"),
        ("-", '\ufeff  {"id": "e1"}', "jsonl"), ("-", "EPIKEY,OPERTN_4_01", "csv"), ("-", "EPIKEY\tOPERTN_4_01", "tsv"),
        ("-", "ref,diag_4_01", "csv"), ("-", "opertn_4_01\tsex", "tsv"), ("-", "epikey", "csv"),
        ("-", "ep1: V44.4", "text"), ("-", None, "text"),
    ],
)  # fmt: skip
def test_the_format_is_told_by_the_name_or_by_the_first_line_of_standard_input(
    path: str, first_line: str | None, expected: str
) -> None:
    assert detect_format(path, first_line) == expected


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("from_stdin", [True, False])
def test_an_input_is_opened_in_its_encoding_keeping_line_ends_and_bytes_it_cannot_read(
    from_stdin: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nicelogic.input.read import open_input

    data = b"\xef\xbb\xbfep1: V44.4\r\nep2: V\xff\n"
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    _stdin(monkeypatch, data)
    name = "-" if from_stdin else str(path)
    with open_input(name) as handle:  # UTF-8 by default: the byte order mark is not text
        assert handle.read() == "ep1: V44.4\r\nep2: V\udcff\n"
    _stdin(monkeypatch, data)
    with open_input(name, "latin-1") as handle:
        assert handle.read() == "\xef\xbb\xbfep1: V44.4\r\nep2: V\xff\n"
    _stdin(monkeypatch, data)
    with open_input(name, "UTF8") as handle:
        assert handle.read().startswith("ep1")


def test_an_input_that_cannot_be_opened_is_an_input_error_naming_it(tmp_path: Path) -> None:
    from nicelogic.input.read import open_input

    for missing in (tmp_path / "absent.txt", tmp_path):
        with pytest.raises(InputError, match=re.escape(f"cannot read {missing}: ")):
            open_input(str(missing))


def test_the_position_read_is_given_back_record_by_record_as_results_come_out(tmp_path: Path) -> None:
    """Reading runs ahead of checking: each record's position is noted as it is read (at
    the granularity of the file's read buffer) and given back, in order, as its result
    comes out; the files read to the end count whole."""
    from nicelogic.input.read import ReadPosition, open_input

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("".join(f"ep{n:05d}: V44.4\n" for n in range(3000)))  # 45,000 bytes: several buffers
    second.write_text("ep3: V44.4\n")
    position = ReadPosition([str(first), str(second)])
    assert position.total == 45_011 and position.checked() == 0
    with open_input(str(first)) as handle:
        position.started(handle)
        assert len(list(position.track(iter(handle.readline, "")))) == 3000
    position.finished(str(first))
    marks = [position.checked() for _ in range(3000)]
    assert marks == sorted(marks) and 0 < marks[0] < marks[-1] <= 45_000 and len(set(marks)) > 3
    assert position.checked() == 45_000  # nothing waits: where reading is
    with open_input(str(second)) as handle:
        position.started(handle)
        assert list(position.track(iter(handle.readline, ""))) == ["ep3: V44.4\n"]
        assert position.checked() == 45_011
        assert position.checked() == 45_011  # a file being read: its handle's position
    position.finished(str(second))
    assert position.checked() == 45_011
    assert ReadPosition([str(first), "-"]).total is None and ReadPosition([str(tmp_path)]).total is None
    assert ReadPosition([]).total == 0


def test_inputs_of_every_format_are_read_in_order_with_the_position_through_them(
    parser: RecordParser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nicelogic.input.read import ReadPosition, read_inputs

    text, table, parquet = tmp_path / "a.txt", tmp_path / "b.csv", tmp_path / "c.parquet"
    text.write_text("ep1: V44.4\n", encoding="latin-1")
    table.write_text("EPIKEY,OPERTN_4_01\nep2,V444\n")
    pq.write_table(pa.table({"EPIKEY": ["ep3"], "OPERTN_4_01": ["V444"]}), parquet)
    paths = [str(text), str(table), str(parquet)]
    position = ReadPosition(paths)
    read = [to_record(item, parser) for item in read_inputs(paths, position=position, encoding="latin-1")]
    assert [(r.id, r.source) for r in read] == [("ep1", str(text)), ("ep2", str(table)), ("ep3", str(parquet))]
    sizes = [Path(path).stat().st_size for path in paths]
    marks = [position.checked() for _ in read]  # a Parquet file counts once read to the end
    assert marks == [sizes[0], sizes[0] + sizes[1], sizes[0] + sizes[1]]
    assert position.total == sum(sizes) == position.checked()

    _stdin(monkeypatch, b"ep4: V44.4\n")
    assert [(r.id, r.source) for r in (to_record(item, parser) for item in read_inputs(["-"]))] == [("ep4", "<stdin>")]
    _stdin(monkeypatch, b"EPIKEY\tOPERTN_4_01\nep5\tV444\n")
    assert [to_record(item, parser).id for item in read_inputs(["-"])] == ["ep5"]  # told by its first line
    with pytest.raises(InputError, match="Parquet cannot be read from standard input"):
        list(read_inputs(["-"], "parquet"))
    with pytest.raises(InputError, match=r"unknown input format 'xml' \(expected one of auto, text, csv"):
        list(read_inputs([str(text)], "xml"))
    with pytest.raises(ValueError, match="unknown encoding .no-such-codec."):
        read_inputs([str(text)], encoding="no-such-codec")  # at once, before any file is read


def test_csv_rows_text_lines_and_json_texts_become_the_batches_the_columnar_kernel_reads(tmp_path: Path) -> None:
    from nicelogic.input.arrow import (
        JSON_TEXT_COLUMN,
        TEXT_COLUMN,
        fits_columns,
        json_texts_batch,
        table_rows_batch,
        text_lines_batch,
    )
    from nicelogic.input.tabular import TableRow

    extract = tmp_path / "e.csv"
    extract.write_bytes(b"EPIKEY,OPERTN_01,OPERTN_02\n1,V444,V551\n2,W381,\n3,V44\xff,V551\n4,V444\n")
    rows = [row for row in read_lines(str(extract)) if isinstance(row, TableRow)]
    assert [row.line for row in rows] == [2, 3, 4, 5]
    # a cell for each column, all text: read from columns; a byte UTF-8 cannot read, or a short row: not
    assert [fits_columns(row) for row in rows] == [True, True, False, False]
    batch = table_rows_batch(rows[:2])
    assert batch.schema.names == ["EPIKEY", "OPERTN_01", "OPERTN_02"]
    assert batch.to_pydict() == {"EPIKEY": ["1", "2"], "OPERTN_01": ["V444", "W381"], "OPERTN_02": ["V551", ""]}
    assert all(str(field.type) == "string" for field in batch.schema)

    text = tmp_path / "e.txt"
    text.write_text("a: opcs V44.4 V55.1\nb: icd M80.0\n", encoding="utf-8")
    lines = [line for line in read_lines(str(text)) if isinstance(line, InputLine)]
    texts = text_lines_batch(lines)
    assert texts.schema.names == [TEXT_COLUMN]
    assert texts.column(0).to_pylist() == ["a: opcs V44.4 V55.1", "b: icd M80.0"]
    records = ['{"id": "a", "opcs": ["V44.4"]}', '{"id": "b"}']
    assert json_texts_batch(records).schema.names == [JSON_TEXT_COLUMN]
    assert json_texts_batch(records).column(0).to_pylist() == records
    # text columns even when empty (Arrow would make a column of nothing null-typed)
    assert [str(b.schema.field(0).type) for b in (text_lines_batch([]), json_texts_batch([]))] == ["string", "string"]


@pytest.mark.parametrize("given_id", ["ep7", None])
def test_a_section_may_hold_max_codes_and_one_more_rejects_the_record_at_that_code(
    parser: RecordParser, given_id: str | None
) -> None:
    """The limit is inclusive; past it the record is rejected as too long, blamed at the
    first code over the limit, with its own id, line and source (the line number when the
    record has no id)."""
    prefix = f"{given_id}: " if given_id else ""
    three = to_record(InputLine("in.txt", 4, prefix + "opcs A01.1 A02.1 A03.1"), parser, max_codes=3)
    assert isinstance(three, Record) and len(three.codes(System.OPCS)) == 3
    text = prefix + "opcs A01.1 A02.1 A03.1 A04.1"
    four = to_record(InputLine("in.txt", 4, text), parser, max_codes=3)
    assert isinstance(four, Rejected)
    assert (four.id, four.line, four.source) == (given_id or "4", 4, "in.txt")
    problem = four.error
    assert (problem.label, problem.line, problem.column) == ("too-long", 4, text.index("A04.1") + 1)
    assert problem.message == "the opcs section holds 4 codes, more than the limit of 3 (--max-codes)"


def test_a_json_record_over_max_codes_is_blamed_at_the_key_of_the_first_code_past_the_limit() -> None:
    line = '{"id": "j1", "opcs": ["A01.1", "A02.1", "A03.1", "A04.1"]}'
    (item,) = jsonl_lines([line], "in.jsonl")
    rejected = to_record(item, RecordParser(), max_codes=3)
    assert isinstance(rejected, Rejected) and rejected.id == "j1"
    problem = rejected.error
    assert (problem.label, problem.where, problem.line, problem.column) == ("too-long", "opcs[4]", 1, line.index("A04.1") + 1)
    assert problem.message == "the opcs section holds 4 codes, more than the limit of 3 (--max-codes)"
