"""Both inputs read, parsed (and checked by the rule packs), and their episodes paired by id
in bounded memory.

Each input is read as ``check`` reads it (any format, ``read_lines``) and every record is
written, parsed or rejected, as one line of a staging file; DuckDB (its memory capped, spilling
to a temporary folder) then finds the ids that repeat and pairs the rest by id, and the pairs
are streamed back in the original input's order, then the audited input's episodes that the
original lacks. Nothing holds either input whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb

from nicelogic.audit.compare import Section
from nicelogic.audit.standards import violation_keys
from nicelogic.audit.units import code_texts
from nicelogic.checking.checker import Checker
from nicelogic.errors import InputError
from nicelogic.input.carry import AttributeReader, CarrySpec, carried_name, mapping_attributes
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.read import detect_format, read_lines
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record, System

ORIGINAL, AUDITED = "original", "audited"
STAGING_MEMORY = "128MB"  # DuckDB's buffer pool while pairing; it spills to disk beyond it
FETCH = 2000  # pairs fetched at a time
# the longest staged record DuckDB's JSON reader takes (it reads buffers of twice this): far
# more than a record of 64 codes a section, its id and the reason it was rejected
MAX_STAGED_LINE = 16 << 20

_COLUMNS = {
    "side": "VARCHAR", "seq": "BIGINT", "id": "VARCHAR", "source": "VARCHAR", "line": "BIGINT", "rejected": "BOOLEAN",
    "reason": "VARCHAR", "reason_kind": "VARCHAR", "reason_column": "INTEGER", "reason_field": "VARCHAR",
    "icd10": "VARCHAR[]", "opcs": "VARCHAR[]", "violations": "VARCHAR[]", "coder": "VARCHAR", "specialty": "VARCHAR",
}  # fmt: skip
_FIELDS = tuple(_COLUMNS)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record of one input as staged: parsed (its codes, and the violations the rule
    packs found) or rejected with the reason."""

    side: str
    seq: int
    id: str
    source: str
    line: int
    rejected: bool
    reason: str | None
    reason_kind: str | None
    reason_column: int | None
    reason_field: str | None
    icd10: tuple[str, ...]
    opcs: tuple[str, ...]
    violations: tuple[str, ...]
    coder: str | None
    specialty: str | None

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Entry:
        values = dict(zip(_FIELDS, row, strict=True))
        for name in ("icd10", "opcs", "violations"):
            values[name] = tuple(values[name] or ())  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    original: Entry | None
    audited: Entry | None


@dataclass
class Layout:
    """What one input holds: its format, records, and the sections its layout has (a
    tabular header's OPERTN_nn/DIAG_nn columns; for text and JSON, any record's sections)."""

    path: str
    format: str
    records: int = 0
    sections: set[Section] = field(default_factory=set)


@dataclass(frozen=True)
class ReadOptions:
    input_format: str = "auto"
    system: System = System.OPCS
    id_column: str | None = None  # --key: the column (or JSON key) episodes are matched by
    encoding: str = "utf-8"
    coder_column: str | None = "CODER"
    max_codes: int = MAX_CODES


def _safe(text: str | None) -> str | None:
    """Text as the staging file can hold it: bytes that were not text (kept as lone
    surrogates by the readers) written as escapes."""
    return None if text is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Attributes:
    """The coder and specialty of each item, read as the results database carries attributes."""

    def __init__(self, coder_column: str | None) -> None:
        self.spec = CarrySpec((coder_column,) if coder_column else ())
        names = tuple(self.spec.sources())
        self._coder = names.index(carried_name(coder_column)) if coder_column else None
        self._specialty = names.index("main_specialty")
        self._readers: dict[tuple[str, ...], AttributeReader] = {}

    def of(self, item: InputLine | TableRow) -> tuple[str | None, str | None]:
        if isinstance(item, TableRow):
            reader = self._readers.get(item.layout.names)
            if reader is None:
                reader = self._readers[item.layout.names] = AttributeReader(self.spec, item.layout.names)
            values = reader.read(item.cells)
        elif item.attributes:
            values = mapping_attributes(self.spec, dict(item.attributes))
        else:
            return (None, None)
        coder = values[self._coder] if self._coder is not None else None
        return (None if coder is None else str(coder), None if values[self._specialty] is None else str(values[self._specialty]))


def _layout_sections(item: InputLine | TableRow, parsed: Record | Rejected) -> set[Section]:
    if isinstance(item, TableRow):
        found = set()
        if item.layout.diag:
            found.add(Section.DIAGNOSES)
        if item.layout.opcs:
            found.add(Section.PROCEDURES)
        return found
    if isinstance(parsed, Record):
        return {Section(system.value) for system, _ in parsed.sections if system.value in {s.value for s in Section}}
    return set()


