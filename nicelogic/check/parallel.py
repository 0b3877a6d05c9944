"""Large inputs on every core: chunks of records checked in worker processes, each with
its own packs, tables and verdict cache; results always come back in input order."""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any

from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record
from nicelogic.results import RecordResult
from nicelogic.tables import TableConfig

if TYPE_CHECKING:
    from nicelogic.check.checker import Checker


_worker: Checker | None = None
_Item = InputLine | TableRow | Record


def _worker_start(folders: tuple[str, ...], tables: TableConfig, options: dict[str, Any]) -> None:
    from nicelogic.check.checker import Checker  # the checker starts the workers: no cycle at import

    # Ctrl-C reaches the whole process group; the parent decides, and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker
    _worker = Checker(folders, tables=tables, jobs=1, **options)


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


def check_in_workers(checker: Checker, first: list[_Item], rest: Iterator[_Item], size: int) -> Iterator[RecordResult]:
    """Results of every item, in input order, from ``checker.jobs`` worker processes that
    each check as ``checker`` does; at most two chunks per worker are in flight."""
    chunks = _chunks(first, rest, size)
    folders = tuple(str(f) for f in checker.folders)
    pool = ProcessPoolExecutor(
        max_workers=checker.jobs,
        initializer=_worker_start,
        initargs=(folders, checker.table_config, checker.worker_options()),
        max_tasks_per_child=_TASKS_PER_WORKER,
    )
    finished = False
    try:
        pending: deque[Future[list[RecordResult]]] = deque()
        window = checker.jobs * 2  # bounded, so memory does not grow with the input
        for chunk in chunks:
            pending.append(pool.submit(_worker_check, chunk))
            while len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        finished = True
    finally:
        if finished:
            pool.shutdown()
        else:  # interrupted, or the consumer stopped: no worker may outlive the run
            _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list(getattr(pool, "_processes", {}).values())  # the executor keeps no public handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
