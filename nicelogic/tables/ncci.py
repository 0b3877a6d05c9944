"""The CMS NCCI edits: add-on codes, procedure-to-procedure pairs and medically unlikely
units, held in DuckDB and queried per batch for the codes present. The rows the built-in
packs need ship with the package; a folder of full quarterly files replaces them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from nicelogic.asp.facts import quote
from nicelogic.errors import InputError

DEFAULT_NCCI = Path(__file__).resolve().parent / "data" / "ncci"


@dataclass
class NcciTables:
    """Add-on, procedure-to-procedure and MUE edits in an in-memory DuckDB database."""

    source: str
    files: tuple[Path, ...]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _con: object = field(default=None, repr=False)

    def _connection(self):  # type: ignore[no-untyped-def]
        if self._con is None:
            import duckdb

            con = duckdb.connect(":memory:")
            kinds = {"aoc": [], "ptp": [], "mue": []}
            for path in self.files:
                kinds[_ncci_kind(path)].append(str(path))
            for kind, paths in kinds.items():
                if not paths:
                    raise InputError(f"no NCCI {kind.upper()} file among {', '.join(str(p) for p in self.files)}")
            try:
                con.execute(
                    "CREATE TABLE aoc AS SELECT trim(primary_code) AS primary_code, trim(add_on_code) AS add_on, "
                    "CAST(aoc_edit_type AS INTEGER) AS kind FROM read_csv(?, header=true, all_varchar=true)",
                    [kinds["aoc"]],
                )
                con.execute(
                    "CREATE TABLE ptp AS SELECT trim(column_1) AS c1, trim(column_2) AS c2, "
                    "CAST(replace(coalesce(nullif(trim(deletion_date), ''), '9999-12-31'), '-', '') AS INTEGER) AS deleted, "
                    "CAST(modifier_indicator AS INTEGER) AS mi FROM read_csv(?, header=true, all_varchar=true)",
                    [kinds["ptp"]],
                )
                con.execute(
                    "CREATE TABLE mue AS SELECT trim(hcpcs_code) AS code, CAST(mue_units AS INTEGER) AS units, "
                    "CAST(mue_mai AS INTEGER) AS mai FROM read_csv(?, header=true, all_varchar=true)",
                    [kinds["mue"]],
                )
            except Exception as exc:  # duckdb raises its own exception types
                raise InputError(f"cannot load the NCCI tables ({self.source}): {exc}") from None
            self._con = con
        return self._con

    def _rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with self._lock:  # one connection per table set; DuckDB cursors are not shared across threads
            return self._connection().cursor().execute(sql, list(params)).fetchall()

    def facts(self, codes: Iterable[str]) -> list[str]:
        wanted = sorted(set(codes))
        if not wanted:
            return []
        addons = self._rows("SELECT primary_code, add_on, kind FROM aoc WHERE add_on IN ?", wanted)
        pairs = self._rows("SELECT c1, c2, deleted, mi FROM ptp WHERE c1 IN ? AND c2 IN ?", wanted, wanted)
        limits = self._rows("SELECT code, units, mai FROM mue WHERE code IN ?", wanted)
        return (
            [f"ncci_addon({quote(a)},{quote(p)},{k})." for p, a, k in addons]
            + [f"ncci_ptp({quote(c1)},{quote(c2)},{d},{m})." for c1, c2, d, m in pairs]
            + [f"ncci_mue({quote(c)},{u},{m})." for c, u, m in limits]
        )

    def known_codes(self) -> frozenset[str]:
        """Every CPT/HCPCS code the tables name (for linting code literals)."""
        rows = self._rows("SELECT code FROM mue UNION SELECT add_on FROM aoc UNION SELECT primary_code FROM aoc")
        return frozenset(row[0] for row in rows)

    def primaries(self, addons: Iterable[str]) -> list[str]:
        """The listed primary codes of the given add-on codes (not contractor-defined ones)."""
        wanted = sorted(set(addons))
        if not wanted:
            return []
        rows = self._rows("SELECT DISTINCT primary_code FROM aoc WHERE add_on IN ? AND primary_code <> 'CCCCC'", wanted)
        return sorted(row[0] for row in rows)


def _ncci_kind(path: Path) -> str:
    name = path.name.lower()
    for kind in ("aoc", "ptp", "mue"):
        if kind in name:
            return kind
    raise InputError(f"{path}: cannot tell which NCCI table this is (expected 'aoc', 'ptp' or 'mue' in the name)")


@cache
def load_ncci(folder: Path = DEFAULT_NCCI, setting: str = "practitioner") -> NcciTables:
    """NCCI tables from a folder of CMS files (CSV, optionally gzipped). Where a folder
    holds practitioner and outpatient hospital versions, ``setting`` picks one."""
    if not folder.is_dir():
        raise InputError(f"the NCCI folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.is_file() and re.search(r"\.csv(\.gz)?$", p.name, re.IGNORECASE))
    other = {"practitioner": "outpatient", "outpatient": "practitioner"}[setting]
    chosen = []
    for path in files:
        kind = _ncci_kind(path)
        same_kind = [p for p in files if _ncci_kind(p) == kind]
        if other in path.name.lower() and any(setting in p.name.lower() for p in same_kind):
            continue
        chosen.append(path)
    # A full PTP file makes the shipped subset of the same date redundant.
    full = [p for p in chosen if _ncci_kind(p) == "ptp" and "subset" not in p.name.lower()]
    if full:
        chosen = [p for p in chosen if not (_ncci_kind(p) == "ptp" and "subset" in p.name.lower())]
    return NcciTables(f"CMS NCCI ({folder})", tuple(chosen))
