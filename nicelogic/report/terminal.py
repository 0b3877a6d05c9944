"""The terminal: when to colour, and the progress display of a long check.

Colour follows ``--color auto|always|never``; with ``auto`` rich decides from the stream
and the environment, so ``NO_COLOR`` (no colour), ``FORCE_COLOR`` (colour even into a
pipe) and ``TERM=dumb`` are honoured as https://no-color.org and https://force-color.org
ask. An explicit ``always`` or ``never`` overrides the environment.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Protocol, TypeVar, cast

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
from rich.text import Text

from nicelogic.input.read import ReadPosition
from nicelogic.results import RecordResult


class _Rows(Protocol):
    @property
    def num_rows(self) -> int: ...


R = TypeVar("R", bound=_Rows)  # an Arrow batch of results (pyarrow is an extra: not imported here)

COLOR_CHOICES = ("auto", "always", "never")
_REFRESH = 0.1  # seconds between updates of the display: a few a second reads as live


def force_color(color: str) -> bool | None:
    """True or False when the user decided; None lets rich read the stream and environment."""
    return {"always": True, "never": False}.get(color)


def console(file: IO[str] | None = None, color: str = "auto", *, stderr: bool = False) -> Console:
    return forced_console(file, force_color(color), stderr=stderr)


def forced_console(file: IO[str] | None, forced: bool | None, *, stderr: bool = False) -> Console:
    """A console that colours when ``forced`` says so, or (None) when rich finds a terminal
    and the environment allows it."""
    return Console(
        file=file, stderr=stderr, force_terminal=forced, no_color=False if forced else None, highlight=False, soft_wrap=True
    )


class CheckProgress:
    """Records checked, rate, share of the input bytes done and time left."""

    def __init__(self, progress: Progress | None, position: ReadPosition, out: IO[str] | None = None) -> None:
        self._progress = progress
        self._position = position
        self.out = out  # where results for the terminal must go while the bar shows, if there

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

    def follow_batches(self, batches: Iterator[tuple[R, R]], total_rows: int) -> Iterator[tuple[R, R]]:
        """The same display for results that come a batch of records at a time (the
        columnar kernel's records and violations), the share done counted in records."""
        if self._progress is None:
            yield from batches
            return
        bar = self._progress
        task = bar.add_task("check", total=max(total_rows, 1), records=0, rate="")
        started = time.monotonic()
        count = 0
        for records, violations in batches:
            count += records.num_rows
            rate = f"{count / max(time.monotonic() - started, 1e-9):,.0f} records/s"
            bar.update(task, completed=count, records=count, rate=rate)
            yield records, violations


class _AboveTheBar(io.TextIOBase):
    """A text stream whose lines a live display prints above itself, keeping their
    colours, so that results and the bar share one terminal without garbling it."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self.write("\n")

    def isatty(self) -> bool:
        return self._console.is_terminal


@contextmanager
def check_progress(
    show: bool, position: ReadPosition, color: str = "auto", *, results_here: bool = False
) -> Iterator[CheckProgress]:
    """A progress display for the length of the block, or none.

    It goes to standard error, unless the results go to standard output and that is a
    terminal: then the bar stands below the results on standard output, and they are
    written through ``CheckProgress.out``. Either way it disappears at the end, leaving no
    stale line behind.
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
    shared = results_here and sys.stdout.isatty()
    display = console(color=color, stderr=not shared)
    with Progress(
        *columns,
        console=display,
        transient=True,
        refresh_per_second=1 / _REFRESH,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as progress:
        yield CheckProgress(progress, position, cast(IO[str], _AboveTheBar(display)) if shared else None)
