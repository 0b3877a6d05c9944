"""Checking in worker processes (nicelogic.checking.parallel): how the input is cut into
chunks, how long a chunk may take, what a worker is, how far ahead of its results the input
is read, and what a record that exceeds the limits even alone is told."""

from __future__ import annotations

import os
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nicelogic import Checker
from nicelogic.bounded import in_worker
from nicelogic.checking import parallel
from nicelogic.errors import LimitExceeded
from nicelogic.input.jsonl import jsonl_lines
from nicelogic.input.text import text_lines
from nicelogic.tables import TableConfig
from tests.conftest import UK_ICD10, one_rule_pack, running_children

RULE = 'violation("par.rule", R, opcs, P) :- code(R, opcs, P, "W37.1").\n'


def _checker(tmp_path: Path, **options) -> Checker:
    return Checker([str(one_rule_pack(tmp_path / "par", RULE))], **options)


def _lines(count: int) -> list:
    return list(text_lines([f"r{n}: opcs {'W37.1' if n % 3 == 0 else 'Z94.1'}\n" for n in range(count)], "par.txt"))


@pytest.mark.parametrize(
    ("first", "rest", "size", "lengths"),
    [
        # the first records in chunks that double from a sixteenth of the size, so that
        # results start to flow while the workers warm up; the rest in chunks of the size
        (100, 70, 32, [2, 4, 8, 16, 32, 32, 6, 32, 32, 6]),
        (3, 0, 16, [1, 2]),
        (5, 0, 8, [1, 2, 2]),  # a chunk never passes the end of the first records
        (0, 5, 2, [2, 2, 1]),
        (40, 0, 1, [1] * 40),  # a size under 16 still gives chunks of at least one record
    ],
)
def test_chunks_start_small_and_keep_every_record_in_order(first: int, rest: int, size: int, lengths: list[int]) -> None:
    head, tail = list(range(first)), iter(range(first, first + rest))
    chunks = list(parallel._chunks(head, tail, size))
    assert [len(chunk) for chunk in chunks] == lengths
    assert [item for chunk in chunks for item in chunk] == list(range(first + rest))


def test_a_chunk_may_take_the_time_limit_per_batch_it_holds_plus_the_start_allowance(tmp_path: Path) -> None:
    bounded = _checker(tmp_path, batch_size=10, time_limit=2.0, memory_limit=None)
    assert parallel.chunk_time(bounded, 10) == 2.0 + parallel._START_ALLOWANCE
    assert parallel.chunk_time(bounded, 11) == 4.0 + parallel._START_ALLOWANCE
    assert parallel.chunk_time(bounded, 1) == 2.0 + parallel._START_ALLOWANCE
    assert parallel.chunk_time(_checker(tmp_path, time_limit=None, memory_limit=None), 10) is None


def test_a_record_that_exceeds_the_limits_alone_is_told_which(tmp_path: Path) -> None:
    item = _lines(1)[0]
    both = parallel.exceeded(_checker(tmp_path, time_limit=2.5, memory_limit=64 << 20), item)
    assert both.id == "r0" and both.error is not None and both.error.label == "limit" and not both.violations
    assert (both.error.line, both.error.column) == (item.line, 0)  # the record as a whole
    assert both.error.message == "limit exceeded: checking this record took more than 2.5 s a batch, 64 MiB a worker"
    time_only = parallel.exceeded(_checker(tmp_path, time_limit=3.0, memory_limit=None), item)
    assert time_only.error is not None and time_only.error.message.endswith("took more than 3 s a batch")
    memory_only = parallel.exceeded(_checker(tmp_path, time_limit=None, memory_limit=2048 << 20), item)
    assert memory_only.error is not None and memory_only.error.message.endswith("took more than 2,048 MiB a worker")
    known = parallel.exceeded(_checker(tmp_path), item, LimitExceeded("memory", 64 << 20))
    assert known.error is not None and known.error.message.startswith("limit exceeded: checking this record alone ")
    assert LimitExceeded("memory", 64 << 20).what in known.error.message
    assert (known.line, known.source) == (item.line, item.source)


def _inside_a_worker() -> tuple[bool, bool, int, int, int]:
    """What a worker process is, seen from inside it."""
    assert parallel._worker is not None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return (
        signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
        in_worker(),
        parallel._worker.jobs,
        soft,
        os.getpid(),
    )


def test_a_worker_checks_alone_ignores_ctrl_c_and_is_capped_over_what_it_holds(tmp_path: Path) -> None:
    checker = _checker(tmp_path, jobs=2, memory_limit=300 << 20)
    pool = parallel._Pool(checker, 1)
    try:
        ignores_interrupt, marked, jobs, address_space, pid = pool.executor.submit(_inside_a_worker).result(timeout=60)
        processes = list(pool.executor._processes.values())  # type: ignore[attr-defined]
    finally:
        pool.stop()
    assert ignores_interrupt and marked and jobs == 1 and pid != os.getpid()
    assert address_space != resource.RLIM_INFINITY and address_space > 300 << 20  # what it held once loaded, plus the limit
    assert processes and not {process.pid for process in processes} & running_children()  # stopped, none left behind


