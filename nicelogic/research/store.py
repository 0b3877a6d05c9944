"""Where a run's results go: a DuckDB file (the default) or a folder of Parquet files.

Both keep the three tables of :mod:`nicelogic.research.schema` and commit a batch of
records with its violations as one unit, so that a run stopped at any instant (Ctrl-C,
``kill -9``, power loss) holds whole batches only and resumes after the last one:

- DuckDB: one transaction per batch (records, violations and the run's counts).
- Parquet: ``DIR/violations/RUN/part-SEQ.parquet`` then ``DIR/records/RUN/part-SEQ.parquet``,
  each written under a temporary name and renamed; the records part is the commit (a
  violations part without one is left over from a stopped run and removed on resume).
  ``DIR/runs/RUN.parquet`` holds the run's row, rewritten the same way after each part (so
  a run killed between the two says one batch fewer; resuming counts the parts again).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nicelogic.errors import UsageError
from nicelogic.research.schema import RECORDS, RUNS, VIOLATIONS

DUCKDB_MEMORY = "32MB"  # the writer's buffer pool; a batch of results is a few MB
CHECKPOINT_EVERY = "256MB"  # of write-ahead log between checkpoints
COUNTS = ("records", "valid", "invalid", "rejected", "violations", "warnings", "waived")


@dataclass(frozen=True, slots=True)
class StoredRun:
    run_id: str
    complete: bool
    records: int  # committed


_COUNTED = ("valid", "rejected", "errors", "warnings", "waived")  # the records columns the counts are made of


def batch_counts(records: pa.RecordBatch) -> dict[str, int]:
    """The run's counts that one records batch adds."""
    rejected = pc.sum(records.column("rejected").cast(pa.int64())).as_py() or 0
    valid = pc.sum(records.column("valid").cast(pa.int64())).as_py() or 0
    return {
        "records": records.num_rows,
        "valid": valid,
        "invalid": records.num_rows - valid - rejected,
        "rejected": rejected,
        "violations": (pc.sum(records.column("errors")).as_py() or 0) + (pc.sum(records.column("warnings")).as_py() or 0),
        "warnings": pc.sum(records.column("warnings")).as_py() or 0,
        "waived": pc.sum(records.column("waived")).as_py() or 0,
    }


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class ResultStore(Protocol):
    def find(self, fingerprint: str) -> StoredRun | None: ...
    def start(self, row: dict[str, object]) -> None: ...
    def resume(self, run_id: str) -> int: ...
    def commit(self, run_id: str, records: pa.RecordBatch, violations: pa.RecordBatch) -> None: ...
    def finish(self, run_id: str, status: str, error: str | None = None) -> None: ...
    def run_row(self, run_id: str) -> dict[str, object]: ...
    def close(self) -> None: ...


def open_store(target: str) -> ResultStore:
    """A DuckDB file, or a folder (a path ending in ``/`` or an existing folder) of Parquet."""
    if target.endswith(("/", os.sep)) or os.path.isdir(target):
        return ParquetStore(Path(target))
    return DuckDBStore(Path(target))


def _empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


