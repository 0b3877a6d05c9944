"""The largest parts of a batch the checker grounds in its own process with the built-in
packs: for record shapes from short to --max-codes long, as many distinct records as the
cost estimate (nicelogic.checking.checker.grounding_cost) admits in-process, made of the
codes the rules name (so every rule has something to join over). Prints, for each, the
estimate, the time grounding and solving took and the memory it added, beside the bounds
the checker relies on (IN_PROCESS_SECONDS, IN_PROCESS_MEMORY): the estimate must stay above
the time measured, and the memory under the bound. Each shape runs in a fresh process.

    python benchmarks/worst_batch.py
"""

from __future__ import annotations

import multiprocessing
import platform
import random
import resource
import time

from nicelogic import Checker
from nicelogic.checking.checker import IN_PROCESS_MEMORY, IN_PROCESS_SECONDS, grounding_cost
from nicelogic.complete.candidates import candidates
from nicelogic.input.adapt import as_input
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.model import Record, System

LENGTHS = (4, 8, 16, 24, 32, MAX_CODES)


def _lines(checker: Checker, kind: str, length: int) -> list[str]:
    named = candidates(checker.ruleset, checker.tables, [System.OPCS, System.ICD10, System.CPT])
    pools = {system: sorted(codes) for system, codes in named.items()}
    rng = random.Random(length)

    def section(system: System) -> str:
        return f"{system.value} " + " ".join(rng.choice(pools[system]) for _ in range(length))

    lines: list[str] = []
    cost = 0.0
    while True:
        line = f"r{len(lines)}: " + (section(System.CPT) if kind == "cpt" else f"{section(System.OPCS)}; {section(System.ICD10)}")
        item = next(iter(as_input(line, System.OPCS, "<worst>")))
        record = to_record(item, checker.parser)
        assert isinstance(record, Record)
        if cost + grounding_cost(record) > IN_PROCESS_SECONDS:
            return lines
        cost += grounding_cost(record)
        lines.append(line)


def _measure(kind: str, length: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    checker = Checker(cache_size=0, time_limit=None, memory_limit=None)
    lines = _lines(checker, kind, length)
    records = [to_record(item, checker.parser) for item in as_input("\n".join(lines), System.OPCS, "<worst>")]
    estimate = sum(grounding_cost(r) for r in records if isinstance(r, Record))
    checker.check_record("warm: opcs V44.4")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    checker.check("\n".join(lines))
    took = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    queue.put((len(lines), estimate, took, grown))


def main() -> None:
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, every built-in pack")
    print(
        f"bounds: a part estimated at <= {IN_PROCESS_SECONDS:g} s is grounded in-process; "
        f"it may take <= {IN_PROCESS_MEMORY >> 20} MiB"
    )
    print(f"{'records':>24} {'count':>6} {'estimate':>9} {'measured':>9} {'memory':>8}")
    context = multiprocessing.get_context("spawn")
    worst_ratio, worst_memory = 0.0, 0
    for kind in ("opcs+icd", "cpt"):
        for length in LENGTHS:
            queue = context.Queue()
            process = context.Process(target=_measure, args=(kind, length, queue))
            process.start()
            count, estimate, took, grown = queue.get()
            process.join()
            worst_ratio, worst_memory = max(worst_ratio, took / estimate), max(worst_memory, grown)
            shape = f"{kind}, {length} codes"
            print(f"{shape:>24} {count:>6} {estimate:>8.2f}s {took:>8.2f}s {grown / (1 << 20):>6.0f}MiB")
    print(
        f"worst measured/estimate: {worst_ratio:.2f} (must be < 1); worst memory: {worst_memory / (1 << 20):.0f} MiB "
        f"(must be < {IN_PROCESS_MEMORY >> 20})"
    )


if __name__ == "__main__":
    main()
