"""Issue 11's targets, measured side by side in one run (not a test: run it by hand, alone):

1. N realistic HES-shaped episodes (repetitive, as hospital data is; every built-in pack)
   from Parquet into a DuckDB results database by ``nicelogic check --results``, beside the
   hand-written yardstick (benchmarks/yardstick.py) on the same file and, with
   ``--baseline-src DIR`` (a source tree of an earlier commit, e.g. from ``git archive``),
   the same command run by that code;
2. ``--distinct M`` episodes whose codes never repeat (no verdict can be reused);
3. ``--text M``: M synthetic episodes in the text format (``ep1: opcs ...; icd ...``),
   read through the kernel as lines, beside the earlier code with ``--baseline-src``; and
   ``--jsonl M`` the same episodes as JSON Lines;
4. ``--spark``: the same N episodes by ``check --engine spark --master local[2]`` into a
   Parquet results folder, beside the single-machine run.

    python benchmarks/research_scale.py 1000000 --distinct 200000 --spark --baseline-src /tmp/main-src

For each: records per second, seconds, and the peak memory of the command and every
process it started (workers, Spark's JVM and Python workers) together, as PSS (a page
shared by forked workers counted once) and RSS (counted in each process), sampled every
0.1 s (benchmarks/results_run.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402
from results_run import NICELOGIC, measure  # noqa: E402

YARDSTICK = str(Path(__file__).resolve().parent / "yardstick.py")


def _line(label: str, records: int, seconds: float, main: int, peak: int, pss: int, versus: float | None = None) -> float:
    rate = records / seconds
    ratio = f"  {rate / versus:5.2f}x" if versus else ""
    print(
        f"{label:52} {rate:>9,.0f} records/s {seconds:8.1f} s{ratio}  peak {pss / 2**20:,.0f} MiB PSS, "
        f"{peak / 2**20:,.0f} MiB RSS (main {main / 2**20:,.0f} MiB)",
        flush=True,
    )
    return rate


def _beside_baseline(
    label: str, extract: Path, records: int, tmp: str, name: str, jobs: list[str], baseline_src: str | None
) -> None:
    """``check --results`` on one file by this code and, with ``baseline_src``, by that tree."""
    run = ["check", str(extract), "--results", f"{tmp}/{name}.duckdb", "--no-progress", *jobs]
    seconds, main_rss, peak, pss = measure([*NICELOGIC, *run])
    local = _line(label, records, seconds, main_rss, peak, pss)
    if baseline_src:
        source = str(Path(baseline_src).resolve())
        env_command = ["env", f"PYTHONPATH={source}", "PYTHONDONTWRITEBYTECODE=1", *NICELOGIC]
        baseline = ["check", str(extract), "--results", f"{tmp}/{name}-baseline.duckdb", "--no-progress", *jobs]
        seconds, main_rss, peak, pss = measure(env_command + baseline, cwd=source)
        before = _line(f"the same, by {baseline_src}", records, seconds, main_rss, peak, pss)
        print(f"{'':52} this code is {local / before:.2f}x the earlier one's rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--distinct", type=int, default=0, help="also this many episodes whose codes never repeat")
    parser.add_argument("--text", type=int, default=0, help="also this many episodes in the text format")
    parser.add_argument("--jsonl", type=int, default=0, help="also this many episodes as JSON Lines")
    parser.add_argument("--spark", action="store_true", help="also check --engine spark --master local[2]")
    parser.add_argument("--baseline-src", help="a source tree of an earlier nicelogic, run on the same file")
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    jobs = ["-j", str(args.jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        extract = Path(tmp) / "extract.parquet"
        started = time.perf_counter()
        synthetic.write_parquet(args.records, str(extract))
        print(f"{args.records:,} HES-shaped episodes as Parquet ({extract.stat().st_size / 2**20:.1f} MiB) "
              f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

        seconds, main_rss, peak, pss = measure([sys.executable, YARDSTICK, str(extract), f"{tmp}/yardstick"])
        yardstick = _line("yardstick: five OPCS-4 rules, pure Python", args.records, seconds, main_rss, peak, pss)
        run = ["check", str(extract), "--results", f"{tmp}/run.duckdb", "--no-progress", *jobs]
        seconds, main_rss, peak, pss = measure([*NICELOGIC, *run])
        local = _line("nicelogic check --results run.duckdb (all packs)", args.records, seconds, main_rss, peak, pss, yardstick)
        if args.baseline_src:
            # run from the tree itself: python -c puts the working folder first on the path
            source = str(Path(args.baseline_src).resolve())
            env_command = ["env", f"PYTHONPATH={source}", "PYTHONDONTWRITEBYTECODE=1", *NICELOGIC]
            baseline = ["check", str(extract), "--results", f"{tmp}/baseline.duckdb", "--no-progress", *jobs]
            seconds, main_rss, peak, pss = measure(env_command + baseline, cwd=source)
            before = _line(f"the same, by {args.baseline_src}", args.records, seconds, main_rss, peak, pss, yardstick)
            print(f"{'':52} this code is {local / before:.2f}x the earlier one's rate")
        if args.spark:
            spark = ["check", str(extract), "--results", f"{tmp}/spark/", "--engine", "spark", "--master", "local[2]"]
            seconds, main_rss, peak, pss = measure([*NICELOGIC, *spark])
            rate = _line(
                "nicelogic check --engine spark --master local[2]", args.records, seconds, main_rss, peak, pss, yardstick
            )
            print(f"{'':52} Spark local[2] takes {local / rate:.2f}x the single machine's time")
        for leftover in ("run.duckdb", "baseline.duckdb", "spark", "yardstick"):
            shutil.rmtree(Path(tmp) / leftover, ignore_errors=True)
            Path(tmp, leftover).unlink(missing_ok=True)
        written = (
            (args.text, "txt", synthetic.write_text, "in the text format", "text lines"),
            (args.jsonl, "jsonl", synthetic.write_jsonl, "as JSON Lines", "JSON Lines"),
        )
        for count, suffix, write, described, label in written:
            if not count:
                continue
            episodes = Path(tmp) / f"episodes.{suffix}"
            with open(episodes, "w") as out:
                write(count, out)
            print(f"{count:,} episodes {described} ({episodes.stat().st_size / 2**20:.1f} MiB)", flush=True)
            _beside_baseline(f"nicelogic check --results, {label}", episodes, count, tmp, suffix, jobs, args.baseline_src)
        if args.distinct:
            distinct = Path(tmp) / "distinct.parquet"
            started = time.perf_counter()
            synthetic.write_parquet(args.distinct, str(distinct), distinct=True)
            print(f"{args.distinct:,} episodes whose codes never repeat, in {time.perf_counter() - started:.0f} s", flush=True)
            _beside_baseline("nicelogic check --results, all distinct", distinct, args.distinct, tmp, "distinct", jobs,
                             args.baseline_src)  # fmt: skip


if __name__ == "__main__":
    main()
