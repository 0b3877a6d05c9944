"""The terminal: when to colour, and the progress display of a long check.

Colour follows ``--color auto|always|never``; with ``auto`` rich decides from the stream
and the environment, so ``NO_COLOR`` (no colour), ``FORCE_COLOR`` (colour even into a
pipe) and ``TERM=dumb`` are honoured as https://no-color.org and https://force-color.org
ask. An explicit ``always`` or ``never`` overrides the environment.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..readers import ReadPosition
from ..results import RecordResult

COLOR_CHOICES = ("auto", "always", "never")
_REFRESH = 0.1  # seconds between updates of the display: a few a second reads as live


def force_color(color: str) -> bool | None:
    """True or False when the user decided; None lets rich read the stream and environment."""
    return {"always": True, "never": False}.get(color)


def console(file: IO[str] | None = None, color: str = "auto", *, stderr: bool = False) -> Console:
    forced = force_color(color)
    return Console(
        file=file, stderr=stderr, force_terminal=forced, no_color=False if forced else None, highlight=False, soft_wrap=True
    )


class CheckProgress:
    """Records checked, rate, share of the input bytes done and time left, on stderr."""

    def __init__(self, progress: Progress | None, position: ReadPosition) -> None:
        self._progress = progress
        self._position = position

    def follow(self, results: Iterator[RecordResult]) -> Iterator[RecordResult]:
        if self._progress is None:
            yield from results
            return
        bar = self._progress
        task = bar.add_task("check", total=self._position.total, records=0, rate="")
        started = last = time.monotonic()
        count = 0
        for count, result in enumerate(results, start=1):
            done = self._position.checked()
            now = time.monotonic()
            if now - last >= _REFRESH:
                last = now
                bar.update(task, completed=done, records=count, rate=f"{count / max(now - started, 1e-9):,.0f} records/s")
            yield result
        bar.update(task, completed=self._position.total or 0, records=count)


@contextmanager
def check_progress(show: bool, position: ReadPosition, color: str = "auto") -> Iterator[CheckProgress]:
    """A progress display for the length of the block, or none.

    While it shows, standard output written through ``sys.stdout`` (results on the same
    terminal) is printed above the bar instead of through it; the bar disappears at the
    end, leaving no stale line behind.
    """
    if not show:
        yield CheckProgress(None, position)
        return
    columns: list[ProgressColumn | str] = [SpinnerColumn(), TextColumn("checking"), BarColumn(bar_width=None)]
    if position.total is not None:
        columns.append(TaskProgressColumn())
    columns += [TextColumn("{task.fields[records]:,} records"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    if position.total is not None:
        columns += [TextColumn("left"), TimeRemainingColumn()]
    same_terminal = sys.stdout.isatty()
    with Progress(
        *columns,
        console=console(color=color, stderr=True),
        transient=True,
        refresh_per_second=1 / _REFRESH,
        redirect_stdout=same_terminal,
        redirect_stderr=False,
    ) as progress:
        yield CheckProgress(progress, position)
