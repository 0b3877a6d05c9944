"""``nicelogic test --mutate``: mutants of a pack's statements, run against its cases."""

from __future__ import annotations

import json
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic.authoring.mutation import PackMutants, Siblings, file_mutants, violation_predicates
from nicelogic.authoring.mutation_run import KILLED, run_mutation
from nicelogic.cli import main
from nicelogic.errors import RuleError
from nicelogic.rules.packs import load_pack, load_rules
from nicelogic.tables import load_tables

from .conftest import ROOT, one_rule_pack, rule_text

APPROACH = """\
%! id = "mut.approach"
%! severity = "error"
%! title = "Cementoplasty W35.1 is followed by its Y53 approach"
%! message = "{code} has no Y53 approach after it"
%! source = "test fixture"

violation("mut.approach", R, opcs, P) :-
    code(R, opcs, P, "W35.1"), not category(R, opcs, P + 1, "Y53").
"""
APPROACH_LINE = 8  # the line of the body literal the weak cases leave untested

PAIR = """\
%! id = "mut.pair"
%! severity = "warning"
%! title = "The same procedure twice"
%! message = "{{codes}} repeat one procedure"
%! source = "test fixture"
{declaration}
violation("mut.pair", R, opcs, (P, Q)) :- code(R, opcs, P, C), code(R, opcs, Q, C), P < Q.
"""
# Positions are a set: (P, Q) and (Q, P) are one finding, so these cannot change an answer.
DECLARED = (
    "%! equivalent-mutants = [\n"
    '%!   { mutant = "swap-variables: P < Q -> Q < P", why = "positions are a set" },\n'
    '%!   { mutant = "comparison: P < Q -> P > Q", why = "positions are a set" },\n'
    '%!   { mutant = "comparison: P < Q -> P != Q", why = "positions are a set" },\n'
    "%! ]"
)

WEAK = "# expect: mut.approach @ opcs:1\nW35.1\n# expect: mut.pair @ opcs:1,2\nW35.1 W35.1 Y53.4\n"
STRONG = WEAK + "# ok\nW35.1 Y53.4\n"


def make_pack(root: Path, cases: str, declaration: str = DECLARED, rules: dict[str, str] | None = None) -> Path:
    folder = root / "mut"
    (folder / "tests").mkdir(parents=True)
    (folder / "pack.toml").write_text('name = "mut"\ntitle = "mutation fixture"\nversion = "1"\n', encoding="utf-8")
    files = rules or {"approach.lp": APPROACH, "pair.lp": PAIR.format(declaration=declaration)}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "tests" / "cases.txt").write_text(cases, encoding="utf-8")
    return folder


def statuses(run) -> dict[tuple[str, str, str], str]:  # type: ignore[no-untyped-def]
    return {(r.mutant.file.name, r.mutant.operator, r.mutant.before): r.status for r in run.results}


def test_weak_cases_leave_a_mutant_alive_and_say_where(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, WEAK)
    run = run_mutation([str(folder / "tests")], jobs=1)
    assert not run.errors
    survivors = [r for r in run.results if r.status == "survived"]
    deleted = [r for r in survivors if r.mutant.operator == "delete-literal"]
    assert [(r.mutant.file, r.mutant.line, r.mutant.before, r.mutant.after) for r in deleted] == [
        (folder / "approach.lp", APPROACH_LINE, 'not category(R,opcs,(P+1),"Y53")', "")
    ]
    assert deleted[0].cases == (f"{folder / 'tests' / 'cases.txt'}:2", f"{folder / 'tests' / 'cases.txt'}:4")
    assert {r.mutant.after for r in survivors if r.mutant.operator == "shift"} == {"0", "2"}
    approach = next(s for s in run.rule_scores if s.name == "mut.approach")
    assert approach.count("survived") >= 4 and approach.percent is not None and approach.percent < 100


