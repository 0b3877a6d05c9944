"""Patients, spells and episodes read beside the codes (issue 15, part 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nicelogic.errors import UsageError
from nicelogic.input.episodes import DEFAULT_COLUMNS, EpisodeColumns
from nicelogic.input.items import InputLine
from nicelogic.input.read import read_inputs
from nicelogic.input.text import text_lines
from nicelogic.model import Episode

from .test_cli import run


def lines(path: Path, fmt: str = "auto", columns: EpisodeColumns = DEFAULT_COLUMNS) -> list[InputLine]:
    found = []
    for item in read_inputs([str(path)], fmt, episode_columns=columns):
        found.append(item.input_line() if not isinstance(item, InputLine) else item)
    return found


def test_hes_names_are_read_by_default_and_any_can_be_renamed(tmp_path: Path) -> None:
    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,PSEUDO_HESID,SUSSPELLID,EPIORDER,ADMIDATE,EPISTART,EPIEND,DISDATE,DISMETH,EPISTAT,PROCODE3,MYSEX,DIAG_4_01\n"
        "e1,P1,S1,01,2020-01-01,2020-01-01,2020-01-03,2020-01-04,4,3,RX1,1,I10X\n"
        "e2,P1,-1,02,2020-01-01,20200103,,,,3,RX1,1,I10X\n",
        encoding="utf-8",
    )
    first, second = lines(extract)
    assert first.episode == Episode("P1", "e1", "S1", 1, "2020-01-01", "2020-01-01", "2020-01-03", "2020-01-04", "4", "3", "RX1")
    # SUSSPELLID -1 is HES's "unspellable": no spell; fillers are no value
    assert second.episode is not None and second.episode.spell is None and second.episode.started == "2020-01-03"
    renamed = tmp_path / "other.csv"
    renamed.write_text("EPIKEY,PERSON,END,DIAG_01\ne1,P9,2001-09-27,I849\n", encoding="utf-8")
    (line,) = lines(renamed, columns=EpisodeColumns.parse(["patient=PERSON", "ended=END"]))
    assert line.episode is not None and (line.episode.patient, line.episode.ended) == ("P9", "2001-09-27")
    with pytest.raises(UsageError):
        EpisodeColumns.parse(["nonsense=X"])


def test_an_unparseable_date_is_a_rejection_naming_row_and_field(tmp_path: Path) -> None:
    extract = tmp_path / "hes.csv"
    extract.write_text("EPIKEY,HESID,EPIEND,DIAG_01\ne1,P1,2020-02-30,I10\ne2,P1,2020-02-03,I10\n", encoding="utf-8")
    bad, good = lines(extract)
    assert bad.error is not None and bad.error.where == "EPIEND" and bad.error.line == 2 and bad.error.column == 3
    assert good.error is None
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(json.dumps({"id": "x", "icd10": ["I10"], "EPISTART": "yesterday"}) + "\n", encoding="utf-8")
    (line,) = lines(jsonl)
    assert line.error is not None and line.error.where == "EPISTART"


def test_text_and_json_records_carry_patient_spell_and_date() -> None:
    (line,) = text_lines(["ep1: opcs W37.1 Z94.2 # patient: P1 # spell: S2 # date: 2020-01-01"], "t")
    assert line.episode == Episode(patient="P1", spell="S2") and line.date == "2020-01-01"
    (bad,) = text_lines(["ep2: opcs W37.1 # date: 2020-13-01"], "t")
    assert bad.error is not None and bad.error.where == "date" and bad.id == "ep2"


def test_long_form_tables_are_joined_into_episodes_in_order(tmp_path: Path) -> None:
    diag = tmp_path / "hesin_diag.txt"
    diag.write_text(
        "eid\tins_index\tarr_index\tlevel\tdiag_icd10\n10\t1\t1\t2\tE119\n10\t1\t0\t1\tI849\n2\t0\t0\t1\tF840\n", encoding="utf-8"
    )
    oper = tmp_path / "hesin_oper.txt"
    oper.write_text("eid\tins_index\tarr_index\tlevel\toper4\n10\t0\t0\t1\tH229\n", encoding="utf-8")
    hesin = tmp_path / "hesin.txt"
    hesin.write_text(
        "eid\tins_index\tepistart\tepiend\tadmidate\tdisdate\tdismeth\tspell_index\n10\t1\t2001-09-20\t2001-09-27\t2001-09-20\t2001-09-27\t4\t1\n",
        encoding="utf-8",
    )
    items = list(read_inputs([str(diag), str(oper), str(hesin)], "long"))
    assert [(i.id, i.text) for i in items] == [("2/0", "icd10 F840"), ("10/0", "opcs H229"), ("10/1", "icd10 I849 E119")]
    last = items[-1]
    assert isinstance(last, InputLine) and last.episode is not None
    assert (last.episode.patient, last.episode.spell, last.episode.ended, last.episode.discharge_method) == (
        "10",
        "1",
        "2001-09-27",
        "4",
    )
    done = run("check", "--input-format", "long", str(diag), str(oper), str(hesin), "--rules", "icd10", "--format", "jsonl")
    ids = [json.loads(line)["id"] for line in done.output.splitlines()]
    assert ids == ["2/0", "10/0", "10/1"]


def test_long_form_codes_of_both_tables_with_fields_dates_and_rejections(tmp_path: Path) -> None:
    from nicelogic.errors import InputError
    from nicelogic.model import Field

    folder = tmp_path / "it's here"  # a quote in the path reaches DuckDB escaped
    folder.mkdir()
    diag = folder / "diag.csv"
    diag.write_text("eid,ins_index,arr_index,level,diag_icd10\n7,1,0,1,M16.0\n7,1,1,2,-\n7,1,2,2,I10X\n8,1,0,1,J459\n")
    oper = folder / "oper.csv"
    oper.write_text("eid,ins_index,arr_index,level,oper4\n7,1,1,1,Z94.1\n7,1,0,1,W37.1\n9,2,0,1,&\n")
    hesin = folder / "hesin.csv"
    hesin.write_text("eid,ins_index,epiend,epiorder,ignored\n7,1,2024-03-01,1,x\n8,1,2024-13-45,1,y\n")
    items = list(read_inputs([str(hesin), str(diag), str(oper)], "long"))
    assert [(i.id, i.line, i.source) for i in items] == [("7/1", 1, str(diag)), ("8/1", 2, str(diag)), ("9/2", 3, str(diag))]
    first, bad, empty = items
    assert isinstance(first, InputLine) and first.text == "opcs W37.1 Z94.1; icd10 M16.0 I10X"
    assert first.fields == (
        Field(5, "HESIN_OPER[1]", 0),
        Field(11, "HESIN_OPER[2]", 0),
        Field(24, "HESIN_DIAG[1]", 0),
        Field(30, "HESIN_DIAG[2]", 0),
    )
    assert all(
        first.text[f.offset :].startswith(code) for f, code in zip(first.fields, ["W37.1", "Z94.1", "M16.0", "I10X"], strict=True)
    )
    assert first.episode == Episode(patient="7", episode="1", ended="2024-03-01", order=1)
    assert isinstance(bad, InputLine) and bad.error is not None and bad.text == ""
    assert (bad.error.line, bad.error.where) == (2, "epiend")  # an unreadable date rejects its record, naming the column
    assert isinstance(empty, InputLine) and empty.text == "" and empty.error is None  # fillers only: no codes
    # without an episode table, from the operations table alone
    only = list(read_inputs([str(oper)], "long"))
    assert [(i.id, i.text, i.source) for i in only] == [("7/1", "opcs W37.1 Z94.1", str(oper)), ("9/2", "", str(oper))]

    def refused(*paths: Path) -> str:
        with pytest.raises(InputError) as caught:
            list(read_inputs([str(p) for p in paths], "long"))
        return str(caught.value)

    no_key = tmp_path / "nokey.csv"
    no_key.write_text("eid,arr_index,oper4\n1,0,W37.1\n")
    assert refused(no_key).startswith(f"{no_key}: ") and "eid and ins_index" in refused(no_key)
    no_code = tmp_path / "nocode.csv"
    no_code.write_text("eid,ins_index,arr_index,level,other\n1,0,0,1,x\n")
    assert refused(no_code).startswith(f"{no_code}: ") and "diag_icd10" in refused(no_code)
    twice = refused(diag, oper, diag)
    assert twice.startswith(f"{diag} and {diag}") and "diag" in twice
    assert "code table" in refused(hesin)
    assert "cannot read" in refused(tmp_path / "missing.csv")


def test_episode_columns_named_wrongly_are_usage_errors_naming_what_was_given() -> None:
    with pytest.raises(UsageError, match="nosuch"):
        EpisodeColumns((("nosuch", "X"),))
    for given in ("patient=", "patient= ", "patient"):
        with pytest.raises(UsageError, match=f"'{given}'"):
            EpisodeColumns.parse([given])
    # the field ends at the first "=": the rest, "=" and all, names the column
    assert EpisodeColumns.parse(["patient=ID=1"]).sources()["patient"] == ("ID=1",)


def test_a_row_shorter_than_its_header_reads_its_missing_episode_cells_as_empty(tmp_path: Path) -> None:
    extract = tmp_path / "hes.csv"
    extract.write_text("EPIKEY,DIAG_01,HESID,EPIEND\ne1,I10\ne2,I10,P2,2020-02-03\n", encoding="utf-8")
    short, full = lines(extract)
    assert short.error is None and short.episode == Episode(episode="e1")
    assert full.episode == Episode(patient="P2", episode="e2", ended="2020-02-03")


def test_an_episode_order_or_date_that_cannot_be_read_rejects_its_row_naming_the_column(tmp_path: Path) -> None:
    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,EPIORDER,DIAG_01,EPIEND\ne1,first,I10,\ne2,\u0663,I10,\ne3,02,I10,\ne4,01,I10,2020-13-01\n", encoding="utf-8"
    )
    words, arabic, good, bad_date = lines(extract)
    for line, number in ((words, 2), (arabic, 3)):  # a digit, but not 0-9
        assert line.error is not None and (line.error.line, line.error.column, line.error.where) == (number, 2, "EPIORDER")
        assert line.error.label == "attribute" and line.error.message
    assert good.episode is not None and good.episode.order == 2
    assert bad_date.error is not None and (bad_date.error.line, bad_date.error.column, bad_date.error.where) == (5, 4, "EPIEND")
    assert bad_date.error.message


def test_json_episode_keys_are_read_past_a_null_and_refused_when_neither_text_nor_whole_number(tmp_path: Path) -> None:
    records = [
        {"id": "a", "icd10": ["I10"], "patient": None, "spell": "S1"},
        {"id": "b", "icd10": ["I10"], "patient": ["P1"]},
        {"id": "c", "icd10": ["I10"], "spell": True},
        {"id": "d", "icd10": ["I10"], "sex": "1"},
    ]
    jsonl = tmp_path / "r.jsonl"
    text = [json.dumps(record) for record in records]
    jsonl.write_text("\n".join(text) + "\n", encoding="utf-8")
    null_patient, listed, boolean, none = lines(jsonl)
    assert null_patient.error is None and null_patient.episode == Episode(spell="S1")
    for line, key, number in ((listed, "patient", 2), (boolean, "spell", 3)):
        assert line.error is not None and line.error.message
        assert (line.error.line, line.error.column, line.error.where) == (number, text[number - 1].index(f'"{key}"') + 1, key)
    assert none.error is None and none.episode is None  # no episode key: no episode