def stage(path: str, side: str, options: ReadOptions, checker: Checker | None, out: IO[str], parser: RecordParser) -> Layout:
    """Read, parse and (with a checker) check every record of one input, writing each as a
    line of the staging file; return what the input's layout holds."""
    fmt = detect_format(path) if options.input_format == "auto" else options.input_format
    layout = Layout(path, fmt)
    attributes = _Attributes(options.coder_column)
    spec_keys = attributes.spec.keys()
    pending: deque[tuple[Record | Rejected, tuple[str | None, str | None]]] = deque()

    def parsed_items() -> Iterator[Record]:
        for item in read_lines(path, options.input_format, options.system, options.id_column, None, options.encoding, spec_keys):
            parsed = to_record(item, parser, options.max_codes)
            layout.sections |= _layout_sections(item, parsed)
            pending.append((parsed, attributes.of(item)))
            if isinstance(parsed, Record):
                yield parsed

    def write(parsed: Record | Rejected, attrs: tuple[str | None, str | None], violations: list[str]) -> None:
        attrs = (_safe(attrs[0]), _safe(attrs[1]))
        if isinstance(parsed, Rejected):
            error = parsed.error
            row: tuple[object, ...] = (
                side, layout.records, _safe(parsed.id), _safe(parsed.source), parsed.line, True, _safe(error.message),
                error.label, error.column, _safe(error.where), [], [], [], *attrs,
            )  # fmt: skip
        else:
            row = (
                side, layout.records, _safe(parsed.id), _safe(parsed.source), parsed.line, False, None, None, None, None,
                code_texts(parsed, System.ICD10), code_texts(parsed, System.OPCS), violations, *attrs,
            )  # fmt: skip
        out.write(json.dumps(dict(zip(_FIELDS, row, strict=True)), ensure_ascii=False))
        out.write("\n")
        layout.records += 1

    def flush_rejected() -> None:
        while pending and isinstance(pending[0][0], Rejected):
            write(*pending.popleft(), [])

    if checker is None:
        for _ in parsed_items():
            flush_rejected()
            write(*pending.popleft(), [])
    else:
        for result in checker.check_items(parsed_items()):
            flush_rejected()
            parsed, attrs = pending.popleft()
            write(parsed, attrs, violation_keys(result))
    flush_rejected()
    return layout


class Staging:
    """Both inputs staged in a temporary folder and paired there by DuckDB."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="nicelogic-compare-")
        self.folder = Path(self._folder.name)
        self.file = self.folder / "records.jsonl"
        self.db: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self._folder.cleanup()

    def load(self) -> None:
        """Load the staging file written by :func:`stage` into DuckDB."""
        self.db = duckdb.connect(
            str(self.folder / "staging.duckdb"),
            config={
                "memory_limit": STAGING_MEMORY,
                "threads": 1,
                "temp_directory": str(self.folder / "spill"),
                "preserve_insertion_order": False,  # every query that returns rows orders them itself
            },  # fmt: skip
        )
        try:
            self._load()
        except duckdb.Error as exc:  # the staging folder's disk or memory ran out: say so, never a traceback
            raise InputError(f"pairing the episodes failed in the staging database: {exc}") from None

    def _load(self) -> None:
        assert self.db is not None
        columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in _COLUMNS.items()) + "}"
        target = str(self.file).replace("'", "''")
        if os.path.getsize(self.file):
            self.db.execute(
                f"CREATE TABLE episodes AS SELECT * FROM read_json('{target}', format = 'newline_delimited', "
                f"columns = {columns}, maximum_object_size = {MAX_STAGED_LINE})"
            )
        else:
            names = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
            self.db.execute(f"CREATE TABLE episodes ({names})")
        self.db.execute("CREATE TABLE repeated AS SELECT DISTINCT id FROM episodes GROUP BY side, id HAVING count(*) > 1")

    def _rows(self, sql: str) -> Iterator[tuple[object, ...]]:
        assert self.db is not None
        cursor = self.db.execute(sql)
        while rows := cursor.fetchmany(FETCH):
            yield from rows

    def repeated(self) -> Iterator[tuple[Entry, int, list[int]]]:
        """Every record whose id repeats within an input (in either input), with how many
        times and on which lines it stands in that input."""
        sql = f"""
            WITH counted AS (
                SELECT side, id, count(*) AS n, list(line ORDER BY seq) AS lines FROM episodes
                WHERE id IN (SELECT id FROM repeated) GROUP BY side, id)
            SELECT {", ".join(f"e.{name}" for name in _FIELDS)}, c.n, c.lines
            FROM episodes e JOIN counted c USING (side, id)
            ORDER BY e.side DESC, e.seq"""
        width = len(_FIELDS)
        for row in self._rows(sql):
            yield Entry.from_row(row[:width]), int(row[width]), list(row[width + 1])  # type: ignore[call-overload]

    def pairs(self) -> Iterator[Pair]:
        """Episodes by id whose id is once at most in each input: in the original's order,
        then those only in the audited input, in its order."""
        fields = ", ".join(_FIELDS)
        sql = f"""
            WITH o AS (SELECT {fields} FROM episodes WHERE side = '{ORIGINAL}' AND id NOT IN (SELECT id FROM repeated)),
                 a AS (SELECT {fields} FROM episodes WHERE side = '{AUDITED}' AND id NOT IN (SELECT id FROM repeated))
            SELECT {", ".join(f"o.{name}" for name in _FIELDS)}, {", ".join(f"a.{name}" for name in _FIELDS)}
            FROM o FULL OUTER JOIN a ON o.id = a.id
            ORDER BY o.seq NULLS LAST, a.seq"""
        width = len(_FIELDS)
        for row in self._rows(sql):
            original = Entry.from_row(row[:width]) if row[0] is not None else None
            audited = Entry.from_row(row[width:]) if row[width] is not None else None
            found = original or audited
            assert found is not None
            yield Pair(found.id, original, audited)
