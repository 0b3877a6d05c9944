"""An audit in the results database of the research path (a DuckDB file): a row in ``runs``
(command ``nicelogic compare``, both inputs, the packs and tables, the counts of episodes)
and three tables linked to it by ``run_id``:

- ``audit_episodes``: one row per episode compared, or per record that could not be
  (its status and reason), with the counts per code type;
- ``audit_codes``: one row per unit of either coding: its outcome and error level;
- ``audit_standards``: one row per rule pack violation of either coding: removed,
  introduced or shared by the audited coding.

The column names and types are those of :mod:`nicelogic.audit.rows`.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence

import pyarrow as pa

from nicelogic._version import __version__
from nicelogic.audit.rows import CODE_FIELDS, EPISODE_FIELDS, STANDARD_FIELDS, Row
from nicelogic.checking.checker import Checker
from nicelogic.input.read import detect_format
from nicelogic.research.schema import RUNS, SCHEMA_VERSION
from nicelogic.research.store import COUNTS, DuckDBStore, now

_TYPES = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_()}


def _schema(table: str, fields: Sequence[tuple[str, str]]) -> pa.Schema:
    return pa.schema(
        [pa.field("run_id", pa.string(), nullable=False), *(pa.field(name, _TYPES[kind]) for name, kind in fields)],
        metadata={"nicelogic.table": table, "nicelogic.schema_version": str(SCHEMA_VERSION)},
    )


AUDIT_TABLES = {
    "episodes": ("audit_episodes", _schema("audit_episodes", EPISODE_FIELDS)),
    "codes": ("audit_codes", _schema("audit_codes", CODE_FIELDS)),
    "standards": ("audit_standards", _schema("audit_standards", STANDARD_FIELDS)),
}


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class AuditResults:
    """Writes one compare run into a DuckDB results database, a batch of rows at a time."""

    def __init__(self, path: str, paths: Sequence[str], options: Mapping[str, object], command: str, checker: Checker | None):
        from pathlib import Path

        self.store = DuckDBStore(Path(path))
        for name, schema in AUDIT_TABLES.values():
            self.store._insert_from(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM incoming", schema.empty_table())
        self.run_id = now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
        inputs = [
            {"path": os.path.abspath(p), "format": detect_format(p), "size": os.path.getsize(p), "sha256": _sha256(p)}
            for p in paths
            if p != "-"
        ]
        packs, tables, rules = [], [], []
        if checker is not None:
            packs = [
                {"name": pack.name, "version": pack.version,
                 "sha256": hashlib.sha256("\0".join((*pack.texts, *(t.facts() for t in pack.relations))).encode()).hexdigest()}
                for pack in checker.ruleset.packs
            ]  # fmt: skip
            tables = [{"name": name, "version": version} for name, version in checker.tables.versions().items()]
            rules = sorted(
                ({"id": r.id, "pack": r.pack, "severity": r.severity, "title": r.title} for r in checker.rules.values()),
                key=lambda r: r["id"],
            )
        shaping = json.dumps({"inputs": inputs, "options": options, "packs": packs}, sort_keys=True)
        self.store.start(
            {"run_id": self.run_id, "fingerprint": hashlib.sha256(shaping.encode()).hexdigest(), "nicelogic_version": __version__,
             "schema_version": SCHEMA_VERSION, "command": command, "options": json.dumps(options, sort_keys=True),
             "started": now(), "status": "running", "complete": False, "packs": packs, "tables": tables, "inputs": inputs,
             "rules": rules, "carried": [], **dict.fromkeys(COUNTS, 0)}
        )  # fmt: skip
        assert set(self.store.run_row(self.run_id)) >= set(RUNS.names)

    def add(self, table: str, rows: list[Row]) -> None:
        name, schema = AUDIT_TABLES[table]
        data = pa.Table.from_pylist([{"run_id": self.run_id, **row} for row in rows], schema=schema)
        db = self.store.db
        db.execute("BEGIN TRANSACTION")
        try:
            self.store._insert_from(f"INSERT INTO {name} BY NAME SELECT * FROM incoming", data)
            if table == "episodes":
                # the run's records: the episode rows (compared or not) committed so far
                db.execute("UPDATE runs SET records = records + ? WHERE run_id = ?", [len(rows), self.run_id])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def finish(self, status: str, error: str | None = None) -> None:
        self.store.finish(self.run_id, status, error)

    def close(self) -> None:
        self.store.close()
