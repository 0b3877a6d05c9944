"""Every grounding and solve under the time and memory limits, on every path: the library's
check() and check_record(), small inputs, loading a pack, `nicelogic test` and `lint`.
Real packs that ground without end, real worker processes, real clingo."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import nicelogic
from nicelogic import Checker, RuleError
from nicelogic.cli import main
from nicelogic.complete import Completer
from nicelogic.complete.solving import WORKER_GRACE
from nicelogic.errors import GaveUp, LimitExceeded
from nicelogic.history.checker import PatientChecker
from nicelogic.report.completions import consequences_text, repair_text
from tests.conftest import alive, one_rule_pack

# Mutual recursion with arithmetic: no statement is defined from itself, so the static
# refusals let it through, and it grounds without end before any record is seen.
MUTUAL = (
    'p(X + 1) :- q(X).\nq(X) :- p(X), X < 100000000.\np(0).\nviolation("mutual.rule", R, opcs, 1) :- p(7), code(R, opcs, 1, _).\n'
)
# 100 million atoms for every record holding V44.4; nothing for the others.
CROSS = (
    'n(1..10000).\nbig(R, A, B) :- code(R, opcs, _, "V44.4"), n(A), n(B).\n'
    'violation("cross.rule", R, opcs, 1) :- big(R, 5, 5), code(R, opcs, 1, _).\n'
    'violation("cross.rule", R, opcs, 1) :- code(R, opcs, 1, "W37.1").\n'
)
# 100 million comparisons for every record, and hardly any memory: only time stops it.
SLOW = (
    "n(1..10000).\nq(R, X) :- record(R), n(X), n(Y), X + Y = 20001.\n"
    'violation("slow.rule", R, opcs, 1) :- q(R, 5), code(R, opcs, 1, _).\n'
)


def test_a_pack_that_grounds_without_end_before_any_record_is_refused_when_loaded(tmp_path: Path) -> None:
    pack = one_rule_pack(tmp_path / "mutual", MUTUAL)
    started = time.monotonic()
    with pytest.raises(RuleError) as caught:
        Checker([str(pack)], time_limit=20, memory_limit=256 << 20)
    assert "limit exceeded" in caught.value.message and "256 MiB" in caught.value.message
    assert time.monotonic() - started < 20


def test_the_library_check_of_a_record_that_grounds_without_end_rejects_it_and_goes_on(tmp_path: Path) -> None:
    checker = Checker([str(one_rule_pack(tmp_path / "cross", CROSS))], time_limit=20, memory_limit=256 << 20)
    started = time.monotonic()
    report = checker.check("a: opcs V44.4\nb: opcs W37.1\n")
    assert [(r.id, r.error.label if r.error else None) for r in report.records] == [("a", "limit"), ("b", None)]
    assert "MiB (--memory-limit)" in report.records[0].error.message  # type: ignore[union-attr]
    assert [v.rule for v in report.records[1].violations] == ["cross.rule"]
    one = nicelogic.check("a: opcs V44.4", rules=[str(tmp_path / "cross")], time_limit=20, memory_limit=256 << 20)
    assert one.records[0].error is not None and one.records[0].error.label == "limit"
    # the worker that ran out was replaced: the same checker goes on checking
    assert [v.rule for v in checker.check_record("c: opcs W37.1").violations] == ["cross.rule"]
    assert checker.check_record("d: opcs V44.4").error.label == "limit"  # type: ignore[union-attr]
    assert time.monotonic() - started < 60


def test_a_record_whose_grounding_takes_too_long_is_rejected_at_the_time_limit(tmp_path: Path) -> None:
    checker = Checker([str(one_rule_pack(tmp_path / "slow", SLOW))], time_limit=0.5, memory_limit=256 << 20)
    started = time.monotonic()
    result = checker.check_record("a: opcs V44.4")
    assert result.error is not None and result.error.label == "limit" and "0.5 s (--time-limit)" in result.error.message
    assert time.monotonic() - started < 4  # grounding alone takes about 4 s on the standard machine


def test_nicelogic_test_and_lint_of_packs_that_ground_without_end_finish(tmp_path: Path) -> None:
    cross = one_rule_pack(tmp_path / "cross", CROSS)
    (cross / "tests").mkdir()
    (cross / "tests" / "cases.txt").write_text("# expect: cross.rule @ opcs:1\nc1: opcs W37.1\n# ok\nc2: opcs V44.4\n")
    tested = CliRunner().invoke(main, ["test", str(cross), "--time-limit", "20", "--memory-limit", "256", "-f", "json"])
    cases = {case["line"]: case for case in json.loads(tested.stdout)["cases"]}
    assert tested.exit_code == 1 and cases[2]["status"] == "passed" and cases[4]["status"] == "failed"
    assert "limit exceeded" in " ".join(cases[4]["problems"])
    mutual = one_rule_pack(tmp_path / "mutual", MUTUAL)
    (mutual / "tests").mkdir()
    (mutual / "tests" / "cases.txt").write_text("# ok\nc: opcs V44.4\n")
    linted = CliRunner().invoke(main, ["lint", str(mutual), "--memory-limit", "256", "-f", "json"])
    assert linted.exit_code == 1 and "limit exceeded" in linted.stdout
    tested = CliRunner().invoke(main, ["test", str(mutual), "--memory-limit", "256"])
    assert tested.exit_code == 2 and "limit exceeded" in tested.stderr


def test_built_in_packs_ground_what_they_cannot_bound_in_the_worker_process() -> None:
    """A memory limit under what an in-process grounding may take sends every record to
    the bounded worker; the answers are the same."""
    roomy, tight = Checker(["opcs4"]), Checker(["opcs4"], memory_limit=128 << 20)
    text = "ep1: opcs V44.4 Y53.4\nep2: opcs V44.4 V55.1 Y53.4 Z66.5"
    assert [r.violations for r in tight.check(text).records] == [r.violations for r in roomy.check(text).records]
    assert roomy.here_budget() == 1.0 and tight.here_budget() == 0.0
    assert Checker(["opcs4"], time_limit=0.5).here_budget() == 0.25


# ----------------------------------------------------------------------- completions


@pytest.fixture(scope="module")
def every_pack() -> Checker:
    return Checker()


def test_templates_found_before_the_time_ran_out_are_shown_flagged_partial(every_pack: Checker) -> None:
    completer = Completer(every_pack, max_add=6, time_limit=1.0)  # far more templates than a second's worth
    report = completer.complete("opcs V44.4", grouped=True, limit=3, count_limit=10**7)
    assert report.gave_up == 1.0 and not report.exhaustive and report.count >= len(report.completions) >= 1
    assert all(every_pack.check_record(c.example or "").valid for c in report.completions)


def test_may_found_before_the_time_ran_out_is_a_lower_bound_and_must_is_not_known(every_pack: Checker) -> None:
    # grounding twelve free slots with every pack takes about 1 s on an idle 2-core machine
    # before the first brave model; the brave solve has not ended by 3 s
    partial = Completer(every_pack, max_add=12, time_limit=3.0).consequences("opcs V44.4")
    assert partial.gave_up == 3.0 and partial.must == () and partial.must_categories == ()
    # what was found by then: codes of completions seen, the given code among them
    assert any(p.code == "V44.4" for p in partial.may) and len(partial.may) > 1
    text = consequences_text(partial, True, True)
    assert "gave up after 3 s" in text and "which must appear is not known" in text


def test_a_completion_still_grounding_when_its_time_is_up_gives_up_once_the_grace_is_over(tmp_path: Path) -> None:
    # a trillion comparisons for the record: grounding it alone takes far longer than a minute
    slower = SLOW.replace("n(X), n(Y), X + Y = 20001", "n(X), n(Y), n(Z), X + Y + Z = 30000")
    completer = Completer(Checker([str(one_rule_pack(tmp_path / "slow", slower))], time_limit=600), time_limit=0.5)
    started = time.monotonic()
    with pytest.raises(GaveUp) as gave_up:
        completer.complete("opcs W37.1")
    assert gave_up.value.seconds == 0.5
    assert time.monotonic() - started < 0.5 + WORKER_GRACE + 5  # its worker was stopped, not waited for
    completer.close()


def test_a_completer_bounded_by_memory_alone_answers_in_its_worker_and_one_unbounded_here(every_pack: Checker) -> None:
    roomy = Completer(every_pack, time_limit=None, memory_limit=1 << 30)
    found = roomy.complete("opcs V44.4", minimal=True).completions
    unbounded = Completer(every_pack, time_limit=None, memory_limit=None)  # answers here, without a deadline
    assert found and unbounded.complete("opcs V44.4", minimal=True).completions == found
    assert unbounded._worker is None
    worker = roomy._worker
    pid = worker.pid if worker is not None else None
    assert pid is not None and alive(pid)
    roomy.close()
    assert not alive(pid)  # close stops the worker process


def test_a_completion_that_grounds_past_the_memory_limit_is_stopped_at_it(tmp_path: Path) -> None:
    checker = Checker([str(one_rule_pack(tmp_path / "cross", CROSS))], time_limit=20, memory_limit=256 << 20)
    completer = Completer(checker, time_limit=10, memory_limit=64 << 20)  # V44.4 makes 100 million atoms
    with pytest.raises(LimitExceeded) as caught:
        completer.complete("opcs V44.4", minimal=True)
    assert caught.value.kind == "memory"
    completer.close()


def test_repairs_found_before_the_time_ran_out_are_valid_and_flagged(every_pack: Checker) -> None:
    report = Completer(every_pack, max_add=6, time_limit=1.0).repair("opcs Y53.4 V44.4 V55.1 Z66.5 Y53.4 V44.4")
    assert report.gave_up == 1.0 and not report.exhaustive and report.repairs
    assert all(every_pack.check_record(r.record).valid for r in report.repairs)
    if not report.proven_minimal:
        assert "valid but not proven the smallest" in repair_text(report)


def test_a_completion_that_runs_out_of_memory_is_answered_and_the_rest_are_answered() -> None:
    big = "big: opcs " + " ".join(["V44.4"] * 60)  # grounding it takes several times 64 MiB
    result = CliRunner().invoke(main, ["complete", big, "small: opcs V44.4 V55.1 Y53.4", "--memory-limit", "64", "-f", "json"])
    answered, small = json.loads(result.stdout)
    assert answered["limit_exceeded"] == "memory" and "64 MiB (--memory-limit)" in answered["error"]
    assert small["count"] >= 1 and result.exit_code == 1
    # the worker that ran out is replaced: the next record is answered within the same limit
    repaired = CliRunner().invoke(main, ["repair", big, "small: opcs V44.4 Y53.4", "--memory-limit", "64", "-f", "json"])
    out_of_memory, small_repair = json.loads(repaired.stdout)
    assert out_of_memory["limit_exceeded"] == "memory" and small_repair["count"] >= 1 and repaired.exit_code == 1


# ----------------------------------------------------------------------- worker lifetime

_HOLD_A_WORKER = """
import sys, time
from nicelogic import Checker
checker = Checker([sys.argv[1]], time_limit=600, memory_limit=256 << 20)
checker.check_record("a: opcs W37.1")  # a pack from elsewhere: checked in the worker
print(checker._bounded.pid, flush=True)
time.sleep(600)
"""


def test_a_worker_dies_with_the_process_that_forked_it_even_by_sigkill(tmp_path: Path) -> None:
    pack = one_rule_pack(tmp_path / "cross", CROSS)
    parent = subprocess.Popen([sys.executable, "-c", _HOLD_A_WORKER, str(pack)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(worker)
    finally:
        parent.kill()


def test_a_call_interrupted_while_waiting_leaves_no_stale_answer(tmp_path: Path) -> None:
    """Ctrl-C while the worker grounds: the worker is stopped, so that its late answer (for
    one record) cannot be taken for the next call's (two records)."""
    pack = one_rule_pack(tmp_path / "slow", SLOW.replace("10000", "6000").replace("20001", "6001"))
    checker = Checker([str(pack)], time_limit=30, memory_limit=256 << 20)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            checker.check_record("first: opcs V44.4")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert checker._bounded is not None and checker._bounded.pid is None  # stopped
    report = checker.check("s1: opcs W37.1\ns2: opcs W37.1 Z94.1")
    assert [(r.id, [v.rule for v in r.violations]) for r in report.records] == [("s1", ["slow.rule"]), ("s2", ["slow.rule"])]


@pytest.mark.parametrize("limits", [{"time_limit": 0}, {"time_limit": -1.0}, {"memory_limit": 0}, {"memory_limit": -1}])
def test_a_limit_that_is_not_positive_is_refused_by_every_solver(limits: dict[str, float]) -> None:
    """A limit of 0 would give up on every record before it is read; None is no limit."""
    checker = Checker(["opcs4"], time_limit=None, memory_limit=None)
    for make in (
        lambda: Checker(["opcs4"], **limits),
        lambda: Completer(checker, **limits),
        lambda: PatientChecker(["consistency"], **limits),
    ):
        with pytest.raises(ValueError, match="must be a positive number"):
            make()
    assert Completer(checker, time_limit=None, memory_limit=None).time_limit is None
