"""--encoding: Latin-1 and cp1252 extracts read as what they say; UTF-8 stays the strict
default, rejecting a record with the byte and its offset; an unknown name is a usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic import Checker
from nicelogic.cli import main

# "Müller" in Latin-1 (0xFC) and a cp1252 en dash (0x96, a control character in Latin-1)
LATIN_CSV = "EPIKEY,OPERTN_01,OPERTN_02,DIAG_01,WAIVE\nM\u00fcller\u20131,V444,Y534,M800,\nok2,V444,V551,M800,\n"


def _write(folder: Path, name: str, text: str, encoding: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_cp1252_extract_decodes_with_its_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, "hes.csv", LATIN_CSV, "cp1252")
    results = list(Checker(["opcs4"]).check_files([str(path)], encoding="cp1252"))
    assert [r.id for r in results] == ["M\u00fcller\u20131", "ok2"]
    assert [v.rule for v in results[0].violations] == ["opcs.spinal-levels-second"] and results[1].valid


def test_the_same_bytes_read_as_utf_8_reject_their_record_naming_the_byte_offset(tmp_path: Path) -> None:
    path = _write(tmp_path, "hes.csv", LATIN_CSV, "cp1252")
    first, second = Checker(["opcs4"]).check_files([str(path)])
    assert first.error is not None and first.error.label == "encoding"
    assert "byte 0xFC (byte 2 of the line) is not UTF-8" in first.error.message and second.valid


@pytest.mark.parametrize("command", [["check"], ["complete"], ["repair"]])
def test_the_commands_read_latin_1_text_with_encoding(tmp_path: Path, command: list[str]) -> None:
    # the byte is in a waiver, so that the strict reading's output can name the record
    path = _write(tmp_path, "records.txt", "ep1: opcs V44.4 Y53.4; icd M80.0  # waive: caf\u00e9\n", "latin-1")
    option = ["--file", str(path)] if command != ["check"] else [str(path)]
    strict = CliRunner().invoke(main, [*command, *option, "-r", "opcs4", "-f", "json"])
    decoded = CliRunner().invoke(main, [*command, *option, "-r", "opcs4", "-f", "json", "--encoding", "latin-1"])
    assert "0xE9" in strict.stdout and "caf\u00e9" not in strict.stdout
    document = json.loads(decoded.stdout)
    assert "0xE9" not in decoded.stdout
    if command == ["check"]:  # the waiver, read as written, names no rule
        assert "'caf\u00e9'" in document["records"][0]["error"]["message"]
    else:  # answered, not rejected
        assert document["input"] == "ep1: opcs V44.4 Y53.4; icd10 M80.0" and "error" not in document


@pytest.mark.parametrize("command", [["check", "-"], ["complete", "opcs V44.4"], ["repair", "opcs V44.4"]])
def test_an_unknown_encoding_is_a_usage_error(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--encoding", "klingon"], input="V44.4\n")
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr
