"""CSV/TSV episode extracts in the shape of English Hospital Episode Statistics.

Rows are rewritten into the text format (``opcs V444 V551; icd10 M800``) so that the
grammar alone judges code syntax; a map from text offsets back to the column each code
came from keeps error locations in the user's terms.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from nicelogic.errors import InputError, InputProblem
from nicelogic.input.attributes import FILLERS, parse_age, parse_date, parse_sex, waivers_of
from nicelogic.input.items import InputLine, undecodable
from nicelogic.model import Field, System

_OPCS_FIELD = re.compile(r"^OPERTN(?:_4)?_(\d{1,2})$", re.IGNORECASE)
_DIAG_FIELD = re.compile(r"^DIAG(?:_4)?_(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Layout:
    id_index: int | None
    opcs: tuple[tuple[int, str], ...]  # (column index, field name), in position order
    diag: tuple[tuple[int, str], ...]
    sex: int | None
    age: int | None
    date: tuple[int, ...]  # OPDATE_01 first, then ADMIDATE
    waive: int | None = None
    names: tuple[str, ...] = ()  # the header, for naming the field of a problem
    encoding: str = "utf-8"  # the input's, for naming the byte a cell cannot decode


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


_RECORD_COLUMNS = frozenset({"SEX", "STARTAGE", "OPDATE_01", "ADMIDATE", "WAIVE"})


def wanted_column(name: str, id_column: str | None) -> bool:
    """Whether a column is read for the record itself (codes, id, sex, age, dates, waivers):
    what a columnar reader loads, besides the attributes it carries."""
    upper = name.strip().upper()
    return (
        upper in _RECORD_COLUMNS
        or upper == (id_column or "EPIKEY").upper()
        or bool(_OPCS_FIELD.match(upper) or _DIAG_FIELD.match(upper))
    )


def layout_for(header: list[str], id_column: str | None) -> _Layout:
    """Where a record's fields are in rows with this header (or InputError)."""
    return _layout(header, id_column)


def _layout(header: list[str], id_column: str | None) -> _Layout:
    upper = [h.strip().upper() for h in header]
    repeated = sorted({name for name in upper if name and upper.count(name) > 1})
    if repeated:  # which of two OPERTN_01 columns holds the first procedure? no guess
        raise InputError(f"the header names {', '.join(repeated)} more than once: each column must be named once")
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
    names = tuple(h.strip() for h in header)
    return _Layout(id_index, opcs, diag, find("SEX"), find("STARTAGE"), dates, find("WAIVE"), names)


def table_lines(
    lines: Iterable[str], source: str, delimiter: str = ",", id_column: str | None = None, encoding: str = "utf-8"
) -> Iterator[InputLine | TableRow]:
    """Records of a CSV/TSV episode extract in the shape of English HES data."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{source}: cannot read the header: {exc}") from None
    try:
        layout = dataclasses.replace(_layout(header, id_column), encoding=encoding)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    kind = "TSV" if delimiter == "\t" else "CSV"
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            error = InputProblem(f"the row cannot be read as {kind}: {exc}", line, 1, "table-row")
            yield InputLine(source, line, "", id=str(line), error=error)
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if reader.line_num > first_line and any("\n" in cell and delimiter in cell for cell in row):
            # a quote left open swallows the lines after it into one cell: say so, never drop them
            problem = (
                f"a quote opened on line {first_line} closes on line {reader.line_num}: lines {first_line + 1} to "
                f"{reader.line_num} are inside one {kind} cell and are not read as records"
            )
            yield InputLine(source, first_line, "", id=str(first_line), error=InputProblem(problem, first_line, 1, "table-row"))
            continue
        yield TableRow(source, reader.line_num, row, layout)


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _row_line(row: list[str], layout: _Layout, source: str, line: int) -> InputLine:
    for index, cell in enumerate(row):
        bad = undecodable(cell, layout.encoding)
        if bad is not None:
            where = layout.names[index] if index < len(layout.names) else f"column {index + 1}"
            record_id = _cell(row, layout.id_index) if layout.id_index != index else ""
            problem = InputProblem(bad[1], line, index + 1, "encoding", where)
            return InputLine(source, line, "", id=record_id or str(line), error=problem)
    record_id = _cell(row, layout.id_index) or str(line)
    width = len(row)
    parts: list[str] = []
    fields: list[Field] = []
    offset = 0
    for keyword, columns in (("opcs", layout.opcs), ("icd10", layout.diag)):
        values = [(i, name, row[i].strip()) for i, name in columns if i < width]
        values = [v for v in values if v[2] not in FILLERS]
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
        sex = parse_sex(_cell(row, layout.sex))
        age = parse_age(_cell(row, layout.age))
        when = next((d for d in (parse_date(_cell(row, i)) for i in layout.date) if d), None)
    except ValueError as exc:
        column, name, message = exc.args
        return InputLine(source, line, "", id=record_id, error=InputProblem(message, line, column, "attribute", name))
    waivers = waivers_of(_cell(row, layout.waive))
    return InputLine(source, line, "".join(parts), System.OPCS, record_id, tuple(fields), sex, age, when, waivers=waivers)


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
