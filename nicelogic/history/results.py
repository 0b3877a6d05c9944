"""What the patient-level rules found: frozen results, one shape for every caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Blamed:
    """An episode or spell a patient-level rule blames (or counts in its denominator)."""

    kind: str  # "episode", "spell" or "patient"
    number: int  # 1-based in the patient's order (0 for the patient)
    records: tuple[str, ...]  # the ids of its records
    lines: tuple[tuple[str, int], ...] = ()  # (source, line) of each
    provider: str = ""  # the spell's provider (PROCODE3), or the episode's
    ended: str = ""  # ISO date: the spell's discharge, or the episode's end

    def __str__(self) -> str:
        if self.kind == "patient":
            return "patient"
        return f"{self.kind} {self.number} ({', '.join(self.records)})"


@dataclass(frozen=True, slots=True)
class PatientViolation:
    rule: str
    severity: str
    patient: str
    blamed: tuple[Blamed, ...]
    message: str
    source: str
    title: str = ""
    detail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientResult:
    """One patient's verdict: the violations, and where each rule applied (its units)."""

    patient: str
    violations: tuple[PatientViolation, ...]
    applies: tuple[tuple[str, Blamed], ...]  # (rule, unit) for every unit a rule judged
    spell_method: str
    # (rule, unit, reference): the unit a rule judged against another it names beside it in
    # patient_applies, (Unit, Reference) (a persistence rule: the index spell)
    references: tuple[tuple[str, Blamed, Blamed], ...] = ()


@dataclass(frozen=True, slots=True)
class RuleRate:
    """A patient-level rule over a run: units it judged, units it blamed."""

    rule: str
    applies: int
    violating: int

    @property
    def rate(self) -> float | None:
        return self.violating / self.applies if self.applies else None


@dataclass(frozen=True, slots=True)
class HistorySummary:
    patients: int = 0
    violations: int = 0
    not_judged: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # reason -> records
    duplicates: int = 0  # episode keys held by more than one record
    spell_methods: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # method -> patients
    rates: tuple[RuleRate, ...] = ()
