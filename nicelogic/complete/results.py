"""What completions and repairs return: frozen values, the documented JSON shape
(``docs/completions.md``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placed:
    section: str
    position: int
    code: str


@dataclass(frozen=True, slots=True)
class Completion:
    """One valid completion, or with ``template`` a group of them that differ only in
    fourth characters (``V55.-``), with how many it stands for."""

    record: str  # the completed record in the text input format
    added: tuple[Placed, ...]
    warnings: tuple[str, ...] = ()
    template: bool = False
    count: int = 1
    exhaustive: bool = True  # False: count is a lower bound
    example: str | None = None  # templates: the best-ranked member


@dataclass(frozen=True, slots=True)
class Conflict:
    """Why a record has no completion: the smallest set of given codes and rules that
    cannot hold together (and whether the bound on added codes is part of it)."""

    codes: tuple[Placed, ...]
    rules: tuple[str, ...]
    bounded: bool
    message: str


@dataclass(frozen=True, slots=True)
class CompletionReport:
    input: str
    completions: tuple[Completion, ...]
    count: int
    exhaustive: bool
    minimal: bool = False
    grouped: bool = False
    conflict: Conflict | None = None
    gave_up: float | None = None  # seconds: the time limit ran out; what was found by then


@dataclass(frozen=True, slots=True)
class Consequences:
    """Codes (and categories) that appear in some / in every valid completion."""

    input: str
    may: tuple[Placed, ...]
    must: tuple[Placed, ...]
    may_categories: tuple[Placed, ...]
    must_categories: tuple[Placed, ...]
    minimal: bool = False
    conflict: Conflict | None = None
    # seconds: the time limit ran out; ``may`` holds what was found by then (a lower bound)
    # and ``must`` is empty (not known)
    gave_up: float | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    kind: str  # insert, delete, move, replace
    section: str
    code: str
    position: int | None = None  # in the repaired record
    original: int | None = None  # the given code's position in the input
    replacement: str | None = None


@dataclass(frozen=True, slots=True)
class Repair:
    record: str
    edits: tuple[Edit, ...]
    removes: tuple[str, ...]  # the rule ids whose violations the repair removes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RepairReport:
    input: str
    repairs: tuple[Repair, ...]
    count: int
    exhaustive: bool
    violations: tuple[str, ...] = ()  # the input's error-severity violations
    conflict: Conflict | None = None
    # seconds: the time limit ran out; the repairs are those found by then (the count a
    # lower bound), and when ``proven_minimal`` is False, valid but perhaps not the smallest
    gave_up: float | None = None
    proven_minimal: bool = True
