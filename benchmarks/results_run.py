"""Throughput and memory of `nicelogic check EXTRACT --results` on a HES-shaped Parquet
extract (provider, specialty, dates and patient carried), into DuckDB or Parquet parts, beside
the same records checked into a JSON Lines file as a yardstick. Not a test: run it by hand.

    python benchmarks/results_run.py 300000                # into DuckDB and into JSON Lines
    python benchmarks/results_run.py 1000000 --target parquet

Peak memory is the largest sum of the resident memory of the run and all its worker
processes, sampled every 0.1 s from /proc.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402


def _tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of a process, and of it and its descendants."""
    total, main, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            total += rss
            main = rss if current == pid else main
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return main, total


def _measure(args: list[str]) -> tuple[float, int, int]:
    """Seconds, peak resident bytes of the main process and of the process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", "from nicelogic.cli import main; main(prog_name='nicelogic')", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    main_peak = peak = 0
    while process.poll() is None:
        main, total = _tree_rss(process.pid)
        main_peak, peak = max(main_peak, main), max(peak, total)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"nicelogic failed: {process.stderr.read().decode() if process.stderr else ''}")
    return seconds, main_peak, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=int, nargs="?", default=300_000)
    parser.add_argument("--target", choices=["duckdb", "parquet"], default="duckdb")
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        extract = Path(tmp) / "extract.parquet"
        started = time.perf_counter()
        synthetic.write_parquet(args.records, str(extract))
        print(f"{args.records:,} HES-shaped episodes written as Parquet ({extract.stat().st_size / 2**20:.1f} MiB) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        results = str(Path(tmp) / "run.duckdb") if args.target == "duckdb" else f"{tmp}/parts/"
        jobs = ["-j", str(args.jobs)]
        runs = [
            (f"check --results ({args.target})", ["check", str(extract), "--results", results, "--no-progress", *jobs]),
            (
                "check -f jsonl -o FILE (yardstick)",
                ["check", str(extract), "-f", "jsonl", "-o", f"{tmp}/out.jsonl", "--no-progress", *jobs],
            ),  # fmt: skip
        ]
        for label, command in runs:
            seconds, main, peak = _measure(command)
            rate = args.records / seconds
            print(
                f"{label:40} {rate:>10,.0f} records/s  {seconds:7.1f} s  peak {peak / 2**20:,.0f} MiB "
                f"(all processes; the main one {main / 2**20:,.0f} MiB)"
            )


if __name__ == "__main__":
    main()
