"""Large inputs on every core: chunks of records checked in worker processes forked from
this one, each with the packs and tables loaded here and a verdict cache of its own; results
always come back in input order.

Workers are bounded: each has a memory budget over what it holds when forked (the address
space limit of the process), and each chunk a time limit. A chunk that runs out of either
is checked again record by record in fresh workers, and a record that still runs out is
rejected with "limit exceeded"; the run goes on.

clingo keeps every symbol it has seen for the life of a process, so the workers are
replaced after :data:`_TASKS_PER_WORKER` chunks each: the pool's chunks in flight are
collected, it is stopped, and a fresh one is forked. (Not the executor's own
``max_tasks_per_child``: Python 3.11 then starts workers by spawn, each loading the packs
and tables again, and with work queued it can fail to replace one, CPython gh-115634.)
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from nicelogic.bounded import become_worker
from nicelogic.errors import InputProblem, LimitExceeded
from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record
from nicelogic.results import RecordResult

if TYPE_CHECKING:
    from nicelogic.checking.checker import Checker


_worker: Checker | None = None
T = TypeVar("T")
R = TypeVar("R")
_Item = InputLine | TableRow | Record


_FORK = multiprocessing.get_context("fork")


def _worker_start(checker: Checker, memory_limit: int | None) -> None:
    global _worker
    _worker = checker
    become_worker(os.getppid(), memory_limit)


def _worker_check(chunk: list[_Item]) -> list[RecordResult]:
    assert _worker is not None, "worker not started"
    return list(_worker.iter_check(chunk))


def _chunks(first: list[_Item], rest: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    """Chunks of ``size`` records, the first few smaller so that results (and progress)
    start to flow while the workers are still warming up."""
    start, step = 0, max(1, size // 16)
    while start < len(first):
        yield first[start : start + step]
        start, step = start + step, min(step * 2, size)
    while chunk := list(islice(rest, size)):
        yield chunk


# clingo keeps every symbol it has seen for the life of a process: recycle workers.
_TASKS_PER_WORKER = 100


def forked_submit(executor: ProcessPoolExecutor, first: bool, call: Callable[[T], R], argument: T) -> Future[R]:
    """Submit a call to a fork-context executor, which forks its workers at its ``first``
    submit. A worker's garbage collections would write to the header of every object it
    inherited, copying each page it shares with this process: frozen for the fork, they are
    never looked at there."""
    if not first:
        return executor.submit(call, argument)
    gc.freeze()
    try:
        return executor.submit(call, argument)
    finally:
        gc.unfreeze()


class _Pool:
    """``workers`` processes forked from this one, each checking alone as ``checker`` does,
    and how many chunks they have been given."""

    def __init__(self, checker: Checker, workers: int) -> None:
        alone = checker.alone()
        _ = alone.parser  # built here once, before the fork, rather than in every worker
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=_FORK, initializer=_worker_start, initargs=(alone, checker.memory_limit)
        )
        self.workers = workers
        self.given = 0

    def submit(self, chunk: list[_Item]) -> Future[list[RecordResult]]:
        self.given += 1
        return forked_submit(self.executor, self.given == 1, _worker_check, chunk)

    def spent(self) -> bool:
        return self.given >= _TASKS_PER_WORKER * self.workers

    def stop(self) -> None:
        stop_pool(self.executor)


# A worker's first chunk also fills the caches it did not inherit: time that no chunk is charged.
_START_ALLOWANCE = 30.0


def chunk_time(checker: Checker, records: int) -> float | None:
    """How long a worker may take over a chunk of ``records`` records: the time limit for
    each batch of them, and the start allowance."""
    if checker.time_limit is None:
        return None
    batches = -(-records // checker.batch_size)
    return checker.time_limit * batches + _START_ALLOWANCE


def check_in_workers(checker: Checker, first: list[_Item], rest: Iterator[_Item], size: int) -> Iterator[RecordResult]:
    """Results of every item, in input order, from ``checker.jobs`` worker processes that
    each check as ``checker`` does; at most two chunks per worker are in flight."""
    chunks = _chunks(first, rest, size)
    pool = _Pool(checker, checker.jobs)
    pending: deque[tuple[list[_Item], Future[list[RecordResult]]]] = deque()
    try:
        window = checker.jobs * 2  # bounded, so memory does not grow with the input
        for chunk in chunks:
            if pool.spent():
                # fresh workers once the spent ones have answered, so that the two sets
                # never hold memory at once
                while pending:
                    results, pool = _collect(checker, pool, pending)
                    yield from results
                if pool.spent():
                    pool.stop()
                    pool = _Pool(checker, checker.jobs)
            pending.append((chunk, pool.submit(chunk)))
            while len(pending) >= window:
                results, pool = _collect(checker, pool, pending)
                yield from results
        while pending:
            results, pool = _collect(checker, pool, pending)
            yield from results
    finally:
        pool.stop()  # no worker may outlive the run, whether it finished or was interrupted


def _collect(
    checker: Checker, pool: _Pool, pending: deque[tuple[list[_Item], Future[list[RecordResult]]]]
) -> tuple[list[RecordResult], _Pool]:
    """The next chunk's results; when it runs out of time or memory, its records one by one
    (the pool is replaced, and the chunks still pending are given to the new one)."""
    chunk, future = pending.popleft()
    try:
        return future.result(timeout=chunk_time(checker, len(chunk))), pool
    except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
        pass
    pool.stop()
    results = _one_by_one(checker, chunk)
    pool = _Pool(checker, checker.jobs)
    for index, (waiting, _) in enumerate(pending):
        pending[index] = (waiting, pool.submit(waiting))
    return results, pool


def _one_by_one(checker: Checker, chunk: list[_Item]) -> list[RecordResult]:
    """Each record of a chunk that exceeded a limit, alone, under the same limits; a fresh
    worker after each one that exceeds them too, which is rejected."""
    pool = _Pool(checker, 1)
    results: list[RecordResult] = []
    try:
        for item in chunk:
            try:
                results += pool.submit([item]).result(timeout=chunk_time(checker, 1))
            except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
                results.append(exceeded(checker, item))
                pool.stop()
                pool = _Pool(checker, 1)
    finally:
        pool.stop()
    return results


def exceeded(checker: Checker, item: _Item, error: LimitExceeded | None = None) -> RecordResult:
    """The rejection of a record that exceeded a limit even alone: which one, when known."""
    from nicelogic.input.records import to_record

    parsed = item if isinstance(item, Record) else to_record(item, checker.parser, checker.max_codes)
    if error is not None:
        message = f"limit exceeded: checking this record alone {error.what}"
    else:
        limits = f"{checker.time_limit:g} s a batch" if checker.time_limit else ""
        if checker.memory_limit:
            limits += f"{', ' if limits else ''}{checker.memory_limit // (1 << 20):,} MiB a worker"
        message = f"limit exceeded: checking this record took more than {limits}"
    return RecordResult(parsed.id, parsed.line, parsed.source, error=InputProblem(message, parsed.line, 0, "limit"))


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool of worker processes now, its queued work dropped and none of its workers left behind."""
    processes = list(getattr(pool, "_processes", {}).values())  # the executor keeps no public handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
