"""A long fuzz run of the readers, the grammar and the output writers, for a maintainer to
run by hand (not a test): ``python benchmarks/fuzz.py --inputs 1000000``.

Inputs are drawn at random from real record shapes, mutated byte by byte and mixed with
arbitrary text and bytes. The invariants are the ones the test suite checks briefly with
hypothesis: every input record comes back (parsed or rejected with a reason, never lost,
never an exception), and every output format written from arbitrary results parses.
The first failure stops the run and is written to fuzz-failure.bin with what broke.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from junitparser import JUnitXml  # noqa: E402

from nicelogic.input.grammar import RecordParser  # noqa: E402
from nicelogic.input.jsonl import jsonl_lines  # noqa: E402
from nicelogic.input.records import to_record  # noqa: E402
from nicelogic.input.tabular import table_lines  # noqa: E402
from nicelogic.input.text import text_lines  # noqa: E402
from nicelogic.report import make_reporter  # noqa: E402
from nicelogic.results import RecordResult, SummaryCounter, Violation  # noqa: E402
from nicelogic.rules.packs import load_rules  # noqa: E402

SEEDS = [
    "ep7: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0",
    "claim9: cpt 22511 22512x2 77003-59",
    "V444 V551 Y534  # waive: opcs4",
    '{"id": "j1", "opcs": ["V44.4", "V55.1"], "icd10": "M80.08 G55.1*", "sex": "F", "age": 70, "date": "2024-05-01"}',
    "EPIKEY,OPERTN_01,OPERTN_02,DIAG_01,SEX,STARTAGE,ADMIDATE",
    "100001,V44.4,V55.1,M80.0,2,81,2024-03-02",
]
ALPHABET = 'V44.5Y3Z6M80;:, -*+†"{}[]\\\t\r\n#xX0123456789abcdefghijklmnopqrstuvwxyz²é\u2028\x00\x1b'


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 4)):
        op = rng.random()
        position = rng.randint(0, len(chars))
        if op < 0.4:
            chars.insert(position, rng.choice(ALPHABET))
        elif op < 0.7 and chars:
            del chars[min(position, len(chars) - 1)]
        elif chars:
            chars[min(position, len(chars) - 1)] = rng.choice(ALPHABET)
    return "".join(chars)


def random_bytes_line(rng: random.Random) -> str:
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    return raw.decode("utf-8", "surrogateescape")


def one_input(rng: random.Random) -> tuple[str, str]:
    """(format, content) of one small input file."""
    kind = rng.choice(["text", "jsonl", "csv"])
    lines = []
    for _ in range(rng.randint(1, 5)):
        pick = rng.random()
        base = rng.choice(SEEDS[:3] if kind == "text" else SEEDS[3:4] if kind == "jsonl" else SEEDS[5:])
        lines.append(mutate(rng, base) if pick < 0.8 else random_bytes_line(rng))
    if kind == "csv":
        lines.insert(0, SEEDS[4] if rng.random() < 0.9 else mutate(rng, SEEDS[4]))
    return kind, "\n".join(lines) + "\n"


def read_all(kind: str, content: str, parser: RecordParser) -> int:
    stream = io.StringIO(content, newline="")
    if kind == "text":
        items = list(text_lines(stream, "fuzz.txt"))
    elif kind == "jsonl":
        items = list(jsonl_lines(stream, "fuzz.jsonl"))
    else:
        try:
            items = list(table_lines(stream, "fuzz.csv"))
        except Exception as exc:  # noqa: BLE001 - only InputError (a bad header) may stop a file
            if type(exc).__name__ != "InputError":
                raise
            return 0
    for item in items:
        to_record(item, parser)  # must not raise, whatever the item
    return len(items)


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET + "=+-@<>&'") for _ in range(rng.randint(0, 20)))


def write_all(rng: random.Random, rules: dict) -> None:  # type: ignore[type-arg]
    """Results of real rules, with arbitrary text wherever text can come from an input."""
    results = []
    for n in range(rng.randint(1, 4)):
        violation = Violation(
            rng.choice(list(rules)), rng.choice(["error", "warning"]), "opcs", (1,), (random_text(rng),), random_text(rng),
            random_text(rng), n + 1, 1, random_text(rng),
        )  # fmt: skip
        results.append(RecordResult(random_text(rng) or "x", n + 1, random_text(rng) or "f", (violation,)))
    for fmt in ("json", "jsonl", "sarif", "junit", "csv", "tap", "github", "gitlab", "text"):
        out = io.StringIO()
        reporter = make_reporter(fmt, out, rules)
        counter = SummaryCounter()
        for result in results:
            counter.add(result)
            reporter.add(result)
        reporter.finish(counter.summary())
        text = out.getvalue()
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(text)
        elif fmt == "jsonl":
            assert len(text.splitlines()) == len(results)
        elif fmt == "junit":
            JUnitXml.fromstring(text.encode("utf-8"))
        elif fmt == "csv":
            list(csv.reader(io.StringIO(text, newline="")))
        elif fmt in ("github", "text", "tap"):
            assert "\x1b" not in text and "\x00" not in text


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--inputs", type=int, default=100_000, help="how many input files and output documents to try")
    options.add_argument("--seed", type=int, default=1)
    args = options.parse_args()
    rng = random.Random(args.seed)
    parser = RecordParser()
    rules = dict(load_rules().rules)
    started = time.monotonic()
    records = 0
    for tried in range(1, args.inputs + 1):
        kind, content = one_input(rng)
        try:
            records += read_all(kind, content, parser)
            write_all(rng, rules)
        except Exception as exc:
            Path("fuzz-failure.bin").write_bytes(content.encode("utf-8", "surrogateescape"))
            print(f"failure after {tried:,} inputs ({kind}): {type(exc).__name__}: {exc}; input in fuzz-failure.bin")
            raise SystemExit(1) from exc
        if tried % 10_000 == 0:
            print(f"{tried:,} inputs, {records:,} records, no failure, {time.monotonic() - started:,.0f} s", flush=True)
    print(f"{args.inputs:,} inputs ({records:,} records read, {args.inputs:,} output sets in 9 formats): no failure "
          f"in {time.monotonic() - started:,.0f} s (seed {args.seed})")  # fmt: skip


if __name__ == "__main__":
    main()
