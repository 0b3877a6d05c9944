"""How the checker turns a batch of records into results (nicelogic.checking.checker): the
order of a record's violations, the caches of record forms and verdicts, the pieces a batch
is grounded in, the budget of grounding in this process, and the settings a worker gets."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

import nicelogic
from nicelogic import Checker, RuleError, System
from nicelogic.checking import checker as checker_module
from nicelogic.checking.checker import IN_PROCESS_MEMORY, grounding_cost
from nicelogic.checking.diagnostics import UNUSED_WAIVER
from nicelogic.input.text import text_lines
from nicelogic.model import Code, Record

HEADER = '%! id = "{id}"\n%! severity = "{severity}"\n%! title = "t"\n%! message = "m"\n%! source = "s"\n'


def _pack(folder: Path, rules: dict[str, str], severity: str = "error") -> Path:
    """A pack of the rules given (id -> statements), one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(f'name = "{folder.name}"\n')
    for n, (rule, body) in enumerate(rules.items()):
        (folder / f"r{n}.lp").write_text(HEADER.format(id=rule, severity=severity) + body + "\n")
    return folder


ORDER = {
    "ord.whole": 'violation("ord.whole", R, S, 0) :- code(R, S, 1, _).',
    "ord.each": 'violation("ord.each", R, S, P) :- code(R, S, P, _).',
    "ord.pair": 'violation("ord.pair", R, opcs, (P, Q)) :- code(R, opcs, P, _), code(R, opcs, Q, _), P < Q.',
    "ord.b": 'violation("ord.b", R, S, 1) :- code(R, S, 1, _).',
}


@pytest.fixture(scope="module")
def order_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    """A pack from elsewhere, checked in this process (no limits)."""
    return Checker([str(_pack(tmp_path_factory.mktemp("packs") / "ord", ORDER))], time_limit=None, memory_limit=None)


def _found(checker: Checker, text: str) -> list[tuple[str, str, tuple[int, ...]]]:
    result = checker.check_record(text)
    assert result.error is None, result.error
    return [(v.rule, v.section, v.positions) for v in result.violations]


def test_violations_come_section_by_section_as_written_then_by_position_the_whole_section_last(
    order_checker: Checker,
) -> None:
    assert _found(order_checker, "x: icd M80.0 Z66.5; opcs W37.1 Z94.1") == [
        ("ord.b", "icd10", (1,)),
        ("ord.each", "icd10", (1,)),
        ("ord.each", "icd10", (2,)),
        ("ord.whole", "icd10", ()),
        ("ord.b", "opcs", (1,)),
        ("ord.each", "opcs", (1,)),
        ("ord.pair", "opcs", (1, 2)),
        ("ord.each", "opcs", (2,)),
        ("ord.whole", "opcs", ()),
    ]
    assert [section for _, section, _ in _found(order_checker, "x: opcs W37.1; icd M80.0")] == ["opcs"] * 3 + ["icd10"] * 3


def test_violations_of_an_unlisted_section_come_last(order_checker: Checker) -> None:
    # a finding in a section the record does not hold sorts after every section it holds
    variant = order_checker.with_program(
        order_checker.ruleset.program + '\nviolation("ord.each", R, cpt, 0) :- code(R, opcs, 1, _).\n'
    )
    assert _found(variant, "x: opcs W37.1; icd M80.0") == [
        ("ord.b", "opcs", (1,)),
        ("ord.each", "opcs", (1,)),
        ("ord.whole", "opcs", ()),
        ("ord.b", "icd10", (1,)),
        ("ord.each", "icd10", (1,)),
        ("ord.whole", "icd10", ()),
        ("ord.each", "cpt", ()),
    ]


def test_selected_ignored_and_waived_rules(order_checker: Checker) -> None:
    result = order_checker.check_record("x: opcs W37.1  # waive: ord.b")
    assert [v.rule for v in result.violations] == ["ord.each", "ord.whole"]
    assert [v.rule for v in result.waived] == ["ord.b"]
    result = order_checker.check_record("x: opcs W37.1  # waive: ord")  # a pack waives its every rule
    assert (result.violations, [v.rule for v in result.waived]) == ((), ["ord.b", "ord.each", "ord.whole"])


