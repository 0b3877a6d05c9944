"""Latency of checking one record, as a program validating a record while it is coded.

Prints the one-off start-up (rule packs and code tables loaded once per process) and the
time per call for single records with a warm Checker, with every built-in pack and no
verdict cache: each of four records checked 50 times, then 1,000 episodes whose codes are
those of no other episode (benchmarks/synthetic.py's distinct rows), each checked once, so
that nothing a record's check keeps (the rules its facts reach, a claim's NCCI pairs)
serves the next one unless their codes share it.

    python benchmarks/single_record.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from nicelogic import Checker

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

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
    times = []
    for text in _distinct(1000):
        t = time.perf_counter()
        result = checker.check_record(text)
        times.append(time.perf_counter() - t)
        if result.error is not None:
            raise SystemExit(f"{text}: {result.error}")
    label = "1,000 distinct episodes, each checked once"
    print(f"{label:55} median {statistics.median(times) * 1000:6.2f} ms, p95 {sorted(times)[949] * 1000:6.2f} ms")


def _dotted(code: str) -> str:
    """A HES code (V444, R69X) as the text format writes it (V44.4, R69X)."""
    return code if len(code) < 4 or code.endswith("X") else f"{code[:3]}.{code[3:]}"


def _distinct(count: int) -> list[str]:
    lines = []
    for row in synthetic.distinct_rows(count, seed=3):
        opcs = [_dotted(str(row[f"OPERTN_4_{i:02d}"])) for i in range(1, 13) if row[f"OPERTN_4_{i:02d}"] != "-"]
        icd = [_dotted(str(row[f"DIAG_4_{i:02d}"])) for i in range(1, 8) if row[f"DIAG_4_{i:02d}"] not in ("", "-", None)]
        lines.append(f"{row['EPIKEY']}: opcs {' '.join(opcs)}; icd {' '.join(icd)}")
    return lines


if __name__ == "__main__":
    main()
