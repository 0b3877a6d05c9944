"""Build the opt-in packs icd10.local and opcs4.local from the open checker's local lists.

The map ``coding-errors-rules.tsv`` (every rule of KeironO/coding-errors, MIT licence,
Copyright (c) Keiron O'Shea, HEAD 635d51d) marks 624 rows ``local list``: PLAC and T1 pair
lists, FSCP, CHICKS, PRIM, LATCODING ... whose origin is a local audit list, not a national
standard. This script turns them into the packs' relation tables and their cases:

    python tools/local_lists.py tables PATH/coding-errors-rules.tsv   # the .tsv tables, and what was left out
    python tools/local_lists.py cases                                # tests/*.txt from the tables

``tables`` reads each row's own pattern (it keeps the list's ranges), writes codes as the
tables do (V44.4, J22 for J22X), applies the corrections below (each a defect of the list
or of the checker, each with a regression case in tests/regressions.txt), drops codes the
loaded OPCS-4.11 / ICD-10 tables do not hold, and states a pair that two rows state once
(one violation per mistake), citing both rows. It prints what it left out, for pack.toml.

``cases`` writes, for every row of every table, a record that makes the row fire and one in
which its trigger is present and it stays quiet (tests/<rule>.txt), and one case for each
other code of the row (tests/codes.txt, so that ``nicelogic test --mutate`` notices a row that
lost or changed any code), each with every violation the pack alone gives (``nicelogic test
--strict``), checked against the pack as it writes them.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nicelogic import Checker
from nicelogic.rules.relations import relation_kinds, spans
from nicelogic.tables import TableConfig, load_tables

ROOT = Path(__file__).resolve().parent.parent
PACKS = {"opcs": "opcs4.local", "icd10": "icd10.local"}
SECTION = {"OPCS-4": "opcs", "ICD-10": "icd10"}
TABLE_NAME = {"opcs": "OPCS-4.11", "icd10": "WHO ICD-10 2019"}

# the checker's operators (codingerrors/check.py) and the relation kind each is
OPERATORS = {
    "!": "not-coded-with",
    "&*": "never-first",
    "/*": "never-coded",
    ">": "not-directly-followed-by",
    "<": "must-be-directly-followed-by",
    "{": "needs-one-of",
    "£": "not-sequenced-before",
}
# kinds whose violations on one pair are one finding, so that two rows stating a pair state it once
SYMMETRIC = {"not-coded-with"}
ONE_FINDING = {"not-coded-with", "not-directly-followed-by", "not-sequenced-before", "never-first", "never-coded"}

# Rows corrected to what the list evidently means: the row's pattern(s) as the checker writes
# them (dotless), and why. Each has a regression case in the pack's tests/regressions.txt.
CORRECTED: dict[str, tuple[tuple[str, ...], str]] = {
    "FSCP:4:E": (("?M4792,M4796,M4798:/*",), "M47968 (six characters) is a typo for M47.98, which SPON.UNSPEC:0 also states"),
    "FSCP:22:E": (
        ("?A09:>K520,K522,K523,K528,K529,Y40-Y59",),
        "two '>' operands, of which the checker kept only the last (Y40-Y59): both are encoded",
    ),
    "FSCP:27:E": (("?J18:>B95,B96,B98",), "the list's comment names B95/B96 and its rule B95,B98: B96 is added"),
    "FSCP:40:E": (("?O701,O704-O709:!O700,O702,O703",), "0702 and 0703 were written with the digit zero for O70.2 and O70.3"),
    "CHICKS:02:E": (("?I99:&*",), "I999 is no code: I99 has no fourth character (the UK writes I99X)"),
    "PRIM:1:E": (("?Z:&*",), "Z00:Z99 was split on ':', so only Z00 (no OPCS-4 code) was barred: chapter Z is meant"),
    "PROCURE:0:E": (("?X70-X71:/*",), "the pattern lacked '?', so the checker read the range as 700..771"),
    "HIGHCOST:0:E": (
        ("?X81-X82,X830,X831,X832,X838,X839,X84-X88,X891,X893-X899,X901,X902,X903,X905,X906,X907,X908,X909,X91-X98:/*",),
        "the range X91-99 expanded to nothing: the high cost drugs X91-X98 are meant (X99 is no OPCS-4.11 category)",
    ),
    "046PLAC:0:E": (
        ("?E35:!E369",),
        "E3710 has five characters (OPCS-4 codes have four): E37.1 or E37.9 cannot be told, so it is left out",
    ),
    "119PLAC:0:E": (("?K72:!K59",), "K59X605 runs K59 together with X60.5, which is no OPCS-4.11 code: K59 is kept"),
    "120PLAC:0:E": (("?K73,K74:!K59,K72",), "K59K72 is two codes without a comma"),
    "131PLAC:0:E": (("?L75:!L74,O05",), "L74O05 is two codes without a comma"),
    "138PLAC:0:E": (
        ("?O01:!O02,O03", "?O02:!O03"),
        "O01-O02 excluded with O02-O03 flagged O02 alone: the three coil embolisations exclude one another",
    ),
    "245PLAC:0:E": (("?W05:!W37-W54,W93,W98,O06,O07,O08,O18,O21,O22,O23,O24,O25,O26,O09",), ")008 is a typo for O08"),
    "248PLAC:0:E": (
        ("?W086:!W06,X07-X11",),
        "the range X067-X11 expanded to nothing (X06.7 is no OPCS-4.11 code): the amputations X07-X11 are meant",
    ),
    "321PLAC:0:E": (("?Z38:!O451",), "Z38 excluded its own Z38.2, so Z38.2 was flagged alone: the self-relation is dropped"),
    "322PLAC:0:E": (("?Z395:!Z98",), "Z39.5 excluded itself: the self-relation is dropped"),
}

# Rows not encoded, and why (inactive rows and rows whose codes are all unknown are found below).
LEFT_OUT: dict[str, str] = {
    "I460.UNSPEC:0:E": "asks I46.0 for a fifth character, which I46.0 has in no edition (WHO or UK 5th Edition)",
}


@dataclass
class Row:
    section: str
    kind: str
    cells: dict[str, list[str]]  # column -> codes as the tables write them
    keys: list[str]  # the list rows it encodes (its standard cell)
    order: int = 0
    dropped: list[str] = field(default_factory=list)


def standard_key(peer_key: str) -> str:
    """002PLAC:0:E -> PLAC:002; T1:001:X -> T1:001; FSCP:43:E -> FSCP:43."""
    if match := re.fullmatch(r"(\d+)PLAC:\d+:[A-Z]", peer_key):
        return f"PLAC:{match[1]}"
    return peer_key.rsplit(":", 1)[0]


def split_pattern(pattern: str) -> tuple[str, list[tuple[str, str]]]:
    body = pattern.removeprefix("?")
    trigger, *parts = body.split(":")
    found = []
    for part in parts:
        operator = next((op for op in ("&*", "/*", ".5", "!", ">", "<", "{", "£") if part.startswith(op)), None)
        if operator is None:
            raise ValueError(f"unknown operator in {pattern}")
        found.append((operator, part[len(operator) :]))
    return trigger, found


def dotted(code: str, section: str) -> str:
    """A code of the checker's (dotless) as the tables write it; a filler X is the category."""
    if re.fullmatch(r"[A-Z]", code) or re.fullmatch(r"[A-Z]\d\d", code):
        return code
    if section == "icd10" and re.fullmatch(r"[A-Z]\d\dX", code):
        return code[:3]
    if re.fullmatch(r"[A-Z]\d\d\d", code) or (section == "icd10" and re.fullmatch(r"[A-Z]\d{4}", code)):
        return f"{code[:3]}.{code[3:]}"
    raise ValueError(f"{code!r} is not a code")