def test_a_record_waiving_no_known_rule_is_rejected_at_its_waiver(order_checker: Checker) -> None:
    result = order_checker.check_record("x: opcs W37.1  # waive: ord.nothing")
    assert result.error is not None and result.error.label == "waiver"
    assert result.violations == ()
    # a built-in rule that is not loaded may still be waived: it names a rule
    result = order_checker.check_record("x: opcs W37.1  # waive: opcs.group-order")
    assert result.error is None
    assert [v.rule for v in result.violations] == ["ord.b", "ord.each", "ord.whole", UNUSED_WAIVER.id]


def test_a_checker_reports_the_rules_it_selects_and_not_those_it_ignores(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "ord", ORDER)
    select = Checker([str(folder)], select=["ord.each", "ord.b"], ignore=["ord.b"], time_limit=None, memory_limit=None)
    assert _found(select, "x: opcs W37.1") == [("ord.each", "opcs", (1,))]
    assert select.keeps_rule("ord.each") and not select.keeps_rule("ord.b") and not select.keeps_rule("ord.whole")
    assert not select.keeps_rule("opcs.group-order")  # not loaded
    result = select.check_record("x: opcs W37.1  # waive: ord.whole")
    assert ([v.rule for v in result.violations], [v.rule for v in result.waived]) == (["ord.each"], [])
    everything = Checker([str(folder)], time_limit=None, memory_limit=None)
    assert everything.keeps_rule("ord.b") and everything.keeps_rule("anything.at-all")
    with pytest.raises(ValueError, match="'ord.nothing'"):
        Checker([str(folder)], select=["ord.nothing"], time_limit=None, memory_limit=None)
    with pytest.raises(ValueError, match="'nothing'"):
        Checker([str(folder)], ignore=["nothing"], time_limit=None, memory_limit=None)
    assert Checker([str(folder)], ignore=[UNUSED_WAIVER.id], time_limit=None, memory_limit=None).filter.ignore == (
        UNUSED_WAIVER.id,
    )


def test_a_waiver_that_waives_nothing_is_reported_unless_that_warning_is_ignored(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "ord", ORDER)
    ignoring = Checker([str(folder)], ignore=[UNUSED_WAIVER.id], time_limit=None, memory_limit=None)
    text = "x: icd M80.0  # waive: opcs.group-order"
    assert [v.rule for v in ignoring.check_record(text).violations] == ["ord.b", "ord.each", "ord.whole"]


def test_where_rules_apply_is_reported_with_applicability(tmp_path: Path) -> None:
    rules = {
        "app.r": 'violation("app.r", R, opcs, 1) :- code(R, opcs, 1, "W37.1").\n'
        'applies("app.r", R, opcs, 1) :- code(R, opcs, 1, _).'
    }
    folder = _pack(tmp_path / "app", rules)
    applying = Checker([str(folder)], applicability=True, time_limit=None, memory_limit=None)
    result = applying.check_record("x: opcs Z94.1")
    assert (result.violations, result.applies, result.applies_rows) == ((), ("app.r",), ())
    result = applying.check_record("x: opcs W37.1")
    assert ([v.rule for v in result.violations], result.applies) == (["app.r"], ("app.r",))
    plain = Checker([str(folder)], time_limit=None, memory_limit=None)
    assert plain.check_record("x: opcs Z94.1").applies == ()


def test_rows_of_relation_tables_that_apply_are_reported_sorted(checker: Checker) -> None:
    applying = copy.copy(checker)
    applying.applicability = True
    applying._cache = {}
    result = applying.check_record("x: opcs V44.4 V55.1 Y53.4")
    assert result.applies_rows == tuple(sorted(set(result.applies_rows))) and result.applies_rows
    assert all(rule in result.applies for rule, _ in result.applies_rows)
    assert result.applies == tuple(sorted(result.applies))


def test_the_verdict_of_a_form_is_kept_and_the_keep_starts_again_when_full(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "ord", ORDER)
    checker = Checker([str(folder)], cache_size=3, time_limit=None, memory_limit=None)
    checker.check("a: opcs W37.1\nb: opcs W37.1\nc: opcs Z94.1")
    assert len(checker._cache) == 2  # two forms
    checker.check("d: opcs Z94.1")
    assert len(checker._cache) == 2  # known
    checker.check("e: opcs W37.1 Z94.1\nf: opcs W37.1 Z94.1 Z94.1")
    assert len(checker._cache) == 2  # 2 + 2 over 3: started again with the two solved now
    checker.check("g: opcs W37.1 Z94.1 Z94.1 Z94.1")
    assert len(checker._cache) == 3  # 2 + 1: room for it
    uncached = Checker([str(folder)], cache_size=0, time_limit=None, memory_limit=None)
    report = uncached.check("a: opcs W37.1\nb: opcs W37.1")
    assert uncached._cache == {} and [len(r.violations) for r in report.records] == [3, 3]


