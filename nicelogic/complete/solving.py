"""Within a time and a memory limit: every question the completer answers about one record
(all completions, the minimal ones, templates, may/must, repairs) shares one time limit,
grounding included, and gives up with a reason, and what it found by then, when it runs out.

clingo solves in a thread of its own when asked to, so a solve can be waited for with a
timeout and cancelled, and what was found so far kept. Grounding cannot be interrupted,
and its memory cannot be capped inside the process: with a limit set, each question runs
in a bounded worker process (:mod:`nicelogic.bounded`), forked once and reused, which is
stopped when it outlives the limit by WORKER_GRACE (then nothing was found: "gave up") or
runs out of memory (:class:`~nicelogic.errors.LimitExceeded`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import clingo

from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, BoundedWorker, in_worker
from nicelogic.errors import GaveUp, LimitExceeded

# Completions of long records grow steeply (a dozen codes can take minutes): every question
# about a record is answered within this many seconds of solving, or given up with a reason.
DEFAULT_TIME_LIMIT = 30.0


def _solving(ctl: clingo.Control) -> Any:
    """The solve options of a control (typed loosely by clingo)."""
    return ctl.configuration.solve


_Method = TypeVar("_Method", bound=Callable[..., Any])


# Past the time limit by this much, a worker is still grounding (solves stop at the limit
# and return what they found): it is stopped.
WORKER_GRACE = 2.0


def within_time_limit(method: _Method) -> _Method:
    """A public question of the completer: all its grounding and solving share one time
    limit, in the bounded worker process when limits are set."""

    @functools.wraps(method)
    def bounded(self: TimedSolving, *args: Any, **kwargs: Any) -> Any:
        if (self.time_limit is not None or self.memory_limit is not None) and not in_worker():
            return self._in_worker(method.__name__, *args, **kwargs)
        with self._bounded_time():
            return method(self, *args, **kwargs)

    return bounded  # type: ignore[return-value]


class TimedSolving:
    time_limit: float | None = DEFAULT_TIME_LIMIT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    _deadline: float | None = None
    _worker: BoundedWorker | None = None

    def _in_worker(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._worker is None:
            self._worker = BoundedWorker(self, self.memory_limit)
        timeout = None if self.time_limit is None else self.time_limit + WORKER_GRACE
        try:
            return self._worker.call(method, *args, timeout=timeout, **kwargs)
        except LimitExceeded as error:
            if error.kind == "time":  # still grounding: nothing found
                raise GaveUp(self.time_limit or 0.0) from None
            raise

    def close(self) -> None:
        """Stop the worker process, if one was started (it stops with this process anyway)."""
        if self._worker is not None:
            self._worker.stop()

    @contextmanager
    def _bounded_time(self) -> Iterator[None]:
        """One question about one record: its solves share the time limit."""
        self._deadline = None if self.time_limit is None else time.monotonic() + self.time_limit
        try:
            yield
        finally:
            self._deadline = None

    def _remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def _solve(self, ctl: clingo.Control, assumptions: list[tuple[clingo.Symbol, bool]], on_model=None) -> clingo.SolveResult:  # type: ignore[no-untyped-def]
        """ctl.solve, stopped when the question's time is up (clingo solves in its own
        thread, so it can be cancelled; grounding cannot, and is bounded by --max-codes)."""
        with ctl.solve(assumptions=assumptions, on_model=on_model, async_=True) as handle:
            if not handle.wait(self._remaining()):
                handle.cancel()
                raise GaveUp(self.time_limit or 0.0)
            return handle.get()

    def _enumerate(self, problem: Any, minimal: bool, count_limit: int, on_model, assumptions=None, on_unproven=None) -> bool:  # type: ignore[no-untyped-def]
        """Enumerate distinct (projected) models; with ``minimal`` only optimal ones (those
        found on the way, not yet proven optimal, go to ``on_unproven``). Returns whether
        the enumeration was exhaustive."""
        config = _solving(problem.ctl)
        config.opt_mode = "optN" if minimal else "ignore"
        config.enum_mode = "auto"
        seen = 0
        chosen = assumptions if assumptions is not None else problem.assumptions
        with problem.ctl.solve(assumptions=chosen, yield_=True, async_=True) as handle:
            while True:
                handle.resume()
                if not handle.wait(self._remaining()):
                    handle.cancel()
                    raise GaveUp(self.time_limit or 0.0)
                model = handle.model()
                if model is None:
                    return True
                if minimal and not model.optimality_proven:
                    if on_unproven is not None:
                        on_unproven(model)
                    continue
                on_model(model)
                seen += 1
                if seen >= count_limit:
                    return False
