"""Edges of the output formats that the format tests leave open, found by mutation testing
of the engine (mutmut, see the README): the cells of rows without a violation, what a
waived violation carries in each format, fingerprints of repeated findings, ordering and
the exact escapes. Outputs are read back by their own grammar, never compared as text."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import JUnitXml

from nicelogic.cli import main
from nicelogic.report.escape import tap_description, visible, workflow_data

from .consumers import tap_diagnostics, tap_results, workflow_commands

# w1 is valid, w2 breaks one error rule and waives another, w3 is rejected (V4X.4), w4
# breaks a rule at the first code, which stands at column 1 of its line (no id, no keyword).
RECORDS = (
    "w1: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0\n"
    "w2: opcs V44.4 Y53.4 Z66.5 V55.1; icd M80.0  # waive: opcs.spinal-levels-second\n"
    "w3: opcs V4X.4 V55.1\n"
    "Y53.4 V44.4 V55.1 Z66.5\n"
)


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def check(path: Path, fmt: str, *more: str):  # type: ignore[no-untyped-def]
    return run("check", str(path), "--rules", "opcs4", "-f", fmt, *more)


def json_records(path: Path, *more: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(check(path, "json", *more).stdout)["records"]  # type: ignore[no-any-return]


def episodes(tmp_path: Path, text: str = RECORDS, name: str = "w.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_of_valid_rejected_and_waived_records(tmp_path: Path) -> None:
    path = episodes(tmp_path)
    expected = {r["id"]: r for r in json_records(path)}
    result = check(path, "csv")
    assert b"\r\n" in result.stdout_bytes  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))
    by_record: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_record.setdefault(row["record"], []).append(row)
    (valid,) = by_record["w1"]
    assert valid["status"] == "valid" and valid["line"] == "1"
    assert all(valid[c] == "" for c in ("column", "rule", "severity", "section", "positions", "codes", "message"))
    assert valid["citation"] == valid["explanation"] == ""
    (rejected,) = by_record["w3"]
    error = expected["w3"]["error"]
    assert (rejected["status"], rejected["line"], rejected["column"]) == ("rejected", str(error["line"]), str(error["column"]))
    assert rejected["message"] == error["message"]
    assert all(rejected[c] == "" for c in ("rule", "severity", "section", "positions", "codes", "citation", "explanation"))
    waived = [row for row in by_record["w2"] if row["status"] == "waived"]
    assert [row["rule"] for row in waived] == [v["rule"] for v in expected["w2"]["waived"]]
    for row, v in zip(by_record["w2"][len(waived) :], expected["w2"]["violations"], strict=True):
        assert row["status"] == "invalid"
        assert row["positions"].split(" ") == [str(p) for p in v["positions"]]
        assert row["codes"].split(" ") == v["codes"]


def test_csv_explanation_keeps_one_line_per_line_and_marks_the_blamed_codes_and_no_other(tmp_path: Path) -> None:
    path = episodes(tmp_path, "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\n")
    (record,) = json_records(path, "--explain")
    rows = list(csv.DictReader(io.StringIO(check(path, "csv", "--explain").stdout_bytes.decode("utf-8"), newline="")))
    for row, v in zip(rows, record["violations"], strict=True):
        lines = row["explanation"].split("\n")
        assert len(lines) > 3 and lines[0].endswith(v["explanation"]["rule_file"])
        assert any(line.split() == ["facts", "at", "the", "blamed", "positions:", *v["explanation"]["facts"]] for line in lines)
        for code in v["explanation"]["codes"]:
            (line,) = [line for line in lines if line.split()[:2] == [str(code["position"]), code["code"]]]
            assert line.rstrip().endswith("<- blamed" if code["blamed"] else code["title"]), line


def test_positions_and_codes_of_a_multi_position_violation_in_csv(tmp_path: Path) -> None:
    path = episodes(tmp_path, "m: opcs V44.4 V55.1 Z66.5 Y53.4\n")
    (record,) = json_records(path)
    many = [v for v in record["violations"] if len(v["positions"]) > 1]
    assert many, record
    rows = {row["rule"]: row for row in csv.DictReader(io.StringIO(check(path, "csv").stdout_bytes.decode("utf-8"), newline=""))}
    for v in many:
        assert rows[v["rule"]]["positions"] == " ".join(map(str, v["positions"]))
        assert rows[v["rule"]]["codes"] == " ".join(v["codes"])


def test_gitlab_empty_report_is_an_empty_array(tmp_path: Path) -> None:
    path = episodes(tmp_path, "ok: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0\n")
    assert json.loads(check(path, "gitlab").stdout) == []


def test_gitlab_repeated_findings_get_distinct_stable_fingerprints(tmp_path: Path) -> None:
    record = "r: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"
    three = json.loads(check(episodes(tmp_path, record * 3), "gitlab").stdout)
    per_copy = len(three) // 3
    fingerprints = [issue["fingerprint"] for issue in three]
    assert len(set(fingerprints)) == len(fingerprints) == 3 * per_copy
    # what the finding is, not where it stands: blank lines above move it, not its fingerprint
    moved = json.loads(check(episodes(tmp_path, "\n\n" + record * 3), "gitlab").stdout)
    assert [i["fingerprint"] for i in moved] == fingerprints
    assert [i["location"]["lines"]["begin"] for i in moved] == [i["location"]["lines"]["begin"] + 2 for i in three]


def test_gitlab_keeps_non_ascii_text_as_written(tmp_path: Path) -> None:
    output = check(episodes(tmp_path, "épisode: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"), "gitlab").stdout
    assert "épisode" in output and "\\u00e9" not in output
    issues = json.loads(output)
    assert issues and all("épisode" in issue["description"] for issue in issues)
    assert {issue["severity"] for issue in issues} <= {"major", "minor"}


def test_gitlab_waived_and_rejected_issues(tmp_path: Path) -> None:
    path = episodes(tmp_path)
    expected = {r["id"]: r for r in json_records(path)}
    issues = json.loads(check(path, "gitlab").stdout)
    assert [i["check_name"] for i in issues if i["severity"] == "critical"] == ["input.rejected"]
    assert [i["check_name"] for i in issues if i["severity"] == "info"] == [v["rule"] for v in expected["w2"]["waived"]]
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_junit_marks_rejected_records_and_waived_lines(tmp_path: Path) -> None:
    path = episodes(tmp_path)
    expected = {r["id"]: r for r in json_records(path)}
    document = JUnitXml.fromstring(check(path, "junit").stdout.encode("utf-8"))
    cases = {case.name: case for suite in document for case in suite}
    (error,) = cases["w3"].result
    assert error.type == "input.rejected"
    assert error.text.startswith(f"{path}:{expected['w3']['error']['line']}:{expected['w3']['error']['column']}:")
    out = cases["w2"].system_out.splitlines()
    (waived,) = expected["w2"]["waived"]
    (line,) = [line for line in out if f" {waived['rule']} " in line]
    assert line.split(f" {waived['rule']} ", 1)[1].startswith(f"{waived['severity']} (waived):")


def test_tap_keeps_the_test_point_of_a_record_with_a_waiver(tmp_path: Path) -> None:
    path = episodes(tmp_path)
    expected = json_records(path)
    output = check(path, "tap").stdout
    points = tap_results(output)
    assert [p.description.split()[1] for p in points] == [r["id"] if r["id"] else "4" for r in expected]
    assert [p.number for p in points] == [1, 2, 3, 4]
    assert output.splitlines()[-1] == "1..4"
    # only a skip or a todo may carry a directive; the plain test points carry none
    assert all(" # " not in line for line in output.splitlines() if line.startswith(("ok ", "not ok ")))
    diagnostics = tap_diagnostics(output)
    waived = [line for line in diagnostics[1] if "(waived)" in line]
    assert [line.split()[1] for line in waived] == [v["rule"] for v in expected[1]["waived"]]
    assert len(diagnostics[1]) == len(expected[1]["violations"]) + len(waived)


def test_github_column_property_only_for_a_known_column(tmp_path: Path) -> None:
    path = episodes(tmp_path)
    expected = json_records(path)
    commands = workflow_commands(check(path, "github").stdout)
    found = [(v["rule"], v["column"]) for r in expected for v in r["violations"]]
    assert ("opcs.subsidiary-not-first", 1) in found  # the record whose first code opens its line
    checked = [c for c in commands if c.kind != "notice" and c.properties["title"] != "input.rejected"]
    for command, (rule, column) in zip(checked, found, strict=True):
        assert command.properties["title"] == rule
        assert command.properties.get("col") == (str(column) if column > 0 else None)


def test_github_explanation_lines_reach_the_runner_as_lines(tmp_path: Path) -> None:
    path = episodes(tmp_path, "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\n")
    (record,) = json_records(path, "--explain")
    commands = workflow_commands(check(path, "github", "--explain").stdout)
    for command, v in zip(commands, record["violations"], strict=True):
        lines = command.message.split("\n")
        assert len(lines) > 3 and lines[1].strip().split()[-1] == v["explanation"]["rule_file"]


def test_escapes_are_the_documented_ones() -> None:
    assert visible("a\x9fb\u2028c") == "a\\x9fb\\u2028c"
    assert tap_description("x # SKIP") == "x \\x23 SKIP"
    assert workflow_data("50%\r\nx") == "50%25%0D%0Ax"


def test_statistics_most_frequent_first_with_severity_and_title(tmp_path: Path) -> None:
    text = "a: opcs V44.4 Y53.4 Z66.5; icd M80.0\nb: opcs V44.4 Y53.4 Z66.5; icd M80.0\nc: opcs V64.1 V55.1\nd: opcs V4X.4\n"
    path = episodes(tmp_path, text)
    summary = json.loads(check(path, "json").stdout)["summary"]
    rules = {r["id"]: r for r in json.loads(run("rules", "--rules", "opcs4", "--format", "json").stdout)["rules"]}
    lines = check(path, "text", "--statistics", "--quiet").stdout.splitlines()
    counts = dict(summary["by_rule"], **{"input.rejected": summary["rejected"]})
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert [(line.split()[1], int(line.split()[0])) for line in lines] == expected
    width = len(str(max(counts.values())))
    for line, (rule, _) in zip(lines, expected, strict=True):
        assert line.index(rule) == width + 2
        if rule in rules:
            assert line.split(None, 2)[2].split("  ", 1) == [rules[rule]["severity"], rules[rule]["title"]]
        else:  # the engine's own rules have a severity and a title too
            assert len(line.split(None, 2)[2].split("  ", 1)) == 2
    assert not any("records checked" in line for line in lines)
    full = check(path, "text", "--statistics").stdout.splitlines()
    assert full[: len(lines)] == lines and len(full) == len(lines) + 1


def test_statistics_of_a_clean_run_is_the_summary_alone(tmp_path: Path) -> None:
    path = episodes(tmp_path, "ok: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0\n")
    assert len(check(path, "text", "--statistics").stdout.splitlines()) == 1


def test_test_command_json_carries_every_field(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run("new-pack", str(folder)).exit_code == 0
    cases = "# expect: demo.procedure-needs-diagnosis @ opcs:1\nbad: opcs W35.1; icd C79.5\n# todo: later\nlater: opcs W35.1\n"
    (folder / "tests" / "more.txt").write_text(cases, encoding="utf-8")
    (folder / "tests" / "broken.txt").write_text("# expect: nothing @ here @ there\nx: opcs W35.1\n", encoding="utf-8")
    output = run("test", str(folder), "--format", "json").output
    assert output.startswith("{\n  ")  # indented, one field per line
    data = json.loads(output)
    mine = [c for c in data["cases"] if c["file"].endswith("more.txt")]
    assert [(c["line"], c["record"], c["status"], c["todo"]) for c in mine] == [
        (2, "bad: opcs W35.1; icd C79.5", "failed", None),
        (4, "later: opcs W35.1", "skipped", "later"),
    ]
    assert mine[0]["problems"] and mine[1]["problems"] == []
    assert len(data["errors"]) == 1 and "broken.txt" in data["errors"][0]
    coverage = data["coverage"]
    assert coverage["percent"] == round(coverage["percent"], 1) and 0 < coverage["percent"] <= 100
    assert coverage["rules"] and all(
        set(rule) == {"rule", "pack", "fired", "quiet", "applicable", "fire_cases", "quiet_cases"} and rule["pack"]
        for rule in coverage["rules"]
    )
    assert coverage["rows"] == []  # the demo pack has no relation table
    assert any(rule["fired"] for rule in coverage["rules"])


def test_gitlab_fingerprint_is_a_sha256(tmp_path: Path) -> None:
    issues = json.loads(check(episodes(tmp_path), "gitlab").stdout)
    assert all(len(i["fingerprint"]) == len(hashlib.sha256().hexdigest()) for i in issues)


# --------------------------------------------------------------------- text and colour

_SGR = re.compile(r"^\x1b\[([0-9;]*)m(.*)\x1b\[0m$")
# what each kind of line looks like on a terminal: the style is part of the format
ERROR, WARNING, DIM, REJECTED, BOLD, GREEN = "1;31", "33", "2", "1;35", "1", "1;32"


def styles(output: str) -> list[tuple[str, str]]:
    """(SGR parameters, text) of each line of coloured output; unstyled lines get ""."""
    found = []
    for line in output.splitlines():
        match = _SGR.match(line)
        found.append((match.group(1), match.group(2)) if match else ("", line))
    return found


def test_text_styles_each_kind_of_line(tmp_path: Path) -> None:
    text = (
        "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\nr: opcs V4X.4\n"
        "u: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order\n"
        "w: opcs V44.4 Y53.4 Z66.5; icd M80.0  # waive: opcs.spinal-levels-second\n"
    )
    path = episodes(tmp_path, text)
    lines = styles(check(path, "text", "--color", "always", "--explain").stdout)
    kinds = [sgr for sgr, _ in lines]
    assert kinds[0] == ERROR and set(kinds[1 : kinds.index(REJECTED)]) == {DIM}
    assert kinds[kinds.index(REJECTED) + 1] == WARNING  # the unused waiver
    assert kinds[-2] == DIM and "(waived)" in lines[-2][1]  # the waived violation
    assert kinds[-1] == BOLD  # the summary of a failing run
    assert all(body.startswith("    ") for sgr, body in lines if sgr == DIM and "(waived)" not in body)
    clean = styles(
        check(episodes(tmp_path, "ok: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0\n", "ok.txt"), "text", "--color", "always").stdout
    )
    assert [sgr for sgr, _ in clean] == [GREEN]
    plain = check(path, "text", "--color", "never", "--explain").stdout
    assert "\x1b" not in plain and [body for _, body in lines] == plain.splitlines()
    assert "\x1b" not in check(path, "text").stdout  # a pipe gets no colour unless asked


def test_statistics_styles_errors_and_the_summary(tmp_path: Path) -> None:
    path = episodes(
        tmp_path, "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\nu: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order\n"
    )
    lines = styles(check(path, "text", "--statistics", "--color", "always").stdout)
    by_rule = {body.split()[1]: sgr for sgr, body in lines[:-1]}
    assert by_rule == {"opcs.spinal-levels-second": ERROR, "waiver.unused": ""}
    assert lines[-1][0] == BOLD
    ok = styles(
        check(
            episodes(tmp_path, "ok: opcs V44.4 V55.1 Y53.4 Z66.5\n", "ok.txt"), "text", "--statistics", "--color", "always"
        ).stdout
    )
    assert [sgr for sgr, _ in ok] == [GREEN]


def test_text_locations_leave_out_an_unknown_column(tmp_path: Path) -> None:
    path = episodes(tmp_path, "u: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order\n")
    (line, _) = check(path, "text").stdout.splitlines()
    assert line.startswith(f"{path}:1: waiver.unused warning: ")
    table = write_csv(tmp_path, "EPIKEY,SEX,OPERTN_01\ne1,7,V44.4\n")
    (line, _) = check(table, "text").stdout.splitlines()
    assert line.startswith(f"{table}:2: input error: ") and line.endswith(" [SEX] (record e1)")
    rejected = episodes(tmp_path, "r: opcs V4X.4\n")
    (line, _) = check(rejected, "text").stdout.splitlines()
    assert line.startswith(f"{rejected}:1:9: input error: ") and not line.endswith("] (record r)")


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- JSON, SARIF


def test_json_and_jsonl_keep_non_ascii_text_as_written(tmp_path: Path) -> None:
    path = episodes(tmp_path, "épisode: opcs V44.4 Y53.4 Z66.5; icd M80.0\n")
    for fmt in ("json", "jsonl", "sarif"):
        output = check(path, fmt).stdout
        assert "épisode" in output and "\\u00e9" not in output, fmt
    (record,) = json_records(path)
    assert record["id"] == "épisode"


def test_json_of_no_records_is_still_a_document(tmp_path: Path) -> None:
    data = json.loads(check(episodes(tmp_path, "# nothing here\n"), "json").stdout)
    assert data["records"] == [] and data["summary"]["records"] == 0


def test_json_explanation_fields(tmp_path: Path) -> None:
    (record,) = json_records(episodes(tmp_path, "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\n"), "--explain")
    v = record["violations"][0]
    assert v["title"]
    e = v["explanation"]
    assert [(c["position"], c["code"], c["blamed"]) for c in e["codes"]] == [
        (1, "V44.4", True),
        (2, "Y53.4", False),
        (3, "Z66.5", False),
    ]
    assert all(c["title"] for c in e["codes"])
    assert e["what_it_checks"] == " ".join(e["what_it_checks"].split()) and " " in e["what_it_checks"]


def test_sarif_results_rules_and_summary(tmp_path: Path) -> None:
    from nicelogic.checking.diagnostics import ENGINE_RULES

    path = episodes(tmp_path)
    expected = {r["id"]: r for r in json_records(path)}
    output = check(path, "sarif").stdout
    assert output.startswith('{\n  "$schema"')  # indented by two
    run_ = json.loads(output)["runs"][0]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == ("nicelogic", "https://pypi.org/project/nicelogic/")
    catalogue = {r["id"]: r for r in json.loads(run("rules", "--rules", "opcs4", "--format", "json").stdout)["rules"]}
    for descriptor in driver["rules"]:
        rule = catalogue.get(descriptor["id"])
        if rule is None:
            engine = ENGINE_RULES[descriptor["id"]]
            assert descriptor["defaultConfiguration"]["level"] == engine.severity
            assert descriptor["properties"] == {"source": engine.source}
            continue
        assert descriptor["defaultConfiguration"]["level"] == rule["severity"]
        assert descriptor["properties"] == {"source": rule["source"], "pack": rule["pack"]}
        assert descriptor["fullDescription"]["text"] == (rule["description"] or rule["title"])
    assert {r["severity"] for r in catalogue.values()} == {"error", "warning"}
    assert any(r["description"] for r in catalogue.values())
    results = run_["results"]
    for item in results:
        record = expected[item["properties"]["record"]]
        region = item["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == record["line"]
        if item["ruleId"] == "input.rejected":
            assert region["startColumn"] == record["error"]["column"]
            continue
        (v,) = [
            v for v in record["violations"] + record["waived"]
            if v["rule"] == item["ruleId"] and v["positions"] == item["properties"]["positions"]
        ]  # fmt: skip
        assert item["level"] == v["severity"]
        assert region.get("startColumn") == (v["column"] or None)
        assert {k: item["properties"][k] for k in ("section", "positions", "codes")} == {
            "section": v["section"], "positions": v["positions"], "codes": v["codes"],
        }  # fmt: skip
        assert ("suppressions" in item) == (v in record["waived"])
    summary = run_["properties"]["summary"]
    assert summary == {"records": 4, "valid": 1, "invalid": 2, "rejected": 1}


def test_sarif_warning_level_and_first_line(tmp_path: Path) -> None:
    path = episodes(tmp_path, "u: opcs V44.4 V55.1 Y53.4 Z66.5  # waive: opcs.group-order\n")
    (item,) = json.loads(check(path, "sarif").stdout)["runs"][0]["results"]
    region = item["locations"][0]["physicalLocation"]["region"]
    assert item["level"] == "warning" and region == {"startLine": 1}


# ------------------------------------------------------------------------ completions


def _blocks(text: str) -> list[list[tuple[str, int, list[str]]] | None]:
    """The blocks of a --may/--must answer, each a list of (section, position, codes), or
    None for a block with no slot (the placeholder line)."""
    blocks: list[list[tuple[str, int, list[str]]] | None] = []
    for line in text.splitlines()[1:]:
        if line.startswith("    "):
            slot, *codes = line.split()
            if ":" not in slot:
                assert blocks[-1] == [] and not codes
                blocks[-1] = None
                continue
            section, position = slot.split(":")
            current = blocks[-1]
            assert current is not None
            current.append((section, int(position), codes))
        else:
            assert line.startswith("  ") and line.endswith(":")
            blocks.append([])
    return blocks


def _slots(items: list[dict]) -> list[tuple[str, int, list[str]]] | None:  # type: ignore[type-arg]
    by_slot: dict[tuple[str, int], list[str]] = {}
    for item in items:
        by_slot.setdefault((item["section"], item["position"]), []).append(item["code"])
    return [(section, position, codes) for (section, position), codes in by_slot.items()] or None


@pytest.mark.parametrize("minimal", [True, False])
def test_may_and_must_text_holds_the_json_answer(minimal: bool) -> None:
    args = ["complete", "opcs V44.4", "--rules", "opcs4,nice.htg3", *(["--minimal"] if minimal else [])]
    data = json.loads(run(*args, "--must", "--may", "-f", "json").stdout)
    assert data["minimal"] is minimal and data["conflict"] is None
    text = run(*args, "--must", "--may").stdout
    assert text.splitlines()[0] == data["input"]
    expected = [_slots(data[key]) for key in ("must_categories", "must", "may_categories", "may")]
    assert _blocks(text) == expected
    assert _blocks(run(*args, "--must").stdout) == expected[:2]
    assert _blocks(run(*args, "--may").stdout) == expected[2:]
    headers = [line for line in text.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    # the header says which completions the codes are drawn from: the two scopes differ
    other_args = [*[a for a in args if a != "--minimal"], *([] if minimal else ["--minimal"]), "--must", "--may"]
    other = run(*other_args).stdout
    assert headers != [line for line in other.splitlines() if line.startswith("  ") and not line.startswith("    ")]


def test_may_and_must_of_an_impossible_record_is_a_conflict() -> None:
    args = ("complete", "opcs V44.4", "--rules", "opcs4,nice.htg3", "--must", "--max-add", "0")
    result = run(*args)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == "1: opcs V44.4" and lines[1].startswith("  ") and ": " in lines[1]
    data = json.loads(
        run("complete", "opcs V44.4", "--rules", "opcs4,nice.htg3", "--must", "--max-add", "0", "-f", "json").stdout
    )
    assert data["conflict"] and lines[1].endswith(data["conflict"]["message"])


# ------------------------------------------------------------------- nicelogic test


def demo_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    assert run("new-pack", str(folder)).exit_code == 0
    cases = "# expect: demo.procedure-needs-diagnosis @ opcs:1\nbad: opcs W35.1; icd C79.5\n# todo: later\nlater: opcs W35.1\n"
    (folder / "tests" / "more.txt").write_text(cases, encoding="utf-8")
    (folder / "tests" / "broken.txt").write_text("# expect: nothing @ here @ there\nx: opcs W35.1\n", encoding="utf-8")
    return folder


def test_test_command_junit_has_file_errors_failures_and_locations(tmp_path: Path) -> None:
    folder = demo_pack(tmp_path)
    data = json.loads(run("test", str(folder), "--format", "json").output)
    output = run("test", str(folder), "--format", "junit").output
    assert output.endswith("</testsuites>\n")
    document = JUnitXml.fromstring(output.encode("utf-8"))
    assert document.name == "nicelogic test"
    suites = {suite.name: suite for suite in document}
    (error_case,) = list(suites["errors"])
    (error,) = error_case.result
    assert (error_case.name, error_case.classname, error.type) == ("error 1", "nicelogic test", "file")
    assert error.message == data["errors"][0]
    for case in data["cases"]:
        (found,) = [c for c in suites[case["file"]] if c.name == f"line {case['line']}: {case['record']}"]
        assert (found.classname, found._elem.get("file"), found._elem.get("line")) == (
            case["file"],
            case["file"],
            str(case["line"]),
        )
        if case["status"] == "failed":
            (failure,) = found.result
            assert failure.message == case["problems"][0] and failure.text.splitlines() == case["problems"]
        elif case["status"] == "skipped":
            (skipped,) = found.result
            assert skipped.message == case["todo"]


def test_test_command_text_marks_each_status(tmp_path: Path) -> None:
    folder = demo_pack(tmp_path)
    data = json.loads(run("test", str(folder), "--format", "json").output)
    marks = {"failed": "FAIL", "skipped": "SKIP", "passed": "ok"}
    for verbose in (False, True):
        lines = run("test", str(folder), *(["-v"] if verbose else [])).output.splitlines()
        shown = [line for line in lines if line.split(" ", 1)[0] in marks.values()]
        expected = [c for c in data["cases"] if verbose or c["status"] != "passed"]
        assert [(line.split()[0], line.split()[1]) for line in shown] == [
            (marks[c["status"]], f"{c['file']}:{c['line']}:") for c in expected
        ]
        assert lines[0].startswith("error: ") and lines[0].endswith(data["errors"][0])
        failed = lines.index(shown[0])
        assert [line.strip() for line in lines[failed + 1 : failed + 1 + len(data["cases"][0]["problems"])]] == [
            p for c in data["cases"] if c["status"] == "failed" for p in c["problems"]
        ]
        assert shown[-1] != lines[-1]  # the counts close the output
    with_coverage = run("test", str(folder), "--coverage").output.splitlines()
    assert len(with_coverage) > len(run("test", str(folder)).output.splitlines())


def test_rules_table_colour_follows_the_flag_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    forced = run("rules", "--rules", "opcs4", "--color", "always")
    assert "\x1b[" in forced.stdout and not forced.stderr
    assert not forced.stdout.startswith("id\tseverity")  # a table, not rows for a pipe
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    never = run("rules", "--rules", "opcs4", "--color", "never")
    assert never.stdout.startswith("id\tseverity\tpack\ttitle\tsource\n") and "\x1b" not in never.stdout


def test_text_colour_follows_the_flag_not_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = episodes(tmp_path, "e: opcs V44.4 Y53.4 Z66.5; icd M80.0\n")
    monkeypatch.setenv("NO_COLOR", "1")
    assert [sgr for sgr, _ in styles(check(path, "text", "--color", "always").stdout)] == [ERROR, BOLD]
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b" not in check(path, "text", "--color", "never").stdout


# ------------------------------------------------------------------ progress display


def test_progress_counts_records_bytes_and_rate_as_results_pass(tmp_path: Path) -> None:
    import time

    from rich.console import Console
    from rich.progress import Progress

    from nicelogic.input.read import ReadPosition, read_lines
    from nicelogic.report.terminal import CheckProgress

    path = episodes(tmp_path, "a: V44.4\nb: V55.1\nc: V44.4\n")
    position = ReadPosition([str(path)])
    seen: list[tuple[int, int, str]] = []

    def slowly():  # type: ignore[no-untyped-def]
        for item in position.track(read_lines(str(path), position=position)):
            time.sleep(0.12)  # longer than the display's refresh interval: every record updates it
            yield item

    with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
        progress = CheckProgress(bar, position)
        for item in progress.follow(iter(slowly())):
            (task,) = bar.tasks
            seen.append((int(task.completed), task.fields["records"], task.fields["rate"]))
            assert item is not None
        (task,) = bar.tasks
        assert (task.total, task.completed, task.fields["records"]) == (position.total, position.total, 3)
    # each update shows the bytes of the records checked so far, the count and a rate
    assert [records for _, records, _ in seen] == [1, 2, 3]
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen) and 0 < seen[0][0] <= (position.total or 0)
    assert all(rate.endswith(" records/s") and float(rate.split()[0].replace(",", "")) > 0 for _, _, rate in seen)
    assert list(CheckProgress(None, position).follow(iter([1, 2]))) == [1, 2]  # no display: results pass untouched


def test_colour_choice_beats_the_environment_and_auto_follows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from nicelogic.report.terminal import COLOR_CHOICES, console, force_color

    assert COLOR_CHOICES == ("auto", "always", "never")
    assert [force_color(choice) for choice in COLOR_CHOICES] == [None, True, False]

    def drawn(color: str, **env: str) -> str:
        for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        screen = io.StringIO()
        console(screen, color).print("[red]broken[/red]")
        return screen.getvalue()

    assert "\x1b[31m" in drawn("always", NO_COLOR="1")  # asked for: colour even where NO_COLOR says none
    assert "\x1b[" not in drawn("never", FORCE_COLOR="1")
    assert "\x1b[" not in drawn("auto")  # a file is no terminal
    assert "\x1b[31m" in drawn("auto", FORCE_COLOR="1")
    assert "\x1b[31m" not in drawn("auto", FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[31m" in drawn("always")


def test_terminal_output_is_neither_highlighted_nor_wrapped(capsys: pytest.CaptureFixture[str]) -> None:
    from nicelogic.report.terminal import console

    screen = io.StringIO()
    terminal = console(screen, "always")
    line = "examples/episodes.txt:12:34: opcs.spinal-levels-second error: 'V44.4' " + "x" * 200
    terminal.print(line)
    # rich would colour the numbers and the quoted code, and fold the line at the console's width
    assert screen.getvalue() == line + "\n"
    console(color="never", stderr=True).print("to standard error")
    captured = capsys.readouterr()
    assert captured.err == "to standard error\n" and captured.out == ""


def test_progress_of_batches_counts_their_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    from rich.console import Console
    from rich.progress import Progress

    from nicelogic.input.read import ReadPosition
    from nicelogic.report.terminal import CheckProgress

    def batch(rows: int) -> pa.RecordBatch:
        return pa.record_batch({"id": [str(n) for n in range(rows)]})

    batches = [(batch(3), batch(1)), (batch(4), batch(0))]
    position = ReadPosition([])
    with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
        progress = CheckProgress(bar, position)
        seen = []
        for records, violations in progress.follow_batches(iter(batches), 7):
            (task,) = bar.tasks
            seen.append((int(task.completed), task.fields["records"], task.fields["rate"]))
            assert (records, violations) == batches[len(seen) - 1]
        assert (task.total, task.completed) == (7, 7)
    assert [(done, count) for done, count, _ in seen] == [(3, 3), (7, 7)]
    assert all(re.fullmatch(r"[\d,]+ records/s", rate) for _, _, rate in seen)
    with Progress(console=Console(file=io.StringIO()), auto_refresh=False) as bar:
        list(CheckProgress(bar, position).follow_batches(iter([]), 0))
        (task,) = bar.tasks
        assert task.total == 1  # an empty input is a bar of one, not a division by zero
    assert list(CheckProgress(None, position).follow_batches(iter(batches), 7)) == batches


@pytest.mark.parametrize("sized", [True, False])
def test_check_progress_draws_share_and_time_left_only_for_inputs_of_known_size(
    sized: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from nicelogic.input.read import ReadPosition, read_lines
    from nicelogic.report.terminal import check_progress

    path = episodes(tmp_path, "a: V44.4\nb: V55.1\n")
    position = ReadPosition([str(path)] if sized else ["-"])
    assert (position.total is not None) == sized
    with check_progress(True, position, "always", results_here=True) as progress:
        assert progress.out is None  # standard output is no terminal here: results do not go through the bar
        for _ in progress.follow(iter(position.track(read_lines(str(path), position=position)))):
            time.sleep(0.15)
    drawn = re.sub("\x1b\\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().err)
    assert "checking" in drawn and re.search(r"\b2 records\b", drawn) and "records/s" in drawn
    assert bool(re.search(r"\d+%", drawn)) == sized and ("left" in drawn) == sized
    with check_progress(False, position) as quiet:
        assert list(quiet.follow(iter([1, 2]))) == [1, 2] and quiet.out is None
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ reporters by name, listings


def test_make_reporter_gives_each_format_its_reporter_and_refuses_others(checker) -> None:  # type: ignore[no-untyped-def]
    from nicelogic.report import FORMATS, make_reporter
    from nicelogic.results import SummaryCounter

    result = checker.check_record("w2: opcs V44.4 Y53.4 Z66.5 V55.1")
    rule = result.violations[0].rule
    for fmt in FORMATS:
        out = io.StringIO()
        reporter = make_reporter(fmt, out, dict(checker.rules), color=False)
        counter = SummaryCounter()
        counter.add(result)
        reporter.add(result)
        reporter.finish(counter.summary())
        assert rule in out.getvalue(), fmt
    plain = io.StringIO()
    make_reporter("text", plain, dict(checker.rules)).add(result)
    assert plain.getvalue().startswith(f"<input>:1:10: {rule} error: ")
    assert not re.search("\x1b\\[", plain.getvalue())  # into a file: no colour unless asked
    coloured = io.StringIO()
    make_reporter("text", coloured, dict(checker.rules), color=True).add(result)
    assert re.search("\x1b\\[", coloured.getvalue()) and rule in coloured.getvalue()
    for unknown in ("TEXT", "xml", ""):
        with pytest.raises(ValueError):
            make_reporter(unknown, io.StringIO(), dict(checker.rules))


def test_lint_listings_count_errors_and_notes() -> None:
    from nicelogic.authoring.lint import LintFinding
    from nicelogic.report.listings import lint_json, lint_text

    error = LintFinding("a.lp", 3, "error", "unsafe", "m")
    note = LintFinding("b.lp", 7, "info", "no-trigger", "m")
    counts = re.compile(r"(\d+) errors?, (\d+) notes?")
    for findings, expected in (([], (0, 0)), ([error], (1, 0)), ([note], (0, 1)), ([error, error, note, note], (2, 2))):
        text = lint_text(findings, findings[:1])
        *shown, total = text.split("\n")
        assert tuple(map(int, counts.fullmatch(total).groups())) == expected  # type: ignore[union-attr]
        assert shown == [str(f) for f in findings[:1]]
    warning = LintFinding("c.lp", 9, "warning", "self-related", "m")
    # warnings are counted when there are some, the words agree with the numbers
    assert lint_text([error, warning, warning, note], []) == "1 error, 2 warnings, 1 note"
    assert lint_text([warning], [warning]) == f"{warning}\n0 errors, 1 warning, 0 notes"
    assert json.loads(lint_json([error, note])) == [
        {"file": "a.lp", "line": 3, "level": "error", "code": "unsafe", "message": "m"},
        {"file": "b.lp", "line": 7, "level": "info", "code": "no-trigger", "message": "m"},
    ]


def test_rule_listings_hold_every_pack_and_rule_whole() -> None:
    from rich.console import Console

    from nicelogic.report.listings import print_rules, rules_json, rules_tsv
    from nicelogic.rules.catalogue import pack_line
    from nicelogic.rules.packs import load_rules

    ruleset = load_rules(["opcs4", "icd10"])
    ids = [rule.id for pack in ruleset.packs for rule in pack.rules]
    data = json.loads(rules_json(ruleset))
    assert [p["name"] for p in data["packs"]] == [p.name for p in ruleset.packs]
    assert [r["id"] for r in data["rules"]] == ids
    rows = list(csv.reader(io.StringIO(rules_tsv(ruleset)), delimiter="\t"))
    assert rows[0] == ["id", "severity", "pack", "title", "source"]
    assert [row[0] for row in rows[1:]] == ids and all(len(row) == 5 for row in rows)
    wanted = [[" ".join(str(r[key]).split()) for key in rows[0]] for r in data["rules"]]
    assert rows[1:] == wanted  # every cell whole, its spaces and line breaks collapsed to single spaces
    screen = io.StringIO()
    print_rules(ruleset, Console(file=screen, width=100, force_terminal=False))
    drawn = screen.getvalue()
    assert all(re.search(rf"\b{re.escape(i)}\b", drawn) for i in ids)  # ids never fold, even on a narrow terminal
    assert all(p.name in drawn for p in ruleset.packs)
    cells = [
        [cell.strip() for cell in line.strip("│┃").split(cell_bar)]
        for line in drawn.splitlines()
        for cell_bar in "│┃"
        if line.startswith(cell_bar)
    ]
    assert ["pack", "title", "metadata"] in cells and ["id", "severity", "title", "source"] in cells
    pack_rows = {row[0]: row for row in cells if len(row) == 3}
    assert all(
        pack_rows[p.name][1] == p.title and pack_line(p).startswith(pack_rows[p.name][2] or "(empty)") for p in ruleset.packs
    )
    rule_rows = {row[0]: row for row in cells if len(row) == 4 and row[0] in ids}
    assert {rule: row[1] for rule, row in rule_rows.items()} == {r["id"]: r["severity"] for r in data["rules"]}
    assert all(row[3] and r["source"].startswith(row[3]) for r in data["rules"] for row in [rule_rows[r["id"]]])
    assert all(row[2] and r["title"].startswith(row[2]) for r in data["rules"] for row in [rule_rows[r["id"]]])
    narrow = io.StringIO()
    print_rules(ruleset, Console(file=narrow, width=80, force_terminal=False))
    # long words fold onto the next line rather than being cut short, and rows are not ruled apart
    assert "…" not in narrow.getvalue() and "├" not in narrow.getvalue() + drawn


def test_info_text_names_each_pack_with_version_and_rule_count_then_the_tables() -> None:
    from nicelogic.report.listings import info_text
    from nicelogic.rules.packs import load_rules

    ruleset = load_rules(["opcs4", "icd10"])
    info = {
        "nicelogic": "9.9",
        "clingo": "5.8",
        "lark": "1.2",
        "config": None,
        "packs_when_named": ["icd10.local", "opcs4.local"],
    }
    lines = info_text(info, ruleset, ["OPCS-4: table one", "ICD-10: table two"]).split("\n")
    assert lines[0] == "nicelogic 9.9 (clingo 5.8, lark 1.2)"
    packs = ", ".join(f"{p.name} {p.version} ({len(p.rules)} rules)" for p in ruleset.packs)
    assert [line.split(": ", 1)[1] for line in lines[1:4]] == ["none found (defaults)", packs, "icd10.local, opcs4.local"]
    assert lines[4:] == ["OPCS-4: table one", "ICD-10: table two"]
    named = info_text({**info, "config": "/x/nicelogic.toml", "packs_when_named": []}, ruleset, []).split("\n")
    assert [line.split(": ", 1)[1] for line in named[1:]] == ["/x/nicelogic.toml", packs, "none"]
    del info["packs_when_named"]
    assert info_text(info, ruleset, []).split("\n")[-1].endswith(": none")


def test_lines_written_above_the_bar_come_out_whole_with_their_colours() -> None:
    from rich.console import Console

    from nicelogic.report.terminal import _AboveTheBar

    screen = io.StringIO()
    above = _AboveTheBar(Console(file=screen, force_terminal=True, width=200))
    assert above.isatty()
    assert above.write("one\n\x1b[31mtwo\x1b[0m\nthr") == len("one\n\x1b[31mtwo\x1b[0m\nthr")
    plain = re.sub("\x1b\\[[0-9;]*m", "", screen.getvalue())
    assert plain == "one\ntwo\n" and "\x1b[31m" in screen.getvalue()  # a partial line waits for its end
    above.write("ee")
    above.flush()
    assert re.sub("\x1b\\[[0-9;]*m", "", screen.getvalue()) == "one\ntwo\nthree\n"
    above.flush()  # nothing left: nothing more written
    assert re.sub("\x1b\\[[0-9;]*m", "", screen.getvalue()) == "one\ntwo\nthree\n"
    assert not _AboveTheBar(Console(file=io.StringIO(), force_terminal=False)).isatty()


def test_the_summary_counts_every_record_result_of_a_run() -> None:
    from collections import Counter

    from nicelogic import Checker

    day = "2026-05-01"  # OPCS-4.11 in force
    waiving = ["opcs.subsidiary-not-first"]
    records = [
        {"id": "v1", "opcs": ["W37.1"], "date": day},
        {"id": "v2", "opcs": ["W37.1"], "date": day},
        {"id": "i1", "opcs": ["Y53.4", "V44.4"], "date": day},
        {"id": "w1", "opcs": ["Y53.4", "V44.4"], "waive": waiving, "date": day},
        {"id": "w2", "opcs": ["Y53.4", "V44.4"], "waive": waiving},
        {"id": "r1", "opcs": ["V4X.4"]},
        {"id": "r2", "opcs": ["V44.4"], "sex": "alien"},
        {"id": "old", "opcs": ["V44.4"], "date": "2001-01-01"},  # before IPG 12 and OPCS-4.11
    ]
    report = Checker(["opcs4", "nice.ipg12"]).check(records)
    summary = report.summary
    assert (summary.records, summary.valid, summary.invalid, summary.rejected) == (8, 2, 4, 2)
    assert summary.waived == 2 and [len(r.waived) for r in report] == [0, 0, 0, 1, 1, 0, 0, 0]
    found = [v for r in report for v in r.violations]
    assert summary.violations == len(found) > len(report) and summary.warnings == len([v for v in found if not v.is_error]) > 1
    assert dict(summary.by_rule) == dict(Counter(v.rule for v in found)) and max(summary.by_rule.values()) > 1
    assert dict(summary.by_edition) == {"OPCS-4.11": 4}
    assert dict(summary.not_judged) == {"OPCS-4.11": 1, "nice.ipg12": 1}


class _Clock:
    """The times the progress display reads, one per call (its refresh and its rate)."""

    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def monotonic(self) -> float:
        return self.times.pop(0)


def test_progress_refreshes_at_its_interval_with_the_rate_since_the_start_and_ends_on_the_full_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from nicelogic.input.read import ReadPosition, read_lines
    from nicelogic.report import terminal

    path = episodes(tmp_path, "a: V44.4\nb: V55.1\nc: V44.4\nd: V55.1\ne: V44.4\n")
    position = ReadPosition([str(path)])
    # start 0; records at 0.05 (too soon), 0.1 (exactly the interval: drawn), 0.15 (too soon
    # after it), 0.5 (drawn), 0.55 (too soon): the end draws the full count whatever the clock
    monkeypatch.setattr(terminal, "time", _Clock(0.0, 0.05, 0.1, 0.15, 0.5, 0.55))
    seen: list[tuple[int, object, object]] = []
    with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
        progress = terminal.CheckProgress(bar, position)
        for _ in progress.follow(position.track(read_lines(str(path), position=position))):
            (task,) = bar.tasks
            seen.append((int(task.completed), task.fields["records"], task.fields["rate"]))
        (task,) = bar.tasks
        assert task.description == "check"
        assert (task.completed, task.fields["records"], task.fields["rate"]) == (position.total, 5, "8 records/s")
    assert [(records, rate) for _, records, rate in seen] == [
        (0, ""), (2, "20 records/s"), (2, "20 records/s"), (4, "8 records/s"), (4, "8 records/s"),
    ]  # fmt: skip
    assert seen[0][0] == 0 and 0 < seen[1][0] <= seen[3][0] <= (position.total or 0)  # bytes read so far


def test_progress_of_batches_shows_each_batch_and_the_rate_since_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from nicelogic.input.read import ReadPosition
    from nicelogic.report import terminal

    class Rows:
        def __init__(self, n: int) -> None:
            self.num_rows = n

    monkeypatch.setattr(terminal, "time", _Clock(10.0, 10.5, 11.0))
    seen: list[tuple[object, ...]] = []
    with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
        progress = terminal.CheckProgress(bar, ReadPosition([]))
        batches = iter([(Rows(2), Rows(0)), (Rows(3), Rows(1))])
        for _ in progress.follow_batches(batches, total_rows=5):  # type: ignore[type-var]
            (task,) = bar.tasks
            seen.append((task.description, task.total, task.completed, task.fields["records"], task.fields["rate"]))
    assert seen == [("check", 5, 2, 2, "4 records/s"), ("check", 5, 5, 5, "5 records/s")]


def test_lines_written_above_the_bar_are_never_wrapped_at_the_terminal_width() -> None:
    from rich.console import Console

    from nicelogic.report.terminal import _AboveTheBar

    screen = io.StringIO()
    line = "ep1: opcs " + " ".join(["V44.4"] * 20)  # far wider than the terminal
    _AboveTheBar(Console(file=screen, force_terminal=False, width=30)).write(line + "\n")
    assert screen.getvalue() == line + "\n"


def test_progress_of_an_input_without_records_ends_at_zero_records_and_the_whole_input(tmp_path: Path) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from nicelogic.input.read import ReadPosition
    from nicelogic.report.terminal import CheckProgress

    blank = tmp_path / "blank.txt"
    blank.write_text("# nothing but a comment\n\n", encoding="utf-8")
    for position, done in ((ReadPosition([str(blank)]), blank.stat().st_size), (ReadPosition(["-"]), 0)):  # "-": size unknown
        with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
            assert list(CheckProgress(bar, position).follow(iter([]))) == []
            (task,) = bar.tasks
            assert (task.completed, task.fields["records"], task.fields["rate"]) == (done, 0, "")
        with Progress(console=Console(file=io.StringIO(), force_terminal=True), auto_refresh=False) as bar:
            assert list(CheckProgress(bar, position).follow_batches(iter([]), total_rows=0)) == []
            (task,) = bar.tasks
            assert (task.total, task.completed, task.fields["records"], task.fields["rate"]) == (1, 0, 0, "")
