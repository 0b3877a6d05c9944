"""Relation tables: the rows of a rule whose codes are data (see ``logic/lib/relations.lp``).

A rule says in its metadata that it is a relation of some kind, names its table (a
``.tsv`` file in its pack) and the section of each code column::

    %! relation = { kind = "not-coded-with", table = "excludes.tsv", code = "opcs", other = "opcs" }

The table has a header naming the kind's code columns and ``standard`` (what the row
cites); each cell holds one or more codes, categories (``V37``), chapters (``Y``) or ranges
(``V37-V39``) separated by spaces. Rows become ``relation_code`` facts, one line of facts
per line of the table, so that a row's facts and a mutant of it keep the table's line
number. Everything that could make a row silently judge nothing fails here with the
file, line and column.

A kind may also have value columns (a number or a text per row: an age, a condition's
name), read as ``relation_value`` facts, and optional columns (``-`` for none). A kind
whose rows are judged across a patient's history (``%% patient-kind``) has its codes as
``relation_prefix`` strings, matched against ``episode_code_prefix``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nicelogic.asp.facts import quote
from nicelogic.errors import RuleError
from nicelogic.resources import logic_dir

STANDARD = "standard"  # the column every table has: the standard (or source) the row cites
SECTIONS = ("opcs", "icd10", "cpt")
_KIND = re.compile(
    r"^%% (?P<scope>kind|patient-kind) (?P<name>[a-z-]+) \| (?P<columns>[a-z_?, ]+) \| (?P<meaning>[^|]+)"
    r"(?:\| (?P<fixed>[a-z0-9=_, ]*))?(?:\| (?P<values>[a-z0-9=_?/, ]+))?$"
)
NONE = "-"  # an optional cell that holds nothing
VALUE_TYPES = ("number", "text")  # or a choice of words, written a/b/c


@dataclass(frozen=True, slots=True)
class RelationKind:
    name: str
    columns: tuple[str, ...]  # the code columns, the trigger first
    meaning: str
    fixed: tuple[tuple[str, str], ...] = ()  # (column, the section it must be)
    optional: tuple[str, ...] = ()  # code or value columns whose cell may be "-"
    values: tuple[tuple[str, str], ...] = ()  # (column, number or text): not codes
    patient: bool = False  # judged across a patient's history: codes as prefix strings


@cache
def relation_kinds() -> dict[str, RelationKind]:
    """The kinds ``logic/lib/relations.lp`` declares, where they are written once."""
    text = (logic_dir() / "lib" / "relations.lp").read_text(encoding="utf-8")
    kinds = {}
    for line in text.splitlines():
        if match := _KIND.match(line):
            written = [c.strip() for c in match["columns"].split(",")]
            fixed = tuple(tuple(p.strip().split("=", 1)) for p in (match["fixed"] or "").split(",") if "=" in p)
            valued = [tuple(p.strip().split("=", 1)) for p in (match["values"] or "").split(",") if "=" in p]
            values = tuple((name, kind.rstrip("?")) for name, kind in valued)
            optional = tuple(c.rstrip("?") for c in written if c.endswith("?"))
            optional += tuple(name for name, kind in valued if kind.endswith("?"))
            kinds[match["name"]] = RelationKind(
                match["name"], tuple(c.rstrip("?") for c in written), match["meaning"].strip(), fixed,  # type: ignore[arg-type]
                optional, values, match["scope"] == "patient-kind",  # type: ignore[arg-type]
            )  # fmt: skip
    return kinds


def kinds_markdown() -> str:
    """The table of kinds in logic/README.md, generated from their declarations."""
    out = ["| kind | columns | a row means |", "|---|---|---|"]
    for kind in relation_kinds().values():
        fixed = "".join(f" ({column}: {section} only)" for column, section in kind.fixed)
        mark = {name: "?" if name in kind.optional else "" for name in (*kind.columns, *dict(kind.values))}
        columns = [*(f"{c}{mark[c]}" for c in kind.columns), *(f"{n}{mark[n]} ({value})" for n, value in kind.values)]
        written = ", ".join(columns)
        scope = " Across a patient's history." if kind.patient else ""
        out.append(f"| `{kind.name}` | {written} | {kind.meaning}{fixed}{scope} |")
    return "\n".join(out) + "\n"


@dataclass(frozen=True, slots=True)
class RelationSpec:
    """What a rule's ``relation`` metadata says: its kind, its table, each column's section."""

    kind: str
    table: str
    sections: tuple[tuple[str, str], ...]  # (column, section) in the kind's column order


def relation_spec(value: object, path: Path, line: int) -> RelationSpec:
    """A rule header's ``relation`` value, checked against the declared kinds."""
    kinds = relation_kinds()
    shape = 'relation must be a table: { kind = "...", table = "FILE.tsv", <column> = "<section>", ... }'
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise RuleError(shape, path, line)
    kind = kinds.get(str(value.get("kind", "")))
    if kind is None:
        raise RuleError(f"relation kind {value.get('kind')!r} is not one of {', '.join(kinds)}", path, line)
    table = str(value.get("table", ""))
    if not table.endswith(".tsv") or "/" in table or "\\" in table or table.startswith("."):
        raise RuleError(f"relation table {table!r} must be a .tsv file name in the rule's pack folder", path, line)
    expected = {"kind", "table", *kind.columns}
    if set(value) != expected:
        wrong = sorted(set(value) ^ expected)
        raise RuleError(
            f"relation {kind.name} takes kind, table and the section of {', '.join(kind.columns)}; check {', '.join(wrong)}",
            path,
            line,
        )  # noqa: E501
    for column in kind.columns:
        if value[column] not in SECTIONS:
            unknown = f"relation column {column}: section {value[column]!r} is not one of {', '.join(SECTIONS)}"
            raise RuleError(unknown, path, line)
    for column, section in kind.fixed:
        if value[column] != section:
            raise RuleError(f"relation {kind.name} reads column {column} as {section} codes, not {value[column]}", path, line)
    return RelationSpec(kind.name, table, tuple((c, str(value[c])) for c in kind.columns))


