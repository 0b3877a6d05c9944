"""An interrupted run stops its workers, leaves no output that looks complete, and says
so with the shell's exit status (130 for Ctrl-C, 143 for SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, alive, children


@pytest.fixture(scope="module")
def long_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks.synthetic import write_text

    path = tmp_path_factory.mktemp("interrupt") / "episodes.txt"
    with path.open("w", encoding="utf-8") as out:
        write_text(150_000, out)
    return path


@pytest.mark.parametrize(("how", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_stops_workers_and_leaves_no_complete_looking_output(
    long_input: Path, tmp_path: Path, how: signal.Signals, status: int
) -> None:
    output = tmp_path / "results.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", "from nicelogic.cli import main; main(prog_name='nicelogic')",
         "check", str(long_input), "-f", "jsonl", "-o", str(output), "-j", "2", "--rules", "opcs4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        # A shell's background job ignores SIGINT, and Python then never installs its Ctrl-C
        # handler: the run must meet SIGINT as it does under a terminal, whoever started pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers = children(process.pid)  # the workers, and multiprocessing's resource tracker
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted: give it more records"
    time.sleep(1.0)  # results are flowing
    if how == signal.SIGINT:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    else:
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert b"incomplete" in stderr
    assert not output.exists() and not list(tmp_path.glob(".results.jsonl.*"))
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not any(alive(pid) for pid in workers)
