"""Input-controlled text (record ids, file names) cannot drive the terminal, forge output
lines or plant spreadsheet formulas, whatever the format."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from nicelogic.cli import main
from nicelogic.report.escape import csv_cell, visible

from .conftest import HOSTILE_IDS, hostile_input
from .consumers import control_characters


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_visible_escapes_every_control_character_and_keeps_the_rest() -> None:
    hostile = "".join(HOSTILE_IDS.values())
    shown = visible(hostile)
    assert control_characters(shown, allowed="") == []
    assert "\\x1b" in shown and "\\x0a" in shown and "\\x00" in shown and "\\u2028" in shown
    assert visible("ep01 V44.4 é\ttab") == "ep01 V44.4 é\ttab"


@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_text_output_shows_control_characters_instead_of_obeying_them(tmp_path, color: str) -> None:
    path = hostile_input(tmp_path)
    output = run("check", str(path), "--rules", "opcs4", color).output
    if color == "--color":  # rich's own colours are the only escape sequences allowed through
        output = re.sub("\x1b\\[[0-9;]*m", "", output)
    assert control_characters(output) == []
    lines = output.splitlines()
    assert len(lines) == 3  # the invalid record, the rejected one, the summary: no forged line
    assert visible(HOSTILE_IDS["invalid"]) in lines[0] and visible(HOSTILE_IDS["rejected"]) in lines[1]


def test_text_output_of_an_ordinary_record_is_unchanged() -> None:
    output = run("check", "-", "--rules", "opcs4", "--no-color", input="ep1: V44.4 Y53.4\n").output
    assert output.splitlines()[0].endswith("(record ep1)")


def test_csv_cells_that_could_start_a_formula_are_neutralised(tmp_path) -> None:
    ids = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok1"]
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps({"id": i, "opcs": ["V44.4", "V55.1"]}) + "\n" for i in ids), encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(run("check", str(path), "--rules", "opcs4", "--format", "csv").output)))
    assert [row["record"] for row in rows] == ["'" + i for i in ids[:-1]] + ["ok1"]
    assert [row["line"] for row in rows] == [str(n) for n in range(1, len(ids) + 1)]  # numbers stay numbers


@pytest.mark.parametrize(("value", "expected"), [("=1", "'=1"), ("V44.4", "V44.4"), ("", ""), (3, 3), ("a=b", "a=b")])
def test_csv_cell(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


@pytest.mark.parametrize("breaker", ["\x85", "\u2028", "\u2029"])
def test_a_json_lines_record_stays_on_one_line_for_every_line_reader(tmp_path, breaker: str) -> None:
    path = tmp_path / "ids.jsonl"
    ids = [f"a{breaker}b{breaker}", "é\u00a0plain"]
    path.write_text("".join(json.dumps({"id": i, "opcs": ["V44.4", "V55.1"]}) + "\n" for i in ids), encoding="utf-8")
    result = run("check", str(path), "--rules", "opcs4", "-f", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.output
    written = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    lines = written.splitlines()  # str.splitlines breaks at U+0085, U+2028 and U+2029 too
    assert [json.loads(line)["id"] for line in lines] == ids
    assert "é\u00a0plain" in written  # other non-ASCII text is kept as it is
