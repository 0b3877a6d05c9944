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