class DuckDBStore:
    def __init__(self, path: Path) -> None:
        if not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist")
        try:
            # bounded, so that memory stays flat however large the run: DuckDB spills beyond it.
            # A checkpoint compresses the tables' newest row groups again, so taking one every
            # 16 MB of log (the default) cost a third of this process's time; a commit is in
            # the log already, so fewer checkpoints lose nothing when a run is stopped.
            self.db = duckdb.connect(
                str(path), config={"memory_limit": DUCKDB_MEMORY, "threads": 1, "checkpoint_threshold": CHECKPOINT_EVERY}
            )
        except duckdb.Error as exc:
            raise UsageError(f"cannot open {path} as a DuckDB results database: {exc}") from None
        for name, schema in (("records", RECORDS), ("violations", VIOLATIONS), ("runs", RUNS)):
            self._insert_from(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM incoming", _empty(schema))
        self._record_columns = self._columns("records")  # only this store adds to them, in commit

    def _insert_from(self, statement: str, data: pa.Table | pa.RecordBatch) -> None:
        """Run a statement that reads ``incoming``: the Arrow data, without a copy."""
        self.db.register("incoming", data)
        try:
            self.db.execute(statement)
        finally:
            self.db.unregister("incoming")

    def _columns(self, table: str) -> set[str]:
        return {row[0] for row in self.db.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall()}

    def find(self, fingerprint: str) -> StoredRun | None:
        row = self.db.execute(
            "SELECT run_id, complete, records FROM runs WHERE fingerprint = ? ORDER BY started DESC LIMIT 1", [fingerprint]
        ).fetchone()
        return StoredRun(row[0], bool(row[1]), int(row[2] or 0)) if row else None

    def start(self, row: dict[str, object]) -> None:
        self._insert_from("INSERT INTO runs BY NAME SELECT * FROM incoming", pa.Table.from_pylist([row], schema=RUNS))

    def resume(self, run_id: str) -> int:
        (committed,) = self.db.execute("SELECT count(*) FROM records WHERE run_id = ?", [run_id]).fetchone() or (0,)
        self.db.execute("UPDATE runs SET status = 'running', error = NULL WHERE run_id = ?", [run_id])
        return int(committed)

    def commit(self, run_id: str, records: pa.RecordBatch, violations: pa.RecordBatch) -> None:
        missing = [name for name in records.schema.names if name not in self._record_columns]
        counts = batch_counts(records)
        self.db.execute("BEGIN TRANSACTION")
        try:
            for name in missing:  # a carried column that an earlier run did not have
                self.db.execute(f'ALTER TABLE records ADD COLUMN "{name}" VARCHAR')
            self._insert_from("INSERT INTO records BY NAME SELECT * FROM incoming", records)
            if violations.num_rows:
                self._insert_from("INSERT INTO violations BY NAME SELECT * FROM incoming", violations)
            assignments = ", ".join(f"{name} = {name} + ?" for name in COUNTS)
            self.db.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", [*(counts[n] for n in COUNTS), run_id])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._record_columns.update(missing)

    def finish(self, run_id: str, status: str, error: str | None = None) -> None:
        self.db.execute(
            "UPDATE runs SET status = ?, complete = ?, error = ?, finished = ? WHERE run_id = ?",
            [status, status == "complete", error, now() if status == "complete" else None, run_id],
        )

    def run_row(self, run_id: str) -> dict[str, object]:
        cursor = self.db.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
        assert row is not None, f"no run {run_id}"
        return dict(zip(names, row, strict=True))

    def close(self) -> None:
        self.db.close()


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    pq.write_table(table, temporary, compression="zstd")
    with open(temporary, "rb") as handle:  # the rename is the commit: the bytes must be on disk first
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _part(seq: int) -> str:
    return f"part-{seq:012d}.parquet"


class ParquetStore:
    def __init__(self, folder: Path) -> None:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"cannot write results to {folder}: it is not a folder")
        if not folder.parent.is_dir():
            raise UsageError(f"cannot write {folder}: the folder {folder.parent} does not exist")
        self.folder = folder
        for name in ("records", "violations", "runs"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, dict[str, object]] = {}

    def _runs(self) -> Iterator[dict[str, object]]:
        for path in sorted((self.folder / "runs").glob("*.parquet")):
            yield from pq.read_table(path, schema=RUNS).to_pylist()

    def find(self, fingerprint: str) -> StoredRun | None:
        found = [row for row in self._runs() if row["fingerprint"] == fingerprint]
        if not found:
            return None
        row = max(found, key=lambda r: r["started"])  # type: ignore[arg-type,return-value]
        return StoredRun(str(row["run_id"]), bool(row["complete"]), int(row["records"] or 0))  # type: ignore[call-overload]

    def _save(self, run_id: str) -> None:
        _write_atomic(pa.Table.from_pylist([self._rows[run_id]], schema=RUNS), self.folder / "runs" / f"{run_id}.parquet")

    def start(self, row: dict[str, object]) -> None:
        run_id = str(row["run_id"])
        self._rows[run_id] = dict(row)
        self._save(run_id)

    def resume(self, run_id: str) -> int:
        row = next(r for r in self._runs() if r["run_id"] == run_id)
        records_dir, violations_dir = self.folder / "records" / run_id, self.folder / "violations" / run_id
        for folder in (records_dir, violations_dir):
            for leftover in folder.glob(".*.partial"):
                leftover.unlink()
        committed = {path.name for path in records_dir.glob("part-*.parquet")}
        for orphan in violations_dir.glob("part-*.parquet"):
            if orphan.name not in committed:
                orphan.unlink()
        counts = dict.fromkeys(COUNTS, 0)
        for name in sorted(committed):
            part = pq.read_table(records_dir / name, columns=list(_COUNTED)).combine_chunks().to_batches()[0]
            added = batch_counts(part)
            counts = {key: counts[key] + added[key] for key in COUNTS}
        row.update(counts, status="running", error=None)
        self._rows[run_id] = row
        self._save(run_id)
        return counts["records"]

    def commit(self, run_id: str, records: pa.RecordBatch, violations: pa.RecordBatch) -> None:
        if records.num_rows == 0:
            return
        name = _part(records.column("seq")[0].as_py())
        if violations.num_rows:
            _write_atomic(pa.Table.from_batches([violations]), self.folder / "violations" / run_id / name)
        _write_atomic(pa.Table.from_batches([records]), self.folder / "records" / run_id / name)
        row = self._rows[run_id]
        for key, value in batch_counts(records).items():
            row[key] = int(row[key] or 0) + value  # type: ignore[call-overload]
        self._save(run_id)

    def reopen(self, run_id: str) -> None:
        """A run that another writer (Spark) writes whole, taken up again where it stopped:
        its parts are that writer's to reconcile (:mod:`nicelogic.research.units`)."""
        row = self.run_row(run_id)
        row.update(status="running", error=None)
        self._rows[run_id] = row
        self._save(run_id)

    def count(self, run_id: str, folder: Path) -> None:
        """Set the run's counts from the records parts of a folder written whole by another
        writer (Spark), not batch by batch."""
        counts = dict.fromkeys(COUNTS, 0)
        for path in sorted(folder.glob("part-*.parquet")):
            for part in pq.ParquetFile(path).iter_batches(columns=list(_COUNTED)):
                added = batch_counts(part)
                counts = {key: counts[key] + added[key] for key in COUNTS}
        self._rows[run_id].update(counts)
        self._save(run_id)

    def finish(self, run_id: str, status: str, error: str | None = None) -> None:
        row = self._rows[run_id]
        row.update(status=status, complete=status == "complete", error=error, finished=now() if status == "complete" else None)
        self._save(run_id)

    def run_row(self, run_id: str) -> dict[str, object]:
        return next(r for r in self._runs() if r["run_id"] == run_id)

    def close(self) -> None:
        pass
