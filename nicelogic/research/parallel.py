"""The columnar kernel on every core: this process reads each batch into keys, keeps the
verdicts by key and makes the results; worker processes solve the keys no batch has had
before, each exactly once in the run, and hold nothing but the packs and tables.

Workers are bounded as the row path's are (:mod:`nicelogic.checking.parallel`): an address
space over what each holds once loaded, and a time limit per chunk of records. A chunk
whose worker runs out of either is checked again in this process, whose checker grounds
under the limits form by form and rejects a record that exceeds them alone; the run goes on.

clingo keeps every symbol it has made for the life of a process, so a worker grows with
the variety of records it has solved; the workers are replaced by fresh ones after
:data:`RECYCLE_AFTER` records, which keeps memory flat however long the run (they lose
nothing: the verdicts are kept here). The fresh set starts once the old one has answered,
so that the two never hold memory at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import pyarrow as pa

from nicelogic.bounded import cap_memory, mark_worker
from nicelogic.checking.parallel import stop_pool
from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.research.kernel import Kernel, KeyVerdict, Plan

_START_ALLOWANCE = 30.0  # a worker's first chunk also fills the caches it did not inherit
CHUNK = 500  # records sent to a worker at once: one grounding
# records a set of workers solves before fresh ones take over: each grows 3 to 6 MiB a
# thousand (clingo's symbols); at 5,000, a 10M-record run peaked 7-27 MiB lower than at
# 10,000 (three runs beside one), for 1-2% more time on 1M records
RECYCLE_AFTER = 5_000
AHEAD = 2  # batches read ahead of the one being finished, so that the workers always have work

_FORK = multiprocessing.get_context("fork")

Item = InputLine | TableRow
Results = tuple[pa.RecordBatch, pa.RecordBatch]


@dataclass(frozen=True, slots=True)
class BatchTask:
    """A batch of records and where it stands in the run: its rows numbered from
    ``first_line``, or each row's own line (a CSV row's line in its file)."""

    batch: pa.RecordBatch
    first_seq: int
    first_line: int
    source: str
    lines: pa.Array | None = None

    def plan(self, kernel: Kernel, run_id: str) -> Plan:
        return kernel.plan(
            self.batch, run_id=run_id, first_seq=self.first_seq, first_line=self.first_line, source=self.source,
            lines=self.lines,
        )  # fmt: skip

    def check(self, kernel: Kernel, run_id: str) -> Results:
        checked = kernel.solved(self.plan(kernel, run_id))
        return checked.records, checked.violations


@dataclass(frozen=True, slots=True)
class RowsTask:
    """Records that are not columns (see :meth:`Kernel.check_items`): checked in this
    process, in their place in the run."""

    items: Sequence[Item]
    first_seq: int

    def check(self, kernel: Kernel, run_id: str) -> Results:
        checked = kernel.check_items(self.items, run_id=run_id, first_seq=self.first_seq)
        return checked.records, checked.violations


Task = BatchTask | RowsTask


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


def _solve(items: Sequence[Item]) -> list[KeyVerdict]:
    assert _kernel is not None, "worker not started"
    return _kernel.solve(items)


@dataclass
class _Chunk:
    """Records sent to a worker, the pool that has them, and the future of their verdicts."""

    keys: list[str]
    items: list[Item]
    pool: ProcessPoolExecutor
    future: Future[list[KeyVerdict]]

    def answered(self) -> bool:
        return self.future.done() and not self.future.cancelled() and self.future.exception() is None


@dataclass
class _Workers:
    """The pools of worker processes and the chunks in flight: new chunks go to the
    current pool; a replaced pool finishes its chunks, then is stopped."""

    kernel: Kernel
    jobs: int
    pool: ProcessPoolExecutor | None = None
    sent: int = 0  # records sent to the current pool
    retiring: list[ProcessPoolExecutor] = field(default_factory=list)
    chunks: dict[str, _Chunk] = field(default_factory=dict)  # by key: the chunk solving it
    waiting: Counter[str] = field(default_factory=Counter)  # by key: the planned batches waiting for it

    def submit(self, new: dict[str, Item]) -> None:
        """Send the records of a batch's new keys that are not on their way already, in
        chunks spread over the workers."""
        self.waiting.update(new.keys())
        todo = [(key, item) for key, item in new.items() if key not in self.chunks]
        if not todo:
            return
        size = max(1, min(CHUNK, -(-len(todo) // self.jobs)))
        for start in range(0, len(todo), size):
            part = todo[start : start + size]
            chunk = self._send([key for key, _ in part], [item for _, item in part])
            for key in chunk.keys:
                self.chunks[key] = chunk

    def _send(self, keys: list[str], items: list[Item]) -> _Chunk:
        pool = self._current()
        fresh = self.sent == 0  # a new pool forks its workers at its first submit
        self.sent += len(items)
        if not fresh:
            return _Chunk(keys, items, pool, pool.submit(_solve, items))
        # A worker's garbage collections would write to the header of every object it
        # inherited (the verdicts kept here, the batches in flight), copying each page it
        # shares with this process: frozen, they are never looked at there.
        gc.freeze()
        try:
            return _Chunk(keys, items, pool, pool.submit(_solve, items))
        finally:
            gc.unfreeze()

    def _current(self) -> ProcessPoolExecutor:
        if self.pool is not None and self.sent >= RECYCLE_AFTER:
            # the fresh workers start once the old ones have answered, so that the two
            # sets never hold memory at once (a chunk over its time limit is left to
            # :meth:`_result`, which checks it here)
            pending = [c for c in self.chunks.values() if c.pool is self.pool]
            wait([c.future for c in pending], timeout=max((self._time(c) or 0.0 for c in pending), default=0.0) or None)
            self.retiring.append(self.pool)
            self.pool = None
            self._retire()
        if self.pool is None:
            # built here once, before the fork, rather than in every fresh worker (0.13 s each)
            _ = self.kernel.checker.parser
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=_FORK, initializer=_start,
                initargs=(self.kernel, self.kernel.checker.memory_limit),
            )  # fmt: skip
            self.sent = 0
        return self.pool

    def verdicts(self, plan: Plan) -> dict[str, KeyVerdict]:
        """The verdicts of a planned batch's new keys, as their chunks answer."""
        found: dict[str, KeyVerdict] = {}
        for key in plan.new:
            if key not in found:
                chunk = self.chunks[key]
                found.update(zip(chunk.keys, self._result(chunk), strict=True))
        for key in plan.new:
            self.waiting[key] -= 1
            if self.waiting[key] <= 0:
                del self.waiting[key]
                self.chunks.pop(key, None)
        self._retire()
        return {key: found[key] for key in plan.new}

    def _result(self, chunk: _Chunk) -> list[KeyVerdict]:
        try:
            return chunk.future.result(timeout=self._time(chunk))
        except (TimeoutError, BrokenProcessPool, MemoryError, RuntimeError):
            pass
        # the worker ran out of time or memory: this chunk is checked here, form by form
        # under the limits; the pools are stopped, and the chunks they had not answered
        # are sent to fresh workers
        self.stop()
        self.pool, self.retiring = None, []
        verdicts = self.kernel.solve(chunk.items)
        chunk.future = Future()  # answered, for the other batches that wait for it
        chunk.future.set_result(verdicts)
        for other in {id(c): c for c in self.chunks.values() if c is not chunk and not c.answered()}.values():
            resent = self._send(other.keys, other.items)
            other.pool, other.future = resent.pool, resent.future
        return verdicts

    def _time(self, chunk: _Chunk) -> float | None:
        limit = self.kernel.checker.time_limit
        if limit is None:
            return None
        groundings = -(-len(chunk.items) // self.kernel.checker.batch_size)
        return limit * groundings + _START_ALLOWANCE

    def _retire(self) -> None:
        """Stop the replaced pools whose chunks have all answered."""
        busy = {id(chunk.pool) for chunk in self.chunks.values() if not chunk.future.done()}
        for pool in [p for p in self.retiring if id(p) not in busy]:
            stop_pool(pool)
            self.retiring.remove(pool)

    def stop(self) -> None:
        for pool in (self.pool, *self.retiring):
            if pool is not None:
                stop_pool(pool)


def check_batches(kernel: Kernel, tasks: Iterator[Task], run_id: str, jobs: int) -> Iterator[Results]:
    """The results of every batch, in order: in this process with ``jobs`` 1, else with
    the new keys solved in ``jobs`` worker processes while this one reads ahead."""
    if jobs <= 1:
        for task in tasks:
            yield task.check(kernel, run_id)
        return
    workers = _Workers(kernel, jobs)
    planned: deque[Plan | Results] = deque()
    try:
        for task in tasks:
            if isinstance(task, RowsTask):
                planned.append(task.check(kernel, run_id))
            else:
                plan = task.plan(kernel, run_id)
                workers.submit(plan.new)
                planned.append(plan)
            while len(planned) > AHEAD:
                yield _finished(kernel, workers, planned.popleft())
        while planned:
            yield _finished(kernel, workers, planned.popleft())
    finally:
        workers.stop()  # no worker may outlive the run, whether it finished or was interrupted


def _finished(kernel: Kernel, workers: _Workers, plan: Plan | Results) -> Results:
    if not isinstance(plan, Plan):
        return plan
    checked = kernel.finish(plan, workers.verdicts(plan))
    return checked.records, checked.violations
