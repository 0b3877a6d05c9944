"""The yardstick: a hand-written, pure-Python check of the five core OPCS-4 position rules
on a HES-shaped Parquet extract, the way an analyst would write it in an afternoon. It is
what nicelogic's columnar path is measured against (benchmarks/research_scale.py); it is
not a product and nicelogic does not use it.

The five rules, as logic/opcs4 states them (read with logic/lib/opcs.lp):

- opcs.subsidiary-not-first: a chapter Y or Z code is never the main (first) procedure;
- opcs.spinal-levels-second: each spinal operation (V22-V54, V56-V63, V66-V70) is
  followed immediately by a V55 levels-of-spine code;
- opcs.v55-orphan: a V55 code directly follows a spinal operation;
- opcs.laterality-last: the laterality code Z94 comes after the other codes of its
  procedure group (an operation code and the Y, Z and V55 codes after it);
- opcs.laterality-once: one Z94 per procedure group.

It reads the columns it needs (the id and OPERTN_nn), checks each row, and writes one line
per record (id, valid, violations) and one per violation into two CSV files, as the
smallest honest "results". Codes are taken as HES writes them (V444 or V44.4).

    python benchmarks/yardstick.py extract.parquet OUT_FOLDER
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pyarrow.parquet as pq

_OPERTN = re.compile(r"^OPERTN(?:_4)?_(\d{1,2})$", re.IGNORECASE)
FILLERS = {"", "-", "&"}


def _spinal(code: str) -> bool:
    if code[0] != "V":
        return False
    number = int(code[1:3])
    return 22 <= number <= 54 or 56 <= number <= 63 or 66 <= number <= 70


def check(codes: list[str]) -> list[tuple[str, int]]:
    """The violations of one record's procedure codes: (rule, 1-based position)."""
    found: list[tuple[str, int]] = []
    if not codes:
        return found
    if codes[0][0] in "YZ":
        found.append(("opcs.subsidiary-not-first", 1))
    count = len(codes)
    head = 0  # the start of the current procedure group
    laterality: list[int] = []  # the group's Z94 codes so far
    unplaced: list[int] = []  # and those not yet found followed by another code of the group
    for index, code in enumerate(codes):
        category = code[:3]
        if not (code[0] in "YZ" or category == "V55"):
            head, laterality, unplaced = index, [], []
        if _spinal(code) and (index + 1 >= count or codes[index + 1][:3] != "V55"):
            found.append(("opcs.spinal-levels-second", index + 1))
        if category == "V55" and (index == 0 or not _spinal(codes[index - 1])):
            found.append(("opcs.v55-orphan", index + 1))
        if category == "Z94":
            found += [("opcs.laterality-once", earlier + 1) for earlier in laterality]
            laterality.append(index)
            unplaced.append(index)
        elif unplaced and index > head:
            found += [("opcs.laterality-last", earlier + 1) for earlier in unplaced]
            unplaced = []
    return found


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    parquet = pq.ParquetFile(source)
    opertn = sorted((int(m.group(1)), name) for name in parquet.schema_arrow.names if (m := _OPERTN.match(name)))
    columns = ["EPIKEY", *(name for _, name in opertn)]
    records = violations = 0
    with open(out / "records.csv", "w", newline="") as r, open(out / "violations.csv", "w", newline="") as v:
        record_out, violation_out = csv.writer(r), csv.writer(v)
        for batch in parquet.iter_batches(batch_size=50_000, columns=columns):
            data = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for row in zip(*data, strict=True):
                codes = [c.strip().replace(".", "") for c in row[1:] if c is not None and c.strip() not in FILLERS]
                found = check(codes)
                record_out.writerow((row[0], not found, len(found)))
                for rule, position in found:
                    violation_out.writerow((row[0], rule, position))
                records += 1
                violations += len(found)
    print(f"{records} records, {violations} violations")


if __name__ == "__main__":
    main()
