"""clingo's own share of checking a record form not seen before: the floor under issue 11's
all-distinct rate and issue 13's single-record latency, whatever Python around it costs.

A profiler (cProfile) runs while new forms are checked, the way the bulk path checks them
(a Checker made with ``applicability=True``, every built-in pack, no verdict cache) and the
way a program checks one record at a time; the time spent inside clingo's own C functions
(taking the program and the facts, grounding, solving, handing back the model) is summed
apart from the rest. cProfile times a C function as the calls into it take, so clingo's
share is measured, not estimated; the Python around it runs slower under the profiler, so
the "everything" column is an upper bound.

It prints, per form, clingo's share and everything, and the rate 2 cores would reach if
nothing but clingo ran, beside issue 11's 40,000 records/s (50 µs a form on 2 cores) and
issue 13's 1 ms; and the same for the patient-level solve of the ``consistency`` pack (each
batch of 500 synthetic patients as a bounded worker solves it), beside issue 15's 40,000
episodes/s.

    python benchmarks/solver_floor.py             # 5,000 all-distinct episodes, 10,000 patients
    python benchmarks/solver_floor.py 20000 --batch 2000 --patients 30000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import single_record  # noqa: E402
import synthetic_patients  # noqa: E402

from nicelogic import Checker  # noqa: E402
from nicelogic.history.checker import DEFAULT_PATIENTS, PatientChecker  # noqa: E402
from nicelogic.history.patients import History, group_patients  # noqa: E402
from nicelogic.input.grammar import RecordParser  # noqa: E402
from nicelogic.input.records import to_record  # noqa: E402
from nicelogic.input.tabular import table_lines  # noqa: E402
from nicelogic.input.text import text_lines  # noqa: E402

CORES = 2
DISTINCT_TARGET = 40_000  # issue 11: all-distinct records a second on 2 cores
SINGLE_TARGET_MS = 1.0  # issue 13: a warm record whose verdict is not cached
PATIENT_TARGET = 40_000  # issue 15: episodes a second, patient-level and default packs, on 2 cores


def _clingo_seconds(profile: cProfile.Profile) -> float:
    """The time spent in clingo's C functions (``_clingo.clingo_*``), their own time only."""
    stats = pstats.Stats(profile)
    return sum(
        entry[2]  # total time in the function itself
        for (filename, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
        if filename == "~" and "_clingo.clingo_" in name
    )


def _profiled(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds in clingo's C functions, seconds in all) of one call of ``work`` under cProfile."""
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    work()
    profile.disable()
    return _clingo_seconds(profile), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("forms", type=int, nargs="?", default=5_000, help="all-distinct episodes (default 5,000)")
    parser.add_argument("--batch", type=int, default=500, help="forms grounded together (the kernel's chunk: 500)")
    parser.add_argument("--patients", type=int, default=10_000, help="synthetic patients judged (default 10,000)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; every built-in pack")

    bulk = Checker(applicability=True, cache_size=0, jobs=1)
    lines = single_record._distinct(args.forms)
    check = lambda part: list(bulk.iter_check(text_lines(part, "<distinct>")))  # noqa: E731
    check(lines[: args.batch])  # warm: the program parsed once, the tables loaded
    lines = lines[args.batch :] or lines
    clingo_s, all_s = 0.0, 0.0
    for start in range(0, len(lines), args.batch):
        part = lines[start : start + args.batch]
        inside, total = _profiled(lambda part=part: check(part))  # type: ignore[misc]
        clingo_s, all_s = clingo_s + inside, all_s + total
    per_form = clingo_s / len(lines) * 1e6
    print(
        f"{len(lines):,} all-distinct episodes in batches of {args.batch}: clingo {per_form:.0f} µs a form, "
        f"everything {all_s / len(lines) * 1e6:.0f} µs (profiled)"
    )
    print(
        f"  clingo alone on {CORES} cores: at most {CORES * 1e6 / per_form:,.0f} forms/s; issue 11 asks "
        f"{DISTINCT_TARGET:,}/s, {CORES * 1e6 / DISTINCT_TARGET:.0f} µs a form"
    )

    single = Checker(cache_size=0)
    single.check_record(single_record.RECORDS[0])
    for text in [*single_record.RECORDS, *single_record._distinct(3)]:
        single.check_record(text)
        runs = [_profiled(lambda text=text: single.check_record(text)) for _ in range(20)]  # type: ignore[misc]
        inside = sorted(run[0] for run in runs)[10] * 1000
        total = sorted(run[1] for run in runs)[10] * 1000
        print(f"  one record {text[:48]:48} clingo {inside:5.2f} ms, everything {total:5.2f} ms (median of 20, profiled)")
    print(f"  issue 13 asks {SINGLE_TARGET_MS:.0f} ms in all")

    histories = _histories(args.patients)
    episodes = sum(len(h.episodes) for h in histories)
    judge = PatientChecker(["consistency"])
    judge._solve(histories[:DEFAULT_PATIENTS])  # warm; _solve is what each bounded worker runs on a batch
    clingo_s = all_s = 0.0
    for start in range(0, len(histories), DEFAULT_PATIENTS):
        batch = histories[start : start + DEFAULT_PATIENTS]
        inside, total = _profiled(lambda batch=batch: judge._solve(batch))  # type: ignore[misc]
        clingo_s, all_s = clingo_s + inside, all_s + total
    judge.close()
    print(
        f"{len(histories):,} synthetic patients ({episodes:,} episodes), the consistency pack alone, batches of "
        f"{DEFAULT_PATIENTS}: clingo {clingo_s / episodes * 1e6:.0f} µs an episode, everything {all_s / episodes * 1e6:.0f} µs"
    )
    print(
        f"  clingo alone on {CORES} cores: at most {CORES * episodes / clingo_s:,.0f} episodes/s; issue 15 asks "
        f"{PATIENT_TARGET:,}/s ({CORES * 1e6 / PATIENT_TARGET:.0f} µs an episode) with the default packs besides"
    )


def _histories(count: int) -> list[History]:
    """``count`` synthetic patients' histories, as the patient pass groups them."""
    text = io.StringIO()
    synthetic_patients.write_csv(synthetic_patients.patients(count, seed=15), text)
    parser = RecordParser()
    records = [to_record(item, parser) for item in table_lines(io.StringIO(text.getvalue()), "patients.csv")]
    return list(group_patients(records).histories)


if __name__ == "__main__":
    main()
