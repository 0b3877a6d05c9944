"""Time and memory of `nicelogic compare ORIGINAL AUDITED` on synthetic episode pairs: the
original coding a HES-shaped CSV, the auditor's a JSON Lines file in the reverse order with
the differences audits find (a 4th character changed, a secondary code dropped or added,
primary and secondary swapped, secondaries reordered, a site code changed) and a few
episodes on one side only. Not a test: run it by hand.

    python benchmarks/compare_speed.py 200000           # with the rule packs, and without (--no-standards)
    python benchmarks/compare_speed.py 20000 200000     # several sizes: memory should not grow with them

Peak memory is the largest sum of the resident memory of the run and all its worker
processes, sampled every 0.1 s from /proc.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402
from results_run import _measure  # noqa: E402

CODERS = [f"C{n:02d}" for n in range(12)]


def _fourth(code: str, rng: random.Random) -> str:
    return code[:4] + rng.choice("0123456789") if len(code) == 5 and code[3] == "." else code


def _audited(opcs: list[str], icd10: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """The auditor's coding: the same in most episodes, else one difference audits find."""
    opcs, icd10 = list(opcs), list(icd10)
    roll = rng.random()
    if roll < 0.80:
        pass
    elif roll < 0.84 and icd10:
        icd10[0] = _fourth(icd10[0], rng)
    elif roll < 0.88 and len(icd10) > 1:
        icd10.pop()
    elif roll < 0.91:
        icd10.append(rng.choice(["I10X", "E11.9", "J44.9", "Z86.7"]))
    elif roll < 0.94 and len(icd10) > 1:
        icd10[0], icd10[1] = icd10[1], icd10[0]
    elif roll < 0.96 and len(icd10) > 2:
        icd10[1:] = list(reversed(icd10[1:]))
    elif roll < 0.98 and opcs:
        opcs[0] = _fourth(opcs[0], rng)
    elif opcs:
        opcs = [("Z94.2" if code == "Z94.1" else code) for code in opcs] + (["Z94.1"] if "Z94.1" not in opcs else [])
    return opcs, icd10


def write_inputs(count: int, original: Path, audited: Path, seed: int = 3) -> None:
    rng = random.Random(seed)
    recoded = []
    with open(original, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        opcs_cols = [f"OPERTN_{i:02d}" for i in range(1, 13)]
        diag_cols = [f"DIAG_{i:02d}" for i in range(1, 9)]
        writer.writerow(["EPIKEY", "CODER", "MAINSPEF", *opcs_cols, *diag_cols])
        for n, episode in enumerate(synthetic.episodes(count, seed)):
            opcs, icd10 = list(episode.opcs), list(episode.icd10)
            if rng.random() >= 0.002:  # a few episodes the auditor did not recode
                recoded.append(json.dumps({"id": episode.id, "opcs": opcs, "icd10": icd10, "_n": n}))
            if rng.random() < 0.002:  # and a few the original coding lacks
                continue
            cells = (opcs + [""] * len(opcs_cols))[: len(opcs_cols)] + (icd10 + [""] * len(diag_cols))[: len(diag_cols)]
            writer.writerow([episode.id, CODERS[n % len(CODERS)], rng.choice(synthetic.SPECIALTIES), *cells])
    with open(audited, "w", encoding="utf-8") as out:
        for line in reversed(recoded):  # another order: pairing must not rest on it
            record = json.loads(line)
            opcs, icd10 = _audited(record["opcs"], record["icd10"], rng)
            out.write(json.dumps({"id": record["id"], "opcs": opcs, "icd10": icd10}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[200_000])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            original, audited, report = Path(tmp) / "original.csv", Path(tmp) / "audited.jsonl", Path(tmp) / "audit.json"
            started = time.perf_counter()
            write_inputs(size, original, audited)
            print(
                f"{size:,} episodes: ORIGINAL {original.stat().st_size / 2**20:.1f} MiB CSV, AUDITED "
                f"{audited.stat().st_size / 2**20:.1f} MiB JSON Lines (reversed), "
                f"written in {time.perf_counter() - started:.1f} s"
            )
            for label, extra in (("compare (rule packs run on both)", []), ("compare --no-standards", ["--no-standards"])):
                command = ["compare", str(original), str(audited), "-f", "json", "-o", str(report), "-q", "-j", str(args.jobs)]
                seconds, main_peak, peak = _measure([*command, *extra])
                found = json.loads(report.read_text())
                pairs = found["episodes"]["compared"]
                print(
                    f"  {label:34} {pairs:,} pairs in {seconds:6.1f} s ({pairs / seconds:,.0f} pairs/s); peak "
                    f"{peak / 2**20:,.0f} MiB (all processes; the main one {main_peak / 2**20:,.0f} MiB)"
                )
            shown = {t: round(v["percent_correct"], 2) for t, v in found["code_types"].items()}
            print(f"  % correct {shown}; episodes {found['episodes']}")


if __name__ == "__main__":
    main()
