"""Throughput of `nicelogic check` on realistic synthetic episodes.

Prints records/second and peak memory (this process and its workers) for N records
(default 1,000,000) checked with every built-in pack, as the CLI does it: read, parse,
facts, batched clingo solving, results in input order. Not a test: run it by hand.

    python benchmarks/check_throughput.py                 # 1M records, text input, all cores
    python benchmarks/check_throughput.py 200000 --jobs 1 --input csv
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from nicelogic import Checker  # noqa: E402


def _peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per core)")
    parser.add_argument("--input", choices=["text", "csv"], default="text")
    parser.add_argument("--rules", action="append", help="rule packs (default: all built-in)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"episodes.{'txt' if args.input == 'text' else 'csv'}"
        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            (synthetic.write_text if args.input == "text" else synthetic.write_csv)(args.records, out, args.seed)
        generated = time.perf_counter() - started

        checker = Checker(args.rules, jobs=args.jobs or None)
        started = time.perf_counter()
        counts = {"valid": 0, "invalid": 0, "rejected": 0}
        for result in checker.check_files([str(path)]):
            counts["rejected" if result.rejected else "valid" if result.valid else "invalid"] += 1
        elapsed = time.perf_counter() - started

    total = sum(counts.values())
    own, children = _peak_mib()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"rules: {', '.join(p.name for p in checker.ruleset.packs)} ({len(checker.rules)} rules)")
    print(f"input: {args.records:,} synthetic {args.input} records (generated in {generated:.1f} s)")
    print(f"jobs: {checker.jobs}")
    print(f"checked: {total:,} records in {elapsed:.1f} s = {total / elapsed:,.0f} records/s")
    print(f"results: {counts['valid']:,} valid, {counts['invalid']:,} invalid, {counts['rejected']:,} rejected")
    print(f"peak memory: main process {own:,.0f} MiB, largest worker {children:,.0f} MiB")


if __name__ == "__main__":
    main()
