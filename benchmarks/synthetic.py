"""Realistic synthetic hospital episodes, for benchmarks and scale tests.

Real OPCS-4.11 and ICD-10 codes, drawn the way hospital data repeats itself: a few
procedure patterns are very common (Zipf-like weights), spinal procedures follow the NICE
lists, and a share of records carry the coding errors auditors find (levels of spine
missing or misplaced, an approach code first, a V55 after a non-spinal operation).

    python benchmarks/synthetic.py 1000000 --format text > episodes.txt
    python benchmarks/synthetic.py 100000 --format csv > extract.csv
    python benchmarks/synthetic.py 100000 --format jsonl > extract.jsonl
    python benchmarks/synthetic.py 100000 --format parquet --output extract.parquet

The Parquet extract also carries the attributes researchers group by (provider PROCODE3,
specialty MAINSPEF/TRETSPEF, ADMIDATE/EPISTART over three financial years, HESID), with
providers of very different sizes and two that code spinal procedures worse than the rest.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

# Common non-spinal procedures, each with the diagnoses it usually goes with.
COMMON = [
    ("H22.9", ["K57.3", "K62.1", "D12.6"]), ("G45.1", ["K21.0", "K29.7", "R10.1"]),
    ("W37.1", ["M16.1", "M16.9"]), ("W38.1", ["M16.0"]), ("W40.1", ["M17.1", "M17.9"]),
    ("W43.1", ["M17.0"]), ("C75.1", ["H25.1", "H26.9"]), ("C71.2", ["H25.9"]),
    ("T20.2", ["K40.9"]), ("T85.2", ["C50.9"]), ("Q07.4", ["D25.9", "N92.0"]),
    ("M45.9", ["R31.X", "N32.9"]), ("H01.9", ["K35.8"]), ("J18.3", ["K80.2"]),
    ("A57.7", ["G56.0"]), ("E85.1", ["J96.0"]), ("K63.1", ["I20.8", "I25.1"]),
    ("K75.1", ["I21.4"]), ("L85.1", ["I83.9"]), ("R17.2", ["O82.9"]), ("R18.2", ["O82.0"]),
    ("X40.3", ["N18.5"]), ("W90.3", ["M25.5"]), ("W19.1", ["S72.0"]), ("W24.1", ["S52.5"]),
    ("Q55.4", ["N97.9"]), ("S06.5", ["L72.1"]), ("B28.7", ["N60.1"]), ("U05.1", ["R51.X"]),
]  # fmt: skip
ADDONS = ["Y53.4", "Y53.9", "Z94.1", "Z94.2", "Z94.3", "Y45.1", "Z84.5"]

# Spinal procedure groups as the NICE recommendations list them, with their indications.
SPINAL = [
    (["V44.4", "V55.1", "Y53.4", "Z66.5"], ["M80.0", "M80.9", "C79.5", "C90.0", "M48.5", "D18.0"]),
    (["V44.6", "V55.2", "Y53.4", "Z66.4"], ["M80.0", "C79.5"]),
    (["V44.4", "V55.9", "Y53.9", "Z66.9"], ["M80.9"]),
    (["V40.1", "V55.1", "Y53.9", "Z67.5"], ["M54.5", "M51.2"]),
    (["V52.2", "V55.1", "Y10.2", "Y53.4", "Z99.3"], ["M51.3", "M54.5"]),
    (["V33.8", "V55.1", "Y53.4", "V38.8", "V55.1", "Y53.4", "Z67.6"], ["M51.1"]),
    (["V25.2", "V55.2"], ["M48.0"]), (["V38.2", "V55.1"], ["M43.1"]),
    (["V29.1", "V55.1"], ["M51.1"]), (["V46.2", "V55.1"], ["S32.0"]),
    (["V28.1", "V55.1", "Y53.4"], ["M47.8"]), (["V36.1", "V55.1"], ["M48.0"]),
]  # fmt: skip


@dataclass(frozen=True)
class Episode:
    id: str
    opcs: tuple[str, ...]
    icd10: tuple[str, ...]
    sex: str
    age: int
    date: str


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def _with_error(rng: random.Random, codes: list[str]) -> list[str]:
    kind = rng.randrange(4)
    if kind == 0 and any(c.startswith("V55") for c in codes):  # levels of spine left out
        drop = next(i for i, c in enumerate(codes) if c.startswith("V55"))
        return codes[:drop] + codes[drop + 1 :]
    if kind == 1 and len(codes) > 2:  # an approach or site code moved first
        return [codes[2]] + codes[:2] + codes[3:]
    if kind == 2 and len(codes) > 2:  # V55 after the approach code, not second
        return [codes[0], codes[2], codes[1]] + codes[3:]
    return ["V64.1", "V55.1"] + codes  # a V55 after a temporomandibular joint operation


def episodes(count: int, seed: int = 1, error_rate: float = 0.08, spinal_share: float = 0.15) -> Iterator[Episode]:
    rng = random.Random(seed)
    common_weights = _zipf_weights(len(COMMON))
    spinal_weights = _zipf_weights(len(SPINAL), 1.4)
    for n in range(1, count + 1):
        if rng.random() < spinal_share:
            template, indications = rng.choices(SPINAL, spinal_weights)[0]
            codes = list(template)
            diagnoses = [rng.choice(indications)]
            if rng.random() < error_rate * 3:  # spinal coding goes wrong more often
                codes = _with_error(rng, codes)
        else:
            picks = rng.choices(COMMON, common_weights, k=1 + (rng.random() < 0.25))
            codes = [p[0] for p in picks]
            if rng.random() < 0.3:
                codes.append(rng.choice(ADDONS))
            diagnoses = [rng.choice(p[1]) for p in picks]
            if rng.random() < error_rate:
                codes = [rng.choice(ADDONS)] + codes
        if rng.random() < 0.2:
            diagnoses.append(rng.choice(["I10.X", "E11.9", "J44.9", "Z86.7", "F17.1"]))
        sex = rng.choice("12")
        age = rng.randint(18, 95)
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield Episode(f"ep{n:07d}", tuple(codes), tuple(d.replace(".X", "X") for d in diagnoses), sex, age, date)


def write_text(count: int, out, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
    for e in episodes(count, seed):
        out.write(f"{e.id}: opcs {' '.join(e.opcs)}; icd {' '.join(e.icd10)}\n")


def write_jsonl(count: int, out, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
    for e in episodes(count, seed):
        record = {"id": e.id, "opcs": list(e.opcs), "icd10": list(e.icd10), "sex": e.sex, "age": e.age, "date": e.date}
        out.write(json.dumps(record) + "\n")


def write_csv(count: int, out, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
    writer = csv.writer(out, lineterminator="\n")
    opcs_cols = [f"OPERTN_4_{i:02d}" for i in range(1, 13)]
    diag_cols = [f"DIAG_4_{i:02d}" for i in range(1, 8)]
    writer.writerow(["EPIKEY", "SEX", "STARTAGE", "ADMIDATE", *opcs_cols, *diag_cols])
    for e in episodes(count, seed):
        opcs = [c.replace(".", "") for c in e.opcs] + ["-"] * (len(opcs_cols) - len(e.opcs))
        diag = [c.replace(".", "") for c in e.icd10] + [""] * (len(diag_cols) - len(e.icd10))
        writer.writerow([e.id.removeprefix("ep"), e.sex, e.age, e.date, *opcs[: len(opcs_cols)], *diag[: len(diag_cols)]])


PROVIDERS = [f"R{letter}{digit}" for letter in "ABCDEFGH" for digit in "1234"]  # 32 trusts
WORSE_PROVIDERS = {"RB2", "RE3"}  # code spinal procedures worse than the others
SPECIALTIES = ["110", "100", "101", "120", "130", "300", "502", "108"]  # T&O, general surgery, urology, ENT, ...


def hes_rows(count: int, seed: int = 1) -> Iterator[dict[str, object]]:
    """HES-shaped rows (codes without dots, as HES writes them) with provider, specialty,
    dates and patient key; providers from a few very large ones to a handful of episodes."""
    rng = random.Random(seed)
    usual = episodes(count, seed)
    worse = episodes(count, seed + 1, error_rate=0.35, spinal_share=0.3)
    weights = [1 / (rank**0.9) for rank in range(1, len(PROVIDERS) + 1)]
    weights[-1] = weights[-2] = 0.0004  # two tiny providers, under the suppression threshold in small runs
    for n in range(1, count + 1):
        provider = rng.choices(PROVIDERS, weights)[0]
        e = next(worse if provider in WORSE_PROVIDERS else usual)
        day = 19448 + rng.randrange(3 * 365)  # 2023-04-01 onwards: three financial years
        start = _dt.date.fromordinal(_dt.date(1970, 1, 1).toordinal() + day)
        row: dict[str, object] = {
            "EPIKEY": f"{n:09d}", "PROCODE3": provider, "MAINSPEF": rng.choice(SPECIALTIES),
            "TRETSPEF": rng.choice(SPECIALTIES), "ADMIDATE": start, "EPISTART": start + _dt.timedelta(days=rng.randrange(3)),
            "HESID": f"P{rng.randrange(count // 2 + 1):08d}", "SEX": e.sex, "STARTAGE": e.age,
        }  # fmt: skip
        for i in range(1, 13):
            row[f"OPERTN_4_{i:02d}"] = e.opcs[i - 1].replace(".", "") if i <= len(e.opcs) else "-"
        for i in range(1, 8):
            row[f"DIAG_4_{i:02d}"] = e.icd10[i - 1].replace(".", "") if i <= len(e.icd10) else None
        yield row


def distinct_rows(count: int, seed: int = 1) -> Iterator[dict[str, object]]:
    """HES-shaped rows whose codes never repeat: each realistic episode gets one or two more
    procedure codes drawn from every code of OPCS-4.11, until its codes are those of no
    earlier row; the worst case for a checker that reuses verdicts."""
    from nicelogic.tables.opcs import load_opcs

    table = load_opcs()
    codes = sorted(code.replace(".", "") for code in table.titles if table.is_code(code) and code[0] not in "YZ")
    rng = random.Random(seed + 7)
    seen: set[tuple[object, ...]] = set()
    for row in hes_rows(count, seed):
        opcs = [row[f"OPERTN_4_{i:02d}"] for i in range(1, 13) if row[f"OPERTN_4_{i:02d}"] != "-"]
        diagnoses = tuple(row[f"DIAG_4_{i:02d}"] for i in range(1, 8))
        while True:
            extra = rng.sample(codes, 1 + (rng.random() < 0.5))
            candidate = (*opcs[:10], *extra)
            if (candidate, diagnoses) not in seen:
                seen.add((candidate, diagnoses))
                break
        for i in range(1, 13):
            row[f"OPERTN_4_{i:02d}"] = candidate[i - 1] if i <= len(candidate) else "-"
        yield row


def write_parquet(count: int, path: str, seed: int = 1, row_group: int = 50_000, distinct: bool = False) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = distinct_rows(count, seed) if distinct else hes_rows(count, seed)
    writer = None
    while chunk := list(islice(rows, row_group)):
        table = pa.Table.from_pylist(chunk)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("--format", choices=["text", "csv", "jsonl", "parquet"], default="text")
    parser.add_argument("--output", help="the file to write (required for parquet)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.format == "parquet":
        if not args.output:
            parser.error("--format parquet needs --output FILE")
        write_parquet(args.count, args.output, args.seed)
        return
    writers = {"text": write_text, "csv": write_csv, "jsonl": write_jsonl}
    writers[args.format](args.count, sys.stdout, args.seed)


if __name__ == "__main__":
    main()
