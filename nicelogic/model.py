"""Input data: coded records as parsed from any input format.

These types sit at the bottom of the import graph: parsing produces them, facts and
checking consume them, reports print them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class System(enum.StrEnum):
    """A coding system; the value is the section name used in facts, JSON and text input."""

    OPCS = "opcs"
    ICD10 = "icd10"
    CPT = "cpt"

    @property
    def label(self) -> str:
        return _SYSTEM_LABELS[self]

    @classmethod
    def from_name(cls, name: str) -> System:
        """Accept the keywords of the text format (opcs, opcs4, icd, icd10, cpt)."""
        try:
            return SYSTEM_KEYWORDS[name.strip().lower()]
        except KeyError:
            known = ", ".join(sorted(SYSTEM_KEYWORDS))
            raise ValueError(f"unknown coding system {name!r} (expected one of {known})") from None


_SYSTEM_LABELS = {System.OPCS: "OPCS-4", System.ICD10: "ICD-10", System.CPT: "CPT"}
SYSTEM_KEYWORDS = {  # how a section is named in text records, JSON keys and --system
    "opcs": System.OPCS,
    "opcs4": System.OPCS,
    "icd": System.ICD10,
    "icd10": System.ICD10,
    "cpt": System.CPT,
}


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Code:
    """One code as written in a record, with its canonical form and where it was found.

    ``value`` is canonical: upper case, dotted for OPCS-4 and ICD-10 four- and
    five-character codes (``V44.4``, ``M80.08``), without ICD-10 filler ``X`` or
    dagger/asterisk marks (those are kept in ``mark``).
    """

    system: System
    value: str
    raw: str
    column: int = 0  # 1-based; the line is the record's
    wildcard: bool = False
    mark: str | None = None  # "dagger" or "asterisk" as written in the record
    modifiers: tuple[str, ...] = ()
    units: int = 1

    @property
    def category(self) -> str:
        """The three-character category (OPCS-4, ICD-10) or the code itself (CPT)."""
        return self.value if self.system is System.CPT else self.value[:3]

    def text(self) -> str:
        """The code written back in the text input format."""
        if self.system is System.CPT:
            mods = "".join(f"-{m}" for m in self.modifiers)
            units = f"x{self.units}" if self.units != 1 else ""
            return f"{self.value}{mods}{units}"
        if self.wildcard:
            return f"{self.value}.-"
        sign = {"dagger": "\u2020", "asterisk": "*"}.get(self.mark or "", "")
        return self.value + sign

    def key(self) -> tuple[object, ...]:
        """What rules can see of this code (no line, column or raw spelling)."""
        return (self.value, self.wildcard, self.mark, self.modifiers, self.units)


@dataclass(frozen=True, slots=True)
class Field:
    """For records read from tables and JSON: where a stretch of the record's text came from."""

    offset: int  # 0-based offset in the record's text form where this field's code starts
    name: str  # e.g. OPERTN_02 or opcs[2]
    column: int  # the column reported to the user (CSV column number, JSON character)


@dataclass(frozen=True, slots=True)
class Episode:
    """Where a record sits in a patient's history, as far as the input says (HES names in
    ``nicelogic/input/episodes.py``): patient-level rules read it; rules of one record do not."""

    patient: str | None = None  # PSEUDO_HESID, HESID, ... (the extract's patient key)
    episode: str | None = None  # EPIKEY
    spell: str | None = None  # SUSSPELLID, PROVSPNO
    order: int | None = None  # EPIORDER
    admitted: str | None = None  # ISO dates: ADMIDATE, EPISTART, EPIEND, DISDATE
    started: str | None = None
    ended: str | None = None
    discharged: str | None = None
    discharge_method: str | None = None  # DISMETH: 4 died
    status: str | None = None  # EPISTAT: 3 finished
    provider: str | None = None  # PROCODE3


@dataclass(frozen=True, slots=True)
class Record:
    """One coded record: an episode (OPCS-4 + ICD-10) or a claim (CPT + ICD-10)."""

    id: str
    sections: tuple[tuple[System, tuple[Code, ...]], ...] = ()
    line: int = 0
    source: str = "<input>"
    sex: Sex | None = None
    age: int | None = None
    date: str | None = None  # ISO date, YYYY-MM-DD
    fields: tuple[Field, ...] = ()  # tabular and JSON input: where each code came from
    waivers: tuple[str, ...] = ()  # rule ids this record waives (reported, never hidden)
    episode: Episode | None = None  # patient, spell and episode keys and dates, when given

    @property
    def judged_on(self) -> str | None:
        """The date that decides which edition and which packs judge the record: the
        episode's end (EPIEND), else the record's date."""
        ended = self.episode.ended if self.episode is not None else None
        return ended or self.date

    def codes(self, system: System) -> tuple[Code, ...]:
        for sec, codes in self.sections:
            if sec is system:
                return codes
        return ()

    def locate(self, column: int) -> tuple[int, str | None]:
        """The user's column and field name for a column of the record's text form."""
        found = None
        for spec in self.fields:
            if spec.offset > column - 1:
                break
            found = spec
        return (found.column, found.name) if found else (column, None)

    def text(self) -> str:
        """The record written back as one line of the text input format."""
        body = "; ".join(f"{system.value} " + " ".join(c.text() for c in codes) for system, codes in self.sections)
        return f"{self.id}: {body}"
