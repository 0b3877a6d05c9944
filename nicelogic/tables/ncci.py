"""The CMS NCCI edits: add-on codes, procedure-to-procedure pairs and medically unlikely
units, queried per batch through DuckDB for the codes present. The full 2024 tables ship with
the package as Parquet (converted by ``ncci_import``); a converted quarter or a folder of CMS
CSV files replaces them."""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from nicelogic.asp.facts import quote
from nicelogic.errors import InputError
from nicelogic.tables.ncci_import import MANIFEST, csv_relation, release_files, release_kind

DEFAULT_NCCI = Path(__file__).resolve().parent / "data" / "ncci"
# up to this many codes are a claim's, looked up code by code and kept (NcciTables._pairs)
_FEW_CODES = 32
# PTP rows kept by first code: about 20 MB, the rows of some 500 codes (a code has 200 on average, at most 1,258)
_KEPT_PAIRS = 100_000


@dataclass(eq=False)  # identity: a WeakSet tracks open connections
class NcciTables:
    """Add-on, procedure-to-procedure and MUE edits, queried through DuckDB: converted Parquet
    tables are read where they lie (only the row groups that can hold a batch's codes), CMS
    CSV files are loaded into memory."""

    source: str
    files: tuple[Path, ...]
    releases: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _con: object = field(default=None, repr=False)
    _known: dict[str, bool] = field(default_factory=dict, repr=False)
    _pid: int = field(default=0, repr=False)  # the process that opened the connection
    # the add-on and MUE tables by code (about 22,000 rows together), read once: a lookup in
    # them costs less than a query, which is most of the time of checking one claim
    _small: tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]] | None = field(default=None, repr=False)
    # the PTP rows of each first code a claim has asked about, the least recently asked
    # dropped first: a claim's codes recur in the next claims, and one query costs more than
    # everything else in checking a claim (see _pairs)
    _pairs_of: OrderedDict[str, tuple[tuple[Any, ...], ...]] = field(default_factory=OrderedDict, repr=False)
    _pairs_kept: int = field(default=0, repr=False)

    def _connection(self):  # type: ignore[no-untyped-def]
        if self._pid != os.getpid():
            # DuckDB is not fork-safe: a bounded worker forked from a process that has queried
            # the tables would hang on the parent's connection, so each process opens its own
            self._con = None
        if self._con is None:
            import duckdb

            # one thread and a small buffer pool: the tables are read a few row groups at a time,
            # and a bounded worker caps its address space
            con = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": "256MB"})
            kinds: dict[str, list[Path]] = {"aoc": [], "ptp": [], "mue": []}
            for path in self.files:
                kinds[release_kind(path)].append(path)
            for kind, paths in kinds.items():
                if not paths:
                    raise InputError(f"no NCCI {kind.upper()} file among {', '.join(str(p) for p in self.files)}")
            try:
                for kind, paths in kinds.items():
                    if all(p.suffix == ".parquet" for p in paths):
                        # a view cannot take a prepared parameter: the paths are written as SQL literals
                        literals = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
                        con.execute(f"CREATE VIEW {kind} AS SELECT * FROM read_parquet([{literals}])")
                    else:
                        query, params = csv_relation(paths, kind)
                        con.execute(f"CREATE TABLE {kind} AS {query}", params)
            except Exception as exc:  # duckdb raises its own exception types
                raise InputError(f"cannot load the NCCI tables ({self.source}): {exc}") from None
            self._con = con
            self._pid = os.getpid()
            _OPEN.add(self)
        return self._con

    def close(self) -> None:
        """Close the connection (it reopens when next asked)."""
        with self._lock:
            if self._con is not None:
                self._con.close()  # type: ignore[attr-defined]
                self._con = None

    def _held(self) -> threading.Lock:
        """This table set's lock, a fresh one in a process forked since it was opened: a lock
        held by another thread at the fork stays held in the child."""
        if self._pid != os.getpid():
            self._lock = threading.Lock()
        return self._lock

    def _rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with self._held():  # one connection per table set; DuckDB cursors are not shared across threads
            return self._connection().cursor().execute(sql, list(params)).fetchall()

    def _pairs(self, wanted: list[str]) -> list[tuple[Any, ...]]:
        """The PTP rows both of whose codes are among ``wanted`` (distinct, sorted). A batch's
        codes are looked up in one query; a claim's few, by each code's rows, kept: a query
        takes milliseconds whatever it asks, while a claim's codes are mostly ones asked
        about before."""
        if len(wanted) > _FEW_CODES:
            return self._rows("SELECT c1, c2, deleted, mi FROM ptp WHERE c1 IN ? AND c2 IN ?", wanted, wanted)
        known: dict[str, tuple[tuple[Any, ...], ...]] = {}
        missing = []
        for code in wanted:
            kept = self._pairs_of.get(code)
            if kept is None:
                missing.append(code)
            else:
                known[code] = kept
        if missing:
            fresh: dict[str, list[tuple[Any, ...]]] = {code: [] for code in missing}
            for row in self._rows("SELECT c1, c2, deleted, mi FROM ptp WHERE c1 IN ?", missing):
                fresh[row[0]].append(row)
            known.update((code, tuple(sorted(rows))) for code, rows in fresh.items())
        with self._held():
            for code in wanted:
                if code in self._pairs_of:
                    self._pairs_of.move_to_end(code)
                else:
                    self._pairs_of[code] = known[code]
                    self._pairs_kept += len(known[code]) + 1
            while self._pairs_kept > _KEPT_PAIRS and len(self._pairs_of) > 1:
                self._pairs_kept -= len(self._pairs_of.popitem(last=False)[1]) + 1
        present = set(wanted)
        return [row for code in wanted for row in known[code] if row[1] in present]

    def facts(self, codes: Iterable[str]) -> list[str]:
        wanted = sorted(set(codes))
        if not wanted:
            return []
        by_addon, by_code = self._small_tables()
        addons = [row for code in wanted for row in by_addon.get(code, ())]
        pairs = self._pairs(wanted)
        limits = [row for code in wanted for row in by_code.get(code, ())]
        return (
            [f"ncci_addon({quote(a)},{quote(p)},{k})." for p, a, k in addons]
            + [f"ncci_ptp({quote(c1)},{quote(c2)},{d},{m})." for c1, c2, d, m in pairs]
            + [f"ncci_mue({quote(c)},{u},{m})." for c, u, m in limits]
        )

    def _small_tables(self) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
        """The add-on rows by add-on code and the MUE rows by code."""
        if self._small is None:
            by_addon: dict[str, list[tuple[Any, ...]]] = {}
            for row in self._rows("SELECT primary_code, add_on, kind FROM aoc"):
                by_addon.setdefault(row[1], []).append(row)
            by_code: dict[str, list[tuple[Any, ...]]] = {}
            for row in self._rows("SELECT code, units, mai FROM mue"):
                by_code.setdefault(row[0], []).append(row)
            self._small = (by_addon, by_code)
        return self._small

    def known_codes(self) -> frozenset[str]:
        """Every CPT/HCPCS code the tables name (for linting code literals)."""
        rows = self._rows("SELECT code FROM mue UNION SELECT add_on FROM aoc UNION SELECT primary_code FROM aoc")
        return frozenset(row[0] for row in rows)

    def unknown(self, codes: Iterable[str]) -> frozenset[str]:
        """The codes that no loaded NCCI table names (no add-on, PTP or MUE row), whose
        claims the edits cannot judge; answers are kept, as a batch repeats its codes."""
        asked = set(codes)
        wanted = sorted(asked - self._known.keys())
        if wanted:
            found = {
                row[0]
                for row in self._rows(
                    "SELECT code FROM mue WHERE code IN ? UNION SELECT add_on FROM aoc WHERE add_on IN ? "
                    "UNION SELECT primary_code FROM aoc WHERE primary_code IN ? "
                    "UNION SELECT c1 FROM ptp WHERE c1 IN ? UNION SELECT c2 FROM ptp WHERE c2 IN ?",
                    *([wanted] * 5),
                )
            }
            self._known.update((code, code in found) for code in wanted)
        return frozenset(code for code in asked if not self._known[code])

    def primaries(self, addons: Iterable[str]) -> list[str]:
        """The listed primary codes of the given add-on codes (not contractor-defined ones)."""
        wanted = sorted(set(addons))
        if not wanted:
            return []
        rows = self._rows("SELECT DISTINCT primary_code FROM aoc WHERE add_on IN ? AND primary_code <> 'CCCCC'", wanted)
        return sorted(row[0] for row in rows)