def test_stronger_cases_kill_every_mutant(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, STRONG)
    run = run_mutation([str(folder / "tests")], jobs=2)
    assert not run.errors and run.total.count("survived") == 0
    assert {s.name: s.percent for s in run.pack_scores} == {"mut": 100.0}
    assert run.total.count("invalid") > 0  # unsafe mutants are counted apart, not scored
    killed = statuses(run)
    assert killed[("approach.lp", "delete-literal", 'not category(R,opcs,(P+1),"Y53")')] == "killed"
    assert killed[("approach.lp", "sibling", '"W35.1"')] == "killed"
    assert run.ok(100.0)


def test_declared_and_detected_equivalent_mutants_are_listed_apart(tmp_path: Path) -> None:
    declared = run_mutation([str(make_pack(tmp_path / "a", STRONG) / "tests")], jobs=1)
    by_key = {r.mutant.key: r for r in declared.results if r.mutant.file.name == "pair.lp"}
    for key in ("swap-variables: P < Q -> Q < P", "comparison: P < Q -> P > Q", "comparison: P < Q -> P != Q"):
        result = by_key[key]
        assert (result.status, result.mutant.declared, result.detail) == ("equivalent", True, "positions are a set")
    assert declared.total.count("equivalent") == 3 and declared.ok(100.0)

    undeclared = run_mutation([str(make_pack(tmp_path / "b", STRONG, declaration="") / "tests")], jobs=1)
    alive = {r.mutant.key for r in undeclared.results if r.status == "survived"}
    assert {"swap-variables: P < Q -> Q < P", "comparison: P < Q -> P > Q"} <= alive
    assert not undeclared.ok(100.0)


def test_a_declaration_that_names_no_mutant_is_an_error(tmp_path: Path) -> None:
    stale = '%! equivalent-mutants = [{ mutant = "comparison: P < Q -> P = Q #9", why = "no such mutant" }]'
    run = run_mutation([str(make_pack(tmp_path, STRONG, declaration=stale) / "tests")], jobs=1)
    assert len(run.errors) == 1 and "pair.lp:1" in run.errors[0] and not run.ok()


@pytest.mark.parametrize(
    "declaration",
    [
        '%! equivalent-mutants = "comparison: P < Q -> P > Q"',
        '%! equivalent-mutants = [{ mutant = "comparison: P < Q -> P > Q" }]',
        '%! equivalent-mutants = [{ mutant = "comparison: P < Q -> P > Q", why = " " }]',
        '%! equivalent-mutants = [{ mutant = "x", why = "y", line = 3 }]',
    ],
)
def test_the_loader_refuses_malformed_declarations(tmp_path: Path, declaration: str) -> None:
    folder = make_pack(tmp_path, STRONG, declaration=declaration)
    with pytest.raises(RuleError, match=r"pair\.lp:1: .*(equivalent-mutants|mutant and why)"):
        load_pack(folder)


def test_a_helper_file_may_declare_equivalent_mutants_and_nothing_else(tmp_path: Path) -> None:
    helper = '%! equivalent-mutants = [{ mutant = "drop-rule: mut_unused(1).", why = "read by no rule" }]\nmut_unused(1).\n'
    folder = make_pack(tmp_path, STRONG, rules={"approach.lp": APPROACH, "helper.lp": helper})
    pack, _ = load_pack(folder)
    assert [rule.id for rule in pack.rules] == ["mut.approach"]
    (folder / "helper.lp").write_text('%! title = "x"\nmut_unused(1).\n', encoding="utf-8")
    with pytest.raises(RuleError, match="lacks id"):
        load_pack(folder)


def _mutants_of(folder: Path, name: str) -> PackMutants:
    """The mutants of one file of pack ``mut`` in ``folder``, as a mutation run makes them."""
    texts = [path.read_text(encoding="utf-8") for path in load_rules([str(folder)]).files]
    return file_mutants(folder / name, "mut", Siblings.of_tables(load_tables()), violation_predicates(texts))


