"""Throughput and peak memory of patient-level checking, beside a hand-written DuckDB query.

Generates synthetic patients (benchmarks/synthetic_patients.py) into a CSV extract, then
times, each in its own process:

1. ``nicelogic check EXTRACT --rules <every built-in pack>,consistency --format jsonl``:
   the record rules and the patient-level rules, episodes per second;
2. the yardstick: the persistence rule written by hand as one DuckDB SQL query over the
   same file (spells as provider and ADMIDATE, index the first spell with the code,
   subsequent spells lacking the condition's codes), for autism, type 2 diabetes and
   Parkinson's disease dementia.

Peak memory is that of nicelogic's processes together (PSS and RSS, sampled every 0.1 s by
benchmarks/results_run.py); the yardstick's, the largest resident set of its process.

    python benchmarks/patients_throughput.py --patients 30000
    python benchmarks/patients_throughput.py --patients 300000    # the target's size
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.results_run import measure  # noqa: E402
from benchmarks.synthetic_patients import Expected, patients, write_csv  # noqa: E402

YARDSTICK = """
WITH episodes AS (
    SELECT PSEUDO_HESID AS patient, PROCODE3 AS provider, ADMIDATE AS admitted, EPIEND AS ended,
           list_filter([DIAG_4_01, DIAG_4_02, DIAG_4_03], lambda x: x IS NOT NULL AND x <> '') AS codes
    FROM read_csv('{path}', all_varchar = true)
),
spells AS (
    SELECT patient, provider, admitted, max(ended) AS discharged, flatten(list(codes)) AS codes
    FROM episodes GROUP BY ALL
),
conditions(condition, index_codes, consistent) AS (VALUES
    ('autism', ['F840', 'F841', 'F845'], ['F840', 'F841', 'F845']),
    ('diabetes', ['E11'], ['E10', 'E11', 'E14']),
    ('pdd', ['F023'], ['F00', 'F01', 'F02', 'F03', 'F051', 'G300', 'G301', 'G308', 'G309'])
),
marked AS (
    SELECT s.*, c.condition,
           len(list_filter(s.codes, lambda x: len(list_filter(c.index_codes, lambda i: starts_with(x, i))) > 0)) > 0 AS is_index,
           len(list_filter(s.codes, lambda x: len(list_filter(c.consistent, lambda i: starts_with(x, i))) > 0)) > 0
               AS is_consistent
    FROM spells s CROSS JOIN conditions c
),
indexes AS (SELECT patient, condition, min(discharged) AS index_end FROM marked WHERE is_index GROUP BY ALL)
SELECT m.condition, count(*) FILTER (WHERE NOT m.is_consistent) AS inconsistent, count(*) AS subsequent
FROM marked m JOIN indexes i USING (patient, condition)
WHERE m.discharged > i.index_end
GROUP BY ALL ORDER BY 1
"""


def timed(command: list[str]) -> tuple[float, int, str]:
    """Seconds, peak resident MiB of the command and its children, its standard output."""
    script = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        f"done = subprocess.run({command!r}, capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write(done.stderr[-2000:])\n"
        "print(seconds, peak, done.returncode)\n"
        "sys.stdout.write(done.stdout[-4000:] if len(sys.argv) > 1 else '')\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "show"], capture_output=True, text=True, check=True)
    first, _, rest = done.stdout.partition("\n")
    seconds, peak, status = first.split()
    if int(status) not in ((0, 1) if command[1:3] == ["-m", "nicelogic.cli"] else (0,)):
        raise SystemExit(f"{command[0]} failed ({status}): {done.stderr}")
    return float(seconds), int(peak) // 1024, rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    from nicelogic.rules.packs import builtin_pack_dirs

    with tempfile.TemporaryDirectory() as folder:
        extract = Path(folder) / "patients.csv"
        expected = Expected()
        with extract.open("w", newline="", encoding="utf-8") as handle:
            write_csv(patients(args.patients, args.seed, expected=expected), handle)
        episodes = expected.episodes
        size = extract.stat().st_size >> 20
        print(f"machine: {os.cpu_count()} cores; {args.patients:,} patients, {episodes:,} episodes ({size} MiB CSV)")
        packs = ",".join([*builtin_pack_dirs(), "consistency"])
        output = str(Path(folder) / "out.jsonl")
        command = [
            sys.executable,
            "-m",
            "nicelogic.cli",
            "check",
            str(extract),
            "--rules",
            packs,
            "-f",
            "jsonl",
            "-o",
            output,
            "-q",
        ]
        # every process together (the main one, record workers, patient workers), as PSS: a
        # page the forked workers share is counted once
        seconds, main, peak, pss = measure(command)
        rate = episodes / seconds
        print(
            f"nicelogic check, built-in packs + consistency: {seconds:.1f} s, {rate:,.0f} episodes/s, "
            f"peak {pss >> 20:,} MiB PSS, {peak >> 20:,} MiB RSS of all processes (main {main >> 20:,} MiB)"
        )
        query = YARDSTICK.format(path=str(extract).replace("'", "''"))
        yard_seconds, yard_peak, counts = timed([sys.executable, "-c", f"import duckdb; print(duckdb.sql({query!r}).fetchall())"])
        rate = episodes / yard_seconds
        print(f"yardstick, persistence by hand in DuckDB SQL: {yard_seconds:.1f} s, {rate:,.0f} episodes/s, peak {yard_peak} MiB")
        print(f"ratio (nicelogic time / yardstick time): {seconds / yard_seconds:.1f}")
        print(f"yardstick counts: {counts.strip()}")
        seeded = [(rule.removeprefix("consistency.persistence-"), v, a) for rule, (v, a) in expected.counts().items()]
        print("seeded persistence counts: " + ", ".join(f"{name} {v}/{a}" for name, v, a in seeded if "." not in name))


if __name__ == "__main__":
    main()
