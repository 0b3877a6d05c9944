"""Work under a time and a memory limit, in a long-lived worker process.

Grounding cannot be interrupted and its memory cannot be capped inside the process that
asked for it, so work that may ground without bound (a rule pack from elsewhere, a
completion) runs in a child process forked once from the process that loaded the packs and
tables: it starts warm, with nothing to reload, and is reused call after call. The child
caps its address space (``RLIMIT_AS``) at what it holds when forked plus the memory limit,
and the parent waits for each answer no longer than the time limit. A child that runs out
of either is killed and forked again for the next call; the caller hears
:class:`~nicelogic.errors.LimitExceeded`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from nicelogic.errors import LimitExceeded

# Safe defaults for work that may not end by itself: seconds a batch (or a pack's grounding
# without records), and bytes over what the worker holds loaded.
DEFAULT_TIME_LIMIT = 10.0
DEFAULT_MEMORY_LIMIT = 1 << 30

_in_worker = False


def checked_limits(time_limit: float | None, memory_limit: int | None) -> tuple[float | None, int | None]:
    """The limits as given, refused unless each is positive or ``None`` (no limit): a limit of
    0 would give up on every record before it is read."""
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None, not {time_limit!r}")
    if memory_limit is not None and not memory_limit > 0:
        raise ValueError(f"memory_limit must be a positive number of bytes or None, not {memory_limit!r}")
    return time_limit, memory_limit


def in_worker() -> bool:
    """Whether this process is a bounded worker: what it grounds is bounded by the process
    itself, and it starts no worker of its own."""
    return _in_worker


def mark_worker() -> None:
    global _in_worker
    _in_worker = True


# fork: the child has the parent's loaded packs, tables and caches without pickling them
_FORK = multiprocessing.get_context("fork")


def address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS limits), or 0."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0
    sizes = [int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:")]
    return sizes[0] if sizes else 0


def cap_memory(memory_limit: int | None) -> None:
    """Cap this process's address space at what it holds now plus ``memory_limit`` bytes."""
    if memory_limit is None:
        return
    _one_malloc_arena()
    loaded = address_space() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    budget = loaded + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))


def _one_malloc_arena() -> None:
    """Have every thread allocate from the main malloc arena. glibc gives each new thread
    (clingo solves in one) an arena that reserves 64 MiB of address space it mostly never
    touches: under RLIMIT_AS that reservation alone could exceed a small memory limit."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc: its allocator reserves no such arenas
        pass


_M_ARENA_MAX = -8  # glibc's malloc.h


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the process that forked it dies, however it dies
    (SIGKILL leaves it no time to stop its workers): a worker may be grounding without end."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker ends when it next reads its pipe
        pass
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _out_of_memory(error: BaseException) -> bool:
    # clingo reports a failed allocation as a RuntimeError naming std::bad_alloc
    return isinstance(error, MemoryError) or (isinstance(error, RuntimeError) and "bad_alloc" in str(error))


def become_worker(parent: int, memory_limit: int | None) -> None:
    """What every forked worker does first: dies with ``parent``; leaves Ctrl-C (which
    reaches the whole process group) to the parent, which decides and stops it with SIGTERM,
    whose handler a forked worker must not inherit from the command line; grounds every
    record itself; caps its memory over what it holds now."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    mark_worker()
    cap_memory(memory_limit)


def _serve(target: object, connection: Connection, other_end: Connection, memory_limit: int | None, parent: int) -> None:
    other_end.close()  # so that the parent's end closing is seen here as the end of input
    become_worker(parent, memory_limit)
    while True:
        try:
            method, args, kwargs = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", getattr(target, method)(*args, **kwargs)))
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller
            if _out_of_memory(error):
                connection.send(("memory", None))
                return  # a process that ran out of memory may be in any state: start afresh
            connection.send(("error", error))


class BoundedWorker:
    """Calls of ``target``'s methods in a child process forked from this one, each answered
    within ``timeout`` seconds and ``memory_limit`` bytes over what the child held when
    forked, or :class:`LimitExceeded`."""

    def __init__(self, target: object, memory_limit: int | None) -> None:
        self.target = target
        self.memory_limit = memory_limit
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The worker process's id, while one runs."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def start(self) -> None:
        """Fork the worker now, if it is not running: it holds this process's pages as they are."""
        self._started()

    def call(self, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        self.submit(method, *args, **kwargs)
        return self.result(timeout)

    def submit(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Start a call; :meth:`result` waits for its answer (meanwhile, this process goes on)."""
        connection = self._started()
        try:
            connection.send((method, args, kwargs))
        except (EOFError, OSError):  # gone already: result() says so
            pass
        except BaseException:
            self.stop()
            raise

    def result(self, timeout: float | None = None) -> Any:
        """The answer of the call submitted last, within ``timeout`` seconds of now."""
        connection = self._connection
        if connection is None:
            raise LimitExceeded("memory", self.memory_limit or 0)
        try:
            if not connection.poll(timeout):
                self.stop()
                raise LimitExceeded("time", timeout or 0.0)
            status, value = connection.recv()
        except (EOFError, OSError):  # killed: the kernel refused it memory beyond its cap
            status, value = "memory", None
        except BaseException:  # interrupted while waiting: its answer would come to the next call
            self.stop()
            raise
        if status == "memory":
            self.stop()
            raise LimitExceeded("memory", self.memory_limit or 0)
        if status == "error":
            raise value
        return value

    def _started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self.stop()
        ours, theirs = _FORK.Pipe()
        # daemonic: stopped when this process exits, however it exits
        process = _FORK.Process(target=_serve, args=(self.target, theirs, ours, self.memory_limit, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        return ours

    def stop(self) -> None:
        """Stop the child (a new one is forked for the next call)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.kill()
            process.join(timeout=5)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the modules may be gone
            self.stop()
