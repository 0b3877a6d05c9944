"""The columnar kernel on every core: batches of records checked in worker processes, each
with its own :class:`Kernel` (packs, tables, verdicts by key), results in input order.

Each batch is split among the workers by verdict key, so that a record form is solved by
one worker only, which keeps its verdict for every later batch (split by batch alone, two
workers solved a third more forms between them than there were on 400,000 episodes).

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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    """A batch of records and where it stands in the run; a part of one has each row's own
    sequence number and line."""

    batch: pa.RecordBatch
    first_seq: int
    first_line: int
    source: str
    seq: pa.Array | None = None
    lines: pa.Array | None = None

    def check(self, kernel: Kernel, run_id: str) -> Results:
        return kernel.check_batch(
            self.batch, run_id=run_id, first_seq=self.first_seq, first_line=self.first_line, source=self.source,
            seq=self.seq, lines=self.lines,
        )  # fmt: skip


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


def _parts(kernel: Kernel, task: BatchTask, jobs: int) -> list[BatchTask]:
    """The batch's rows split among ``jobs`` workers by verdict key (each key always to the
    same worker within a run), each part with its rows' own sequence numbers and lines."""
    encoded = pc.dictionary_encode(kernel.keys(task.batch))
    owner_of_key = np.array([hash(key) % jobs for key in encoded.dictionary.to_pylist()], dtype=np.int64)
    owners = owner_of_key[encoded.indices.to_numpy(zero_copy_only=False)] if len(owner_of_key) else np.zeros(0, np.int64)
    parts = []
    for worker in range(jobs):
        rows = np.flatnonzero(owners == worker)
        if len(rows):
            picked = pa.array(rows)
            parts.append(
                BatchTask(
                    task.batch.take(picked), task.first_seq, task.first_line, task.source,
                    pa.array(rows + task.first_seq, pa.int64()), pa.array(rows + task.first_line, pa.int64()),
                )
            )  # fmt: skip
    return parts


def _merged(results: list[Results]) -> Results:
    """The results of a batch's parts as one, in the batch's row order (a record's
    violations keep their order: the sort is stable)."""
    if len(results) == 1:
        return results[0]
    records = pa.Table.from_batches([r for r, _ in results]).sort_by("seq").combine_chunks()
    violations = pa.Table.from_batches([v for _, v in results], schema=results[0][1].schema).sort_by("seq").combine_chunks()
    return _one_batch(records), _one_batch(violations)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    batches = table.to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)


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
    pending: deque[tuple[BatchTask, list[Future[Results]]]] = deque()
    try:
        for task in tasks:
            pending.append((task, [pool.submit(_check, part, run_id) for part in _parts(kernel, task, jobs)]))
            while len(pending) >= 2:
                results, pool = _collect(kernel, pool, pending, run_id, jobs)
                yield results
        while pending:
            results, pool = _collect(kernel, pool, pending, run_id, jobs)
            yield results
    finally:
        stop_pool(pool)  # no worker may outlive the run, whether it finished or was interrupted


def _collect(
    kernel: Kernel, pool: ProcessPoolExecutor, pending: deque[tuple[BatchTask, list[Future[Results]]]], run_id: str,
    jobs: int,
) -> tuple[Results, ProcessPoolExecutor]:  # fmt: skip
    task, futures = pending.popleft()
    try:
        return _merged([future.result(timeout=_time(kernel, task)) for future in futures]), pool
    except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
        pass
    stop_pool(pool)
    results = task.check(kernel, run_id)
    pool = _pool(kernel, jobs)
    for index, (waiting, _) in enumerate(pending):
        pending[index] = (waiting, [pool.submit(_check, part, run_id) for part in _parts(kernel, waiting, jobs)])
    return results, pool