# DuckDB does not survive a fork: a child that queries through a connection its parent
# opened, or opens one while the parent's database still runs its threads, crashes. Every
# open connection is closed just before the process forks (bounded workers, worker pools);
# each side reopens its own when it next needs the tables.
_OPEN: weakref.WeakSet[NcciTables] = weakref.WeakSet()


def _close_before_fork() -> None:
    for tables in list(_OPEN):
        tables.close()


os.register_at_fork(before=_close_before_fork)


@cache
def load_ncci(folder: Path = DEFAULT_NCCI, setting: str = "practitioner") -> NcciTables:
    """NCCI tables from a folder converted by ``import_ncci`` (the shipped one by default) or
    from a folder of CMS release files (CSV, optionally gzipped). Where a folder holds
    practitioner and outpatient hospital tables, ``setting`` picks one."""
    if (folder / MANIFEST).is_file():
        return _converted(folder, setting)
    files = release_files(folder)
    chosen = []
    for f in files:
        same = [g for g in files if g.kind == f.kind]
        if f.setting and f.setting != setting and any(g.setting == setting for g in same):
            continue
        chosen.append(f)
    if setting == "outpatient" and any(f.kind == "ptp" for f in chosen) and not any(f.table == "ptp_outpatient" for f in chosen):
        raise InputError(f"no NCCI outpatient hospital PTP file in {folder}{_OUTPATIENT_HINT}")
    releases = {f.kind: f.release for f in chosen}
    return NcciTables(f"CMS NCCI ({folder})", tuple(f.path for f in chosen), releases)


_OUTPATIENT_HINT = (
    " (the package ships the practitioner PTP table only: convert the outpatient hospital PTP file of a CMS release"
    " with `nicelogic tables import-ncci DIR -o OUT` and load OUT with --ncci-dir)"
)


def _converted(folder: Path, setting: str) -> NcciTables:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    chosen: dict[str, str] = {}
    for kind in ("aoc", "ptp", "mue"):
        table = kind if kind == "aoc" else f"{kind}_{setting}"
        if table not in manifest:
            hint = _OUTPATIENT_HINT if table == "ptp_outpatient" else ""
            raise InputError(f"no NCCI {table} table in {folder}{hint}")
        chosen[table] = str(manifest[table]["release"])
    where = "shipped" if folder == DEFAULT_NCCI else str(folder)
    dates = ", ".join(f"{t} {d}" for t, d in chosen.items())
    files = tuple(folder / f"{t}.parquet" for t in chosen)
    return NcciTables(f"CMS NCCI, {setting} ({dates}; {where})", files, {t.split("_")[0]: d for t, d in chosen.items()})
