"""Editions of OPCS-4 and ICD-10 and the dates each was in force (``data/editions/editions.tsv``).

A record is coded with the edition in force when its episode ended: a code table judges the
records dated within its edition's period, and a record dated outside every loaded table's
period is "not judged" by the validity rules rather than called wrong by today's table.
A table whose edition cannot be told (a file named neither way) is undated and judges
records of any date, as a single table always did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nicelogic.errors import InputError

EDITIONS_FILE = Path(__file__).resolve().parent / "data" / "editions" / "editions.tsv"
SYSTEMS = ("opcs4", "icd10")


@dataclass(frozen=True, slots=True)
class Edition:
    system: str  # "opcs4" or "icd10", as --table names them
    name: str  # "OPCS-4.11", "ICD-10 5th Edition"
    start: str | None = None  # ISO dates, inclusive; None is open
    end: str | None = None
    note: str = ""

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    def in_force(self, day: str | None) -> bool:
        """Whether a record dated ``day`` was coded with this edition (undated: yes)."""
        if day is None:
            return True
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def period(self) -> str:
        if not self.dated:
            return "any date"
        return f"{self.start or '...'} to {self.end or '...'}"


@cache
def editions() -> tuple[Edition, ...]:
    """Every known edition, in the order of the table."""
    found = []
    lines = [line for line in EDITIONS_FILE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    for line in lines[1:]:  # the header
        system, name, start, end, note = (line.split("\t") + [""] * 5)[:5]
        found.append(Edition(system, name, start or None, end or None, note))
    return tuple(found)


def edition_named(system: str, name: str) -> Edition:
    """An edition by its name or version as a user writes it (``4.3``, ``OPCS-4.3``, ``5th``,
    ``5th Edition``); InputError naming the known ones otherwise."""
    system = canonical_system(system)
    wanted = _normalise(system, name)
    for edition in editions():
        if edition.system == system and _normalise(system, edition.name) == wanted:
            return edition
    known = ", ".join(e.name for e in editions() if e.system == system)
    raise InputError(f"unknown {system} edition {name!r} (known: {known})")


def canonical_system(name: str) -> str:
    system = {"opcs": "opcs4", "opcs4": "opcs4", "icd": "icd10", "icd10": "icd10"}.get(name.strip().lower())
    if system is None:
        raise InputError(f"unknown classification {name!r} for a table (opcs4 or icd10)")
    return system


def _normalise(system: str, text: str) -> str:
    text = text.strip().lower()
    if system == "opcs4":
        match = re.search(r"(?:opcs-?)?4\.(\d+)$", text)
        return f"4.{match.group(1)}" if match else text
    return re.sub(r"^(uk )?icd-?10 ", "", text).removesuffix(" edition")


_OPCS_NAME = re.compile(r"OPCS-?4\.?(\d+)", re.IGNORECASE)
_ICD_NAME = re.compile(r"(?:(\d)(?:st|nd|rd|th)[ _-]?Edition|Edition[ _-]?(\d))", re.IGNORECASE)


def opcs_edition_of(text: str) -> Edition | None:
    """The edition a release file's name tells (``OPCS411_CodesAndTitles...``, ``OPCS-4.9``)."""
    match = _OPCS_NAME.search(text)
    if match is None:
        return None
    try:
        return edition_named("opcs4", f"4.{int(match.group(1))}")
    except InputError:
        return None


def icd10_edition_of(text: str) -> Edition | None:
    """The UK edition a release file's name or schema tells (``ICD10_5th_Edition``, ``Edition5``)."""
    match = _ICD_NAME.search(text)
    if match is None:
        return None
    number = int(match.group(1) or match.group(2))
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number, "th")
    try:
        return edition_named("icd10", f"{number}{suffix}")
    except InputError:
        return None


def undated(system: str, name: str) -> Edition:
    """The edition of a table whose edition cannot be told: in force at any date."""
    return Edition(system, name)
