"""The command line: formats parse back, exit codes, standard input, output files."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic.cli import main

from .conftest import FIXTURES, PACKS, ROOT

EXAMPLE = str(ROOT / "examples" / "episodes.txt")
LINES = {
    line.split(":")[0]: n
    for n, line in enumerate(Path(EXAMPLE).read_text(encoding="utf-8").splitlines(), start=1)
    if line.startswith("ep")
}
EXPECTED = {  # examples/episodes.txt, as its comments document
    "ep01": (True, []),
    "ep02": (True, []),
    "ep03": (False, [("opcs.spinal-levels-second", [1])]),
    "ep04": (False, [("opcs.subsidiary-not-first", [1])]),
    "ep05": (False, [("opcs.v55-orphan", [2])]),
    "ep06": (False, "rejected"),
    "ep07": (True, []),
}


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_text_output_and_exit_code() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"{EXAMPLE}:{LINES['ep03']}:12: opcs.spinal-levels-second error:" in lines[0] and lines[0].endswith("(record ep03)")
    assert any(f":{LINES['ep06']}:12: input error:" in line and "(record ep06)" in line for line in lines)
    assert lines[-1].startswith("7 records checked, 3 valid, 3 invalid, 1 rejected")


def test_json_output_matches_the_documented_shape() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "json")
    document = json.loads(result.output)
    assert set(document) == {"records", "summary", "metadata"}
    assert document["metadata"]["tables"]["ncci.ptp"] == "2024-07-01"
    got = {}
    for record in document["records"]:
        assert {"id", "line", "valid", "error", "violations"} <= set(record)
        for violation in record["violations"]:
            assert {"rule", "severity", "section", "positions", "codes", "message", "source"} <= set(violation)
        got[record["id"]] = (
            record["valid"],
            "rejected" if record["error"] else [(v["rule"], v["positions"]) for v in record["violations"]],
        )
    assert got == EXPECTED
    rejected = next(r for r in document["records"] if r["id"] == "ep06")
    assert (rejected["error"]["line"], rejected["error"]["column"]) == (LINES["ep06"], 12)
    assert document["summary"] == {
        "records": 7, "valid": 3, "invalid": 3, "rejected": 1, "violations": 3, "warnings": 0, "waived": 0,
        "by_rule": {"opcs.spinal-levels-second": 1, "opcs.subsidiary-not-first": 1, "opcs.v55-orphan": 1},
        "by_edition": {}, "not_judged": {},
    }  # fmt: skip


def test_jsonl_streams_one_record_per_line() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "jsonl")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in records] == list(EXPECTED)


def test_sarif() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "sarif")
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert {"opcs.spinal-levels-second", "opcs.v55-orphan", "input.rejected"} <= set(rules)
    results = run_["results"]
    assert len(results) == 4
    for item in results:
        assert rules[item["ruleIndex"]] == item["ruleId"]
        region = item["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    first = next(r for r in results if r["ruleId"] == "opcs.spinal-levels-second")
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": LINES["ep03"], "startColumn": 12}
    assert first["properties"]["record"] == "ep03"


def test_junit() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "junit")
    root = ET.fromstring(result.output.split("\n", 1)[1])
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "3", "1")
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == set(EXPECTED)
    assert cases["ep03"].find("failure").get("type") == "opcs.spinal-levels-second"
    assert cases["ep06"].find("error") is not None
    assert cases["ep01"].find("failure") is None


def test_csv_has_a_row_per_violation_and_every_record() -> None:
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {row["record"] for row in rows} == set(EXPECTED)
    statuses = {row["record"]: row["status"] for row in rows}
    assert statuses["ep01"] == "valid" and statuses["ep03"] == "invalid" and statuses["ep06"] == "rejected"
    violation = next(row for row in rows if row["record"] == "ep05")
    assert (violation["rule"], violation["positions"], violation["codes"]) == ("opcs.v55-orphan", "2", "V55.1")


def test_output_file(tmp_path) -> None:
    target = tmp_path / "out.json"
    result = run("check", EXAMPLE, "--rules", "opcs4", "--format", "json", "--output", str(target))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(target.read_text())["summary"]["records"] == 7
    # results went to a file: the summary still reaches the terminal, on stderr
    assert "7 records checked, 3 valid, 3 invalid, 1 rejected" in result.stderr


def test_exit_zero_when_all_valid_and_warnings_only_fail_on_request(tmp_path) -> None:
    path = tmp_path / "ok.txt"
    path.write_text("ok1: V44.4 V55.1 Y53.4 Z66.5; icd M80.0\nok2: V40.1 V55.1 Y53.9 Z67.5\n")
    assert run("check", str(path), "--rules", "opcs4").exit_code == 0
    policy = f"opcs4,{PACKS / 'local-policy'}"
    assert run("check", str(path), "--rules", policy).exit_code == 0  # ok2 has only a warning
    assert run("check", str(path), "--rules", policy, "--fail-on-warning").exit_code == 1


def test_standard_input() -> None:
    result = run("check", "-", "--rules", "opcs4", "--format", "jsonl", input="s1: V44.4 V55.1\ns2: V55.1\n")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["valid"]) for r in records] == [("s1", True), ("s2", False)]
    assert records[0]["source"] == "<stdin>"


def test_system_option_sets_the_default_section() -> None:
    result = run("check", "-", "--rules", "opcs4", "--format", "jsonl", "--system", "icd10", input="Y53.4; opcs Y53.4\n")
    (record,) = [json.loads(line) for line in result.output.splitlines()]
    assert [(v["rule"], v["section"]) for v in record["violations"]] == [("opcs.subsidiary-not-first", "opcs")]


def test_csv_and_jsonl_inputs() -> None:
    result = run("check", str(FIXTURES / "inputs" / "hes_extract.csv"), "--rules", "opcs4", "--format", "json")
    records = {r["id"]: r for r in json.loads(result.output)["records"]}
    assert len(records) == 6
    assert records["100003"]["violations"][0]["rule"] == "opcs.subsidiary-not-first"
    assert records["100003"]["violations"][0]["field"] == "OPERTN_4_01"
    assert records["100004"]["error"]["field"] == "OPERTN_4_01"
    result = run("check", str(FIXTURES / "inputs" / "records.jsonl"), "--rules", "opcs4", "--format", "json")
    assert json.loads(result.output)["summary"]["records"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "/no/such/file.txt"], "cannot read /no/such/file.txt"),
        (["check", EXAMPLE, "--rules", "opcs5"], "unknown rule pack 'opcs5'"),
        (["check", EXAMPLE, "--rules", str(PACKS / "duplicate-id")], "duplicate rule id"),
        (["check", EXAMPLE, "--format", "yaml"], "Invalid value for '--format'"),
        (["check"], "give FILES to check"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_table_without_code_columns_exits_2(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2 and "OPERTN" in result.output


def test_rules_listing() -> None:
    result = run("rules", "--format", "json")
    data = json.loads(result.output)
    ids = {rule["id"] for rule in data["rules"]}
    assert {"opcs.spinal-levels-second", "opcs.v55-orphan", "opcs.subsidiary-not-first"} <= ids
    for rule in data["rules"]:
        assert rule["severity"] in {"error", "warning"} and rule["title"] and rule["source"]
    text = run("rules", "--rules", "opcs4")
    assert text.exit_code == 0 and "opcs.v55-orphan" in text.output


def test_docs_rules_md_is_generated_and_current() -> None:
    """The catalogue holds the default packs, the opt-in local ones and the patient-level
    `consistency` pack (with its histories as examples), and names its command."""
    command = "nicelogic rules --rules default,icd10.local,opcs4.local,consistency --format markdown"
    result = run(*command.split()[1:])
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert result.output == current, f"docs/rules.md is stale: run `{command} > docs/rules.md`"
    assert f"Generated by `{command}`" in current


def test_version_and_info() -> None:
    assert run("--version").output.startswith("nicelogic, version")
    assert "built-in packs:" in run("info").output


def test_docs_extended_categories_is_generated_and_current() -> None:
    result = run("info", "--extended-categories")
    current = (ROOT / "docs" / "opcs-extended-categories.md").read_text(encoding="utf-8")
    assert result.output == current, "stale: run `nicelogic info --extended-categories > docs/opcs-extended-categories.md`"


def test_waivers_are_reported_apart_never_hidden(tmp_path) -> None:
    path = tmp_path / "w.txt"
    path.write_text(
        "w1: opcs V44.4 V55.1 Z66.5 Y53.4; icd M80.0  # waive: opcs.group-order\n"
        "w2: opcs V44.4 Y53.4 Z66.5; icd M80.0  # waive: opcs.spinal-levels-second, nice.htg3.levels-second\n"
        "w3: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.no-such-rule\n"
    )
    document = json.loads(run("check", str(path), "--format", "json").output)
    records = {r["id"]: r for r in document["records"]}
    assert [v["rule"] for v in records["w1"]["waived"]] == ["opcs.group-order"] and records["w1"]["violations"] == []
    # waiving some of a record's errors leaves the others: still invalid
    assert {v["rule"] for v in records["w2"]["waived"]} == {"opcs.spinal-levels-second", "nice.htg3.levels-second"}
    assert [v["rule"] for v in records["w2"]["violations"]] == ["nice.ipg12.levels-second"] and not records["w2"]["valid"]
    assert records["w3"]["error"]["kind"] == "waiver"  # a waiver naming no rule is a typo: rejected
    assert document["summary"]["waived"] == 3
    sarif = json.loads(run("check", str(path), "--format", "sarif").output)
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert len(suppressed) == 3 and suppressed[0]["suppressions"][0]["kind"] == "external"
    rows = list(csv.DictReader(io.StringIO(run("check", str(path), "--format", "csv").output)))
    assert sum(row["status"] == "waived" for row in rows) == 3
    assert "(waived)" in run("check", str(path)).output


def test_waivers_in_json_and_extracts(tmp_path) -> None:
    jsonl = tmp_path / "w.jsonl"
    jsonl.write_text(
        '{"id": "j", "opcs": ["V44.4", "V55.1", "Z66.5", "Y53.4"], "icd10": ["M80.0"], "waive": ["opcs.group-order"]}\n'
    )
    record = json.loads(run("check", str(jsonl), "--format", "json").output)["records"][0]
    assert [v["rule"] for v in record["waived"]] == ["opcs.group-order"]
    extract = tmp_path / "w.csv"
    extract.write_text(
        "EPIKEY,OPERTN_01,OPERTN_02,OPERTN_03,OPERTN_04,DIAG_01,WAIVE\ne1,V444,V551,Z665,Y534,M800,opcs.group-order\n"
    )
    record = json.loads(run("check", str(extract), "--format", "json").output)["records"][0]
    assert [v["rule"] for v in record["waived"]] == ["opcs.group-order"]


def test_explain_shows_the_rule_the_facts_and_the_guidance() -> None:
    text = "ep3: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    plain = run("check", "-", "--rules", "opcs4", "--explain", "--no-color", input=text).output
    assert "rule logic/opcs4/spinal-levels-second.lp:1" in plain and "<- blamed" in plain and "guidance: NICE HTG3" in plain
    document = json.loads(run("check", "-", "--rules", "opcs4", "--explain", "--format", "json", input=text).output)
    (violation,) = document["records"][0]["violations"]
    explanation = violation["explanation"]
    assert explanation["rule_file"] == "logic/opcs4/spinal-levels-second.lp:1"
    assert 'code(R,opcs,1,"V44.4").' in explanation["facts"] and 'code(R,opcs,2,"Y53.4").' not in explanation["facts"]
    assert 'violation("opcs.spinal-levels-second", R, opcs, P)' in explanation["rule"]
    assert [c["blamed"] for c in explanation["codes"]] == [True, False, False]
    assert explanation["guidance"] == violation["source"]
    without = json.loads(run("check", "-", "--rules", "opcs4", "--format", "json", input=text).output)
    assert "explanation" not in without["records"][0]["violations"][0]


def test_a_rejected_record_alone_makes_the_exit_status_1(tmp_path) -> None:
    valid_and_unreadable = tmp_path / "r.txt"
    valid_and_unreadable.write_text("ok1: V44.4 V55.1 Y53.4 Z66.5; icd M80.0\nbad: V4X.4\n")
    result = run("check", str(valid_and_unreadable), "--rules", "opcs4", "--format", "json")
    summary = json.loads(result.stdout)["summary"]
    assert (summary["invalid"], summary["rejected"]) == (0, 1) and result.exit_code == 1
    only_valid = tmp_path / "v.txt"
    only_valid.write_text("ok1: V44.4 V55.1 Y53.4 Z66.5; icd M80.0\n")
    assert run("check", str(only_valid), "--rules", "opcs4").exit_code == 0