@dataclass(frozen=True, slots=True)
class RelationRow:
    """One row of a relation table, by its line in the file."""

    line: int
    standard: str
    cells: tuple[tuple[str, tuple[str, ...]], ...]  # (column, the codes as written)
    terms: tuple[tuple[str, str, tuple[str, ...]], ...]  # (column, section, ASP terms the codes span)
    values: tuple[tuple[str, str], ...] = ()  # (column, the number or text), for a kind's value columns

    def value(self, column: str) -> str | None:
        return next((value for name, value in self.values if name == column), None)

    def codes(self, column: str) -> tuple[str, ...]:
        return next((codes for name, codes in self.cells if name == column), ())


@dataclass(frozen=True, slots=True)
class RelationTable:
    """One table file, read once, and the rules that judge its rows (several rules may
    share a table: a NICE recommendation's trigger codes, say, each rule one requirement)."""

    rules: tuple[tuple[str, str], ...]  # (rule id, kind)
    path: Path
    rows: tuple[RelationRow, ...]
    lines: int  # lines in the file, so that the facts keep every row on its own line

    @property
    def name(self) -> str:
        """The rule a table's mutants are scored under: its rule, or the file when shared."""
        return self.rules[0][0] if len(self.rules) == 1 else self.path.name

    def row(self, line: int) -> RelationRow | None:
        return next((r for r in self.rows if r.line == line), None)

    def facts(self, rows: tuple[RelationRow, ...] | None = None) -> str:
        """The table as ASP facts: the rule's kind on the header's line, then each row's
        facts on its own line (the program a mutant of a row changes)."""
        by_line = {row.line: row for row in (self.rows if rows is None else rows)}
        out = []
        for number in range(1, self.lines + 1):
            if number == 1:
                out.append(" ".join(f"relation_rule({quote(rule)}, {quote(kind)})." for rule, kind in self.rules))
            elif number in by_line:
                out.append(" ".join(fact for rule, kind in self.rules for fact in _row_facts(rule, by_line[number], kind)))
            else:
                out.append("")
        return "\n".join(out) + "\n"


