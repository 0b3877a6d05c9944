"""The three outputs of ``nicelogic test --mutate`` hold the same run: each mutant with
its place and status, the counts per pack, and the score. Found by mutation testing of
the engine (mutmut, see the README); the run itself is the weak fixture of test_mutation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nicelogic.authoring.mutation import Mutant
from nicelogic.authoring.mutation_run import EXCLUDED, MutantResult, MutationRun, run_mutation
from nicelogic.report.mutation import render, text

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


# ----------------------------------------------------------------------------- a run built by hand
# Every status and both kinds of score in one small run, so that the text's layout (what an
# author reads first) is pinned line by line, and the JSON and JUnit counts beside it.


def _mutant(rule: str, line: int, before: str, after: str, mutated: str = "", pack: str = "p") -> Mutant:
    return Mutant(
        pack, Path("/nowhere/p/rules.lp"), rule, line, "negate", before, after, f"v :- {before}.", mutated,
        f"negate: {before} -> {after}",
    )  # fmt: skip


def _hand_run() -> MutationRun:
    results = (
        MutantResult(_mutant("p.a", 3, "x", "not x", "v :- not x."), "survived", cases=("t/a.txt:1", "t/a.txt:4", "u/b:c.txt:2")),
        MutantResult(_mutant("p.a", 4, "y", ""), "survived"),
        MutantResult(_mutant("p.a", 5, "z", "not z"), "killed", cases=("t/a.txt:1",), failed=("t/a.txt:1",)),
        MutantResult(_mutant("p.a", 6, "w", "not w"), "timeout", detail="past 10 s"),
        MutantResult(_mutant("p.b", 7, "q", "not q"), "equivalent", detail="q is always true"),
        MutantResult(_mutant("p.b", 8, "r", "not r"), "invalid", detail="unsafe variable"),
        MutantResult(_mutant("p.b", 9, "s", "not s"), "not-applicable", detail="needs the UK table"),
        MutantResult(_mutant("o.c", 2, "e", "not e", pack="o"), "memory", detail="past 2048 MiB"),
    )
    return MutationRun(results, ("t/a.txt:9: fails unmutated",), 12.34, 2)


def test_text_lists_survivors_with_their_cases_then_the_other_outcomes_then_the_scores() -> None:
    assert text(_hand_run()) == render(_hand_run(), "text")  # not verbose unless asked
    assert render(_hand_run(), "text").splitlines() == [
        "error: t/a.txt:9: fails unmutated",
        "SURVIVED /nowhere/p/rules.lp:3 p.a negate: x -> not x",
        "    before: v :- x.",
        "    after:  v :- not x.",
        "    ran: 3 cases of t/a.txt, u/b:c.txt",
        "SURVIVED /nowhere/p/rules.lp:4 p.a negate: y -> ",
        "    before: v :- y.",
        "    after:  (statement dropped)",
        "    ran: no case",
        "TIMEOUT /nowhere/p/rules.lp:6 p.a negate: w -> not w",
        "    detail: past 10 s",
        "MEMORY /nowhere/p/rules.lp:2 o.c negate: e -> not e",
        "    detail: past 2048 MiB",
        "EQUIVALENT /nowhere/p/rules.lp:7 p.b negate: q -> not q",
        "    why: q is always true",
        "NOT-APPLICABLE /nowhere/p/rules.lp:9 p.b negate: s -> not s",
        "    detail: needs the UK table",
        "mutation score by pack and rule (killed among the mutants that can be killed):",
        "  p: 50.0%, 2 of 4 killed (1 by a time or memory bound); 1 equivalent, 1 invalid, 1 not-applicable",
        "    p.a: 50.0%, 2 of 4 killed (1 by a time or memory bound)",
        "  o: 100.0%, 1 of 1 killed (1 by a time or memory bound)",
        "8 mutants, 3 of 5 killed (2 by a time or memory bound); 1 equivalent, 1 invalid, 1 not-applicable: "
        "60.0% in 12.3 s on 2 workers",
    ]


def test_verbose_text_shows_invalid_mutants_every_statement_and_every_rule_and_a_rule_without_score_is_na() -> None:
    lines = render(_hand_run(), "text", verbose=True).splitlines()
    invalid = lines.index("INVALID /nowhere/p/rules.lp:8 p.b negate: r -> not r")
    assert lines[invalid + 1 : invalid + 4] == [
        "    before: v :- r.",
        "    after:  (statement dropped)",
        "    detail: unsafe variable",
    ]
    killed_none = lines.index("TIMEOUT /nowhere/p/rules.lp:6 p.a negate: w -> not w")
    assert lines[killed_none + 1 : killed_none + 3] == ["    before: v :- w.", "    after:  (statement dropped)"]
    assert "    p.b: n/a, 0 of 0 killed; 1 equivalent, 1 invalid, 1 not-applicable" in lines
    assert "    o.c: 100.0%, 1 of 1 killed (1 by a time or memory bound)" in lines


def test_json_and_junit_of_the_hand_run_count_as_the_text_does() -> None:
    run = _hand_run()
    data = json.loads(render(run, "json"))
    assert data["seconds"] == 12.3 and data["jobs"] == 2 and data["errors"] == ["t/a.txt:9: fails unmutated"]
    assert data["scores"]["total"]["percent"] == 60.0 and data["scores"]["total"]["name"] == "all"
    assert [(s["name"], s["percent"]) for s in data["scores"]["rules"]] == [("p.a", 50.0), ("p.b", None), ("o.c", 100.0)]
    assert data["mutants"][4]["declared"] is False and "declared" not in data["mutants"][0]
    root = ET.fromstring(render(run, "junit").split("\n", 1)[1])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "2", "1")
    p, o = root.findall("testsuite")
    assert (p.get("name"), p.get("tests"), p.get("failures"), p.get("skipped")) == ("p", "7", "2", "3")
    assert (o.get("name"), o.get("tests"), o.get("failures"), o.get("skipped")) == ("o", "1", "0", "0")
    failure = p.find("testcase/failure")
    assert failure is not None and failure.get("message") == "mutant survived: x -> not x"
    assert failure.text == "before: v :- x.\nafter:  v :- not x.\nran: 3 cases of t/a.txt, u/b:c.txt"
    dropped = p.findall("testcase/failure")[1]
    assert dropped.get("message") == "mutant survived: y -> (nothing)" and dropped.text is not None
    assert dropped.text.splitlines()[1:] == ["after:  (statement dropped)", "ran: no case"]
    skipped = p.find("testcase/skipped")
    assert skipped is not None and skipped.get("message") == "equivalent: q is always true"
    assert [e.get("message") for e in root.findall("error")] == ["t/a.txt:9: fails unmutated"]
    with pytest.raises(ValueError, match="text, json or junit"):
        render(run, "sarif")