def test_structurally_identical_and_unread_statements_are_detected_equivalent(tmp_path: Path) -> None:
    symmetric = PAIR.format(declaration="").replace("P < Q", "P != Q") + 'completion_default(opcs, "W35.1").\n'
    folder = make_pack(tmp_path, STRONG, rules={"pair.lp": symmetric})
    found = _mutants_of(folder, "pair.lp")
    reasons = {m.key: m.equivalent for m in found.mutants}
    assert reasons["swap-variables: P != Q -> Q != P"] == "the same statement up to body order and the direction of comparisons"
    assert reasons['drop-rule: completion_default(opcs,"W35.1").'] == "no violation depends on completion_default/2"
    assert reasons["comparison: P != Q -> P < Q"] is None
    assert not any(m.declared for m in found.mutants)


POOLED = rule_text(
    "mut.pooled",
    """
mut_approach(R, P) :- category(R, opcs, P + 1, ("Y53"; "Y54")).
violation("mut.pooled", R, opcs, P) :- code(R, opcs, P, "W35.1"), not mut_approach(R, P).
""",
    title="Cementoplasty has an approach after it", message="no approach", source="test fixture",
)  # fmt: skip


def test_not_is_added_and_removed_and_each_alternative_of_a_pooled_list_dropped(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, STRONG, rules={"pooled.lp": POOLED})
    found = _mutants_of(folder, "pooled.lp")
    changes = {(m.operator, m.before, m.after) for m in found.mutants if m.operator in ("negate", "drop-row")}
    assert changes == {
        ("negate", 'category(R,opcs,(P+1),("Y53";"Y54"))', 'not category(R,opcs,(P+1),("Y53";"Y54"))'),
        ("negate", 'code(R,opcs,P,"W35.1")', 'not code(R,opcs,P,"W35.1")'),
        ("negate", "not mut_approach(R,P)", "mut_approach(R,P)"),
        ("drop-row", '("Y53";"Y54")', '"Y54"'),
        ("drop-row", '("Y53";"Y54")', '"Y53"'),
    }


# Deleting the guard `N < 3` makes a chain that never stops grounding.
CHAIN = rule_text(
    "mut.chain",
    """
mut_chain(R, 1) :- code(R, opcs, 1, "W35.1").
mut_chain(R, N + 1) :- mut_chain(R, N), N < 3.
violation("mut.chain", R, opcs, 1) :- mut_chain(R, 3), not code(R, opcs, 2, _).
""",
    title="A chain of three", message="chain", source="test fixture",
)  # fmt: skip
CHAIN_CASES = "# expect: mut.chain @ opcs:1\nW35.1\n# ok\nW35.1 Y53.4\n"


def test_a_mutant_that_never_stops_grounding_is_killed_by_the_time_limit(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, CHAIN_CASES, rules={"chain.lp": CHAIN})
    began = time.monotonic()
    run = run_mutation([str(folder / "tests")], jobs=2, timeout=3, operators=["delete-literal"], memory_mb=8192)
    assert time.monotonic() - began < 60
    unbounded = [r for r in run.results if r.mutant.before == "N < 3"]
    assert [(r.status, r.killed) for r in unbounded] == [("timeout", True)]
    assert run.total.count("survived") == 0 and run.total.count("timeout") == 1


def _grid_pack(folder: Path) -> Path:
    """A pack whose rule, without its guard (deleting the literal on chapter Q), grounds a
    3,000 x 3,000 grid for each record: 9 million atoms, far over a 64 MB bound."""
    pack = one_rule_pack(
        folder,
        'p_grid(R, X, Y) :- record(R), chapter(R, opcs, 1, "Q"), X = 1..3000, Y = 1..3000.\n'
        'violation("p.rule", R, opcs, 1) :- chapter(R, opcs, 1, "Y"), not p_grid(R, 1, 1).\n',
    )
    (pack / "tests").mkdir()
    (pack / "tests" / "rule.txt").write_text("# expect: p.rule @ opcs:1\nY53.4 V44.4\n\n# ok: p.rule\nV44.4 Y53.4\n")
    return pack