def test_record_forms_are_kept_until_as_many_as_the_cache_holds(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "ord", ORDER)
    checker = Checker([str(folder)], cache_size=2, time_limit=None, memory_limit=None)
    checker.check("a: opcs W37.1\nb: opcs Z94.1")
    assert len(checker._forms) == 2
    checker.check("c: opcs W37.1")
    assert len(checker._forms) == 2
    checker.check("d: opcs Y53.4")
    assert len(checker._forms) == 1  # full: started again


def test_batches_of_any_size_give_the_same_results_in_order(order_checker: Checker) -> None:
    lines = [f"r{n}: opcs {'W37.1 ' * (1 + n % 4)}; icd M80.{n % 3}\n" for n in range(23)]
    expected = [[(v.rule, v.section, v.positions) for v in r.violations] for r in order_checker.check("".join(lines))]
    for size in (1, 2, 5, 30):
        small = copy.copy(order_checker)
        small.batch_size = size
        small._cache = {}
        results = list(small.iter_check(text_lines(lines, "t.txt")))
        assert [r.id for r in results] == [f"r{n}" for n in range(23)]
        assert [[(v.rule, v.section, v.positions) for v in r.violations] for r in results] == expected


def test_a_batch_is_grounded_in_pieces_within_the_budget_and_the_heavy_records_in_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _pack(tmp_path / "ord", ORDER)
    checker = Checker([str(folder)], time_limit=None, memory_limit=None)
    lines = [f"r{n}: opcs {'W37.1 ' * (1 + n % 5)}\n" for n in range(12)] + ["heavy: cpt " + "22551 " * 12 + "\n"]
    expected = [[(v.rule, v.section, v.positions) for v in r.violations] for r in checker.check("".join(lines))]
    # a memory limit and no time limit: pieces within IN_PROCESS_SECONDS, made small here;
    # the pack is not built in, so nothing may be grounded here: everything goes to the worker
    bounded = copy.copy(checker)
    bounded.memory_limit = 1 << 30
    bounded._cache = {}
    assert copy.copy(bounded).here_budget() == 0.0
    bounded.builtin = True  # taken for a built-in pack, so that the budget applies
    assert bounded.here_budget() == 1.0
    monkeypatch.setattr(checker_module, "IN_PROCESS_SECONDS", 0.003)
    assert bounded.here_budget() == 0.003
    try:
        results = list(bounded.iter_check(text_lines(lines, "t.txt")))
    finally:
        bounded.close()
    assert [r.id for r in results] == [f"r{n}" for n in range(12)] + ["heavy"]
    assert [[(v.rule, v.section, v.positions) for v in r.violations] for r in results] == expected
    assert bounded._bounded is not None  # the heavy record was grounded in the worker


def test_the_budget_of_grounding_in_this_process(checker: Checker) -> None:
    budget = copy.copy(checker)
    for time_limit, memory_limit, expected in [
        (None, None, None),
        (10.0, None, 1.0),
        (1.0, None, 0.5),
        (0.5, IN_PROCESS_MEMORY, 0.25),
        (None, IN_PROCESS_MEMORY, 1.0),
        (None, IN_PROCESS_MEMORY - 1, 0.0),
        (4.0, IN_PROCESS_MEMORY - 1, 0.0),
    ]:
        budget.time_limit, budget.memory_limit = time_limit, memory_limit
        assert budget.here_budget() == expected, (time_limit, memory_limit)
    assert checker.builtin


def test_the_grounding_cost_of_a_record_grows_with_the_square_of_each_section() -> None:
    def record(**sections: int) -> Record:
        return Record(
            "r",
            sections=tuple(
                (System(name), tuple(Code(System(name), "A01", "A01") for _ in range(n))) for name, n in sections.items()
            ),
        )

    assert grounding_cost(record()) == pytest.approx(0.0007)
    assert grounding_cost(record(cpt=3)) == pytest.approx(0.0007 + 0.000025 * 9)
    assert grounding_cost(record(opcs=4, icd10=2)) == pytest.approx(0.0007 + 0.000003 * 16 + 0.000003 * 4)
    assert grounding_cost(record(cpt=10)) > grounding_cost(record(opcs=10)) > grounding_cost(record(opcs=9))


