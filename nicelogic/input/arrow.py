"""Rows of an Arrow batch as the input items their reader makes: HES columns as a Parquet (or
CSV) row, JSON Lines fields as a JSON Lines record, episode keys and dates included, so that
a batch from anywhere (Spark, DuckDB) is read exactly as the file would be.

A batch holding ``OPERTN_nn`` or ``DIAG_nn`` columns is read as HES rows (cells as the text a
CSV cell would hold, :func:`~nicelogic.input.parquet.text_column`); otherwise one holding
``opcs``, ``icd10`` or ``cpt`` as the fields of JSON Lines records. Other columns are not read.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nicelogic.errors import InputError
from nicelogic.input.episodes import DEFAULT_COLUMNS, SHORT_NAMES, EpisodeColumns
from nicelogic.input.items import InputLine, undecodable
from nicelogic.input.jsonl import json_record
from nicelogic.input.parquet import text_column
from nicelogic.input.tabular import TableRow, layout_for, wanted_column
from nicelogic.model import SYSTEM_KEYWORDS

if TYPE_CHECKING:
    import pyarrow as pa

JSON_FIELDS = ("id", *SYSTEM_KEYWORDS, "sex", "age", "date", "waive")
TEXT_COLUMN = "record"  # a batch of text-format lines holds them in this column
JSON_TEXT_COLUMN = "json_record"  # a batch of JSON Lines records as text (one object each) holds them in this column


def is_hes(names: Sequence[str], id_column: str | None = None, episode_columns: EpisodeColumns = DEFAULT_COLUMNS) -> bool:
    """Whether columns with these names are read as HES rows (else as JSON Lines fields)."""
    read = [name.strip().upper() for name in names if wanted_column(name, id_column, episode_columns)]
    if any(name.startswith(("OPERTN_", "DIAG_")) for name in read):
        return True
    if any(name.strip().lower() in SYSTEM_KEYWORDS for name in names):
        return False
    raise InputError(
        "the batch has neither HES code columns (OPERTN_nn, DIAG_nn) nor the fields of a JSON Lines record "
        f"(opcs, icd10, cpt); its columns: {', '.join(names)}"
    )


def json_value(value: object) -> object:
    """A cell as a JSON Lines record holds it: dates (Spark's date and timestamp columns) as ISO dates."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, datetime.date) else value


def batch_items(
    batch: pa.RecordBatch | pa.Table,
    lines: Sequence[int],
    source: str,
    id_column: str | None = None,
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
) -> list[InputLine | TableRow]:
    """Each row of ``batch`` as its reader's item; ``lines`` are the rows' line numbers (the
    id of a row without one)."""
    names = batch.schema.names
    if is_hes(names, id_column, episode_columns):
        read = [i for i, name in enumerate(names) if wanted_column(name, id_column, episode_columns)]
        header = [names[i] for i in read]
        layout = layout_for(header, id_column, episode_columns)
        columns = [text_column(batch.column(i)).to_pylist() for i in read]
        rows = zip(*columns, strict=True)
        return [TableRow(source, line, list(cells), layout) for line, cells in zip(lines, rows, strict=True)]
    episode_keys = episode_columns.column_keys() | {name.upper() for name in SHORT_NAMES}
    read = [i for i, name in enumerate(names) if name.strip().lower() in JSON_FIELDS or name.strip().upper() in episode_keys]
    keys = [names[i].strip().lower() if names[i].strip().lower() in JSON_FIELDS else names[i] for i in read]
    records = zip(*(batch.column(i).to_pylist() for i in read), strict=True)
    return [
        json_record({key: json_value(value) for key, value in zip(keys, row, strict=True)}, source, line, "",
                    episode_columns=episode_columns)
        for line, row in zip(lines, records, strict=True)
    ]  # fmt: skip


def table_rows_batch(rows: Sequence[TableRow]) -> pa.RecordBatch:
    """CSV/TSV rows of one header as a batch of text columns named by it (rows that
    :func:`fits_columns`), so that the columnar kernel reads them as it reads Parquet."""
    import pyarrow as pa

    columns = zip(*(row.cells for row in rows), strict=True)
    return pa.RecordBatch.from_arrays([pa.array(column, pa.string()) for column in columns], names=list(rows[0].layout.names))


def text_lines_batch(lines: Sequence[InputLine]) -> pa.RecordBatch:
    """Lines of the text format read without a problem, as a batch of one column
    (:data:`TEXT_COLUMN`), so that the columnar kernel reads them."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([pa.array([line.text for line in lines], pa.string())], names=[TEXT_COLUMN])


def json_texts_batch(texts: Sequence[str]) -> pa.RecordBatch:
    """JSON Lines records as they are written (each object's text), as a batch of one
    column (:data:`JSON_TEXT_COLUMN`), so that the columnar kernel reads them; the text
    locates each code and each problem in its line, as the JSON Lines reader does."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([pa.array(texts, pa.string())], names=[JSON_TEXT_COLUMN])


def fits_columns(row: TableRow) -> bool:
    """Whether a CSV/TSV row is read from columns as from its cells: a cell for each column
    of the header, all of them text (a byte the input's encoding cannot read is kept as a
    lone surrogate, which the row reader names and Arrow cannot hold)."""
    return len(row.cells) == len(row.layout.names) and undecodable("".join(row.cells)) is None