def test_cli_limits_bound_each_mutant_when_given(tmp_path: Path) -> None:
    """--time-limit and --memory-limit are the bounds of every mutant's run of the cases."""
    runner = CliRunner()
    chain = make_pack(tmp_path / "chain", CHAIN_CASES, rules={"chain.lp": CHAIN})
    command = ["test", str(chain / "tests"), "--mutate", "-f", "json", "-j", "1"]
    data = json.loads(runner.invoke(main, [*command, "--time-limit", "2"]).output)
    unbounded = [m for m in data["mutants"] if (m["operator"], m["before"]) == ("delete-literal", "N < 3")]
    assert [(m["status"], m["detail"]) for m in unbounded] == [("timeout", "no answer within 2 s")]

    grid = _grid_pack(tmp_path / "p")
    command = ["test", str(grid / "tests"), "--mutate", "-f", "json", "-j", "1", "--memory-limit", "64"]
    data = json.loads(runner.invoke(main, command).output)
    by_change = {(m["operator"], m["before"]): m["status"] for m in data["mutants"]}
    assert by_change[("delete-literal", 'chapter(R,opcs,1,"Q")')] == "memory"


def test_cli_threshold_and_formats(tmp_path: Path) -> None:
    runner = CliRunner()
    weak = make_pack(tmp_path / "weak", WEAK)
    strong = make_pack(tmp_path / "strong", STRONG)
    assert runner.invoke(main, ["test", str(weak / "tests"), "--mutation-threshold", "95", "-j", "1"]).exit_code == 1
    assert runner.invoke(main, ["test", str(strong / "tests"), "--mutation-threshold", "95", "-j", "1"]).exit_code == 0
    assert runner.invoke(main, ["test", str(weak / "tests"), "--mutate", "-j", "1"]).exit_code == 0  # no threshold

    data = json.loads(runner.invoke(main, ["test", str(weak / "tests"), "--mutate", "-f", "json", "-j", "1"]).output)
    survivors = [m for m in data["mutants"] if m["status"] == "survived"]
    assert survivors and all({"file", "line", "operator", "before", "after", "cases"} <= set(m) for m in survivors)
    assert {p["name"] for p in data["scores"]["packs"]} == {"mut"} and data["scores"]["total"]["survived"] == len(survivors)

    junit = runner.invoke(main, ["test", str(weak / "tests"), "--mutate", "-f", "junit", "-j", "1"]).output
    root = ET.fromstring(junit.split("\n", 1)[1])
    assert int(root.get("failures", "0")) == len(survivors) == len(root.findall(".//failure"))
    assert len(root.findall(".//skipped")) == data["scores"]["total"]["equivalent"] + data["scores"]["total"]["invalid"]
    assert runner.invoke(main, ["test", str(weak / "tests"), "--mutate", "-f", "tap"]).exit_code == 2


def test_builtin_packs_reach_the_mutation_threshold() -> None:
    """CI's guard on the shipped cases: nearly every mutant of every pack is noticed."""
    run = run_mutation(strict=True)
    low = {s.name: round(s.percent or 0, 1) for s in run.pack_scores if s.percent is not None and s.percent < 95}
    assert not run.errors and not low, (run.errors, low)
    # the pack that reads whole patients too, its mutants run against its .patients cases
    assert "consistency" in {s.name for s in run.pack_scores if s.scored >= 150}
    # the rules that need a UK ICD-10 file are mutated with the tables their case file brings
    uk_only = [r for r in run.results if r.mutant.rule == "icd.sex-conflict"]
    assert uk_only and not [r for r in uk_only if r.status == "not-applicable"]
    assert {r.status for r in uk_only if r.mutant.operator == "drop-rule"} == {"killed"}


