"""Patient-level rules on Spark local[2] against one machine, on the same patient file (issue
15, "At scale"; not a test: run it by hand, alone, under the heavy-work lock).

Writes N synthetic patients (benchmarks/synthetic_patients.py) as a Parquet extract, then
times, each as its own command:

1. ``nicelogic check EXTRACT --rules consistency --results one/`` (one machine: the records
   pass, then the patients grouped on disk and solved in one bounded worker);
2. ``nicelogic check EXTRACT --rules consistency --results spark/ --engine spark --master
   local[2]`` (the records by mapInArrow, then the patients by groupBy().applyInArrow);

and checks that both wrote the same patient_violations and patient_rules. Seconds, patients
and episodes per second, and the peak memory of the command and every process it started
(Spark's JVM and Python workers included), as PSS and RSS (benchmarks/results_run.py).

``--long-patient N``: also the seconds one solve of the consistency pack takes for one
patient of N one-day dialysis spells, the shape that makes the longest real histories
(the episode limit, nicelogic.history.patients.MAX_EPISODES, is set from this).

    python benchmarks/patients_spark.py 100000
    python benchmarks/patients_spark.py 300000 --long-patient 10000
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results_run import NICELOGIC, measure  # noqa: E402
from synthetic_patients import Expected, patients, write_parquet  # noqa: E402


def _line(label: str, people: int, episodes: int, seconds: float, main: int, peak: int, pss: int) -> None:
    print(
        f"{label:58} {seconds:7.1f} s {people / seconds:>8,.0f} patients/s {episodes / seconds:>8,.0f} episodes/s  "
        f"peak {pss / 2**20:,.0f} MiB PSS, {peak / 2**20:,.0f} MiB RSS (main {main / 2**20:,.0f} MiB)",
        flush=True,
    )


def _same_tables(one: str, other: str) -> bool:
    from nicelogic.research.query import connect

    def rows(target: str, sql: str) -> list[tuple[object, ...]]:
        return sorted(tuple(map(str, row)) for row in connect(target).execute(sql).fetchall())

    violations = "SELECT patient, rule, severity, units, records, message FROM patient_violations"
    rules = "SELECT rule, applies, violating, patients, not_judged FROM patient_rules"
    return rows(one, violations) == rows(other, violations) and rows(one, rules) == rows(other, rules)


def _long_patient(episodes: int) -> None:
    import pyarrow as pa

    from nicelogic.history.checker import PatientChecker
    from nicelogic.research.patient_kernel import judge, read_episodes

    first = datetime.date(2010, 1, 1)
    days = [(first + datetime.timedelta(days=n)).isoformat() for n in range(episodes)]
    table = pa.table({
        "EPIKEY": [f"d{n}" for n in range(episodes)], "PSEUDO_HESID": ["LONG"] * episodes, "PROCODE3": ["R01"] * episodes,
        "ADMIDATE": days, "EPISTART": days, "EPIEND": days, "DISMETH": ["1"] * episodes, "SEX": ["1"] * episodes,
        "STARTAGE": ["60"] * episodes, "DIAG_4_01": ["N185"] * episodes, "DIAG_4_02": ["E119"] * episodes,
        "OPERTN_4_01": ["X401"] * episodes,
    })  # fmt: skip
    rows = pa.Table.from_batches([read_episodes(table, range(episodes), "long")])
    checker = PatientChecker(["consistency"], time_limit=600, memory_limit=8 << 30, max_episodes=episodes)
    try:
        started = time.perf_counter()
        judged = judge(rows, checker)
        seconds = time.perf_counter() - started
    finally:
        checker.close()
    patients_judged = judged.column("patients")[0].as_py()
    print(f"one patient of {episodes:,} dialysis episodes: {seconds:.1f} s for its solve (judged: {patients_judged == 1})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("patients", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--long-patient", type=int, default=0, metavar="N")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        extract = Path(tmp) / "patients.parquet"
        expected = Expected()
        started = time.perf_counter()
        write_parquet(patients(args.patients, args.seed, expected=expected), str(extract))
        print(f"{expected.patients:,} patients, {expected.episodes:,} episodes written as Parquet "
              f"({extract.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")  # fmt: skip
        common = ["check", str(extract), "--rules", "consistency", "--no-progress"]
        local = measure([*NICELOGIC, *common, "--results", f"{tmp}/one/"])
        _line("nicelogic check --rules consistency (one machine)", expected.patients, expected.episodes, *local)
        spark = measure([*NICELOGIC, *common, "--results", f"{tmp}/spark/", "--engine", "spark", "--master", "local[2]"])
        _line("nicelogic check --rules consistency --engine spark local[2]", expected.patients, expected.episodes, *spark)
        print(f"Spark local[2] / one machine, time: {spark[0] / local[0]:.2f}")
        print(f"patient tables equal: {'yes' if _same_tables(f'{tmp}/one/', f'{tmp}/spark/') else 'NO'}")
    if args.long_patient:
        _long_patient(args.long_patient)


if __name__ == "__main__":
    main()
