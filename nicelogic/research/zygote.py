"""The process the kernel workers are forked from: forked itself from the run's process
before the first batch is read, when that process holds the packs and tables and little
else, and writing almost nothing after.

A worker forked from the run's process would share its pages as they are then; as the
run's process goes on writing them (the verdicts it keeps, Arrow's and DuckDB's buffers,
malloc's arenas), each such page is copied for it, and the workers keep the old copy that
nothing reads (at 10 million records each worker held about 125 MiB by PSS that way,
against 60 MiB forked from the zygote). Forked from the zygote, every set of workers
shares the zygote's pages, which stay as they were.

The run's process sends the zygote each batch's new records and asks it for their
verdicts, in the order it would have asked its own pools (:class:`Workers`), and the
zygote answers as they would have. Should the zygote die, the run's process solves the
records itself and the run goes on.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from nicelogic.bounded import die_with_parent
from nicelogic.research.kernel import Kernel, KeyVerdict
from nicelogic.research.workers import Item, Waiting, Workers, chunks

_FORK = multiprocessing.get_context("fork")

_ALIVE_EVERY = 1.0  # seconds between looks at whether the zygote is alive, while its answer is awaited
_STOP_WAIT = 30.0  # seconds for the zygote to stop its workers before it is killed


def _exit(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)  # so that the workers are stopped on the way out


def _serve(kernel: Kernel, jobs: int, connection: Connection, other_end: Connection, parent: int) -> None:
    other_end.close()  # so that the run's end closing is seen here as the end of input
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group; the run decides
    signal.signal(signal.SIGTERM, _exit)
    gc.freeze()  # what was inherited is never collected here, so its pages stay shared
    workers = Workers(kernel, jobs)
    try:
        while True:
            try:
                request: tuple[Any, ...] = connection.recv()
            except (EOFError, OSError):
                return
            if request[0] == "submit":
                workers.submit(request[1], request[2])
            elif request[0] == "verdicts":
                try:
                    answer: tuple[str, object] = ("ok", workers.verdicts(request[1]))
                except Exception as error:  # noqa: BLE001 - the run's process decides what it means
                    answer = ("error", error)
                connection.send(answer)
            else:
                return
    finally:
        workers.stop()


class Zygote:
    """The run's side of the zygote: new records sent, verdicts asked for, and the
    records solved here if the zygote is gone."""

    def __init__(self, kernel: Kernel, jobs: int) -> None:
        self.kernel = kernel
        self.jobs = jobs
        self._waiting = Waiting()  # as the zygote's pools count them
        self._connection: Connection | None
        self._connection, theirs = _FORK.Pipe()
        # not daemonic: a daemonic process may not start the workers
        self._process = _FORK.Process(target=_serve, args=(kernel, jobs, theirs, self._connection, os.getpid()))
        self._process.start()
        theirs.close()
        # mid-exchange: a message half sent, or an answer awaited; the zygote would not
        # read a request to stop, so it is sent SIGTERM instead
        self._exchanging = False

    def submit(self, new: Mapping[str, Item]) -> None:
        """Send a planned batch's new records to be solved by the workers."""
        if self._connection is None or not new:
            return
        todo = {key: new[key] for key in self._waiting.add(list(new))}
        self._exchanging = True
        try:
            self._connection.send(("submit", list(new), list(chunks(todo, self.jobs))))
        except OSError:
            self._lost()
        else:
            self._exchanging = False

    def verdicts(self, new: Mapping[str, Item]) -> dict[str, KeyVerdict]:
        """The verdicts of a planned batch's new records, sent before."""
        if not new:
            return {}
        if self._connection is not None:
            try:
                self._exchanging = True
                self._connection.send(("verdicts", list(new)))
                status, value = self._answer(self._connection)
                self._exchanging = False
                self._waiting.answered(list(new))
            except (EOFError, OSError):
                self._lost()
            else:
                if status == "error":
                    raise value
                return value  # type: ignore[no-any-return]
        return dict(zip(new, self.kernel.solve(list(new.values())), strict=True))

    def _answer(self, connection: Connection) -> tuple[str, Any]:
        # a worker forked from the zygote holds its end of the pipe too: the zygote's death
        # is seen by its exit, not only by the end of input
        while not connection.poll(_ALIVE_EVERY):
            if not self._process.is_alive():
                raise EOFError("the zygote is gone")
        return connection.recv()  # type: ignore[no-any-return]

    def _lost(self) -> None:
        """The zygote died (the kernel killed it, or someone did): the records of this
        batch and the next are solved here."""
        self.stop()

    def stop(self) -> None:
        """Stop the zygote and its workers: asked when it is waiting for a request, else
        by SIGTERM (it stops its workers either way), and killed if it does not stop."""
        connection, self._connection = self._connection, None
        if connection is not None and not self._exchanging:
            with contextlib.suppress(OSError):
                connection.send(("stop",))
        elif self._process.is_alive():
            self._process.terminate()
        self._process.join(_STOP_WAIT)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        if connection is not None:
            connection.close()
