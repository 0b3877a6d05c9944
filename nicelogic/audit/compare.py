"""One episode's two codings compared, code type by code type (see
:mod:`nicelogic.audit.methods` for the rule, stated in every output)."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from nicelogic.audit.levels import ErrorLevel, level_of
from nicelogic.audit.units import Coding, Unit


class CodeType(enum.StrEnum):
    PRIMARY_DIAGNOSIS = "primary_diagnosis"
    SECONDARY_DIAGNOSES = "secondary_diagnoses"
    PRIMARY_PROCEDURE = "primary_procedure"
    SECONDARY_PROCEDURES = "secondary_procedures"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def primary(self) -> bool:
        return self in (CodeType.PRIMARY_DIAGNOSIS, CodeType.PRIMARY_PROCEDURE)


class Section(enum.StrEnum):
    """The two parts of a record a coding audit compares, as the record names them."""

    DIAGNOSES = "icd10"
    PROCEDURES = "opcs"

    @property
    def code_types(self) -> tuple[CodeType, CodeType]:
        if self is Section.DIAGNOSES:
            return (CodeType.PRIMARY_DIAGNOSIS, CodeType.SECONDARY_DIAGNOSES)
        return (CodeType.PRIMARY_PROCEDURE, CodeType.SECONDARY_PROCEDURES)


class Outcome(enum.StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    OMITTED = "omitted"  # the auditor has it, the original lacks it
    SUPERFLUOUS = "superfluous"  # the original has it, the auditor does not


@dataclass(frozen=True, slots=True)
class CodeComparison:
    """One unit of either coding and what became of it."""

    code_type: CodeType
    outcome: Outcome
    audited: Unit | None
    original: Unit | None
    level: ErrorLevel | None = None  # None when correct
    audited_position: int | None = None  # 1-based among the units of the section
    original_position: int | None = None


@dataclass(frozen=True, slots=True)
class TypeCounts:
    correct: int = 0
    wrong: int = 0
    omitted: int = 0
    superfluous: int = 0
    sequencing: int = 0  # secondary codes: matched codes out of the auditor's order

    @property
    def audited(self) -> int:
        """The auditor's codes: the denominator of code over code."""
        return self.correct + self.wrong + self.omitted


@dataclass(frozen=True, slots=True)
class EpisodeComparison:
    codes: tuple[CodeComparison, ...]
    sequencing: tuple[tuple[CodeType, int], ...] = ()  # per secondary code type
    compared: tuple[Section, ...] = (Section.DIAGNOSES, Section.PROCEDURES)

    def counts(self, code_type: CodeType) -> TypeCounts:
        found = {outcome: 0 for outcome in Outcome}
        for code in self.codes:
            if code.code_type is code_type:
                found[code.outcome] += 1
        sequencing = dict(self.sequencing).get(code_type, 0)
        return TypeCounts(
            found[Outcome.CORRECT], found[Outcome.WRONG], found[Outcome.OMITTED], found[Outcome.SUPERFLUOUS], sequencing
        )

    @property
    def code_types(self) -> tuple[CodeType, ...]:
        return tuple(t for section in self.compared for t in section.code_types)


def compare_episode(
    original: Coding, audited: Coding, compared: Iterable[Section] = (Section.DIAGNOSES, Section.PROCEDURES)
) -> EpisodeComparison:
    """Compare the original coding of an episode with the auditor's, in the sections both
    inputs have."""
    sections = tuple(compared)
    codes: list[CodeComparison] = []
    sequencing: list[tuple[CodeType, int]] = []
    for section in sections:
        if section is Section.DIAGNOSES:
            a_units, o_units = audited.diagnoses, original.diagnoses
        else:
            a_units, o_units = audited.procedures, original.procedures
        found, moved = _compare_section(a_units, o_units, *section.code_types)
        codes += found
        sequencing.append((section.code_types[1], moved))
    return EpisodeComparison(tuple(codes), tuple(sequencing), sections)


# Passes pairing an unmatched auditor code with an unmatched original code, closest first;
# each is an equivalence, so the number of pairs does not depend on which input is which.
_PAIRINGS: tuple[Callable[[Unit], object], ...] = (
    lambda u: u.code,  # another mark, or other site/laterality codes
    lambda u: u.four,  # another UK 5th character
    lambda u: u.category,  # another 4th character
)


