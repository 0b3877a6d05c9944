"""SARIF validated against the official SARIF 2.1.0 schema, formats checked."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from nicelogic.cli import main
from nicelogic.report.escape import uri_reference

from .conftest import ROOT, hostile_input
from .consumers import sarif_errors

EXAMPLE = str(ROOT / "examples" / "episodes.txt")


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def sarif(*args: str, input: str | None = None) -> dict:  # type: ignore[type-arg]
    document = json.loads(run(*args, "--format", "sarif", input=input).output)
    assert sarif_errors(document) == []
    return document  # type: ignore[no-any-return]


def uris(document: dict) -> set[str]:  # type: ignore[type-arg]
    return {loc["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"] for loc in r["locations"]}


def minimal(uri: str) -> dict:  # type: ignore[type-arg]
    location = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    result = {"ruleId": "r", "message": {"text": "m"}, "locations": [location]}
    return {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [result]}]}


@pytest.mark.parametrize("uri", ["<stdin>", "my episodes #1.txt", "a%zz.txt", "x\ny"])
def test_the_validator_rejects_what_is_no_uri_reference(uri: str) -> None:
    assert sarif_errors(minimal("ok/file.txt")) == []
    assert any("uri-reference" in error for error in sarif_errors(minimal(uri)))


def test_the_example_is_valid_sarif() -> None:
    document = sarif("check", EXAMPLE, "--rules", "opcs4")
    assert len(document["runs"][0]["results"]) == 4


def test_standard_input_and_awkward_file_names_give_valid_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert uris(sarif("check", "-", "--rules", "opcs4", input="a: V44.4 Y53.4\n")) == {uri_reference("<stdin>")}
    path = hostile_input(tmp_path)
    monkeypatch.chdir(tmp_path)
    (relative,) = uris(sarif("check", path.name, "--rules", "opcs4"))
    assert not urlsplit(relative).scheme and unquote(relative) == path.name  # relative stays relative
    (absolute,) = uris(sarif("check", str(path), "--rules", "opcs4"))
    assert urlsplit(absolute).scheme == "file" and unquote(urlsplit(absolute).path) == str(path)


@pytest.mark.parametrize("path", ["c:x.txt", "a b/#1?.txt", "%41", "é.txt"])
def test_relative_paths_come_back_from_their_uri(path: str) -> None:
    uri = uri_reference(path)
    assert not urlsplit(uri).scheme and unquote(uri) == path
    assert sarif_errors(minimal(uri)) == []


def test_explanation_is_carried_in_the_result_properties() -> None:
    text = "ep3: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    (record,) = json.loads(run("check", "-", "--rules", "opcs4", "--explain", "--format", "json", input=text).output)["records"]
    (result,) = sarif("check", "-", "--rules", "opcs4", "--explain", input=text)["runs"][0]["results"]
    assert result["properties"]["explanation"] == record["violations"][0]["explanation"]
    (plain,) = sarif("check", "-", "--rules", "opcs4", input=text)["runs"][0]["results"]
    assert "explanation" not in plain["properties"]


def test_waived_results_are_valid_sarif(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("w1: opcs V44.4 V55.1 Z66.5 Y53.4; icd M80.0  # waive: opcs.group-order\n")
    (result,) = sarif("check", str(path))["runs"][0]["results"]
    assert result["ruleId"] == "opcs.group-order" and result["suppressions"][0]["kind"] == "external"
