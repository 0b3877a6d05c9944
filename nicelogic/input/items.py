"""What a reader yields: one input record before parsing, and a record that could not be
read, with the reason and where."""

from __future__ import annotations

from dataclasses import dataclass

from nicelogic.errors import InputProblem
from nicelogic.model import Field, Sex, System


@dataclass(frozen=True, slots=True)
class InputLine:
    """One input record before parsing."""

    source: str
    line: int
    text: str  # the record in the text format
    default_system: System = System.OPCS
    id: str | None = None  # given by tabular and JSON inputs
    fields: tuple[Field, ...] = ()  # for rewritten lines: where each code came from
    sex: Sex | None = None
    age: int | None = None
    date: str | None = None
    error: InputProblem | None = None  # the record could not be read
    waivers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read, with the reason and where."""

    id: str
    line: int
    source: str
    error: InputProblem
