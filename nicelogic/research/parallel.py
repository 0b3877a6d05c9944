"""The columnar kernel on every core: batches of records checked in worker processes, each
with its own :class:`Kernel` (packs, tables, verdicts by key), results in input order.

Workers are bounded as the row path's are (:mod:`nicelogic.checking.parallel`): an address
space over what each holds once loaded, and a time limit per batch. A batch whose worker
runs out of either is checked again in this process, whose checker grounds under the
limits form by form and rejects a record that exceeds them alone; the run goes on.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pyarrow as pa

from nicelogic.bounded import cap_memory, mark_worker
from nicelogic.checking.parallel import stop_pool
from nicelogic.research.kernel import Kernel

_START_ALLOWANCE = 30.0  # a worker's first batch also builds its parser

# Workers are forked from this process once and live for the run: they start with its
# packs and tables loaded (pages shared with it until written), and keep their verdicts by
# key from batch to batch. clingo keeps every symbol it has seen for the life of a
# process, but a kernel's are codes, rule ids and small record numbers: a bounded set.
_FORK = multiprocessing.get_context("fork")


@dataclass(frozen=True, slots=True)
class BatchTask:
    """A batch of records and where it stands in the run."""

    batch: pa.RecordBatch
    first_seq: int
    first_line: int
    source: str

    def check(self, kernel: Kernel, run_id: str) -> Results:
        return kernel.check_batch(
            self.batch, run_id=run_id, first_seq=self.first_seq, first_line=self.first_line, source=self.source
        )


Results = tuple[pa.RecordBatch, pa.RecordBatch]
_kernel: Kernel | None = None


def _start(kernel: Kernel, memory_limit: int | None) -> None:
    # Ctrl-C reaches the whole process group; the parent decides, and stops the workers
    # (with SIGTERM, whose handler a forked worker must not inherit from the command line)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    global _kernel
    _kernel = kernel
    mark_worker()  # this process is the bound: it grounds every record itself
    cap_memory(memory_limit)


def _check(task: BatchTask, run_id: str) -> Results:
    assert _kernel is not None, "worker not started"
    return task.check(_kernel, run_id)


def _pool(kernel: Kernel, jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=_FORK, initializer=_start, initargs=(kernel, kernel.checker.memory_limit)
    )


def _time(kernel: Kernel, task: BatchTask) -> float | None:
    limit = kernel.checker.time_limit
    if limit is None:
        return None
    batches = -(-task.batch.num_rows // kernel.checker.batch_size)
    return limit * batches + _START_ALLOWANCE


def check_batches(kernel: Kernel, tasks: Iterator[BatchTask], run_id: str, jobs: int) -> Iterator[Results]:
    """The results of every batch, in order: in this process with ``jobs`` 1, else in
    ``jobs`` worker processes with at most two batches each in flight."""
    if jobs <= 1:
        for task in tasks:
            yield task.check(kernel, run_id)
        return
    pool = _pool(kernel, jobs)
    pending: deque[tuple[BatchTask, Future[Results]]] = deque()
    try:
        for task in tasks:
            pending.append((task, pool.submit(_check, task, run_id)))
            while len(pending) >= jobs * 2:
                results, pool = _collect(kernel, pool, pending, run_id, jobs)
                yield results
        while pending:
            results, pool = _collect(kernel, pool, pending, run_id, jobs)
            yield results
    finally:
        stop_pool(pool)  # no worker may outlive the run, whether it finished or was interrupted


def _collect(
    kernel: Kernel, pool: ProcessPoolExecutor, pending: deque[tuple[BatchTask, Future[Results]]], run_id: str, jobs: int
) -> tuple[Results, ProcessPoolExecutor]:
    task, future = pending.popleft()
    try:
        return future.result(timeout=_time(kernel, task)), pool
    except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
        pass
    stop_pool(pool)
    results = task.check(kernel, run_id)
    pool = _pool(kernel, jobs)
    for index, (waiting, _) in enumerate(pending):
        pending[index] = (waiting, pool.submit(_check, waiting, run_id))
    return results, pool