def test_a_worker_gets_the_settings_of_its_parent(tmp_path: Path) -> None:
    """What a forked worker runs: the parent's packs, tables and settings, checking alone,
    with a verdict cache of its own."""
    folder = _pack(tmp_path / "ord", ORDER)
    parent = Checker(
        [str(folder)], explain=True, batch_size=7, cache_size=9, select=["ord"], ignore=["ord.b"], applicability=True,
        max_codes=5, time_limit=None, memory_limit=None, jobs=2,
    )  # fmt: skip
    assert _found(parent, "x: opcs W37.1") == [("ord.each", "opcs", (1,)), ("ord.whole", "opcs", ())]
    worker = parent.alone()
    assert worker.jobs == 1 and parent.jobs == 2
    assert worker.ruleset is parent.ruleset and worker.tables is parent.tables
    settings = ("explain", "batch_size", "cache_size", "filter", "applicability", "max_codes", "time_limit", "memory_limit")
    assert all(getattr(worker, name) == getattr(parent, name) for name in settings)
    assert worker._cache == {} and parent._cache != {}  # its own verdicts, not the parent's
    assert _found(worker, "x: opcs W37.1") == [("ord.each", "opcs", (1,)), ("ord.whole", "opcs", ())]
    assert len(worker._cache) == 1 and len(parent._cache) == 1


def test_the_number_of_jobs(tmp_path: Path) -> None:
    folder = str(_pack(tmp_path / "ord", ORDER))
    assert Checker([folder], jobs=None, time_limit=None, memory_limit=None).jobs == (os.cpu_count() or 1)
    assert Checker([folder], jobs=0, time_limit=None, memory_limit=None).jobs == 1
    assert Checker([folder], jobs=3, time_limit=None, memory_limit=None).jobs == 3
    assert Checker([folder], time_limit=None, memory_limit=None).jobs == 1


def test_check_record_takes_one_record_only(order_checker: Checker) -> None:
    with pytest.raises(ValueError, match="exactly one record"):
        order_checker.check_record("a: opcs W37.1\nb: opcs W37.1")
    with pytest.raises(ValueError, match="exactly one record"):
        order_checker.check_record("")
    record = Record("r", sections=((System.OPCS, (Code(System.OPCS, "W37.1", "W37.1", 4),)),))
    assert [v.rule for v in order_checker.check_record(record).violations] == ["ord.b", "ord.each", "ord.whole"]
    assert [v.section for v in order_checker.check_record("r: M80.0", system="icd10").violations] == ["icd10"] * 3


# grounds without end before any record is seen (tests/test_limits.py)
MUTUAL = (
    'p(X + 1) :- q(X).\nq(X) :- p(X), X < 100000000.\np(0).\nviolation("mutual.rule", R, opcs, 1) :- p(7), code(R, opcs, 1, _).'
)


@pytest.mark.parametrize(
    ("time_limit", "memory_limit", "option"), [(0.5, None, "--time-limit"), (None, 64 << 20, "--memory-limit")]
)
def test_a_pack_is_loaded_under_the_limits_the_checker_is_given(
    tmp_path: Path, time_limit: float | None, memory_limit: int | None, option: str
) -> None:
    with pytest.raises(RuleError) as caught:
        Checker([str(_pack(tmp_path / "mutual", {"mutual.rule": MUTUAL}))], time_limit=time_limit, memory_limit=memory_limit)
    assert f"({option})" in caught.value.message
    assert ("0.5 s" if time_limit else "64 MiB") in caught.value.message  # the limit given, not the default


def test_explanations_are_given_when_asked_for(order_checker: Checker) -> None:
    assert [v.explanation for v in order_checker.check_record("x: opcs W37.1").violations] == [None] * 3
    explaining = copy.copy(order_checker)
    explaining.explain = True
    explaining._cache = {}
    assert all(v.explanation is not None for v in explaining.check_record("x: opcs W37.1").violations)