def test_a_mutant_that_outgrows_the_memory_bound_counts_as_killed_and_the_run_goes_on(tmp_path: Path) -> None:
    """The grid's unguarded mutant is stopped at a 64 MB bound, and the others still run."""
    pack = _grid_pack(tmp_path / "p")
    run = run_mutation([str(pack / "tests")], jobs=1, memory_mb=64)
    by_change = {(r.mutant.operator, r.mutant.before): r.status for r in run.results}
    assert by_change[("delete-literal", 'chapter(R,opcs,1,"Q")')] == "memory"
    assert by_change[("drop-rule", 'violation("p.rule",R,opcs,1) :- chapter(R,opcs,1,"Y"); not p_grid(R,1,1).')] == "killed"
    assert "memory" in KILLED


SEX_CHANGES = ROOT / "logic" / "consistency"
MALE_TO_FEMALE = (
    "# case: male, then female\n# expect: consistency.sex-changes @ episode 2\n"
    '{"id": "m1", "icd10": ["J18.9"], "sex": "1", "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-05"}\n'
    '{"id": "m2", "icd10": ["J18.9"], "sex": "2", "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-05"}\n'
)
FEMALE_TO_MALE = (
    "# case: female, then male\n# expect: consistency.sex-changes @ episode 2\n"
    '{"id": "f1", "icd10": ["J18.9"], "sex": "2", "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-05"}\n'
    '{"id": "f2", "icd10": ["J18.9"], "sex": "1", "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-05"}\n'
)


OPERATORS_DECLARED = ("comparison", "delete-literal")  # the operators of the rule's declared equivalent mutants


def patient_pack(root: Path, cases: str) -> Path:
    """A copy of the consistency pack with the sex-changes rule alone, and these cases."""
    pack = root / "consistency"
    shutil.copytree(SEX_CHANGES, pack)
    for path in [*pack.glob("*.lp"), *pack.glob("*.tsv"), *(pack / "tests").iterdir()]:
        if path.name != "sex-changes.lp":
            path.unlink()
    (pack / "tests" / "sex.patients").write_text(cases, encoding="utf-8")
    return pack


def test_a_patient_packs_mutants_run_against_its_patient_cases(tmp_path: Path) -> None:
    weak = patient_pack(tmp_path / "weak", MALE_TO_FEMALE)
    run = run_mutation([str(weak)], jobs=1, operators=OPERATORS_DECLARED)
    assert not run.errors
    survivors = [r for r in run.results if r.status == "survived" and r.mutant.operator == "comparison"]
    line = next(n for n, text in enumerate((weak / "sex-changes.lp").read_text().splitlines(), 1) if "X != X0" in text)
    (flipped,) = [r for r in survivors if (r.mutant.before, r.mutant.after) == ("X != X0", "X < X0")]
    assert (flipped.mutant.file.name, flipped.mutant.line) == ("sex-changes.lp", line)
    assert flipped.cases == (f"{weak / 'tests' / 'sex.patients'}:1",)
    declared = {r.mutant.key: r.detail for r in run.results if r.status == "equivalent" and r.mutant.declared}
    assert declared["comparison: X != unknown -> X < unknown"].startswith("sex is female, male or unknown")  # beside the rule
    strong = patient_pack(tmp_path / "strong", MALE_TO_FEMALE + "\n" + FEMALE_TO_MALE)
    run = run_mutation([str(strong)], jobs=1, operators=OPERATORS_DECLARED)
    assert not run.errors
    (flipped,) = [r for r in run.results if (r.mutant.before, r.mutant.after) == ("X != X0", "X < X0")]
    assert flipped.status == "killed" and flipped.failed == (f"{strong / 'tests' / 'sex.patients'}:6",)
    runner = CliRunner()
    assert runner.invoke(main, ["test", str(weak), "--mutation-threshold", "100", "-j", "1"]).exit_code == 1
    data = json.loads(runner.invoke(main, ["test", str(weak), "--mutate", "-f", "json", "-j", "1"]).output)
    assert line in [m["line"] for m in data["mutants"] if m["status"] == "survived"]