def cell(values: str, section: str) -> list[str]:
    """The checker's comma-separated values as a table cell's codes and ranges."""
    out: list[str] = []
    for value in filter(None, (v.strip() for v in values.split(","))):
        first, dash, last = value.partition("-")
        if not dash:
            out.append(dotted(first, section))
            continue
        low, high = dotted(first, section), dotted(last, section)
        if len(low) == 5 and len(high) == 5 and low[:3] != high[:3]:  # O64.0-O66.3: a range per category
            start, end = int(low[1:3]), int(high[1:3])
            out.append(low[:3] if low.endswith(".0") else f"{low}-{low[:4]}9")
            out += [f"{low[0]}{n:02d}" for n in range(start + 1, end)]
            out.append(high[:3] if high.endswith(".9") else f"{high[:4]}0-{high}")
        else:
            out.append(f"{low}-{high}")
    return out


class Codes:
    """The loaded OPCS-4.11 and ICD-10 tables, asked what exists."""

    def __init__(self) -> None:
        tables = load_tables(TableConfig())
        self.titles = {"opcs": tables.opcs.titles, "icd10": tables.icd10.titles}

    def known(self, code: str, section: str) -> bool:
        titles = self.titles[section]
        if len(code) == 1:
            return any(k.startswith(code) for k in titles)
        return code in titles or (len(code) == 6 and code[:5] in titles)

    def keep(self, written: str, section: str) -> bool:
        """Whether a table code or range covers some code of the loaded table."""
        return any(self.known(code, section) for code in spans(written, section))

    def example(self, written: str, section: str) -> str:
        """A real code that a table code or range covers: a subdivided category by its first code."""
        for code in spans(written, section):
            if not self.known(code, section):
                continue
            if len(code) == 1:
                return next(k for k in self.titles[section] if k.startswith(code) and len(k) == 5)
            if len(code) == 3:
                return next((k for k in self.titles[section] if k.startswith(code + ".")), code)
            return code
        raise ValueError(f"{written} covers no code")