def test_a_pack_in_force_from_a_day_or_until_a_day_judges_only_records_of_its_days(tmp_path: Path) -> None:
    rules = {"since.rule": 'violation("since.rule", R, opcs, 1) :- code(R, opcs, 1, _).'}
    since = _pack(tmp_path / "since", rules)
    (since / "pack.toml").write_text('name = "since"\neffective = { from = "2020-01-01" }\n')
    until = _pack(tmp_path / "until", {"until.rule": rules["since.rule"].replace("since", "until")})
    (until / "pack.toml").write_text('name = "until"\neffective = { to = "2020-12-31" }\n')
    checker = Checker([str(since), str(until)], time_limit=None, memory_limit=None)
    for day, rules_found, outside in [
        ("2019-06-01", ["until.rule"], ("since",)),
        ("2020-06-01", ["since.rule", "until.rule"], ()),
        ("2021-06-01", ["since.rule"], ("until",)),
        (None, ["since.rule", "until.rule"], ()),
    ]:
        result = checker.check_record({"id": "r", "opcs": ["W37.1"], "date": day} if day else {"id": "r", "opcs": ["W37.1"]})
        assert ([v.rule for v in result.violations], result.not_judged_by) == (rules_found, outside), day


def test_a_record_coded_when_the_loaded_edition_was_not_in_force_is_noticed_not_judged(checker: Checker) -> None:
    opcs = Checker(["opcs4"], time_limit=None, memory_limit=None)
    new = {"id": "n", "opcs": ["X99.9"], "icd10": ["I84.9"], "EPIEND": "2026-09-27"}
    old = {"id": "o", "opcs": ["X99.9"], "icd10": ["I84.9"], "EPIEND": "2010-06-01"}
    undated = {"id": "u", "opcs": ["X99.9"]}
    result = opcs.check_record(new)
    assert ([(v.rule, v.positions) for v in result.violations], result.editions, result.not_judged_by) == (
        [("opcs.valid-code", (1,))], ("OPCS-4.11", "WHO ICD-10 2019"), (),
    )  # fmt: skip
    result = opcs.check_record(old)  # X99.9 is not judged, and only the OPCS-4 section is noticed: no pack reads ICD-10's
    assert ([(v.rule, v.section) for v in result.violations], result.editions) == ([("table.not-in-force", "opcs")], ())
    assert result.not_judged_by == ("OPCS-4.11", "WHO ICD-10 2019")
    both = Checker(["opcs4", "icd10"], time_limit=None, memory_limit=None)
    assert [(v.rule, v.section) for v in both.check_record(old).violations] == [
        ("table.not-in-force", "opcs"), ("table.not-in-force", "icd10"),
    ]  # fmt: skip
    assert Checker(["opcs4"], select=["opcs.valid-code"], time_limit=None, memory_limit=None).check_record(old).violations == ()
    result = opcs.check_record(undated)
    assert ([v.rule for v in result.violations], result.editions, result.not_judged_by) == (["opcs.valid-code"], (), ())
    applying = copy.copy(opcs)
    applying.applicability = True
    applying._cache = {}
    assert applying.check_record(new).applies == ("opcs.valid-code", "table.not-in-force")  # every dated record
    assert applying.check_record(old).applies == ("table.not-in-force",)
    assert applying.check_record(undated).applies == ("opcs.valid-code",)


def test_codes_no_ncci_table_knows_are_noticed_when_a_pack_reads_the_ncci_tables(order_checker: Checker) -> None:
    ncci = Checker(["ncci"], time_limit=None, memory_limit=None)
    assert [(v.rule, v.positions) for v in ncci.check_record("x: cpt 22551 99999").violations] == [("table.unknown-code", (2,))]
    assert [v.rule for v in Checker(["opcs4"], time_limit=None, memory_limit=None).check_record("x: cpt 99999").violations] == []
    assert [v.rule for v in order_checker.check_record("x: cpt 99999").violations] == ["ord.b", "ord.each", "ord.whole"]
    assert (
        Checker(["ncci"], ignore=["table.unknown-code"], time_limit=None, memory_limit=None)
        .check_record("x: cpt 22551 99999")
        .violations
        == ()
    )


def test_a_checker_without_a_cache_of_its_own_gives_the_same_results(order_checker: Checker) -> None:
    order_checker.check_record("x: opcs W37.1")
    kept = dict(order_checker._cache)
    bare = order_checker.without_cache()
    assert bare.cache_size == 0 and bare.ruleset is order_checker.ruleset
    assert _found(bare, "y: opcs W37.1 Z94.1") == _found(order_checker, "y: opcs W37.1 Z94.1")
    assert bare._cache == {} and len(bare._forms) <= 1 and bare._bounded is None  # keeps no more than the last form
    assert len(order_checker._cache) == len(kept) + 1 and order_checker._forms  # its own, untouched by the variant


