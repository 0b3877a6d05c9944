"""Input formats: text records, CSV/TSV episode extracts, JSON Lines.

Reading is split in two so that the expensive half can run in worker processes:

1. :func:`read_lines` turns a file into :class:`InputLine` values. This is cheap (the
   csv and json modules do the work) and never fails for one bad record: a record that
   cannot even be read becomes an ``InputLine`` carrying its error.
2. :func:`to_record` parses one ``InputLine`` with the grammar into a :class:`Record`,
   or a :class:`Rejected` value naming the record, line and column.

Tabular and JSON inputs are rewritten into the text format (``opcs V444 V551; icd10 M800``)
so that the grammar alone judges code syntax; a map from text offsets back to the field
each code came from keeps error locations in the user's terms.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TypeVar

from nicelogic.errors import InputError, InputProblem, RecordSyntaxIssue
from nicelogic.input.grammar import RecordParser
from nicelogic.model import Field, Record, Sex, System

INPUT_FORMATS = ("auto", "text", "csv", "tsv", "jsonl")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class InputLine:
    """One input record before parsing."""

    source: str
    line: int
    text: str  # the record in the text format
    default_system: System = System.OPCS
    id: str | None = None  # given by tabular and JSON inputs
    fields: tuple[Field, ...] = ()  # for rewritten lines: where each code came from
    sex: Sex | None = None
    age: int | None = None
    date: str | None = None
    error: InputProblem | None = None  # the record could not be read
    waivers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a CSV/TSV extract, rewritten into an InputLine where it is parsed (in a
    worker process for large inputs), so the reading process only splits rows."""

    source: str
    line: int
    cells: list[str]
    layout: _Layout

    def input_line(self) -> InputLine:
        return _row_line(self.cells, self.layout, self.source, self.line)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read, with the reason and where."""

    id: str
    line: int
    source: str
    error: InputProblem


# --------------------------------------------------------------------------- parsing


def to_record(item: InputLine | TableRow, parser: RecordParser) -> Record | Rejected:
    """Parse one input line; never raises for bad input."""
    if isinstance(item, TableRow):
        item = item.input_line()
    fallback_id = item.id if item.id is not None else str(item.line)
    if item.error is not None:
        return Rejected(fallback_id, item.line, item.source, item.error)
    try:
        parsed = parser.parse(item.text, item.default_system)
    except RecordSyntaxIssue as issue:
        return Rejected(_id_from_text(item.text) or fallback_id, item.line, item.source, _relocate(issue.problem, item))
    return Record(
        id=parsed.id if parsed.id is not None else fallback_id,
        sections=parsed.sections,
        line=item.line,
        source=item.source,
        sex=item.sex,
        age=item.age,
        date=item.date,
        fields=item.fields,
        waivers=item.waivers,
    )


_ID_PREFIX = re.compile(r"^\s*([^\s:;,#]+)[ \t]*:")


def _id_from_text(text: str) -> str | None:
    match = _ID_PREFIX.match(text)
    return match.group(1) if match else None


def _relocate(error: InputProblem, item: InputLine) -> InputProblem:
    if not item.fields:
        return InputProblem(error.message, item.line, error.column, error.label)
    column, name = Record("", fields=item.fields).locate(error.column)
    return InputProblem(error.message, item.line, column if name else 0, error.label, name)


# --------------------------------------------------------------------------- reading


def detect_format(path: str, first_line: str | None = None) -> str:
    """Pick the input format from the file name, or for standard input from its first line."""
    suffix = Path(path).suffix.lower()
    if suffix in {".csv"}:
        return "csv"
    if suffix in {".tsv", ".tab"}:
        return "tsv"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if path == "-" and first_line is not None:
        stripped = first_line.lstrip("\ufeff").strip()
        if stripped.startswith("{"):
            return "jsonl"
        upper = stripped.upper()
        if "OPERTN" in upper or "DIAG_" in upper or "EPIKEY" in upper:
            return "tsv" if "\t" in stripped else "csv"
    return "text"


def open_input(path: str) -> IO[str]:
    """Open a file (or ``-`` for standard input) as text; unreadable bytes become U+FFFD
    so the grammar rejects the one record that holds them, with its column."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace", newline="")
    try:
        return open(path, encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class ReadPosition:
    """How far through its inputs a run has got, in bytes, for a progress display.

    Reading runs ahead of checking (records wait in batches and worker queues), so the
    position read is noted for each record as it is read and taken back, in order, as its
    result comes out: :meth:`checked` is then the position of the last record checked.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        regular = all(path != "-" and os.path.isfile(path) for path in paths)
        self.total: int | None = sum(os.path.getsize(path) for path in paths) if regular else None
        self._finished = 0  # bytes of the inputs read to the end
        self._handle: IO[bytes] | None = None
        self._marks: deque[int] = deque()

    def _now(self) -> int:
        if self._handle is None:
            return self._finished
        try:
            return self._finished + self._handle.tell()
        except (OSError, ValueError):  # a pipe, or a closed file
            return self._finished

    def started(self, handle: IO[str]) -> None:
        self._handle = getattr(handle, "buffer", None)

    def finished(self, path: str) -> None:
        self._handle = None
        if path != "-" and self.total is not None:
            self._finished += os.path.getsize(path)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            self._marks.append(self._now())
            yield item

    def checked(self) -> int:
        """Bytes up to the record whose result is the next to come out."""
        return self._marks.popleft() if self._marks else self._now()


def read_lines(
    path: str,
    input_format: str = "auto",
    default_system: System = System.OPCS,
    id_column: str | None = None,
    position: ReadPosition | None = None,
) -> Iterator[InputLine | TableRow]:
    """Every record of one input, in order, as :class:`InputLine` values."""
    handle = open_input(path)
    if position is not None:
        position.started(handle)
    with handle:
        first = handle.readline()
        fmt = detect_format(path, first) if input_format == "auto" else input_format
        if fmt not in INPUT_FORMATS:
            raise InputError(f"unknown input format {fmt!r} (expected one of {', '.join(INPUT_FORMATS)})")
        lines = _chain_first(first, handle)
        name = "<stdin>" if path == "-" else path
        if fmt == "text":
            yield from text_lines(lines, name, default_system)
        elif fmt == "jsonl":
            yield from jsonl_lines(lines, name)
        else:
            yield from table_lines(lines, name, delimiter="\t" if fmt == "tsv" else ",", id_column=id_column)
    if position is not None:
        position.finished(path)


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


_WAIVE_COMMENT = re.compile(r"#\s*waive\s*:\s*(?P<rules>[^#]*)$")
_WAIVE_SPLIT = re.compile(r"[\s,;]+")


def waivers_of(text: str) -> tuple[str, ...]:
    return tuple(rule for rule in _WAIVE_SPLIT.split(text.strip()) if rule)


def text_lines(lines: Iterable[str], source: str, default_system: System = System.OPCS) -> Iterator[InputLine]:
    """Records of the text format: one per line; blank lines and ``#`` comments skipped.
    A trailing ``# waive: RULE, ...`` comment waives the named rules for the record."""
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        waive = _WAIVE_COMMENT.search(text) if "#" in text else None  # most lines hold no comment
        waivers = waivers_of(waive.group("rules")) if waive else ()
        yield InputLine(source, number, text, default_system, waivers=waivers)


def line_item(text: str, source: str, number: int, default_system: System = System.OPCS) -> InputLine | None:
    """One record given as a single line: JSON when it starts with ``{`` (no text record
    can), else the text format with its waivers. None for a blank or comment line."""
    if text.lstrip().startswith("{"):
        return json_line(text.strip(), source, number)
    for line in text_lines([text], source, default_system):
        return dataclasses.replace(line, line=number)
    return None


# ----------------------------------------------------------------- tabular extracts

_OPCS_FIELD = re.compile(r"^OPERTN(?:_4)?_(\d{1,2})$", re.IGNORECASE)
_DIAG_FIELD = re.compile(r"^DIAG(?:_4)?_(\d{1,2})$", re.IGNORECASE)
_FILLERS = {"", "-", "&"}


@dataclass(frozen=True, slots=True)
class _Layout:
    id_index: int | None
    opcs: tuple[tuple[int, str], ...]  # (column index, field name), in position order
    diag: tuple[tuple[int, str], ...]
    sex: int | None
    age: int | None
    date: tuple[int, ...]  # OPDATE_01 first, then ADMIDATE
    waive: int | None = None


def _pick(header: list[str], pattern: re.Pattern[str]) -> tuple[tuple[int, str], ...]:
    """Fields of one kind, by number; the full-code field (DIAG_01) wins over DIAG_4_01."""
    chosen: dict[int, tuple[bool, int, str]] = {}
    for index, name in enumerate(header):
        match = pattern.match(name.strip())
        if match:
            number = int(match.group(1))
            full = "_4_" not in name
            if number not in chosen or (full and not chosen[number][0]):
                chosen[number] = (full, index, name.strip())
    return tuple((index, name) for _, (_, index, name) in sorted(chosen.items()))


def _layout(header: list[str], id_column: str | None) -> _Layout:
    upper = [h.strip().upper() for h in header]
    wanted_id = (id_column or "EPIKEY").upper()
    if wanted_id in upper:
        id_index: int | None = upper.index(wanted_id)
    elif id_column is not None:
        raise InputError(f"the id column {id_column!r} is not in the header ({', '.join(header)})")
    else:
        id_index = None
    opcs, diag = _pick(header, _OPCS_FIELD), _pick(header, _DIAG_FIELD)
    if not opcs and not diag:
        raise InputError("the header names no OPERTN_nn or DIAG_nn column: not an episode extract")

    def find(name: str) -> int | None:
        return upper.index(name) if name in upper else None

    dates = tuple(i for i in (find("OPDATE_01"), find("ADMIDATE")) if i is not None)
    return _Layout(id_index, opcs, diag, find("SEX"), find("STARTAGE"), dates, find("WAIVE"))


def table_lines(
    lines: Iterable[str], source: str, delimiter: str = ",", id_column: str | None = None
) -> Iterator[InputLine | TableRow]:
    """Records of a CSV/TSV episode extract in the shape of English HES data."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{source}: cannot read the header: {exc}") from None
    layout = _layout(header, id_column)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            error = InputProblem(
                f"the row cannot be read as {('TSV' if delimiter == chr(9) else 'CSV')}: {exc}", line, 1, "table-row"
            )
            yield InputLine(source, line, "", id=str(line), error=error)
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        yield TableRow(source, reader.line_num, row, layout)


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _row_line(row: list[str], layout: _Layout, source: str, line: int) -> InputLine:
    record_id = _cell(row, layout.id_index) or str(line)
    width = len(row)
    parts: list[str] = []
    fields: list[Field] = []
    offset = 0
    for keyword, columns in (("opcs", layout.opcs), ("icd10", layout.diag)):
        values = [(i, name, row[i].strip()) for i, name in columns if i < width]
        values = [v for v in values if v[2] not in _FILLERS]
        if not values:
            continue
        prefix = f"; {keyword} " if parts else f"{keyword} "
        parts.append(prefix)
        offset += len(prefix)
        for n, (index, name, value) in enumerate(values):
            if n:
                parts.append(" ")
                offset += 1
            fields.append(Field(offset, name, index + 1))
            parts.append(value)
            offset += len(value)
    sex, age, when = None, None, None
    try:
        sex = _sex(_cell(row, layout.sex))
        age = _age(_cell(row, layout.age))
        when = next((d for d in (_date(_cell(row, i)) for i in layout.date) if d), None)
    except ValueError as exc:
        column, name, message = exc.args
        return InputLine(source, line, "", id=record_id, error=InputProblem(message, line, column, "attribute", name))
    waivers = waivers_of(_cell(row, layout.waive))
    return InputLine(source, line, "".join(parts), System.OPCS, record_id, tuple(fields), sex, age, when, waivers=waivers)


_SEX_VALUES = {
    "1": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE,
    "2": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE,
    "0": Sex.UNKNOWN, "9": Sex.UNKNOWN, "x": Sex.UNKNOWN, "u": Sex.UNKNOWN, "unknown": Sex.UNKNOWN,
}  # fmt: skip


def _sex(value: str | int | None) -> Sex | None:
    if value is None or value == "":
        return None
    key = str(value).strip().lower()
    if key not in _SEX_VALUES:
        raise ValueError(0, "SEX", f"sex {value!r} is not one of 1/2/9, M/F, male/female/unknown")
    return _SEX_VALUES[key]


def _age(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(0, "STARTAGE", f"age {value!r} is not a whole number of years")
    years = int(text)
    if 7001 <= years <= 7007:  # HES codes for ages under one year
        return 0
    if years > 150:
        raise ValueError(0, "STARTAGE", f"age {value!r} is not a plausible age in years")
    return years


_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


def _date(value: str | None) -> str | None:
    if value is None or value in _FILLERS:
        return None
    text = value.strip()
    parts: tuple[str, ...] | None = None
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            parts = match.groups()
    match = _DMY.match(text)
    if match:
        parts = (match.group(3), match.group(2), match.group(1))
    if parts is None:
        raise ValueError(0, "date", f"date {value!r} is not YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY")
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        raise ValueError(0, "date", f"date {value!r} is not a calendar date") from None


# ------------------------------------------------------------------------ JSON Lines

_JSON_SECTIONS = {"opcs": "opcs", "opcs4": "opcs", "icd10": "icd10", "icd": "icd10", "cpt": "cpt"}
_JSON_KNOWN = set(_JSON_SECTIONS) | {"id", "sex", "age", "date", "waive"}


def jsonl_lines(lines: Iterable[str], source: str) -> Iterator[InputLine]:
    """Records of JSON Lines: ``{"id", "opcs", "icd10", "cpt", "sex", "age", "date"}``."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        yield json_line(text, source, number)


def json_line(text: str, source: str, number: int) -> InputLine:
    """One JSON object (as text) as an input line."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        error = InputProblem(f"not a JSON object: {exc.msg}", number, exc.colno, "json")
        return InputLine(source, number, "", id=str(number), error=error)
    return json_record(obj, source, number, text)


def json_record(obj: object, source: str, number: int, text: str = "") -> InputLine:
    """A JSON-shaped record (a dict) as an input line; ``text`` locates codes in the source."""
    if not isinstance(obj, dict):
        error = InputProblem("a record must be a JSON object", number, 1, "json")
        return InputLine(source, number, "", id=str(number), error=error)
    record_id = str(obj["id"]) if obj.get("id") is not None else str(number)

    def reject(message: str, where: str) -> InputLine:
        column = text.find(f'"{where}"') + 1 if text else 0
        return InputLine(source, number, "", id=record_id, error=InputProblem(message, number, max(column, 0), "json", where))

    unknown = sorted(set(obj) - _JSON_KNOWN)
    if unknown:
        return reject(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_JSON_KNOWN))})", unknown[0])
    parts: list[str] = []
    fields: list[Field] = []
    offset = 0
    search_from = 0
    for key, keyword in _JSON_SECTIONS.items():
        if key not in obj or obj[key] is None:
            continue
        codes = obj[key]
        if isinstance(codes, str):
            codes = codes.replace(",", " ").split()
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            return reject(f"{key!r} must be a list of code strings", key)
        if not codes:
            continue
        if parts:
            parts.append("; ")
            offset += 2
        parts.append(keyword + " ")
        offset += len(keyword) + 1
        key_at = text.find(f'"{key}"', 0) if text else -1
        search_from = max(search_from, key_at)
        for n, code in enumerate(codes):
            if n:
                parts.append(" ")
                offset += 1
            column = 0
            if text:
                found = text.find(f'"{code}"', search_from)
                if found >= 0:
                    column, search_from = found + 2, found + len(code) + 2
            fields.append(Field(offset, f"{key}[{n + 1}]", column))
            parts.append(code.strip())
            offset += len(code.strip())
    try:
        sex = _sex(obj.get("sex"))
        age = _age(obj.get("age"))
        when = _date(str(obj["date"])) if obj.get("date") is not None else None
    except ValueError as exc:
        _, name, message = exc.args
        key = {"SEX": "sex", "STARTAGE": "age"}.get(name, name)
        return reject(message, key)
    waive = obj.get("waive") or []
    if isinstance(waive, str):
        waive = list(waivers_of(waive))
    if not isinstance(waive, list) or not all(isinstance(w, str) for w in waive):
        return reject("'waive' must be a list of rule ids", "waive")
    return InputLine(source, number, "".join(parts), System.OPCS, record_id, tuple(fields), sex, age, when, waivers=tuple(waive))
