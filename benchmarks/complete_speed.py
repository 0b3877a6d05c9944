"""Time of completions of single-code inputs, with the full OPCS-4.11 table loaded and
every built-in pack: minimal (concrete), grouped (templates), and may/must.

Each figure is the median of several runs of one library call, as `nicelogic complete`
makes it, with a Completer built once (packs and tables loaded once per process).

    python benchmarks/complete_speed.py
"""

from __future__ import annotations

import statistics
import time

from nicelogic import Checker
from nicelogic.complete.completer import Completer

INPUTS = ["opcs V44.4", "opcs V40.1", "opcs V52.2", "opcs V44.6", "cpt 22512"]


def timed(call, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    started = time.perf_counter()
    completer = Completer(Checker())
    print(f"start-up (packs, OPCS-4.11 {len(completer.checker.tables.opcs.titles):,} codes and titles, ICD-10): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
    print(f"{'input':12} {'minimal':>10} {'grouped':>10} {'may/must':>10}   (median ms; default --limit 10, --max-add 4)")
    for text in INPUTS:
        minimal = timed(lambda text=text: completer.complete(text, minimal=True, limit=10))
        grouped = timed(lambda text=text: completer.complete(text, minimal=True, grouped=True, limit=10))
        consequences = timed(lambda text=text: completer.consequences(text, minimal=True))
        print(f"{text:12} {minimal:10.0f} {grouped:10.0f} {consequences:10.0f}")


if __name__ == "__main__":
    main()
