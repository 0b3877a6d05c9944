"""Time of completions, with the full OPCS-4.11 table loaded and every built-in pack:
minimal (concrete), grouped (templates), and may/must; of single-code inputs, then of
long records up to a full HES width (24 procedure codes).

Each figure is the median of several runs of one library call, as `nicelogic complete`
makes it, with a Completer built once (packs and tables loaded once per process) and its
default limits (each question in the bounded worker process, 30 s, 1 GiB).

    python benchmarks/complete_speed.py [--long-only]
"""

from __future__ import annotations

import statistics
import sys
import time

from nicelogic import Checker
from nicelogic.complete.completer import Completer

INPUTS = ["opcs V44.4", "opcs V40.1", "opcs V52.2", "opcs V44.6", "cpt 22512"]
GROUP = "V44.4 V55.1 Y53.4 Z66.5"  # a full vertebroplasty procedure group
LONG = {
    "4 groups (16 codes)": "opcs " + " ".join([GROUP] * 4),
    "6 groups (24 codes)": "opcs " + " ".join([GROUP] * 6),
    "V44.4 x12": "opcs " + " ".join(["V44.4"] * 12),
    "V44.4 x20": "opcs " + " ".join(["V44.4"] * 20),
    "V44.4 x24": "opcs " + " ".join(["V44.4"] * 24),
}


def timed(call, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def answer(report) -> str:  # type: ignore[no-untyped-def]
    if getattr(report, "gave_up", None) is not None:
        return "gave up"
    if hasattr(report, "count"):
        return f"{report.count:,}{'' if report.exhaustive else '+'}"
    return "none" if report.conflict else f"{len(report.must)} must"


def main() -> None:
    long_only = "--long-only" in sys.argv
    started = time.perf_counter()
    completer = Completer(Checker())
    print(f"start-up (packs, OPCS-4.11 {len(completer.checker.tables.opcs.titles):,} codes and titles, ICD-10): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
    print(f"{'input':12} {'minimal':>10} {'grouped':>10} {'may/must':>10}   (median ms; default --limit 10, --max-add 4)")
    for text in [] if long_only else INPUTS:
        minimal = timed(lambda text=text: completer.complete(text, minimal=True, limit=10))
        grouped = timed(lambda text=text: completer.complete(text, minimal=True, grouped=True, limit=10))
        consequences = timed(lambda text=text: completer.consequences(text, minimal=True))
        print(f"{text:12} {minimal:10.0f} {grouped:10.0f} {consequences:10.0f}")
    print(f"\n{'long record':20} {'minimal':>16} {'grouped':>16} {'may/must':>16}   (median s of 3; the answer)")
    for name, text in LONG.items():
        cells = []
        for call in (
            lambda text=text: completer.complete(text, minimal=True, limit=10),
            lambda text=text: completer.complete(text, minimal=True, grouped=True, limit=10),
            lambda text=text: completer.consequences(text, minimal=True),
        ):
            report = call()
            cells.append(f"{timed(call, 3) / 1000:6.1f} {answer(report):>9}")
        print(f"{name:20} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")


if __name__ == "__main__":
    main()