def _compare_section(
    a_units: Sequence[Unit], o_units: Sequence[Unit], primary: CodeType, secondary: CodeType
) -> tuple[list[CodeComparison], int]:
    found: list[CodeComparison] = []
    a1 = a_units[0] if a_units else None
    o1 = o_units[0] if o_units else None
    a_rest, o_rest = a_units[1:], o_units[1:]
    if a1 is not None and o1 is not None:
        if a1.key == o1.key:
            found.append(CodeComparison(primary, Outcome.CORRECT, a1, o1, None, 1, 1))
        else:
            swapped = any(u.key == a1.key for u in o_rest) or any(u.key == o1.key for u in a_rest)
            level = ErrorLevel.SEQUENCING if swapped else level_of(a1, o1)
            found.append(CodeComparison(primary, Outcome.WRONG, a1, o1, level, 1, 1))
    elif a1 is not None:
        found.append(CodeComparison(primary, Outcome.OMITTED, a1, None, ErrorLevel.OMITTED, 1, None))
    elif o1 is not None:
        found.append(CodeComparison(primary, Outcome.SUPERFLUOUS, None, o1, ErrorLevel.SUPERFLUOUS, None, 1))
    primaries_differ = a1 is not None and o1 is not None and a1.key != o1.key

    # exact matches, each auditor code with the first unmatched equal original code
    waiting: dict[object, list[int]] = {}
    for index, unit in enumerate(o_rest):
        waiting.setdefault(unit.key, []).append(index)
    matched_order: list[int] = []  # original indices of the matched codes, in the auditor's order
    left_a: list[int] = []
    taken: set[int] = set()
    for index, unit in enumerate(a_rest):
        queue = waiting.get(unit.key)
        if queue:
            o_index = queue.pop(0)
            taken.add(o_index)
            matched_order.append(o_index)
            found.append(CodeComparison(secondary, Outcome.CORRECT, unit, o_rest[o_index], None, index + 2, o_index + 2))
        else:
            left_a.append(index)
    left_o = [i for i in range(len(o_rest)) if i not in taken]
    for key_of in _PAIRINGS:
        if not left_a or not left_o:
            break
        # within each class, both sides sorted by code and paired in that order: which codes
        # pair and which are left over depends neither on their order nor on which input is which
        classes: dict[object, tuple[list[int], list[int]]] = {}
        for index in left_a:
            classes.setdefault(key_of(a_rest[index]), ([], []))[0].append(index)
        for index in left_o:
            classes.setdefault(key_of(o_rest[index]), ([], []))[1].append(index)
        left_a, left_o = [], []
        for a_side, o_side in classes.values():
            a_side.sort(key=lambda i: _order(a_rest[i]))
            o_side.sort(key=lambda i: _order(o_rest[i]))
            for index, partner in zip(a_side, o_side, strict=False):
                unit, other = a_rest[index], o_rest[partner]
                found.append(CodeComparison(secondary, Outcome.WRONG, unit, other, level_of(unit, other), index + 2, partner + 2))
            left_a += a_side[len(o_side) :]
            left_o += o_side[len(a_side) :]
    for index in left_a:
        unit = a_rest[index]
        if primaries_differ and o1 is not None and unit.key == o1.key:
            level = ErrorLevel.SEQUENCING
        else:
            level = ErrorLevel.DAGGER_ASTERISK if unit.mark else ErrorLevel.OMITTED
        found.append(CodeComparison(secondary, Outcome.OMITTED, unit, None, level, index + 2, None))
    for index in left_o:
        unit = o_rest[index]
        if primaries_differ and a1 is not None and unit.key == a1.key:
            level = ErrorLevel.SEQUENCING
        else:
            level = ErrorLevel.DAGGER_ASTERISK if unit.mark else ErrorLevel.SUPERFLUOUS
        found.append(CodeComparison(secondary, Outcome.SUPERFLUOUS, None, unit, level, None, index + 2))
    return found, len(matched_order) - _longest_increasing(matched_order)


def _order(unit: Unit) -> tuple[str, str, tuple[str, ...]]:
    return (unit.code, unit.mark or "", unit.qualifiers)


def _longest_increasing(values: Sequence[int]) -> int:
    """The length of the longest increasing subsequence: the matched codes already in the
    auditor's order (the rest must move)."""
    tails: list[int] = []
    for value in values:
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
        else:
            tails[at] = value
    return len(tails)
