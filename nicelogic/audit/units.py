"""The units a coding audit compares: each ICD-10 code, and each OPCS-4 procedure with the
site and laterality codes (chapter Z) that qualify it.

A site or laterality code belongs to the procedure group it stands in: the operation code
that heads the group, before any subsidiary codes (chapter Y methods and approaches, chapter
Z, V55 levels of spine). This is the grouping of ``logic/lib/opcs.lp`` (``opcs_group``),
which the rules use; a chapter Z code with no operation before it is a unit of its own.
Chapter Y and V55 codes are compared as codes in their own right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nicelogic.model import Record, System

_MARK_SIGNS = {"\u2020": "dagger", "*": "asterisk"}
_SIGNS = {mark: sign for sign, mark in _MARK_SIGNS.items()}


@dataclass(frozen=True, slots=True)
class Unit:
    """One compared unit: a code (canonical, with its dagger/asterisk mark) and, for an
    OPCS-4 procedure, its site and laterality codes (sorted: their order is not compared)."""

    system: System
    code: str  # canonical: V44.4, M80.08
    mark: str | None = None  # "dagger" or "asterisk"
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str | None, tuple[str, ...]]:
        return (self.code, self.mark, self.qualifiers)

    @property
    def category(self) -> str:
        return self.code[:3]

    @property
    def four(self) -> str:
        """The code to its fourth character (M80.0 of M80.08; a three-character code itself)."""
        return self.code[:5]

    def text(self) -> str:
        sign = _SIGNS.get(self.mark or "", "")
        return self.code + sign + "".join(f" {q}" for q in self.qualifiers)


@dataclass(frozen=True, slots=True)
class Coding:
    """One episode's coding as compared: diagnoses and procedures as units, in order (the
    first is the primary)."""

    diagnoses: tuple[Unit, ...] = ()
    procedures: tuple[Unit, ...] = ()


def _subsidiary(code: str) -> bool:
    return code[:1] in ("Y", "Z") or code[:3] == "V55"


def procedure_units(codes: Sequence[tuple[str, str | None]]) -> tuple[Unit, ...]:
    """OPCS-4 codes ``(value, mark)`` in order, as units: chapter Z codes join the
    operation that heads their group."""
    units: list[Unit] = []
    head: int | None = None  # index in units of the current group's operation
    for code, mark in codes:
        if code[:1] == "Z" and head is not None:
            operation = units[head]
            units[head] = Unit(System.OPCS, operation.code, operation.mark, tuple(sorted((*operation.qualifiers, code))))
            continue
        if not _subsidiary(code):
            head = len(units)
        units.append(Unit(System.OPCS, code, mark))
    return tuple(units)


def diagnosis_units(codes: Sequence[tuple[str, str | None]]) -> tuple[Unit, ...]:
    return tuple(Unit(System.ICD10, code, mark) for code, mark in codes)


def coding_of(record: Record) -> Coding:
    """A parsed record's coding (CPT sections are not part of a coding audit)."""
    return Coding(
        diagnosis_units([(c.value, c.mark) for c in record.codes(System.ICD10)]),
        procedure_units([(c.value, c.mark) for c in record.codes(System.OPCS)]),
    )


def code_texts(record: Record, system: System) -> list[str]:
    """A section's codes as stored between reading and comparing: canonical, marked."""
    return [c.value + _SIGNS.get(c.mark or "", "") for c in record.codes(system)]


def parse_text(text: str) -> tuple[str, str | None]:
    """A stored code back into ``(value, mark)``."""
    mark = _MARK_SIGNS.get(text[-1:])
    return (text[:-1], mark) if mark else (text, None)


def coding_of_texts(diagnoses: Sequence[str], procedures: Sequence[str]) -> Coding:
    return Coding(diagnosis_units([parse_text(t) for t in diagnoses]), procedure_units([parse_text(t) for t in procedures]))
