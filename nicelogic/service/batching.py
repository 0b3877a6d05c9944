"""Check requests that arrive together are checked together. One thread owns the checker
(which is not shared between threads); each request hands it its records and waits. The
requests that queued while a batch was checked are checked next as one batch: grounding
and solving many records in one call costs far less per record than one record per call,
so concurrent callers wait less than they would taking turns."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from nicelogic.checking.checker import Checker
from nicelogic.input.items import InputLine
from nicelogic.results import RecordResult


@dataclass(eq=False)
class _Job:
    checker: Checker
    items: Sequence[InputLine]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[RecordResult] = field(default_factory=list)
    error: BaseException | None = None
    abandoned: bool = False


class CheckBatcher:
    def __init__(self) -> None:
        self._pending: list[_Job] = []
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def check(self, checker: Checker, items: Sequence[InputLine], timeout: float) -> list[RecordResult] | None:
        """The results of ``items``, in order, checked by ``checker`` (or a variant of it
        sharing its state); None when they were not checked within ``timeout`` seconds."""
        job = _Job(checker, items)
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                # started on first use, and again after close(): an app's lifespan may end and start again
                self._stopped = False
                self._thread = threading.Thread(target=self._run, name="nicelogic-checker", daemon=True)
                self._thread.start()
            self._pending.append(job)
            self._wake.notify()
        if not job.done.wait(timeout):
            job.abandoned = True  # checked anyway if already taken; nobody waits for it
            return None
        if job.error is not None:
            raise job.error
        return job.results

    def close(self) -> None:
        """Stop the thread, after the batch it is checking; the next check starts another."""
        with self._wake:
            self._stopped = True
            self._wake.notify()
            thread = self._thread
        # waited for: a check arriving before the thread had seen the stop would find it
        # alive, queue its job, and never be answered when the thread then stopped
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    self._thread = None
                    return
                jobs, self._pending = [job for job in self._pending if not job.abandoned], []
            by_checker: dict[int, list[_Job]] = {}
            for job in jobs:
                by_checker.setdefault(id(job.checker), []).append(job)
            for group in by_checker.values():
                self._check_together(group)

    @classmethod
    def _check_together(cls, jobs: list[_Job]) -> None:
        try:
            results = list(jobs[0].checker.check_items([item for job in jobs for item in job.items]))
        except Exception as error:
            if len(jobs) > 1:  # one request's failure is its own: the others are checked alone
                for job in jobs:
                    cls._check_together([job])
            else:
                jobs[0].error = error
                jobs[0].done.set()
            return
        start = 0
        for job in jobs:
            job.results = results[start : start + len(job.items)]
            start += len(job.items)
            job.done.set()
