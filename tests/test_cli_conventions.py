"""What users of ruff, sqlfluff and conftest expect of a checker's command line: rule
selection, configuration files, quiet and statistics modes, colour that follows the
terminal and NO_COLOR/FORCE_COLOR, live progress, shell completion, and warnings for
inputs that are probably mistakes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic.cli import main
from nicelogic.rules.packs import builtin_pack_dirs

from .conftest import ROOT
from .terminal import run_on_terminal

EXAMPLE = str(ROOT / "examples" / "episodes.txt")
SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def violations(output: str) -> dict[str, list[tuple[str, list[int]]]]:
    return {r["id"]: [(v["rule"], v["positions"]) for v in r["violations"]] for r in json.loads(output)["records"]}


# ------------------------------------------------------------------ selecting rules

RECORD = "ep: opcs V44.4 Z66.5; icd M80.0"  # breaks opcs4, nice.htg3 and nice.ipg12 rules


def reported(*options: str) -> set[str]:
    """Every rule reported, including those that restate a reported rule (``also``)."""
    [record] = json.loads(run("check", "--record", RECORD, "-f", "json", *options).stdout)["records"]
    return {rule for v in record["violations"] for rule in [v["rule"], *(a["rule"] for a in v.get("also", []))]}


def test_select_and_ignore_by_id_pack_and_prefix() -> None:
    every = reported()
    assert {"opcs.spinal-levels-second", "nice.htg3.levels-second", "nice.ipg12.levels-second"} <= every
    assert reported("--ignore", "nice.") == {rule for rule in every if not rule.startswith("nice.")}
    assert reported("--select", "nice.htg3") == {rule for rule in every if rule.startswith("nice.htg3.")}
    one = reported("--select", "opcs.spinal-levels-second,nice.ipg12.levels-second")
    assert one == {"opcs.spinal-levels-second", "nice.ipg12.levels-second"}
    both = reported("--select", "nice", "--ignore", "nice.ipg12")
    assert both == {rule for rule in every if rule.startswith("nice.htg3.")}


def test_a_record_that_only_breaks_ignored_rules_is_valid() -> None:
    result = run("check", "--record", "ep: opcs V44.4 V55.1 Y53.4 Z66.5; icd C79.5 C50.9 M80.0", "--rules", "opcs4",
                 "--record", "ep2: opcs V44.4", "--ignore", "opcs.spinal-levels-second", "-f", "json")  # fmt: skip
    records = json.loads(result.stdout)["records"]
    assert [r["valid"] for r in records] == [True, True] and result.exit_code == 0


def test_a_selector_that_names_no_rule_is_a_usage_error() -> None:
    result = run("check", "--record", RECORD, "--ignore", "nice.htg33")
    assert result.exit_code == 2 and "'nice.htg33' names no rule" in result.stderr


def test_empty_rules_warns_that_every_pack_is_used() -> None:
    result = run("check", "--record", "opcs V44.4 V55.1 Y53.4", "-r", "")
    assert "warning: --rules '' names no pack" in result.stderr


# ------------------------------------------------------------------ records and ids


def test_check_a_record_from_the_command_line() -> None:
    result = run("check", "--record", "ep1: opcs V44.4 V55.1", "--record", "opcs V4X.4", "--rules", "opcs4", "-f", "json")
    records = json.loads(result.stdout)["records"]
    assert [r["id"] for r in records] == ["ep1", "2"]
    assert records[0]["source"] == "<record>" and records[1]["error"]["column"] == 6
    assert result.exit_code == 1


def test_records_reusing_an_id_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "twice.txt"
    path.write_text("a: V44.4 V55.1 Y53.4\nb: V44.4 V55.1 Y53.4\na: W37.1 Z94.1\n")
    result = run("check", str(path), "--rules", "opcs4")
    assert "warning: record ids repeat: 1 record(s) reuse an earlier id, e.g. 'a'" in result.stderr
    assert f"{path}:3" in result.stderr
    unique = tmp_path / "unique.txt"
    unique.write_text("a: V44.4 V55.1 Y53.4\nb: W37.1 Z94.1\n")
    assert "warning" not in run("check", str(unique), "--rules", "opcs4").stderr


def test_an_id_column_that_is_not_unique_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text("EPIKEY,PROCODE3,OPERTN_01,OPERTN_02\n1,RX1,W37.1,Z94.1\n2,RX1,W38.1,Z94.2\n3,RX2,W37.1,Z94.1\n")
    result = run("check", str(path), "--rules", "opcs4", "--id-column", "PROCODE3")
    assert "warning: the id column 'PROCODE3' does not hold unique ids" in result.stderr
    assert "warning" not in run("check", str(path), "--rules", "opcs4").stderr


def test_repeated_ids_are_counted_per_source_and_the_first_five_shown() -> None:
    from nicelogic.checking.ids import IdWatch
    from nicelogic.results import RecordResult

    watch = IdWatch()
    for line, (source, id_) in enumerate([("a.txt", "x"), ("b.txt", "x"), ("a.txt", "y")], start=1):
        watch.add(RecordResult(id_, line, source))
    assert watch.warnings() == []  # one id in two files is no repeat
    for line in range(4, 11):
        watch.add(RecordResult("x", line, "a.txt"))
    [warning] = watch.warnings()
    shown = ", ".join(f"'x' (a.txt:{line})" for line in range(4, 9))
    assert warning == f"record ids repeat: 7 record(s) reuse an earlier id, e.g. {shown} and 2 more"
    column = IdWatch("PROCODE3")
    for line in (1, 2):
        column.add(RecordResult("RX1", line, "e.csv"))
    expected = "the id column 'PROCODE3' does not hold unique ids: 1 record(s) reuse an earlier id, e.g. 'RX1' (e.csv:2)"
    assert column.warnings() == [expected]


# ------------------------------------------------------------------ waivers


def test_a_waiver_may_name_a_pack_or_a_prefix(tmp_path: Path) -> None:
    path = tmp_path / "waived.txt"
    path.write_text(
        "p: opcs V44.4 Y53.4 Z66.5; icd M80.0   # waive: nice.htg3\nq: opcs V44.4 Y53.4 Z66.5; icd M80.0   # waive: nice\n"
    )
    records = json.loads(run("check", str(path), "-f", "json", "--rules", "opcs4,nice.htg3,nice.ipg12").stdout)["records"]
    by_id = {r["id"]: r for r in records}
    assert {v["rule"] for v in by_id["p"]["waived"]} == {"nice.htg3.levels-second"}
    # not waived: reported inside the OPCS-4 standard's violation, which it restates
    assert "nice.ipg12.levels-second" in {a["rule"] for v in by_id["p"]["violations"] for a in v.get("also", [])}
    assert {v["rule"] for v in by_id["q"]["waived"]} == {"nice.htg3.levels-second", "nice.ipg12.levels-second"}
    assert not any(v["rule"].startswith("nice.") for v in by_id["q"]["violations"])


def test_a_waiver_that_waives_nothing_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "unused.txt"
    path.write_text("u: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0   # waive: opcs.subsidiary-not-first, nice.htg3\n")
    result = run("check", str(path), "-f", "json", "--rules", "opcs4,nice.htg3")
    record = json.loads(result.stdout)["records"][0]
    unused = [v for v in record["violations"] if v["rule"] == "waiver.unused"]
    assert len(unused) == 2 and all(v["severity"] == "warning" for v in unused)
    assert {v["message"].split("'")[1] for v in unused} == {"opcs.subsidiary-not-first", "nice.htg3"}
    assert record["valid"] is True and result.exit_code == 0
    assert run("check", str(path), "--rules", "opcs4,nice.htg3", "--fail-on-warning").exit_code == 1
    quiet = run("check", str(path), "-f", "json", "--rules", "opcs4,nice.htg3", "--ignore", "waiver.unused")
    assert json.loads(quiet.stdout)["records"][0]["violations"] == []


# ------------------------------------------------------------------ modes


def test_exit_zero_quiet_and_statistics() -> None:
    assert run("check", EXAMPLE).exit_code == 1
    assert run("check", EXAMPLE, "--exit-zero").exit_code == 0
    quiet = run("check", EXAMPLE, "-q")
    assert quiet.exit_code == 1 and "records checked" not in quiet.output
    assert all(": " in line for line in quiet.stdout.splitlines())
    stats = run("check", EXAMPLE, "--statistics")
    rows = stats.stdout.splitlines()
    counts = [(int(row.split()[0]), row.split()[1]) for row in rows[:-1]]
    assert counts == sorted(counts, key=lambda c: (-c[0], c[1]))
    summary = json.loads(run("check", EXAMPLE, "-f", "json").stdout)["summary"]
    assert {rule: count for count, rule in counts if rule != "input.rejected"} == summary["by_rule"]
    assert ("input.rejected" in dict((r, c) for c, r in counts)) and rows[-1].startswith("7 records checked")
    assert run("check", EXAMPLE, "--statistics", "-f", "json").exit_code == 2


def test_info_as_json_names_versions_packs_tables_and_configuration() -> None:
    info = json.loads(run("info", "--format", "json").stdout)
    assert {p["name"] for p in info["packs"]} == set(builtin_pack_dirs())
    assert info["tables"]["opcs4"].startswith("OPCS-4.11") and info["config"] is None
    assert info["clingo"] and info["lark"] and info["nicelogic"]


def test_rules_into_a_pipe_are_whole_rows() -> None:
    lines = run("rules").stdout.splitlines()
    assert lines[0].split("\t") == ["id", "severity", "pack", "title", "source"]
    catalogue = json.loads(run("rules", "--format", "json").stdout)["rules"]
    assert [line.split("\t")[0] for line in lines[1:]] == [rule["id"] for rule in catalogue]
    assert all(len(line.split("\t")) == 5 for line in lines)
    assert run("rules", "--format", "tsv").stdout == run("rules").stdout


# ------------------------------------------------------------------ configuration


def test_configuration_file_found_upwards_and_overridden_by_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nicelogic.toml").write_text('rules = ["opcs4"]\nformat = "json"\n[check]\nignore = ["opcs.v55-orphan"]\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "r.txt").write_text("a: V64.1 V55.1\nb: Y53.4 W37.1\n")
    monkeypatch.chdir(tmp_path / "data")
    configured = run("check", "r.txt")
    found = violations(configured.stdout)  # json, from the file
    assert found == {"a": [], "b": [("opcs.subsidiary-not-first", [1])]}
    overridden = run("check", "r.txt", "--ignore", "opcs.subsidiary-not-first", "-f", "jsonl")
    assert [json.loads(line)["violations"] for line in overridden.stdout.splitlines()][1] == []
    assert "opcs.v55-orphan" in run("--isolated", "check", "r.txt").stdout
    assert json.loads(run("info", "-f", "json").stdout)["config"] == str(tmp_path / "nicelogic.toml")
    assert f"configuration: {tmp_path / 'nicelogic.toml'}" in run("info", "-f", "text").stdout


def test_configuration_in_pyproject_and_paths_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "audit"\n[tool.nicelogic]\nrules = "opcs4"\nopcs-file = "tables/opcs.xml"\n'
    )
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "opcs.xml").write_text((ROOT / "tests" / "fixtures" / "opcs_mini_release.xml").read_text())
    monkeypatch.chdir(tmp_path)
    info = json.loads(run("info", "-f", "json").stdout)
    assert info["config"] == str(tmp_path / "pyproject.toml") and info["tables"]["opcs4"] != "OPCS-4.11"


def test_configuration_mistakes_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nicelogic.toml").write_text('rulez = "opcs4"\n[chek]\nformat = "json"\n')
    monkeypatch.chdir(tmp_path)
    result = run("check", "--record", "V44.4 V55.1 Y53.4")
    assert "unknown option 'rulez'" in result.stderr and "unknown option '[chek]'" in result.stderr
    (tmp_path / "nicelogic.toml").write_text("rules = [\n")
    broken = run("check", "--record", "V44.4")
    assert broken.exit_code == 2 and "nicelogic.toml: not valid TOML" in broken.stderr


# ------------------------------------------------------------------ shell completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    script = run("completion", shell).stdout
    assert "_NICELOGIC_COMPLETE" in script and f"{shell}_" in script


def test_rules_complete_to_pack_names() -> None:
    env = {"_NICELOGIC_COMPLETE": "bash_complete", "COMP_WORDS": "nicelogic check --rules opcs4,nice.ipg3", "COMP_CWORD": "3"}
    result = CliRunner().invoke(main, [], env=env, prog_name="nicelogic")
    offered = [line.split(",", 1)[1] for line in result.stdout.splitlines()]
    assert offered == ["opcs4,nice.ipg306", "opcs4,nice.ipg319", "opcs4,nice.ipg365", "opcs4,nice.ipg366", "opcs4,nice.ipg387"]


# ------------------------------------------------------------------ the terminal


def colours(data: bytes) -> set[str]:
    """Colour parameters of the SGR sequences written (30-38 and 90-97; not bold or reset)."""
    found = set()
    for params in SGR.findall(data):
        for param in params.decode().split(";"):
            if param and (30 <= int(param) <= 38 or 90 <= int(param) <= 97):
                found.add(param)
    return found


def test_colour_on_a_terminal_and_no_color() -> None:
    args = ["check", EXAMPLE, "--rules", "opcs4", "--no-progress"]
    assert colours(run_on_terminal(args).terminal)
    assert not colours(run_on_terminal(args, env={"NO_COLOR": "1"}).terminal)
    assert not SGR.search(run_on_terminal([*args, "--color", "never"]).terminal)
    assert colours(run_on_terminal([*args, "--color", "always"], env={"NO_COLOR": "1"}).terminal)


def test_colour_into_a_pipe_only_when_forced() -> None:
    args = ["check", EXAMPLE, "--rules", "opcs4", "--no-progress"]
    assert not SGR.search(run_on_terminal(args, stdout_on_terminal=False).piped)
    assert colours(run_on_terminal(args, stdout_on_terminal=False, env={"FORCE_COLOR": "1"}).piped)
    assert colours(run_on_terminal([*args, "--color", "always"], stdout_on_terminal=False).piped)
    assert not SGR.search(run_on_terminal([*args, "--color", "never"], stdout_on_terminal=False, env={"FORCE_COLOR": "1"}).piped)


@pytest.fixture(scope="module")
def large_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks.synthetic import write_text

    path = tmp_path_factory.mktemp("progress") / "episodes.txt"
    with path.open("w", encoding="utf-8") as out:
        write_text(40_000, out)
    return path


def test_progress_shows_rate_share_and_time_left_then_the_summary(large_input: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.jsonl"
    run_ = run_on_terminal(["check", str(large_input), "-f", "jsonl", "-o", str(output), "--rules", "opcs4"])
    drawn = run_.terminal.decode("utf-8", "replace")
    assert re.search(r"\d+%", drawn) and re.search(r"[\d,]+ records/s", drawn) and "left" in drawn
    shown = sorted({int(n.replace(",", "")) for n in re.findall(r"([\d,]+) records(?!/)", drawn)})
    assert len(shown) >= 2 and shown[0] < 40_000  # it moved before the end
    # the bar is gone at the end; the summary stays, because results went to a file
    screen = run_.screen()
    assert screen == ["40000 records checked, " + screen[0].split("checked, ", 1)[1]]
    assert sum(1 for _ in output.open()) == 40_000


def test_results_on_the_same_terminal_leave_no_stale_bar() -> None:
    screen = run_on_terminal(["check", EXAMPLE, "--rules", "opcs4", "--progress"]).screen()
    assert not any("checking" in line for line in screen)
    assert screen[-1].startswith("7 records checked")
    assert "".join(screen).count("examples/episodes.txt:") == 4  # every result, none overwritten


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "csv", "tap", "github", "gitlab"])
def test_every_format_carries_an_unused_waiver(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "u.txt"
    path.write_text("u: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0   # waive: nice.htg3\n")
    result = run("check", str(path), "-f", fmt, "--rules", "opcs4,nice.htg3")
    assert result.exit_code == 0 and "waiver.unused" in result.stdout
    if fmt == "sarif":
        run_ = json.loads(result.stdout)["runs"][0]
        (finding,) = run_["results"]
        assert run_["tool"]["driver"]["rules"][finding["ruleIndex"]]["id"] == "waiver.unused"


@pytest.mark.parametrize("command", ["complete", "repair"])
def test_complete_and_repair_answer_or_reject_every_record_of_a_file(command: str) -> None:
    result = run(command, "--file", EXAMPLE, "--rules", "opcs4", "-f", "json", "--limit", "1")
    answers = json.loads(result.stdout)
    assert len(answers) == 7 and result.exit_code == 1
    rejected = [a for a in answers if "error" in a]
    assert [(a["id"], a["line"], a["error"]["column"]) for a in rejected] == [("ep06", 28, 12)]
    assert all("input" in a for a in answers if "error" not in a)
    text = run(command, "--file", EXAMPLE, "--rules", "opcs4", "--limit", "1").stdout
    assert "ep06: rejected" in text and "ep07:" in text  # the records after it are answered too
