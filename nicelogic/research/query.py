"""Reading a results database back: a DuckDB connection on which ``records``,
``violations`` and ``runs`` can be queried, whether the results are a DuckDB file or a
folder of Parquet parts."""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
from pathlib import Path

import duckdb

from nicelogic.errors import UsageError
from nicelogic.research.schema import RECORDS, RUNS, VIOLATIONS

QUERY_FORMATS = ("table", "csv", "json")


def connect(target: str) -> duckdb.DuckDBPyConnection:
    """A connection reading the results at ``target`` (never writing them)."""
    path = Path(target)
    if path.is_dir():
        return _parquet_views(path)
    if not path.is_file():
        raise UsageError(f"no results at {target}: give the DuckDB file or the folder that check --results wrote")
    try:
        db = duckdb.connect(str(path), read_only=True)
        tables = {row[0] for row in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    except duckdb.Error as exc:
        raise UsageError(f"{target} is not a results database: {exc}") from None
    if not {"records", "violations", "runs"} <= tables:
        raise UsageError(f"{target} is a DuckDB file without the records, violations and runs tables of check --results")
    return db


def _parquet_views(folder: Path) -> duckdb.DuckDBPyConnection:
    if not (folder / "runs").is_dir():
        raise UsageError(f"{folder} is not a results folder: it has no runs/ folder")
    db = duckdb.connect()
    for name, schema, pattern in (
        ("records", RECORDS, "records/*/part-*.parquet"),
        ("violations", VIOLATIONS, "violations/*/part-*.parquet"),
        ("runs", RUNS, "runs/*.parquet"),
    ):
        if any(folder.glob(pattern)):
            glob = str(folder / pattern).replace("'", "''")
            db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', union_by_name = true)")
        else:
            db.register(f"_{name}_empty", schema.empty_table())
            db.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
    # the patient-level tables of runs whose packs read whole patients (nicelogic.research.patients)
    for name in ("patient_violations", "patient_rules", "patient_units"):
        if any(folder.glob(f"{name}/*/part-*.parquet")):
            glob = str(folder / name / "*" / "part-*.parquet").replace("'", "''")
            db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', union_by_name = true)")
    return db


def run_query(db: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
    try:
        cursor = db.execute(sql)
    except duckdb.Error as exc:
        raise UsageError(f"the query failed: {exc}") from None
    if cursor.description is None:
        return [], []
    return [column[0] for column in cursor.description], cursor.fetchall()


def _plain(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def as_csv(names: list[str], rows: list[tuple[object, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([json.dumps(_plain(v)) if isinstance(v, list | dict) else _plain(v) for v in row])
    return out.getvalue()


def as_json(names: list[str], rows: list[tuple[object, ...]]) -> str:
    return json.dumps([dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows], indent=2, ensure_ascii=False)
