"""Synthetic patients with inconsistencies seeded at known rates, and the counts they make.

Each patient has 2 to 6 spells at one provider, one after another, a spell of one episode or
two (the second episode then carries the spell's codes, so that spells must be pooled), a
fixed sex and an age growing with the years. A patient is drawn into at most one cohort of
Hardy et al.'s persistence rules (autism, type 2 diabetes, Parkinson's disease dementia),
whose later spells each lack the condition's codes at the seeded rate (Hardy's published
rates by default; the diabetes cohort is judged by Lloyd et al.'s diabetes rule too, from its
second spell coding diabetes); and, independently, a patient may carry one of the other inconsistencies
(a hip replaced twice on the same side, or on both sides; an admission after death, or a
death in the last spell; a sex changed on one episode; a spell at another provider inside
another spell; an amputation going down, or up). The generator counts, for every rule of the
``consistency`` pack, the units it must judge and those it must blame: nicelogic must report
exactly these counts (``tests/test_synthetic_patients.py``).

    python benchmarks/synthetic_patients.py 300000 --output patients.csv     # HES-shaped CSV
    python benchmarks/synthetic_patients.py 300000 --output patients.parquet
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

COLUMNS = ["EPIKEY", "PSEUDO_HESID", "PROCODE3", "ADMIDATE", "EPISTART", "EPIEND", "DISMETH", "SEX", "STARTAGE"] + [
    f"OPERTN_4_{n:02d}" for n in range(1, 4)
] + [f"DIAG_4_{n:02d}" for n in range(1, 4)]  # fmt: skip

# Hardy et al. 2022: condition, index code, consistent codes, codes that are neither, published rate
CONDITIONS = {
    "autism": ("F840", ["F840", "F841", "F845"], 0.437),
    "diabetes": ("E119", ["E109", "E119", "E149"], 0.086),
    "pdd": ("F023", ["F009", "F019", "F03X", "G309"], 0.312),
}
# Lloyd et al. 2018's rule that also judges a cohort (its codes, E10-E14, cover the diabetes cohort's; index: the
# second spell coding it); its other conditions (heart failure, hemiplegia) are in no generated spell
LLOYD = {"diabetes": "consistency.persistence-lloyd-diabetes"}
UNRELATED = ["J459", "I10X", "K359", "S720", "J189", "N390", "R074"]


@dataclass
class Rates:
    cohort: dict[str, float] = field(default_factory=lambda: {"autism": 0.06, "diabetes": 0.10, "pdd": 0.04})
    lacking: dict[str, float] = field(default_factory=lambda: {k: v[2] for k, v in CONDITIONS.items()})
    hip_twice: float = 0.02
    hip_both_sides: float = 0.03
    death_then_admission: float = 0.01
    death_last: float = 0.02
    sex_change: float = 0.01
    overlap: float = 0.01
    amputation_down: float = 0.005
    amputation_up: float = 0.005


@dataclass
class Expected:
    """For each rule of the consistency pack: (units blamed, units judged)."""

    violating: Counter[str] = field(default_factory=Counter)
    applies: Counter[str] = field(default_factory=Counter)
    patients: int = 0
    episodes: int = 0

    def counts(self) -> dict[str, tuple[int, int]]:
        rules = set(self.applies) | set(self.violating)
        return {rule: (self.violating[rule], self.applies[rule]) for rule in sorted(rules)}


def _iso(day: _dt.date) -> str:
    return day.isoformat()


def patients(
    count: int, seed: int = 15, rates: Rates | None = None, expected: Expected | None = None
) -> Iterator[dict[str, str]]:
    """HES-shaped rows of ``count`` synthetic patients; ``expected`` is filled with the counts."""
    rates = rates or Rates()
    expected = expected if expected is not None else Expected()
    rng = random.Random(seed)
    key = 0
    for number in range(1, count + 1):
        patient = f"P{number:07d}"
        provider = f"R{rng.randrange(40):02d}"
        sex = rng.choice("12")
        age = rng.randrange(45, 80)
        spells = rng.randrange(2, 7)
        cohort = None
        draw = rng.random()
        for name, share in rates.cohort.items():
            if draw < share:
                cohort = name
                break
            draw -= share
        # one other inconsistency at most
        extra = None
        draw = rng.random()
        for name in ("hip_twice", "hip_both_sides", "death_then_admission", "death_last", "sex_change", "overlap",
                     "amputation_down", "amputation_up"):  # fmt: skip
            share = getattr(rates, name)
            if draw < share:
                extra = name
                break
            draw -= share
        if extra == "overlap" and cohort is not None:
            extra = None  # a spell inserted in a cohort patient's history would change which spell is the index
        start = _dt.date(2013, 4, 1) + _dt.timedelta(days=rng.randrange(0, 900))
        spell_dates = []
        for _ in range(spells):
            length = rng.randrange(0, 6)
            spell_dates.append((start, start + _dt.timedelta(days=length)))
            start = start + _dt.timedelta(days=length + rng.randrange(20, 200))
        rows: list[dict[str, str]] = []
        coded = 0  # spells so far coding the cohort's condition: Lloyd et al.'s index is the second
        flipped_episode = rng.randrange(1, spells) if extra == "sex_change" else -1
        for s, (admitted, discharged) in enumerate(spell_dates):
            diagnoses = [rng.choice(UNRELATED)]
            procedures: list[str] = []
            if cohort is not None:
                index, consistent, lacking = CONDITIONS[cohort]
                if s == 0:
                    diagnoses = [index]
                    coded = 1
                else:
                    lloyd = LLOYD.get(cohort)
                    expected.applies[f"consistency.persistence-{cohort}"] += 1
                    if lloyd and coded >= 2:
                        expected.applies[lloyd] += 1
                    if rng.random() < rates.lacking[cohort]:
                        expected.violating[f"consistency.persistence-{cohort}"] += 1
                        if lloyd and coded >= 2:
                            expected.violating[lloyd] += 1
                    else:
                        diagnoses.append(rng.choice(consistent))
                        coded += 1
            if extra in ("hip_twice", "hip_both_sides") and s in (0, spells - 1):
                procedures = ["W371", "Z942" if s == 0 or extra == "hip_twice" else "Z943"]
                expected.applies["consistency.once-only-repeated"] += 1
                if s == spells - 1 and extra == "hip_twice":
                    expected.violating["consistency.once-only-repeated"] += 1
            if extra in ("amputation_down", "amputation_up") and s in (0, 1):
                levels = ("X093", "X095") if extra == "amputation_down" else ("X095", "X093")
                procedures = [levels[s], "Z942"]
                if s == 1:
                    expected.applies["consistency.amputation-level-down"] += 1
                    expected.violating["consistency.amputation-level-down"] += extra == "amputation_down"
            died = (extra == "death_then_admission" and s == spells - 2) or (extra == "death_last" and s == spells - 1)
            if died:
                expected.applies["consistency.admission-after-death"] += 1
                expected.violating["consistency.admission-after-death"] += extra == "death_then_admission"
            two_episodes = rng.random() < 0.2 and discharged > admitted
            middle = admitted + _dt.timedelta(days=1)
            episodes = [(admitted, middle), (middle, discharged)] if two_episodes else [(admitted, discharged)]
            for e, (started, ended) in enumerate(episodes):
                key += 1
                last = e == len(episodes) - 1
                episode_sex = sex
                if len(rows) == flipped_episode:
                    episode_sex = "2" if sex == "1" else "1"
                    expected.violating["consistency.sex-changes"] += 1
                rows.append({
                    "EPIKEY": str(key), "PSEUDO_HESID": patient, "PROCODE3": provider, "ADMIDATE": _iso(admitted),
                    "EPISTART": _iso(started), "EPIEND": _iso(ended), "DISMETH": "4" if died and last else "1",
                    "SEX": episode_sex, "STARTAGE": str(age + (admitted.year - 2013)),
                    # a spell of two episodes codes on its second: the spell's codes are pooled
                    **{f"DIAG_4_{n + 1:02d}": code for n, code in enumerate(diagnoses if last else ["R074"])},
                    **{f"OPERTN_4_{n + 1:02d}": code for n, code in enumerate(procedures if last else [])},
                })  # fmt: skip
        expected.applies["consistency.sex-changes"] += len(rows) - 1
        expected.applies["consistency.overlapping-spells"] += spells - 1
        if extra == "overlap":
            # a short spell elsewhere inside the longest spell: one more spell, blamed once
            longest = max(range(spells), key=lambda i: (spell_dates[i][1] - spell_dates[i][0], -i))
            admitted, discharged = spell_dates[longest]
            if (discharged - admitted).days >= 2:
                key += 1
                inside = admitted + _dt.timedelta(days=1)
                rows.append({
                    "EPIKEY": str(key), "PSEUDO_HESID": patient, "PROCODE3": "ROTHER", "ADMIDATE": _iso(inside),
                    "EPISTART": _iso(inside), "EPIEND": _iso(inside), "DISMETH": "1", "SEX": sex,
                    "STARTAGE": str(age + (inside.year - 2013)), "DIAG_4_01": "R074",
                })  # fmt: skip
                expected.applies["consistency.overlapping-spells"] += 1
                expected.applies["consistency.sex-changes"] += 1
                expected.violating["consistency.overlapping-spells"] += 1
        expected.patients += 1
        expected.episodes += len(rows)
        yield from rows


def write_csv(rows: Iterator[dict[str, str]], out: object) -> None:
    writer = csv.DictWriter(out, COLUMNS, restval="")  # type: ignore[arg-type]
    writer.writeheader()
    writer.writerows(rows)


def write_parquet(rows: Iterator[dict[str, str]], path: str, chunk: int = 100_000) -> None:
    """The rows as a Parquet extract (every column text, as the CSV holds it), a chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    batch: list[dict[str, str]] = []

    def flush() -> None:
        nonlocal writer
        table = pa.Table.from_pylist([{c: r.get(c, "") for c in COLUMNS} for r in batch])
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)

    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            flush()
            batch = []
    if batch:
        flush()
    if writer is not None:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("patients", type=int)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--output", default="-")
    args = parser.parse_args()
    expected = Expected()
    rows = patients(args.patients, args.seed, expected=expected)
    if args.output.endswith(".parquet"):
        write_parquet(rows, args.output)
    elif args.output == "-":
        write_csv(rows, sys.stdout)
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            write_csv(rows, handle)
    print(f"{expected.patients} patients, {expected.episodes} episodes", file=sys.stderr)
    for rule, (violating, applies) in expected.counts().items():
        print(f"  {rule}: {violating} of {applies}", file=sys.stderr)


if __name__ == "__main__":
    main()
