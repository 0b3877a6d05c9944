"""The formats CI systems read: TAP (tap.py), GitHub workflow commands, GitLab Code
Quality; and CSV's explanation column. Each read back by a parser of its grammar."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from nicelogic.cli import main
from nicelogic.report import FORMATS
from nicelogic.report.escape import tap_description

from .conftest import HOSTILE_IDS, ROOT, hostile_input
from .consumers import control_characters, tap_diagnostics, tap_results, workflow_commands

EXAMPLE = str(ROOT / "examples" / "episodes.txt")
WAIVED = "w2: opcs V44.4 Y53.4 Z66.5; icd M80.0  # waive: opcs.spinal-levels-second\nw3: opcs V44.4 V55.1 Z66.5 Y53.4\n"


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def records(*args: str, input: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(run(*args, "--format", "json", input=input).stdout)["records"]  # type: ignore[no-any-return]


def findings(record: dict) -> list[tuple[str, str, int, int]]:  # type: ignore[type-arg]
    """(kind, rule, line, column) of what a record reports, in report order."""
    found = []
    if record["error"]:
        found.append(("error", "input.rejected", record["error"]["line"], record["error"]["column"]))
    found += [(v["severity"], v["rule"], v["line"], v["column"]) for v in record["violations"]]
    found += [("notice", f"{v['rule']} (waived)", v["line"], v["column"]) for v in record["waived"]]
    return found


def test_new_formats_are_offered() -> None:
    assert {"tap", "github", "gitlab"} <= set(FORMATS)


def test_tap_has_one_test_point_per_record() -> None:
    expected = records("check", EXAMPLE, "--rules", "opcs4")
    output = run("check", EXAMPLE, "--rules", "opcs4", "--format", "tap").stdout
    points = tap_results(output)
    assert [p.ok for p in points] == [r["valid"] for r in expected]
    assert all(not p.skip and not p.todo for p in points)
    assert [p.description.split()[1] for p in points] == [r["id"] for r in expected]
    for record, diagnostics in zip(expected, tap_diagnostics(output), strict=True):
        assert [rule for _, rule, _, _ in findings(record) if rule != "input.rejected"] == [
            line.split()[1] for line in diagnostics if " input error: " not in line
        ]


def test_tap_ids_cannot_forge_lines_or_directives(tmp_path: Path) -> None:
    output = run("check", str(hostile_input(tmp_path)), "--rules", "opcs4", "--format", "tap").stdout
    points = tap_results(output)
    assert [(p.ok, p.skip, p.todo) for p in points] == [(False, False, False), (False, False, False), (True, False, False)]
    assert [p.description.split(" (")[0].removeprefix("- ") for p in points] == [tap_description(i) for i in HOSTILE_IDS.values()]


def test_github_workflow_commands_carry_every_finding(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text(WAIVED + "r: opcs V4X.4\n")
    expected = [f for record in records("check", str(path)) for f in findings(record)]
    commands = workflow_commands(run("check", str(path), "--format", "github").stdout)
    got = [(c.kind, c.properties["title"], int(c.properties["line"]), int(c.properties.get("col", 0))) for c in commands]
    assert got == expected
    assert {c.properties["file"] for c in commands} == {str(path)}
    assert {"error", "warning", "notice"} <= {c.kind for c in commands}


def test_github_escapes_properties_and_data(tmp_path: Path) -> None:
    path = hostile_input(tmp_path)  # its name holds ",", ":", "%" and "#"
    commands = workflow_commands(run("check", str(path), "--rules", "opcs4", "--format", "github").stdout)
    assert [c.properties["file"] for c in commands] == [str(path), str(path)]
    assert [c.properties["title"] for c in commands] == ["opcs.spinal-levels-second", "input.rejected"]
    assert all("\n" not in c.message for c in commands)  # the id's newline cannot end the message


def test_github_message_carries_the_explanation() -> None:
    text = "ep3: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    (record,) = records("check", "-", "--rules", "opcs4", "--explain", input=text)
    (command,) = workflow_commands(run("check", "-", "--rules", "opcs4", "--explain", "--format", "github", input=text).stdout)
    lines = command.message.split("\n")
    assert len(lines) > 1 and any(record["violations"][0]["explanation"]["rule_file"] in line for line in lines)


def gitlab(*args: str, input: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    issues = json.loads(run(*args, "--format", "gitlab", input=input).stdout)
    assert isinstance(issues, list)
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert isinstance(issue["location"]["path"], str) and issue["location"]["lines"]["begin"] >= 1
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert not any(control_characters(issue["description"], allowed="") for issue in issues)
    return issues  # type: ignore[no-any-return]


def test_gitlab_code_quality_report(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text(WAIVED + "r: opcs V4X.4\n")
    expected = [f for record in records("check", str(path)) for f in findings(record)]
    issues = gitlab("check", str(path))
    severity = {"error": "major", "warning": "minor", "notice": "info"}
    assert [(i["check_name"], i["severity"], i["location"]["lines"]["begin"]) for i in issues] == [
        (rule.removesuffix(" (waived)"), "critical" if rule == "input.rejected" else severity[kind], line)
        for kind, rule, line, _ in expected
    ]
    assert {i["location"]["path"] for i in issues} == {str(path)}


def test_gitlab_fingerprints_are_stable_and_unique(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text(WAIVED)
    before = [i["fingerprint"] for i in gitlab("check", str(path))]
    path.write_text("# a comment moves every record down\n\n" + WAIVED + WAIVED)  # the same records twice
    after = [i["fingerprint"] for i in gitlab("check", str(path))]
    assert after[: len(before)] == before and len(after) == 2 * len(before)
    assert gitlab("check", EXAMPLE, "--rules", "opcs4")  # non-empty and valid


def test_csv_explanation_column() -> None:
    text = "ep3: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    (record,) = records("check", "-", "--rules", "opcs4", "--explain", input=text)
    (row,) = csv.DictReader(io.StringIO(run("check", "-", "--rules", "opcs4", "--explain", "--format", "csv", input=text).stdout))
    explanation = record["violations"][0]["explanation"]
    assert explanation["rule_file"] in row["explanation"] and explanation["guidance"] in row["explanation"]
    (plain,) = csv.DictReader(io.StringIO(run("check", "-", "--rules", "opcs4", "--format", "csv", input=text).stdout))
    assert plain["explanation"] == ""


def test_gitlab_descriptions_show_control_characters(tmp_path: Path) -> None:
    issues = gitlab("check", str(hostile_input(tmp_path)), "--rules", "opcs4")
    assert [i["severity"] for i in issues] == ["major", "critical"]
    assert [i["location"]["path"] for i in issues] == [str(tmp_path / "my episodes #1, a:b %.jsonl")] * 2
