"""CPT claims against the full CMS NCCI tables (2.5 million PTP rows, 1.67 million active).

By default the tables shipped with the package (Parquet); give a folder to use another
(converted by `nicelogic tables import-ncci`, or CMS CSV files). Prints how long the
tables take to load, records/second, peak memory, and how many table facts reached the
solver per batch (only the rows for the codes present in a batch do).

    python benchmarks/ncci_full.py [--ncci-dir FOLDER] [claims]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from nicelogic import Checker
from nicelogic.model import System
from nicelogic.tables import TableConfig
from nicelogic.tables.ncci import load_ncci

# Real CPT/HCPCS codes common on US claims, with the vertebroplasty family of seed 004.
CODES = [
    *("99213", "99214", "99203", "36415", "80053", "85025", "80061", "83036", "84443", "81001", "71046", "93000"),
    *("96372", "20610", "76942", "64483", "62323", "97110", "97140", "73721", "72148", "70450", "J1100", "G0008"),
    *("90686", "22510", "22511", "22512", "22513", "22515", "77002", "77003", "77012"),
]
MODIFIERS = ["", "", "", "", "-59", "-25", "-XS", "-LT", "-RT"]


def claims(count: int, seed: int = 1):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    for n in range(1, count + 1):
        lines = []
        for code in rng.sample(CODES, rng.randint(1, 4)):
            units = f"x{rng.randint(2, 4)}" if rng.random() < 0.1 else ""
            lines.append(code + rng.choice(MODIFIERS) + units)
        yield f"c{n}: cpt {' '.join(lines)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ncci-dir", type=Path, default=None)
    parser.add_argument("claims", type=int, nargs="?", default=200_000)
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    tables = load_ncci(args.ncci_dir.resolve()) if args.ncci_dir else load_ncci()
    sample = tables.facts(CODES)
    loaded = time.perf_counter() - started
    print(f"tables: {', '.join(p.name for p in tables.files)}")
    print(f"loaded and first query in {loaded:.1f} s; facts for all {len(CODES)} benchmark codes at once: {len(sample)}")

    checker = Checker(["ncci", "cpt.vertebral-augmentation"], tables=TableConfig(ncci_dir=args.ncci_dir), jobs=args.jobs or None)
    batch = [line.split(": ", 1)[1].split()[1:] for line in claims(2000, seed=9)]
    facts = checker.tables.facts({System.CPT: {c.split("-")[0].split("x")[0] for codes in batch for c in codes}})
    print(f"table facts for one batch of 2,000 claims: {facts.count(chr(10)) + 1}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.txt"
        path.write_text("\n".join(claims(args.claims)) + "\n", encoding="utf-8")
        started = time.perf_counter()
        invalid = sum(not r.valid for r in checker.check_files([str(path)], system=System.CPT))
        elapsed = time.perf_counter() - started
    rate = args.claims / elapsed
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: main process {own:,.0f} MiB, largest worker {children:,.0f} MiB")
    print(f"checked {args.claims:,} claims in {elapsed:.1f} s = {rate:,.0f} claims/s ({invalid:,} invalid), jobs {checker.jobs}")


if __name__ == "__main__":
    sys.exit(main())