# --------------------------------------------------------------------------- tables


def _entries(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [e for e in csv.DictReader(handle, delimiter="\t") if e["source_kind"] == "local list"]


def read_rows(path: Path, codes: Codes) -> tuple[list[Row], list[tuple[str, str, str]]]:
    rows: list[Row] = []
    left_out: list[tuple[str, str, str]] = []  # (list, peer key, why)
    for order, entry in enumerate(_entries(path)):
        key, section = entry["peer_key"], SECTION[entry["system"]]
        if key in LEFT_OUT:
            left_out.append((entry["standard"], key, LEFT_OUT[key]))
            continue
        if entry["peer_works"].startswith("inactive"):
            left_out.append((entry["standard"], key, "inactive in the open checker (commented out)"))
            continue
        patterns = CORRECTED[key][0] if key in CORRECTED else (entry["peer_pattern"],)
        for pattern in patterns:
            trigger, operations = split_pattern(pattern)
            ((operator, values),) = operations
            kind = OPERATORS[operator]
            columns = relation_kinds()[kind].columns
            written = [cell(trigger, section)] + ([cell(values, section)] if len(columns) > 1 else [])
            written = [_covered_once(list(dict.fromkeys(items)), section) for items in written]
            row = Row(section, kind, dict(zip(columns, written, strict=True)), [standard_key(key)], order)
            for column, items in row.cells.items():
                unknown = [item for item in items if not codes.keep(item, section)]
                row.cells[column] = [item for item in items if item not in unknown]
                row.dropped += unknown
            if any(not items for items in row.cells.values()):
                left_out.append((entry["standard"], key, f"{', '.join(row.dropped)}: no {TABLE_NAME[section]} code"))
                continue
            rows.append(row)
    return rows, left_out


def _covered_once(items: list[str], section: str) -> list[str]:
    """A cell's codes without repeats and without a code another code of the cell covers
    (I05.9 beside I05): the same row, with no code whose loss could not be noticed."""
    kept: list[str] = []
    for item in items:
        others = [spans(other, section) for other in items if other != item]
        if not all(any(code.startswith(o) for span in others for o in span) for code in spans(item, section)):
            kept.append(item)
    return kept


def _pairs(row: Row) -> list[tuple[tuple[str, str], tuple[str, ...]]]:
    """(code token, other token) and the expanded pairs of codes they stand for."""
    columns = list(row.cells)
    if len(columns) == 1:
        return [((t, ""), tuple(f"{c}|" for c in spans(t, row.section))) for t in row.cells[columns[0]]]
    first, second = row.cells[columns[0]], row.cells[columns[1]]
    return [
        ((a, b), tuple(f"{x}|{y}" for x in spans(a, row.section) for y in spans(b, row.section))) for a in first for b in second
    ]


def _covers(broad: str, narrow: str, symmetric: bool) -> bool:
    (u, v), (x, y) = broad.split("|"), narrow.split("|")
    return (x.startswith(u) and y.startswith(v)) or (symmetric and x.startswith(v) and y.startswith(u))


def merge(rows: list[Row]) -> None:
    """A pair (or code) that two rows state is stated by one: the later row loses it, and the
    row that states it cites the later row's key too. So that one mistake is one warning."""
    by_table: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        if row.kind in ONE_FINDING:
            by_table[row.section, row.kind].append(row)
    for (_, kind), group in by_table.items():
        symmetric = kind in SYMMETRIC
        for row in reversed(group):  # the earliest row of a duplicate stays
            others = [r for r in group if r is not row and all(r.cells.values())]
            stated = [(other, pair) for other in others for _, expanded in _pairs(other) for pair in expanded]
            covered: dict[tuple[str, str], set[int]] = {}  # token pair -> the rows stating all it stands for
            for token, expanded in _pairs(row):
                by = [next((i for i, (_, p) in enumerate(stated) if _covers(p, pair, symmetric)), None) for pair in expanded]
                if all(i is not None for i in by):
                    covered[token] = {id(stated[i][0]) for i in by if i is not None}
            if not covered:
                continue
            columns = list(row.cells)
            second = row.cells[columns[1]] if len(columns) > 1 else [""]
            gone_first = [a for a in row.cells[columns[0]] if all((a, b) in covered for b in second)]
            gone_second = [b for b in second if all((a, b) in covered for a in row.cells[columns[0]])] if len(columns) > 1 else []
            dropped = {(a, b) for a in gone_first for b in second} | {(a, b) for a in row.cells[columns[0]] for b in gone_second}
            if not dropped:
                continue  # a pair inside a larger row stays, stated twice
            row.cells[columns[0]] = [a for a in row.cells[columns[0]] if a not in gone_first]
            if len(columns) > 1 and row.cells[columns[0]]:
                row.cells[columns[1]] = [b for b in second if b not in gone_second]
            citing = set().union(*(covered[t] for t in dropped))
            for other in others:
                if id(other) in citing:
                    other.keys += [k for k in row.keys if k not in other.keys]
    rows[:] = [r for r in rows if all(r.cells.values())]


def write_tables(map_path: Path) -> None:
    codes = Codes()
    rows, left_out = read_rows(map_path, codes)
    merge(rows)
    by_table: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.order):
        by_table[row.section, row.kind].append(row)
    for (section, kind), group in sorted(by_table.items()):
        columns = [*relation_kinds()[kind].columns, "standard"]
        lines = ["\t".join(columns)]
        lines += ["\t".join([*(" ".join(r.cells[c]) for c in columns[:-1]), " ".join(r.keys)]) for r in group]
        (ROOT / "logic" / PACKS[section] / f"{kind}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("rows by table:")
    for (section, kind), group in sorted(by_table.items()):
        print(f"  {PACKS[section]} {kind}: {len(group)} rows")
    entries = _entries(map_path)
    print("map rows by list: encoded / left out")
    for name in sorted({e["standard"] for e in entries}):
        total = sum(e["standard"] == name for e in entries)
        out = sum(standard == name for standard, _, _ in left_out)
        print(f"  {name}: {total - out} / {out} (of {total})")
    print("left out:")
    for standard, key, why in left_out:
        print(f"  {key} ({standard}): {why}")
    print("codes left out of encoded rows:")
    for row in rows:
        if row.dropped:
            print(f"  {' '.join(row.keys)}: {', '.join(row.dropped)}: no {TABLE_NAME[row.section]} code")
    print("corrected:")
    for key, (_, why) in CORRECTED.items():
        print(f"  {key}: {why}")


# --------------------------------------------------------------------------- cases

FILLERS = {"opcs": ("T20.1", "A01.1", "H25.1", "S06.1"), "icd10": ("H25.9", "L60.0", "H61.2", "N60.1")}


def _record(section: str, codes: list[str]) -> str:
    return ("icd " if section == "icd10" else "opcs ") + " ".join(codes)


def _expectations(result) -> list[str]:  # type: ignore[no-untyped-def]
    found = sorted({(v.rule, v.section, v.positions) for v in result.violations})
    return [f"# expect: {rule} @ {section}:{','.join(map(str, positions))}" for rule, section, positions in found]


def _templates(kind: str, first: str, second: str, filler: str) -> tuple[list[str], list[str]]:
    """The record that makes a row of this kind fire and the one that keeps it quiet."""
    return {
        "not-coded-with": ([first, second], [first]),
        "never-first": ([first, filler], [filler, first]),
        "never-coded": ([first], [filler]),
        "not-directly-followed-by": ([first, second], [first]),
        "must-be-directly-followed-by": ([first], [first, second]),
        "needs-one-of": ([first], [first, second]),
        "not-sequenced-before": ([first, second], [second, first]),
    }[kind]


def write_cases() -> None:
    codes = Codes()
    for section, pack in PACKS.items():
        folder = ROOT / "logic" / pack
        checker = Checker([str(folder)], applicability=True)
        tables = {table.rules[0][0]: table for table in checker.ruleset.relations.values()}
        everything = [t for table in tables.values() for row in table.rows for _, _, terms in row.terms for t in terms]
        filler = next(
            f for f in FILLERS[section] if not checker.check_record(_record(section, [f])).violations and f not in everything
        )
        each_code = [
            f"# {pack}: one case per code of each table row beyond the first of each column (which",
            "# tests/<rule>.txt already tries), so that a row that lost or changed any one of its codes",
            "# would answer differently; each with every violation it gives with the pack alone",
            "# (written by tools/local_lists.py cases).",
        ]
        for rule, table in sorted(tables.items()):
            kind = table.rules[0][1]
            columns = relation_kinds()[kind].columns
            out = [
                f"# {rule}: one case that fires and one that stays quiet for each row of {table.path.name},",
                "# each with every violation it gives with the pack alone (written by tools/local_lists.py cases).",
            ]
            for row in table.rows:
                first = codes.example(row.codes(columns[0])[0], section)
                second = codes.example(row.codes(columns[1])[0], section) if len(columns) > 1 else filler
                fire, quiet = _templates(kind, first, second, filler)
                out.append("")
                out += [f"# {row.standard} (row {row.line})", *_fires(checker, codes, rule, row, section, fire)]
                out.append("")
                out += _quiet(checker, codes, rule, row, section, quiet)
                for written in row.codes(columns[0])[1:]:
                    fire, _ = _templates(kind, codes.example(written, section), second, filler)
                    each_code += ["", f"# {row.standard} (row {row.line} of {table.path.name}): {written}"]
                    each_code += _fires(checker, codes, rule, row, section, fire)
                for written in row.codes(columns[1])[1:] if len(columns) > 1 else ():
                    fire, quiet = _templates(kind, first, codes.example(written, section), filler)
                    each_code += ["", f"# {row.standard} (row {row.line} of {table.path.name}): {written}"]
                    if kind in ("must-be-directly-followed-by", "needs-one-of"):
                        each_code += _quiet(checker, codes, rule, row, section, quiet)
                    else:
                        each_code += _fires(checker, codes, rule, row, section, fire)
            (folder / "tests" / f"{kind}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
            print(f"{pack}: {len(table.rows)} rows of {table.path.name} -> tests/{kind}.txt")
        (folder / "tests" / "codes.txt").write_text("\n".join(each_code) + "\n", encoding="utf-8")
        print(f"{pack}: {sum(line.startswith(('icd ', 'opcs ')) for line in each_code)} cases -> tests/codes.txt")


def _fires(checker: Checker, codes: Codes, rule: str, row, section: str, fire: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    fired = checker.check_record(_record(section, fire))
    if not any(v.rule == rule and v.row == row.line for v in fired.violations):
        raise SystemExit(f"{rule} row {row.line} ({row.standard}) does not fire on {_record(section, fire)}")
    # another row of the rule blaming the same codes would hide this row's loss: give it what it asks, if that helps
    mine = {v.positions for v in fired.violations if v.rule == rule and v.row == row.line}
    others = [v.row for v in fired.violations if v.rule == rule and v.row != row.line and v.positions in mine]
    if others:
        table = checker.ruleset.relations[rule]
        asked = [table.row(n) for n in others if n]
        wanted = list(dict.fromkeys(codes.example(r.cells[1][1][0], section) for r in asked if r and len(r.cells) > 1))
        fuller = checker.check_record(_record(section, fire + wanted))
        alone = [v for v in fuller.violations if v.rule == rule and v.positions in mine]
        if wanted and alone and all(v.row == row.line for v in alone):
            fire, fired = fire + wanted, fuller
    return [*_expectations(fired), _record(section, fire)]


def _quiet(checker: Checker, codes: Codes, rule: str, row, section: str, quiet: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    kept = checker.check_record(_record(section, quiet))
    if any(v.rule == rule for v in kept.violations):  # another row asks for a code: give it, where that keeps this row judged
        table = checker.ruleset.relations[rule]
        rows = [table.row(v.row) for v in kept.violations if v.rule == rule and v.row]
        wanted = list(dict.fromkeys(codes.example(r.cells[1][1][0], section) for r in rows if r and len(r.cells) > 1))
        fuller = checker.check_record(_record(section, quiet + wanted))
        if not any(v.rule == rule for v in fuller.violations) and (rule, row.line) in fuller.applies_rows:
            quiet, kept = quiet + wanted, fuller
    if (rule, row.line) not in kept.applies_rows or any(v.rule == rule and v.row == row.line for v in kept.violations):
        raise SystemExit(f"{rule} row {row.line} ({row.standard}) is not kept quiet by {_record(section, quiet)}")
    same_rule = any(v.rule == rule for v in kept.violations)
    return [*([] if same_rule else [f"# ok: {rule}"]), *_expectations(kept), _record(section, quiet)]


if __name__ == "__main__":
    if sys.argv[1:2] == ["tables"] and len(sys.argv) == 3:
        write_tables(Path(sys.argv[2]))
    elif sys.argv[1:] == ["cases"]:
        write_cases()
    else:
        raise SystemExit(__doc__)