# 9 million atoms for every record holding V44.4, nothing for the others: far over 64 MiB,
# yet bounded (tests/test_limits.py has 100 million)
CROSS = (
    'n(1..3000).\nbig(R, A, B) :- code(R, opcs, _, "V44.4"), n(A), n(B).\n'
    'violation("cross.rule", R, opcs, 1) :- big(R, 5, 5), code(R, opcs, 1, _).\n'
    'violation("cross.rule", R, opcs, 1) :- code(R, opcs, 1, "W37.1").'
)


def test_a_record_over_the_memory_limit_is_rejected_alone_and_the_others_of_its_batch_are_checked(tmp_path: Path) -> None:
    checker = Checker([str(_pack(tmp_path / "cross", {"cross.rule": CROSS}))], time_limit=None, memory_limit=64 << 20)
    try:
        report = checker.check("a: opcs V44.4\nb: opcs W37.1\nc: opcs W37.1 V44.4\n")
        assert checker._bounded is not None
    finally:
        checker.close()
    assert [(r.id, r.error.label if r.error else None, [v.rule for v in r.violations]) for r in report.records] == [
        ("a", "limit", []), ("b", None, ["cross.rule"]), ("c", "limit", []),
    ]  # fmt: skip
    assert "(--memory-limit)" in report.records[0].error.message  # type: ignore[union-attr]
    assert len(checker._cache) == 1  # the verdicts of limits are not kept
    assert checker._bounded.pid is None  # closed


def test_check_loads_the_packs_under_the_limits_given(tmp_path: Path) -> None:
    pack = str(_pack(tmp_path / "mutual", {"mutual.rule": MUTUAL}))
    with pytest.raises(RuleError, match="--time-limit"):
        nicelogic.check("a: opcs W37.1", [pack], time_limit=0.5, memory_limit=None)
    with pytest.raises(RuleError, match="--memory-limit"):
        nicelogic.check("a: opcs W37.1", [pack], time_limit=None, memory_limit=64 << 20)
    report = nicelogic.check("a: V44.4", ["opcs4"], system="opcs", time_limit=None, memory_limit=None)
    assert [v.rule for r in report for v in r.violations] == ["opcs.spinal-levels-second"]


def test_closing_a_checker_that_started_no_worker_does_nothing(order_checker: Checker) -> None:
    order_checker.close()
    assert order_checker._bounded is None


def test_a_checker_keeps_the_limits_it_is_given(checker: Checker) -> None:
    limited = Checker(ruleset=checker.ruleset, time_limit=4.0, memory_limit=None)  # the built-in packs, not loaded again
    assert (limited.time_limit, limited.memory_limit, limited.here_budget()) == (4.0, None, 1.0)
    limited = Checker(ruleset=checker.ruleset, time_limit=None, memory_limit=IN_PROCESS_MEMORY - 1)
    assert (limited.time_limit, limited.memory_limit, limited.here_budget()) == (None, IN_PROCESS_MEMORY - 1, 0.0)


def test_a_variant_program_runs_in_a_worker_of_its_own(tmp_path: Path) -> None:
    checker = Checker([str(_pack(tmp_path / "ord", ORDER))], time_limit=None, memory_limit=1 << 30)  # not built in: the worker
    variant = checker.with_program(checker.ruleset.program + '\nviolation("ord.b", R, S, 2) :- code(R, S, 2, _).\n')
    try:
        assert _found(checker, "x: opcs W37.1 Z94.1")[:2] == [("ord.b", "opcs", (1,)), ("ord.each", "opcs", (1,))]
        assert _found(variant, "x: opcs W37.1 Z94.1")[:4] == [
            ("ord.b", "opcs", (1,)), ("ord.each", "opcs", (1,)), ("ord.pair", "opcs", (1, 2)), ("ord.b", "opcs", (2,)),
        ]  # fmt: skip
        assert variant._bounded is not checker._bounded and variant._bounded is not None
    finally:
        checker.close()
        variant.close()


