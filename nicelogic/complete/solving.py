"""Solving within a time limit: every question the completer answers about one record (all
completions, the minimal ones, templates, may/must, repairs) shares one limit on solving,
and gives up with a reason when it runs out.

clingo solves in a thread of its own when asked to, so a solve can be waited for with a
timeout and cancelled; grounding cannot, and is kept small by the bound on inserted codes
and the rejection of over-long records.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import clingo

from nicelogic.errors import GaveUp

# Completions of long records grow steeply (a dozen codes can take minutes): every question
# about a record is answered within this many seconds of solving, or given up with a reason.
DEFAULT_TIME_LIMIT = 30.0


def _solving(ctl: clingo.Control) -> Any:
    """The solve options of a control (typed loosely by clingo)."""
    return ctl.configuration.solve


_Method = TypeVar("_Method", bound=Callable[..., Any])


def within_time_limit(method: _Method) -> _Method:
    """A public question of the completer: all its solves share one time limit."""

    @functools.wraps(method)
    def bounded(self: TimedSolving, *args: Any, **kwargs: Any) -> Any:
        with self._bounded_time():
            return method(self, *args, **kwargs)

    return bounded  # type: ignore[return-value]


class TimedSolving:
    time_limit: float | None = DEFAULT_TIME_LIMIT
    _deadline: float | None = None

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

    def _enumerate(self, problem: Any, minimal: bool, count_limit: int, on_model, assumptions=None) -> bool:  # type: ignore[no-untyped-def]
        """Enumerate distinct (projected) models; with ``minimal`` only optimal ones.
        Returns whether the enumeration was exhaustive."""
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
                    continue
                on_model(model)
                seen += 1
                if seen >= count_limit:
                    return False
