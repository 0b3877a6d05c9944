"""The run's zygote (nicelogic.research.zygote): the kernel workers are forked from it, it
dies with the run's process however that dies, and the run goes on if the zygote dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nicelogic import Checker
from nicelogic.bounded import in_worker
from nicelogic.research.kernel import Kernel
from nicelogic.research.parallel import check_batches
from tests.conftest import alive, children, running_children
from tests.test_kernel import _hes_batch, _same_batches, _tasks, _Told

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def applying() -> Checker:
    return Checker(applicability=True)


class _KillsItsZygote(Kernel):
    """A kernel whose first solve in a worker kills the zygote that forked the worker (and
    so the worker, which dies with it); a solve elsewhere tells its process."""

    def __init__(self, checker: Checker, flag: Path, told: _Told) -> None:
        super().__init__(checker)
        self._flag = flag
        self._told = told

    def solve(self, items):  # type: ignore[no-untyped-def]
        if not in_worker():
            self._told.tell(os.getpid())
        else:
            try:
                os.close(os.open(self._flag, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getppid(), signal.SIGKILL)
                time.sleep(60)  # killed meanwhile, with its parent
        return super().solve(items)


def test_the_run_goes_on_in_its_own_process_when_the_zygote_dies(applying: Checker, tmp_path: Path) -> None:
    before = running_children()  # other tests' long-lived workers
    batch = _hes_batch(1200)
    alone = list(check_batches(Kernel(applying), iter(_tasks(batch)), "run", jobs=1))
    solves = _Told()
    kernel = _KillsItsZygote(applying, tmp_path / "killed", solves)
    spread = list(check_batches(kernel, iter(_tasks(batch)), "run", jobs=2))
    _same_batches(spread, alone)
    assert (tmp_path / "killed").exists()
    assert os.getpid() in solves.heard()  # solved here once the zygote was gone
    kernel.checker.close()  # the bounded worker its checker may have started here, which lives with the checker
    assert running_children() <= before


_RUN_AND_WAIT = """
import sys, time
import pyarrow as pa
from benchmarks.synthetic import hes_rows
from nicelogic import Checker
from nicelogic.research.kernel import Kernel
from nicelogic.research.parallel import BatchTask, check_batches

rows = [{k: None if v is None else str(v) for k, v in row.items()} for row in hes_rows(3000, seed=5)]
batch = pa.RecordBatch.from_pylist(rows)

def tasks():
    yield BatchTask(batch, 0, 2, "x.parquet")
    print("submitted", flush=True)
    time.sleep(600)

for _ in check_batches(Kernel(Checker(applicability=True)), tasks(), "run", jobs=2):
    pass
"""


def test_the_zygote_and_its_workers_die_with_the_run_even_by_sigkill() -> None:
    """Only the run's process is killed (not its process group): nothing it started lives on."""
    run = subprocess.Popen([sys.executable, "-c", _RUN_AND_WAIT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None and run.stdout.readline() == "submitted\n"
        zygotes = children(run.pid)
        assert len(zygotes) == 1
        zygote = zygotes.pop()
        deadline = time.monotonic() + 60
        while len(children(zygote)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = children(zygote)
        assert len(workers) >= 2  # the pool's workers, forked by the zygote
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in (zygote, *workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in (zygote, *workers))
    finally:
        run.kill()
