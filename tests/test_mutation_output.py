"""The three outputs of ``nicelogic test --mutate`` hold the same run: each mutant with
its place and status, the counts per pack, and the score. Found by mutation testing of
the engine (mutmut, see the README); the run itself is the weak fixture of test_mutation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nicelogic.authoring.mutation_run import EXCLUDED, MutationRun, run_mutation
from nicelogic.report.mutation import render

from .test_mutation import WEAK, make_pack


@pytest.fixture(scope="module")
def weak(tmp_path_factory: pytest.TempPathFactory) -> MutationRun:
    folder = make_pack(tmp_path_factory.mktemp("weak"), WEAK)
    run = run_mutation([str(folder / "tests")], jobs=1)
    assert not run.errors
    assert {"survived", "killed", "equivalent"} <= {r.status for r in run.results}
    return run


def test_json_lists_every_mutant_with_its_place_and_status(weak: MutationRun) -> None:
    data = json.loads(render(weak, "json"))
    assert data["jobs"] == weak.jobs and data["seconds"] == round(weak.seconds, 1) and data["errors"] == []
    assert len(data["mutants"]) == len(weak.results)
    for item, result in zip(data["mutants"], weak.results, strict=True):
        m = result.mutant
        assert Path(item["file"]).name == m.file.name and item["line"] == m.line
        assert (item["pack"], item["rule"], item["operator"], item["key"]) == (m.pack, m.rule, m.operator, m.key)
        assert (item["before"], item["after"], item["statement"], item["mutated"]) == (m.before, m.after, m.statement, m.mutated)
        assert (item["status"], item["killed_by"], item["detail"]) == (result.status, list(result.failed), result.detail)
        assert ("cases" in item) == (result.status == "survived")
        assert ("declared" in item) == (result.status == "equivalent")
        if result.status == "survived":
            assert item["cases"] == list(result.cases) and item["cases"]
        if result.status == "killed":
            assert item["killed_by"]


def test_json_scores_count_every_status(weak: MutationRun) -> None:
    scores = json.loads(render(weak, "json"))["scores"]
    total = scores["total"]
    assert total["survived"] == sum(r.status == "survived" for r in weak.results)
    assert total["killed"] == sum(r.status == "killed" for r in weak.results)
    assert total["percent"] == round(weak.total.percent, 1)  # type: ignore[arg-type]
    assert [s["name"] for s in scores["packs"]] == ["mut"] and scores["packs"][0]["pack"] == "mut"
    assert {s["name"] for s in scores["rules"]} == {"mut.approach", "mut.pair"}
    assert sum(s["survived"] for s in scores["rules"]) == total["survived"]


def test_junit_fails_survivors_and_skips_excluded_mutants(weak: MutationRun) -> None:
    output = render(weak, "junit")
    assert output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    root = ET.fromstring(output.split("\n", 1)[1])
    survived = [r for r in weak.results if r.status == "survived"]
    excluded = [r for r in weak.results if r.status in EXCLUDED]
    assert (root.get("name"), root.get("tests"), root.get("failures"), root.get("errors")) == (
        "nicelogic test --mutate", str(len(weak.results)), str(len(survived)), "0",
    )  # fmt: skip
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "mut"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        str(len(weak.results)), str(len(survived)), str(len(excluded)),
    )  # fmt: skip
    cases = suite.findall("testcase")
    for case, result in zip(cases, weak.results, strict=True):
        m = result.mutant
        assert case.get("classname") == f"{m.pack}.{m.rule}"
        name = case.get("name") or ""
        assert name.endswith(f":{m.line} {m.key}") and Path(name.split(":")[0]).name == m.file.name
        failure, skipped = case.find("failure"), case.find("skipped")
        assert (failure is not None) == (result.status == "survived")
        assert (skipped is not None) == (result.status in EXCLUDED)
        if skipped is not None:
            assert (skipped.get("message") or "").startswith(f"{result.status}: ")
        if failure is not None:
            text = (failure.text or "").splitlines()
            assert len(text) == 3 and text[0].endswith(m.statement) and text[1].endswith(m.mutated or "")
            assert m.before in (failure.get("message") or "")


def test_text_lists_survivors_then_the_scores(weak: MutationRun) -> None:
    lines = render(weak, "text").splitlines()
    listed = [line.split() for line in lines if line.split()[0] in {"SURVIVED", "EQUIVALENT", "INVALID", "TIMEOUT"}]
    shown = {(words[0].lower(), words[2], " ".join(words[3:])) for words in listed}
    expected = {
        (r.status, r.mutant.rule, r.mutant.key)
        for r in weak.results
        if r.status in ("survived", "timeout", "memory", "equivalent", "not-applicable")
    }
    assert shown == expected
    for words in listed:
        assert words[1].endswith(tuple(f"{r.mutant.file.name}:{r.mutant.line}" for r in weak.results))
    survivor = lines.index(next(line for line in lines if line.startswith("SURVIVED ")))
    assert [line.split(":")[0].strip() for line in lines[survivor + 1 : survivor + 4]] == ["before", "after", "ran"]
    first = next(r for r in weak.results if r.status == "survived")
    ran = lines[survivor + 3].split(":", 1)[1].split()
    assert int(ran[0]) == len(first.cases) and ran[-1] == first.cases[0].rsplit(":", 1)[0]
    total = weak.total
    for status in EXCLUDED:
        if total.count(status):
            assert f"{total.count(status)} {status}" in lines[-1].split("; ", 1)[1]
    assert lines[-1].split()[0] == str(len(weak.results)) and f"{total.percent:.1f}%" in lines[-1]
    assert f"{total.killed} of {total.scored} killed" in lines[-1]
    pack = next(line for line in lines if line.startswith("  mut: "))
    assert pack.split()[1] == f"{weak.pack_scores[0].percent:.1f}%,"
    verbose = render(weak, "text", verbose=True).splitlines()
    assert len(verbose) > len(lines)
    assert any(line.startswith("    mut.") for line in verbose)  # every rule's score, not only those with survivors


def test_render_refuses_other_formats(weak: MutationRun) -> None:
    with pytest.raises(ValueError):
        render(weak, "tap")


def test_errors_of_a_run_reach_junit_and_json_and_equivalents_carry_their_declaration(weak: MutationRun) -> None:
    import dataclasses

    broken = dataclasses.replace(weak, errors=("case a fails unmutated", "stale declaration b"))
    root = ET.fromstring(render(broken, "junit").split("\n", 1)[1])
    assert root.get("errors") == "2"
    assert [e.get("message") for e in root.findall("error")] == list(broken.errors)
    assert json.loads(render(broken, "json"))["errors"] == list(broken.errors)
    data = json.loads(render(weak, "json"))
    for item, result in zip(data["mutants"], weak.results, strict=True):
        if result.status == "equivalent":
            assert item["declared"] == result.mutant.declared
