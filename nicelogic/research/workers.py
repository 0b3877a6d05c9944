"""Pools of kernel worker processes, forked from the process that holds them (the run's
zygote, :mod:`nicelogic.research.zygote`): the records of the keys no batch has had before
go to them in chunks, and their verdicts come back.

Workers are bounded as the row path's are (:mod:`nicelogic.checking.parallel`): an address
space over what each holds once loaded, and a time limit per chunk of records. A chunk
whose worker runs out of either is checked again in the holding process, whose checker
grounds under the limits form by form and rejects a record that exceeds them alone.

clingo keeps every symbol it has made for the life of a process, so a worker grows with
the variety of records it has solved; the workers are replaced by fresh ones after
:data:`RECYCLE_AFTER` records, which keeps memory flat however long the run (they lose
nothing: the verdicts are kept by the run's process). The fresh set starts once the old
one has answered, so that the two never hold memory at once.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from nicelogic.bounded import become_worker
from nicelogic.checking.parallel import chunk_time, forked_submit, stop_pool
from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.research.kernel import Kernel, KeyVerdict

CHUNK = 500  # records sent to a worker at once: one grounding
# records a set of workers solves before fresh ones take over: each grows 3 to 6 MiB a
# thousand (clingo's symbols); at 5,000, a 10M-record run peaked 7-27 MiB lower than at
# 10,000 (three runs beside one), for 1-2% more time on 1M records
RECYCLE_AFTER = 5_000

_FORK = multiprocessing.get_context("fork")

Item = InputLine | TableRow

_kernel: Kernel | None = None


def _start(kernel: Kernel, memory_limit: int | None) -> None:
    global _kernel
    _kernel = kernel
    become_worker(os.getppid(), memory_limit)


def _solve(records: bytes) -> list[KeyVerdict]:
    assert _kernel is not None, "worker not started"
    return _kernel.solve(pickle.loads(records))


def chunks(todo: Mapping[str, Item], jobs: int) -> Iterator[tuple[list[str], bytes]]:
    """The records of ``todo`` in chunks spread over ``jobs`` workers: each chunk's keys,
    and its records pickled once (the process that holds the pools passes them on as
    they are, so that its heap, which its workers share, does not churn)."""
    pairs = list(todo.items())
    size = max(1, min(CHUNK, -(-len(pairs) // jobs)))
    for start in range(0, len(pairs), size):
        part = pairs[start : start + size]
        yield [key for key, _ in part], pickle.dumps([item for _, item in part], pickle.HIGHEST_PROTOCOL)


@dataclass
class Waiting:
    """The keys on their way to a verdict, and how many planned batches wait for each: kept
    alike by the process that sends records and the one that holds the pools."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, new: Sequence[str]) -> list[str]:
        """Count a planned batch's new keys (each once); those not on their way already."""
        fresh = [key for key in new if key not in self.counts]
        self.counts.update(new)
        return fresh

    def answered(self, keys: Sequence[str]) -> list[str]:
        """A planned batch has its verdicts: the keys no batch waits for any more."""
        done = []
        for key in keys:
            self.counts[key] -= 1
            if self.counts[key] <= 0:
                del self.counts[key]
                done.append(key)
        return done


@dataclass
class _Chunk:
    """Records sent to a worker, the pool that has them, and the future of their verdicts."""

    keys: list[str]
    records: bytes  # pickled
    pool: ProcessPoolExecutor
    future: Future[list[KeyVerdict]]

    def answered(self) -> bool:
        return self.future.done() and not self.future.cancelled() and self.future.exception() is None


@dataclass
class Workers:
    """The pools of worker processes and the chunks in flight: new chunks go to the
    current pool; a replaced pool finishes its chunks, then is stopped."""

    kernel: Kernel
    jobs: int
    pool: ProcessPoolExecutor | None = None
    sent: int = 0  # records sent to the current pool
    retiring: list[ProcessPoolExecutor] = field(default_factory=list)
    chunks: dict[str, _Chunk] = field(default_factory=dict)  # by key: the chunk solving it
    waiting: Waiting = field(default_factory=Waiting)

    def submit(self, new: Sequence[str], chunks: Sequence[tuple[list[str], bytes]]) -> None:
        """A planned batch's new keys, and the chunks (:func:`chunks`) of the records of
        those that were not on their way already (:meth:`Waiting.add`)."""
        self.waiting.add(new)
        for keys, records in chunks:
            chunk = self._send(keys, records)
            for key in keys:
                self.chunks[key] = chunk

    def _send(self, keys: list[str], records: bytes) -> _Chunk:
        pool = self._current()
        first = self.sent == 0
        self.sent += len(keys)
        return _Chunk(keys, records, pool, forked_submit(pool, first, _solve, records))

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

    def verdicts(self, keys: Sequence[str]) -> dict[str, KeyVerdict]:
        """The verdicts of a planned batch's new keys, as their chunks answer."""
        found: dict[str, KeyVerdict] = {}
        for key in keys:
            if key not in found:
                chunk = self.chunks[key]
                found.update(zip(chunk.keys, self._result(chunk), strict=True))
        for key in self.waiting.answered(keys):
            self.chunks.pop(key, None)
        self._retire()
        return {key: found[key] for key in keys}

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
        verdicts = self.kernel.solve(pickle.loads(chunk.records))
        chunk.future = Future()  # answered, for the other batches that wait for it
        chunk.future.set_result(verdicts)
        for other in {id(c): c for c in self.chunks.values() if c is not chunk and not c.answered()}.values():
            resent = self._send(other.keys, other.records)
            other.pool, other.future = resent.pool, resent.future
        return verdicts

    def _time(self, chunk: _Chunk) -> float | None:
        return chunk_time(self.kernel.checker, len(chunk.keys))

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
