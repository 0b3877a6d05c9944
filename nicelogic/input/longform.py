"""Long-form extracts: one row per code, with the episode key and the code's position, as UK
Biobank's hospital inpatient tables are (``HESIN_DIAG``: ``eid``, ``ins_index``,
``arr_index``, ``level``, ``diag_icd10``; ``HESIN_OPER``: ``... oper4``; and ``HESIN``, one row
per episode with its dates).

The files given together are joined into one record per episode (``eid``, ``ins_index``),
codes in the order of ``level`` (1 primary) then ``arr_index``, by DuckDB, which sorts and
groups out of memory; records come out patient by patient, episode by episode. Each file's
role is told by its columns. A record's id is ``eid/ins_index``; its line is its place in
that order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from nicelogic.errors import InputError, InputProblem
from nicelogic.input.attributes import FILLERS
from nicelogic.input.episodes import episode_value
from nicelogic.input.items import InputLine
from nicelogic.model import Episode, Field, System

# HESIN's episode columns, as the episode fields they are (UK Biobank data showcase, category 2000)
HESIN_EPISODE = {
    "spell_index": "spell", "epiorder": "order", "admidate": "admitted", "epistart": "started", "epiend": "ended",
    "disdate": "discharged", "dismeth": "discharge_method", "epistat": "status",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Part:
    path: str
    role: str  # "diag", "oper" or "episodes"
    delimiter: str


def _role(path: str) -> _Part:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    delimiter = "\t" if "\t" in first else ","
    columns = {name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter), [])}
    if not {"eid", "ins_index"} <= columns:
        raise InputError(f"{path}: a long-form table needs the columns eid and ins_index (UK Biobank HESIN tables)")
    if "arr_index" in columns and "diag_icd10" in columns:
        return _Part(path, "diag", delimiter)
    if "arr_index" in columns and "oper4" in columns:
        return _Part(path, "oper", delimiter)
    if "arr_index" not in columns:
        return _Part(path, "episodes", delimiter)
    raise InputError(f"{path}: a long-form code table needs diag_icd10 (HESIN_DIAG) or oper4 (HESIN_OPER)")


def _codes_query(part: _Part, column: str) -> str:
    return (
        f"SELECT eid, ins_index, list({column} ORDER BY TRY_CAST(level AS INT) NULLS LAST, TRY_CAST(arr_index AS INT)) "
        f"FILTER (WHERE coalesce(trim({column}), '') NOT IN ('', '-', '&')) AS codes "
        f"FROM read_csv('{_quoted(part.path)}', delim='{part.delimiter}', header=true, all_varchar=true) GROUP BY ALL"
    )


def _quoted(path: str) -> str:
    return path.replace("'", "''")


def long_form_lines(paths: Sequence[str]) -> Iterator[InputLine]:
    """One input record per episode of the long-form tables given together."""
    import duckdb

    parts = [_role(path) for path in paths]
    by_role: dict[str, _Part] = {}
    for part in parts:
        if part.role in by_role:
            raise InputError(f"{part.path} and {by_role[part.role].path} are both {part.role} tables: give one of each")
        by_role[part.role] = part
    if "diag" not in by_role and "oper" not in by_role:
        raise InputError("long-form input needs a code table: HESIN_DIAG (diag_icd10) or HESIN_OPER (oper4)")
    sources = []
    if "diag" in by_role:
        sources.append(("diag", _codes_query(by_role["diag"], "diag_icd10")))
    if "oper" in by_role:
        sources.append(("oper", _codes_query(by_role["oper"], "oper4")))
    episodes = by_role.get("episodes")
    keys = " UNION ".join(f"SELECT eid, ins_index FROM {name}" for name, _ in sources)
    joins = " ".join(f"LEFT JOIN {name} USING (eid, ins_index)" for name, _ in sources)
    columns = ", ".join(f"{name}.codes AS {name}" for name, _ in sources)
    with_episodes = ""
    episode_columns: list[str] = []
    if episodes is not None:
        header = _header(episodes)
        episode_columns = [name for name in HESIN_EPISODE if name in header]
        read = f"read_csv('{_quoted(episodes.path)}', delim='{episodes.delimiter}', header=true, all_varchar=true)"
        with_episodes = f", episodes AS (SELECT * FROM {read})"
        keys += " UNION SELECT eid, ins_index FROM episodes"
        joins += " LEFT JOIN episodes USING (eid, ins_index)"
        columns += "".join(f", episodes.{name}" for name in episode_columns)
    query = (
        "WITH " + ", ".join(f"{name} AS ({sql})" for name, sql in sources) + with_episodes + f", keys AS ({keys}) "
        f"SELECT eid, ins_index, {columns} FROM keys {joins} "
        "ORDER BY TRY_CAST(eid AS BIGINT), eid, TRY_CAST(ins_index AS INT), ins_index"
    )
    connection = duckdb.connect()
    try:
        cursor = connection.execute(query)
    except duckdb.Error as exc:
        connection.close()
        raise InputError(f"cannot read the long-form tables {', '.join(paths)}: {exc}") from None
    names = [d[0] for d in cursor.description]
    source = by_role.get("diag", by_role.get("oper", parts[0])).path
    number = 0
    try:
        while rows := cursor.fetchmany(2000):
            for row in rows:
                number += 1
                yield _line(dict(zip(names, row, strict=True)), source, number, episode_columns)
    finally:  # never left to the collector: a forked worker would finalise it
        connection.close()


def _header(part: _Part) -> set[str]:
    with open(part.path, encoding="utf-8-sig", newline="") as handle:
        return {name.strip().lower() for name in next(csv.reader([handle.readline()], delimiter=part.delimiter), [])}


def _line(row: dict[str, object], source: str, number: int, episode_columns: list[str]) -> InputLine:
    record_id = f"{row['eid']}/{row['ins_index']}"
    parts: list[str] = []
    fields: list[Field] = []
    offset = 0
    for key, keyword, table in (("oper", "opcs", "HESIN_OPER"), ("diag", "icd10", "HESIN_DIAG")):
        codes = [str(code).strip() for code in (row.get(key) or []) if str(code).strip() not in FILLERS]  # type: ignore[attr-defined]
        if not codes:
            continue
        prefix = f"; {keyword} " if parts else f"{keyword} "
        parts.append(prefix)
        offset += len(prefix)
        for n, code in enumerate(codes):
            if n:
                parts.append(" ")
                offset += 1
            fields.append(Field(offset, f"{table}[{n + 1}]", 0))
            parts.append(code)
            offset += len(code)
    values: dict[str, object] = {"patient": str(row["eid"]), "episode": str(row["ins_index"])}
    try:
        for column in episode_columns:
            cell = row.get(column)
            value = episode_value(HESIN_EPISODE[column], str(cell).strip() if cell is not None else "", column)
            if value is not None:
                values[HESIN_EPISODE[column]] = value
    except ValueError as exc:
        _, name, message = exc.args
        problem = InputProblem(message, number, 0, "attribute", name)
        return InputLine(source, number, "", System.OPCS, record_id, error=problem)
    episode = Episode(**values)  # type: ignore[arg-type]
    return InputLine(source, number, "".join(parts), System.OPCS, record_id, tuple(fields), episode=episode)