def _row_facts(rule: str, row: RelationRow, kind: str = "") -> list[str]:
    values = [f"relation_value({quote(rule)}, {row.line}, {column}, {_value_term(v)})." for column, v in row.values]
    if kind in relation_kinds() and relation_kinds()[kind].patient:
        return [
            f"relation_prefix({quote(rule)}, {row.line}, {column}, {section}, {quote(_term_text(term))})."
            for column, section, terms in row.terms
            for term in terms
        ] + values
    return [
        f"relation_code({quote(rule)}, {row.line}, {column}, {section}, {term})."
        for column, section, terms in row.terms
        for term in terms
    ] + values


def _value_term(value: str) -> str:
    return value if re.fullmatch(r"-?\d+", value) else quote(value)


def _term_text(term: str) -> str:
    """A term as the code, category or chapter string it stands for (sub("F84", 0): F84.0)."""
    match = _TERM.match(term)
    assert match is not None, term
    return match["code"] + (f".{match['digit']}" if match["digit"] else "")


_CLASSIFIED = re.compile(r"^(?P<letter>[A-Z])(?:(?P<number>\d\d)(?:\.?(?P<sub>\d)(?P<ext>\d)?)?)?$")
_CPT = re.compile(r"^[0-9A-Z]\d{3}[0-9A-Z]$")
_FILLER = re.compile(r"^([A-Z]\d\d)\.?X$")  # the UK filler X after a category without subdivisions: the category


def code_terms(text: str, section: str) -> tuple[str, ...]:
    """The ASP terms for one code, category, chapter or range of a table cell.

    Raises ValueError with the reason when the text is not one of those."""
    first, dash, last = text.partition("-")
    if dash:
        return _range_terms(first, last, section)
    if section == "cpt":
        if not _CPT.match(text):
            raise ValueError(f"{text!r} is not a CPT or HCPCS code (five characters)")
        return (f"code({quote(text)})",)
    match = _CLASSIFIED.match(_FILLER.sub(r"\1", text))
    if not match:
        raise ValueError(f"{text!r} is not a chapter (Y), category (V37), code (V44.4) or range (V37-V39)")
    letter, number, sub, ext = match["letter"], match["number"], match["sub"], match["ext"]
    if number is None:
        return (f"chapter({quote(letter)})",)
    category = f"{letter}{number}"
    if sub is None:
        return (f"category({quote(category)})",)
    if ext is None:
        return (f"sub({quote(category)}, {sub})",)
    if section != "icd10":
        raise ValueError(f"{text!r} has five characters: only UK ICD-10 codes do")
    return (f"code({quote(f'{category}.{sub}{ext}')})",)


def _range_terms(first: str, last: str, section: str) -> tuple[str, ...]:
    """A range of categories (V37-V39) or of four-character codes (M80.0-M80.2)."""
    low, high = _CLASSIFIED.match(first), _CLASSIFIED.match(last)
    if section == "cpt" or not low or not high or low["number"] is None or high["number"] is None:
        raise ValueError(f"{first}-{last} is not a range of categories (V37-V39) or of codes (M80.0-M80.2)")
    if low["letter"] != high["letter"] or low["ext"] or high["ext"] or (low["sub"] is None) != (high["sub"] is None):
        raise ValueError(f"{first}-{last}: a range stays within one chapter and one level")
    letter = low["letter"]
    if low["sub"] is None:
        start, end = int(low["number"]), int(high["number"])
        if start > end:
            raise ValueError(f"{first}-{last} runs backwards")
        return tuple(f"category({quote(f'{letter}{n:02d}')})" for n in range(start, end + 1))
    if low["number"] != high["number"]:
        raise ValueError(f"{first}-{last}: a range of four-character codes stays within one category")
    start, end = int(low["sub"]), int(high["sub"])
    if start > end:
        raise ValueError(f"{first}-{last} runs backwards")
    category = f"{letter}{low['number']}"
    return tuple(f"sub({quote(category)}, {d})" for d in range(start, end + 1))


