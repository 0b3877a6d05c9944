"""Large inputs on every core: chunks of records checked in worker processes, each with
its own packs, tables and verdict cache; results always come back in input order.

Workers are bounded: each has a memory budget over what it holds once loaded (the address
space limit of the process), and each chunk a time limit. A chunk that runs out of either
is checked again record by record in fresh workers, and a record that still runs out is
rejected with "limit exceeded"; the run goes on.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import TYPE_CHECKING, Any

from nicelogic.bounded import cap_memory, mark_worker
from nicelogic.errors import InputProblem, LimitExceeded
from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record
from nicelogic.results import RecordResult
from nicelogic.tables import TableConfig

if TYPE_CHECKING:
    from nicelogic.checking.checker import Checker


_worker: Checker | None = None
_Item = InputLine | TableRow | Record


def _worker_start(folders: tuple[str, ...], tables: TableConfig, options: dict[str, Any], memory_limit: int | None) -> None:
    from nicelogic.checking.checker import Checker  # the checker starts the workers: no cycle at import

    # Ctrl-C reaches the whole process group; the parent decides, and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker
    _worker = Checker(folders, tables=tables, jobs=1, **options)
    mark_worker()  # this process is the bound: it grounds every record itself
    cap_memory(memory_limit)  # over what the loaded packs and tables already take


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


def _pool(checker: Checker, workers: int) -> ProcessPoolExecutor:
    folders = tuple(str(f) for f in checker.folders)
    return ProcessPoolExecutor(
        max_workers=workers,
        initializer=_worker_start,
        initargs=(folders, checker.table_config, checker.worker_options(), checker.memory_limit),
        max_tasks_per_child=_TASKS_PER_WORKER,
    )


# A worker loads its packs and tables before its first chunk: time that no chunk is charged.
_START_ALLOWANCE = 30.0


def _chunk_time(checker: Checker, chunk: list[_Item]) -> float | None:
    if checker.time_limit is None:
        return None
    batches = -(-len(chunk) // checker.batch_size)
    return checker.time_limit * batches + _START_ALLOWANCE


def check_in_workers(checker: Checker, first: list[_Item], rest: Iterator[_Item], size: int) -> Iterator[RecordResult]:
    """Results of every item, in input order, from ``checker.jobs`` worker processes that
    each check as ``checker`` does; at most two chunks per worker are in flight."""
    chunks = _chunks(first, rest, size)
    pool = _pool(checker, checker.jobs)
    pending: deque[tuple[list[_Item], Future[list[RecordResult]]]] = deque()
    try:
        window = checker.jobs * 2  # bounded, so memory does not grow with the input
        for chunk in chunks:
            pending.append((chunk, pool.submit(_worker_check, chunk)))
            while len(pending) >= window:
                results, pool = _collect(checker, pool, pending)
                yield from results
        while pending:
            results, pool = _collect(checker, pool, pending)
            yield from results
    finally:
        stop_pool(pool)  # no worker may outlive the run, whether it finished or was interrupted


def _collect(
    checker: Checker, pool: ProcessPoolExecutor, pending: deque[tuple[list[_Item], Future[list[RecordResult]]]]
) -> tuple[list[RecordResult], ProcessPoolExecutor]:
    """The next chunk's results; when it runs out of time or memory, its records one by one
    (the pool is replaced, and the chunks still pending are given to the new one)."""
    chunk, future = pending.popleft()
    try:
        return future.result(timeout=_chunk_time(checker, chunk)), pool
    except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
        pass
    stop_pool(pool)
    results = _one_by_one(checker, chunk)
    pool = _pool(checker, checker.jobs)
    for index, (waiting, _) in enumerate(pending):
        pending[index] = (waiting, pool.submit(_worker_check, waiting))
    return results, pool


def _one_by_one(checker: Checker, chunk: list[_Item]) -> list[RecordResult]:
    """Each record of a chunk that exceeded a limit, alone, under the same limits; a fresh
    worker after each one that exceeds them too, which is rejected."""
    pool = _pool(checker, 1)
    results: list[RecordResult] = []
    try:
        for item in chunk:
            try:
                results += pool.submit(_worker_check, [item]).result(timeout=_chunk_time(checker, [item]))
            except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
                results.append(exceeded(checker, item))
                stop_pool(pool)
                pool = _pool(checker, 1)
    finally:
        stop_pool(pool)
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