def test_a_rejected_waiver_keeps_the_records_line_and_source(order_checker: Checker) -> None:
    (result,) = list(order_checker.iter_check(text_lines(["a: opcs W37.1\n", "b: opcs W37.1  # waive: ord.nothing\n"], "w.txt")))[
        1:
    ]
    assert (result.id, result.line, result.source) == ("b", 2, "w.txt")
    assert result.error is not None and (result.error.label, result.error.line, result.error.column) == ("waiver", 2, 0)
    checked = list(order_checker.iter_check(text_lines(["a: opcs W37.1\n"], "w.txt")))[0]
    assert (checked.id, checked.line, checked.source) == ("a", 1, "w.txt")


def test_a_pack_named_in_select_or_a_waiver_keeps_or_waives_its_rules(checker: Checker, order_checker: Checker) -> None:
    # the pack opcs4 holds rules opcs.*: its name is no prefix of their ids
    by_pack = Checker(ruleset=checker.ruleset, select=["opcs4"], time_limit=None, memory_limit=None)
    assert [v.rule for v in by_pack.check_record("a: opcs V44.4 Y53.4; icd Z66.5").violations] == ["opcs.spinal-levels-second"]
    result = by_pack.check_record("a: opcs V44.4 Y53.4  # waive: opcs4")
    assert (result.violations, [v.rule for v in result.waived]) == ((), ["opcs.spinal-levels-second"])
    assert by_pack.keeps_rule("opcs.group-order") and not by_pack.keeps_rule("icd.valid-code")
    # a report of some packs keeps what the checker ignores ignored
    ignoring = Checker(ruleset=checker.ruleset, ignore=["opcs.group-order"], time_limit=None, memory_limit=None)
    record = "a: opcs V44.4 V55.1 Z66.5 Y53.4"
    assert [v.rule for v in Checker(ruleset=checker.ruleset).reporting(["opcs4"]).check_record(record).violations] == [
        "opcs.group-order"
    ]
    assert ignoring.reporting(["opcs4"]).check_record(record).violations == ()
    # a waiver that waives nothing: a notice naming it, unless the rules chosen leave the notice out
    assert by_pack.check_record("a: opcs V44.4 V55.1 Y53.4  # waive: opcs.group-order").violations == ()
    (*_, notice) = order_checker.check_record("a: opcs V44.4  # waive: opcs.group-order").violations
    assert notice.rule == UNUSED_WAIVER.id and "'opcs.group-order'" in notice.message


def test_the_engines_notices_come_after_the_rules_violations(checker: Checker) -> None:
    ncci = Checker(["ncci"], time_limit=None, memory_limit=None)
    assert [(v.rule, v.positions) for v in ncci.check_record("x: cpt 22551 22552 63075 99999").violations] == [
        ("ncci.ptp", (1, 3)), ("ncci.ptp", (2, 3)), ("table.unknown-code", (4,)),
    ]  # fmt: skip
    opcs = Checker(["opcs4"], time_limit=None, memory_limit=None)
    old = opcs.check_record({"id": "o", "opcs": ["V44.4", "Y53.4"], "EPIEND": "2010-06-01"})
    assert [(v.rule, v.positions) for v in old.violations] == [("opcs.spinal-levels-second", (1,)), ("table.not-in-force", ())]


def test_one_checker_judges_the_same_codes_by_each_records_edition() -> None:
    from nicelogic.tables import TableConfig

    from .conftest import FIXTURES

    older = FIXTURES / "editions" / "opcs4" / "OPCS42_stand_in.xml"
    checker = Checker(["opcs4"], tables=TableConfig(tables=(("opcs4", older, None),)), time_limit=None, memory_limit=None)
    records = [{"id": day, "opcs": ["X99.9"], "EPIEND": day} for day in ("2001-09-27", "2026-09-27", "2001-10-01")]
    assert [[v.rule for v in checker.check_record(r).violations] for r in records] == [[], ["opcs.valid-code"], []]
    assert [r.editions for r in checker.check(records)] == [("OPCS-4.2",), ("OPCS-4.11",), ("OPCS-4.2",)]


def test_a_record_over_the_time_limit_in_the_worker_is_rejected_at_the_limit_given(tmp_path: Path) -> None:
    checker = Checker([str(_pack(tmp_path / "cross", {"cross.rule": CROSS}))], time_limit=0.5, memory_limit=None)
    try:
        report = checker.check("a: opcs V44.4\nb: opcs W37.1\n")
    finally:
        checker.close()
    assert [(r.id, r.error.label if r.error else None) for r in report.records] == [("a", "limit"), ("b", None)]
    assert "0.5 s (--time-limit)" in report.records[0].error.message  # type: ignore[union-attr]