def test_a_worker_without_a_memory_limit_is_not_capped(tmp_path: Path) -> None:
    pool = parallel._Pool(_checker(tmp_path, jobs=2, memory_limit=None), 1)
    try:
        assert pool.executor.submit(_inside_a_worker).result(timeout=60)[3] == resource.getrlimit(resource.RLIMIT_AS)[0]
    finally:
        pool.stop()


_told: Any = None  # where a worker forked by a test says which process checked a chunk


def _telling_check(chunk: list) -> list:
    _told.put(os.getpid())
    return _checked_by_worker(chunk)


_checked_by_worker = parallel._worker_check


def test_workers_are_replaced_after_their_share_of_chunks_once_the_old_ones_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """clingo keeps every symbol a process has made: the workers are replaced after so many
    chunks each, by fresh ones forked once the spent ones have answered and stopped."""
    import multiprocessing

    global _told
    _told = multiprocessing.get_context("fork").SimpleQueue()
    before = running_children()  # other tests' long-lived workers
    monkeypatch.setattr(parallel, "_TASKS_PER_WORKER", 3)
    monkeypatch.setattr(parallel, "_worker_check", _telling_check)
    alive_at_start: list[int] = []
    pool = parallel._Pool

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        alive_at_start.append(len(running_children() - before))
        return pool(*args, **kwargs)

    monkeypatch.setattr(parallel, "_Pool", watched)
    items = _lines(300)
    results = list(parallel.check_in_workers(_checker(tmp_path, jobs=2), [], iter(items), 10))
    assert [r.id for r in results] == [f"r{n}" for n in range(300)]
    assert [bool(r.violations) for r in results] == [n % 3 == 0 for n in range(300)]
    pids = []
    while not _told.empty():
        pids.append(_told.get())
    assert len(pids) == 30  # 30 chunks of 10, in 5 pools of 2 workers x 3 chunks
    pools = [set(pids[start : start + 6]) for start in range(0, 30, 6)]
    assert all(len(workers) <= 2 for workers in pools)
    assert all(a.isdisjoint(b) for n, a in enumerate(pools) for b in pools[n + 1 :])  # each pool its own workers
    assert alive_at_start == [0] * 5  # the old workers gone before the fresh ones are forked
    assert running_children() <= before


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_pool_has_the_workers_it_is_given(tmp_path: Path) -> None:
    checker = _checker(tmp_path, jobs=2)
    # each call long enough that, with a second worker, the second call is not left for the first
    for workers in (1, 2):
        pool = parallel._Pool(checker, workers)
        try:
            pids = {future.result(timeout=60) for future in [pool.executor.submit(_pid_after, 1.5) for _ in range(2)]}
        finally:
            pool.stop()
        assert len(pids) == workers


def test_stopping_a_pool_drops_the_work_it_has_not_started(tmp_path: Path) -> None:
    pool = parallel._Pool(_checker(tmp_path, jobs=2), 1)
    # at most one runs and two wait in the executor's call queue: the last three are not started
    futures = [pool.executor.submit(_pid_after, 2.0) for _ in range(6)]
    pool.stop()
    settled = time.monotonic() + 30  # the executor's thread cancels them (wait() does not see a cancel)
    while not all(future.done() for future in futures[3:]) and time.monotonic() < settled:
        time.sleep(0.05)
    assert all(future.cancelled() for future in futures[3:])


def test_workers_give_every_result_in_input_order(tmp_path: Path) -> None:
    checker = _checker(tmp_path, jobs=2, batch_size=7)
    items = _lines(300)
    results = list(parallel.check_in_workers(checker, items[:50], iter(items[50:]), 20))
    assert [r.id for r in results] == [f"r{n}" for n in range(300)]
    assert [bool(r.violations) for r in results] == [n % 3 == 0 for n in range(300)]
    assert all(v.rule == "par.rule" and v.positions == (1,) for r in results for v in r.violations)


def test_the_input_is_read_at_most_two_chunks_per_worker_ahead_of_the_results(tmp_path: Path) -> None:
    checker = _checker(tmp_path, jobs=2)
    items = _lines(400)
    taken = 0

    def counted() -> Iterator:
        nonlocal taken
        for item in items:
            taken += 1
            yield item

    results = parallel.check_in_workers(checker, [], counted(), 10)
    first = next(results)
    assert first.id == "r0"
    # the first result is given once the window of 2 jobs x 2 chunks is full, before the fifth chunk is read
    assert taken == 40
    assert len([first, *results]) == 400 and taken == 400


def test_workers_check_against_the_tables_their_parent_loaded() -> None:
    # the sex limit of M80.0 is in the UK release file only: a worker on the default WHO
    # table would find nothing to report
    uk = Checker(["icd10"], tables=TableConfig(icd10_file=UK_ICD10), jobs=2)
    sexes = ["male" if n % 2 else "female" for n in range(40)]
    texts = [f'{{"id": "m{n}", "icd10": ["M80.0"], "sex": "{sex}"}}\n' for n, sex in enumerate(sexes)]
    lines = list(jsonl_lines(texts, "uk.jsonl"))
    results = list(parallel.check_in_workers(uk, [], iter(lines), 10))
    assert [[v.rule for v in r.violations] for r in results] == [["icd.sex-conflict"] if n % 2 else [] for n in range(40)]
