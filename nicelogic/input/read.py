"""Opening inputs and reading their records in order, whatever the format.

Reading is split in two so that the expensive half can run in worker processes:

1. :func:`read_lines` turns a file into :class:`InputLine` values (or table rows). This is
   cheap (the csv and json modules do the work) and never fails for one bad record: a
   record that cannot even be read becomes an ``InputLine`` carrying its problem.
2. :func:`nicelogic.input.records.to_record` parses one with the grammar into a
   :class:`Record`, or a :class:`Rejected` value naming the record, line and column.
"""

from __future__ import annotations

import io
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TypeVar

from nicelogic.errors import InputError
from nicelogic.input.carry import attribute_keys
from nicelogic.input.items import InputLine, encoding_name
from nicelogic.input.jsonl import jsonl_lines
from nicelogic.input.parquet import parquet_rows
from nicelogic.input.tabular import TableRow, table_lines
from nicelogic.input.text import text_lines
from nicelogic.model import System

INPUT_FORMATS = ("auto", "text", "csv", "tsv", "jsonl", "parquet")
T = TypeVar("T")


def detect_format(path: str, first_line: str | None = None) -> str:
    """Pick the input format from the file name, or for standard input from its first line."""
    suffix = Path(path).suffix.lower()
    if suffix in {".csv"}:
        return "csv"
    if suffix in {".tsv", ".tab"}:
        return "tsv"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    if path == "-" and first_line is not None:
        stripped = first_line.lstrip("\ufeff").strip()
        if stripped.startswith("{"):
            return "jsonl"
        upper = stripped.upper()
        if "OPERTN" in upper or "DIAG_" in upper or "EPIKEY" in upper:
            return "tsv" if "\t" in stripped else "csv"
    return "text"


def open_input(path: str, encoding: str = "utf-8") -> IO[str]:
    """Open a file (or ``-`` for standard input) as text in its encoding (UTF-8 unless
    told, with or without a byte order mark). Bytes that are not text in it are kept as
    lone surrogates, never replaced: the readers reject the one record that holds them,
    saying which byte and where (:func:`nicelogic.input.items.undecodable`)."""
    codec = encoding_name(encoding)
    codec = "utf-8-sig" if codec == "utf-8" else codec
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding=codec, errors="surrogateescape", newline="")
    try:
        return open(path, encoding=codec, errors="surrogateescape", newline="")
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
    encoding: str = "utf-8",
    carried: frozenset[str] = attribute_keys(),
) -> Iterator[InputLine | TableRow]:
    """Every record of one input, in order, as :class:`InputLine` values; ``carried`` are
    the keys (upper case) of attributes read for the results beside each record."""
    fmt = detect_format(path) if input_format == "auto" else input_format
    if fmt == "parquet":
        if path == "-":
            raise InputError("Parquet cannot be read from standard input: give the file")
        yield from parquet_rows(path, id_column, carried)
        if position is not None:
            position.finished(path)
        return
    handle = open_input(path, encoding)
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
            yield from text_lines(lines, name, default_system, encoding)
        elif fmt == "jsonl":
            yield from jsonl_lines(lines, name, encoding, carried)
        else:
            delimiter = "\t" if fmt == "tsv" else ","
            yield from table_lines(lines, name, delimiter=delimiter, id_column=id_column, encoding=encoding)
    if position is not None:
        position.finished(path)


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def read_inputs(
    paths: Sequence[str],
    input_format: str = "auto",
    default_system: System = System.OPCS,
    id_column: str | None = None,
    position: ReadPosition | None = None,
    encoding: str = "utf-8",
    carried: frozenset[str] = attribute_keys(),
) -> Iterator[InputLine | TableRow]:
    """Every record of every input, in order, in their encoding; with ``position``, noted
    as it is read (see :class:`ReadPosition`)."""
    encoding_name(encoding)  # an unknown name fails now, not when the first file is read
    lines = (
        line
        for path in paths
        for line in read_lines(path, input_format, default_system, id_column, position, encoding=encoding, carried=carried)
    )
    return position.track(lines) if position is not None else lines
