"""Converting a quarter's CMS NCCI release files into the shipped form: one zstd Parquet file
per table with the columns the edits read, and a manifest naming each table's release date,
source file and row count. The package ships the 2024 tables converted this way; a user
converts a new quarter with ``nicelogic tables import-ncci``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from nicelogic.errors import InputError

MANIFEST = "manifest.json"

# The columns the edits read, from the CMS files' columns, per table kind (written once).
_SELECT = {
    "aoc": "trim(primary_code) AS primary_code, trim(add_on_code) AS add_on, CAST(aoc_edit_type AS INTEGER) AS kind",
    "ptp": "trim(column_1) AS c1, trim(column_2) AS c2, "
    "CAST(replace(coalesce(nullif(trim(deletion_date), ''), '9999-12-31'), '-', '') AS INTEGER) AS deleted, "
    "CAST(modifier_indicator AS INTEGER) AS mi",
    "mue": "trim(hcpcs_code) AS code, CAST(mue_units AS INTEGER) AS units, CAST(mue_mai AS INTEGER) AS mai",
}
# Sorted by the column every batch query filters on, in small row groups, so that a query for
# a few codes reads only the row groups whose min/max statistics can hold them.
_ORDER = {"aoc": "add_on, primary_code", "ptp": "c1, c2", "mue": "code"}
_ROW_GROUP = 16_384


@dataclass(frozen=True)
class ReleaseFile:
    kind: str  # aoc, ptp, mue
    setting: str  # practitioner, outpatient, or "" for add-on codes (one table for both)
    path: Path

    @property
    def table(self) -> str:
        return f"{self.kind}_{self.setting}" if self.setting else self.kind

    @property
    def release(self) -> str:
        """The release date in the file name (CMS names its quarterly files by date)."""
        found = re.search(r"(\d{4})-?(\d{2})-?(\d{2})", self.path.name)
        return "-".join(found.groups()) if found else "unknown"


def release_kind(path: Path) -> str:
    name = path.name.lower()
    for kind in ("aoc", "ptp", "mue"):
        if kind in name:
            return kind
    raise InputError(f"{path}: cannot tell which NCCI table this is (expected 'aoc', 'ptp' or 'mue' in the name)")


def release_files(folder: Path) -> list[ReleaseFile]:
    """The CSV files (optionally gzipped) of a CMS release folder, by table. A full PTP file
    makes a subset of it redundant."""
    if not folder.is_dir():
        raise InputError(f"the NCCI folder {folder} does not exist")
    found = []
    for path in sorted(folder.iterdir()):
        if not (path.is_file() and re.search(r"\.(csv|txt)(\.gz)?$", path.name, re.IGNORECASE)):
            continue
        kind = release_kind(path)
        name = path.name.lower()
        setting = "" if kind == "aoc" else "outpatient" if "outpatient" in name else "practitioner"
        found.append(ReleaseFile(kind, setting, path))
    full = {f.table for f in found if "subset" not in f.path.name.lower()}
    return [f for f in found if not ("subset" in f.path.name.lower() and f.table in full)]


def csv_relation(files: list[Path], kind: str) -> tuple[str, list[object]]:
    """SQL (and its parameter) that reads CMS files of one kind as the edits' columns."""
    return f"SELECT {_SELECT[kind]} FROM read_csv(?, header=true, all_varchar=true)", [[str(p) for p in files]]


def import_ncci(source: Path, out: Path) -> dict[str, dict[str, object]]:
    """Convert the CMS release files in ``source`` into Parquet tables and a manifest in ``out``;
    returns the manifest (per table: release date, source file, rows)."""
    import duckdb

    files = release_files(source)
    if not files:
        raise InputError(f"no NCCI release files (CSV or TXT, optionally gzipped) in {source}")
    tables: dict[str, list[ReleaseFile]] = {}
    for f in files:
        tables.setdefault(f.table, []).append(f)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    con = duckdb.connect(":memory:")
    for table, parts in sorted(tables.items()):
        kind = parts[0].kind
        query, params = csv_relation([p.path for p in parts], kind)
        target = out / f"{table}.parquet"
        quoted = str(target).replace("'", "''")
        try:
            con.execute(
                f"COPY ({query} ORDER BY {_ORDER[kind]}) TO '{quoted}' "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {_ROW_GROUP})",
                params,
            )
            (rows,) = con.execute("SELECT count(*) FROM read_parquet(?)", [str(target)]).fetchone() or (0,)
        except Exception as exc:  # duckdb raises its own exception types
            raise InputError(
                f"cannot convert the NCCI {table} table from {', '.join(p.path.name for p in parts)}: {exc}"
            ) from None
        manifest[table] = {"release": max(p.release for p in parts), "source": [p.path.name for p in parts], "rows": rows}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