def spans(text: str, section: str) -> tuple[str, ...]:
    """What one table code covers, written as codes: itself, or each category or
    four-character code of a range (for lint and for people; the solver reads the terms)."""
    return tuple(_term_text(term) for term in code_terms(text, section))


_TERM = re.compile(r'^\w+\("(?P<code>[^"]+)"(?:, (?P<digit>\d))?\)$')


def read_table(rules: tuple[tuple[str, str], ...], spec: RelationSpec, path: Path, text: str) -> RelationTable:
    """A relation table and the rules (id, kind) that read it, every cell checked; the
    rules share the columns and sections of ``spec``."""
    lines = text.splitlines()
    if not lines:
        raise RuleError("the relation table is empty: it needs a header line", path, 1)
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    header = next(reader)
    columns = [column for column, _ in spec.sections]
    kind = relation_kinds()[spec.kind]
    valued = dict(kind.values)
    named = [*columns, *valued, STANDARD]
    if sorted(header) != sorted(named) or len(set(header)) != len(header):
        raise RuleError(
            f"the header must name the columns {', '.join(named)} (tab-separated), not {', '.join(header)}",
            path,
            1,
        )  # noqa: E501
    sections = dict(spec.sections)
    rows: list[RelationRow] = []
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) != len(header):
            raise RuleError(f"the row has {len(cells)} cells, the header {len(header)}", path, number)
        values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        if not values[STANDARD]:
            raise RuleError("the row cites no standard", path, number, _column(header, STANDARD, lines[number - 1]))
        written: list[tuple[str, tuple[str, ...]]] = []
        terms: list[tuple[str, str, tuple[str, ...]]] = []
        read_values: list[tuple[str, str]] = []
        for column, value_type in valued.items():
            cell = values[column]
            where = _column(header, column, lines[number - 1])
            if cell == NONE and column in kind.optional:
                continue
            if not cell or cell == NONE:
                raise RuleError(f"column {column} holds no value", path, number, where)
            if value_type == "number" and not re.fullmatch(r"\d+", cell):
                raise RuleError(f"column {column}: {cell!r} is not a whole number", path, number, where)
            if "/" in value_type and cell not in value_type.split("/"):
                raise RuleError(f"column {column}: {cell!r} is not one of {value_type.replace('/', ', ')}", path, number, where)
            read_values.append((column, cell))
        for column in columns:
            if values[column] == NONE and column in kind.optional:
                continue
            codes = tuple(values[column].split())
            if not codes or codes == (NONE,):
                raise RuleError(f"column {column} holds no code", path, number, _column(header, column, lines[number - 1]))
            spans: list[str] = []
            for code in codes:
                try:
                    spans += code_terms(code.upper(), sections[column])
                except ValueError as exc:
                    raise RuleError(f"column {column}: {exc}", path, number, _column(header, column, lines[number - 1])) from None
            written.append((column, codes))
            terms.append((column, sections[column], tuple(dict.fromkeys(spans))))
        rows.append(RelationRow(number, values[STANDARD], tuple(written), tuple(terms), tuple(read_values)))
    return RelationTable(rules, path, tuple(rows), len(lines))


def _column(header: list[str], name: str, line: str) -> str:
    """The 1-based column where a cell starts, for error messages."""
    index = header.index(name)
    return str(sum(len(cell) + 1 for cell in line.split("\t")[:index]) + 1)
