"""Latency of checking one record, as a program validating a record while it is coded.

Prints the one-off start-up (rule packs and code tables loaded once per process) and the
time per call for single records with a warm Checker, with every built-in pack.

    python benchmarks/single_record.py
"""

from __future__ import annotations

import statistics
import time

from nicelogic import Checker

RECORDS = [
    "ep1: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0",
    "ep2: opcs V44.4 Y53.4 Z66.5; icd M80.0",
    "ep3: opcs V52.2 V55.1 Y10.2 Y53.4 Z99.3; icd M51.3",
    "c1: cpt 22511 22512x2 77003-59",
]


def main() -> None:
    started = time.perf_counter()
    checker = Checker(cache_size=0)  # no verdict cache: every call grounds and solves
    checker.check_record(RECORDS[0])
    startup = time.perf_counter() - started
    print(f"start-up (load packs and tables, first check): {startup * 1000:.0f} ms")
    for text in RECORDS:
        times = []
        for _ in range(50):
            t = time.perf_counter()
            checker.check_record(text)
            times.append(time.perf_counter() - t)
        print(f"{text:55} median {statistics.median(times) * 1000:6.2f} ms, p95 {sorted(times)[47] * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
