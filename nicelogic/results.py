"""Check results: one shape for every output format and for library callers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from nicelogic.errors import InputProblem


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a violation was reported, for a coder to follow (``check --explain``)."""

    rule_file: str  # where the rule is written, FILE:LINE
    rule_text: str  # the rule's ASP statements, without its metadata header
    description: str  # the rule's own account of what it checks
    facts: tuple[str, ...]  # the record facts at the blamed positions the rule read
    codes: tuple[tuple[int, str, str, bool], ...]  # the section: (position, code, title, blamed)
    guidance: str  # the source the rule encodes

    def lines(self) -> list[str]:
        out = [f"rule {self.rule_file}"]
        if self.description:
            out.append("what it checks: " + " ".join(self.description.split()))
        out.append("the codes of this section:")
        out += [f"  {p:>2} {code:8} {title}{'   <- blamed' if blamed else ''}" for p, code, title, blamed in self.codes]
        out.append("facts at the blamed positions: " + " ".join(self.facts))
        out.append("the rule:")
        out += [f"  {line}" for line in self.rule_text.splitlines() if line.strip()]
        out.append(f"guidance: {self.guidance}")
        return out


@dataclass(frozen=True, slots=True)
class Restated:
    """A rule that restates the reported one (rule metadata ``restates``), broken by the
    same codes: reported as part of that violation, not as a mistake of its own."""

    rule: str
    severity: str
    source: str
    message: str


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one record, with the blamed codes and where they are."""

    rule: str
    severity: str  # "error" or "warning"
    section: str  # "opcs", "icd10" or "cpt"
    positions: tuple[int, ...]  # 1-based within the section; () for the record as a whole
    codes: tuple[str, ...]  # the codes at those positions, canonical
    message: str
    source: str
    line: int
    column: int
    title: str = ""
    where: str | None = None  # for tabular inputs, the field of the first blamed code
    explanation: Explanation | None = None
    row: int | None = None  # for a relation rule: the line of the table row it breaks
    standard: str = ""  # and the standard that row cites
    also: tuple[Restated, ...] = ()  # rules of other guidance that say the same of these codes

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule this one mistake breaks: the reported rule, then those restating it."""
        return (self.rule, *(r.rule for r in self.also))

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The verdict on one input record: checked (with its violations) or rejected."""

    id: str
    line: int
    source: str
    violations: tuple[Violation, ...] = ()
    error: InputProblem | None = None
    waived: tuple[Violation, ...] = ()  # violations of rules the record waives: reported apart
    applies: tuple[str, ...] = ()  # rules that judged the record, when applicability is asked for
    applies_rows: tuple[tuple[str, int], ...] = ()  # and the relation-table rows: (rule, row line)
    editions: tuple[str, ...] = ()  # the code table editions that judged it (OPCS-4.10, ICD-10 5th Edition)
    not_judged_by: tuple[str, ...] = ()  # packs and editions its date put it outside of

    @property
    def rejected(self) -> bool:
        return self.error is not None

    @property
    def valid(self) -> bool:
        """No error-severity violation, and the record could be read."""
        return self.error is None and not any(v.is_error for v in self.violations)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if not v.is_error)


@dataclass(frozen=True, slots=True)
class Summary:
    records: int = 0
    valid: int = 0
    invalid: int = 0
    rejected: int = 0
    violations: int = 0
    warnings: int = 0
    waived: int = 0
    by_rule: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_edition: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # records judged by each
    not_judged: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # records outside each pack/edition

    def ok(self, fail_on_warning: bool = False) -> bool:
        return self.invalid == 0 and self.rejected == 0 and not (fail_on_warning and self.warnings)


class SummaryCounter:
    """Accumulates a :class:`Summary` while results stream past."""

    def __init__(self) -> None:
        self.records = self.valid = self.invalid = self.rejected = self.violations = self.warnings = self.waived = 0
        self.by_rule: Counter[str] = Counter()
        self.by_edition: Counter[str] = Counter()
        self.not_judged: Counter[str] = Counter()

    def add(self, result: RecordResult) -> None:
        self.records += 1
        if result.rejected:
            self.rejected += 1
        elif result.valid:
            self.valid += 1
        else:
            self.invalid += 1
        self.waived += len(result.waived)
        self.by_edition.update(result.editions)
        self.not_judged.update(result.not_judged_by)
        for violation in result.violations:
            self.violations += 1
            self.warnings += not violation.is_error
            self.by_rule[violation.rule] += 1

    def summary(self) -> Summary:
        return Summary(
            self.records,
            self.valid,
            self.invalid,
            self.rejected,
            self.violations,
            self.warnings,
            self.waived,
            MappingProxyType(dict(sorted(self.by_rule.items()))),
            MappingProxyType(dict(sorted(self.by_edition.items()))),
            MappingProxyType(dict(sorted(self.not_judged.items()))),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """Every record's result and the summary, as returned by :func:`nicelogic.check`."""

    records: tuple[RecordResult, ...]
    summary: Summary

    @property
    def valid(self) -> bool:
        return self.summary.ok()

    def __iter__(self) -> Iterator[RecordResult]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def exit_code(summary: Summary, fail_on_warning: bool = False) -> int:
    """0 when every record is valid, 1 when any is invalid or rejected (2 is for usage and
    unreadable input, decided by the command line before any record is checked)."""
    return 0 if summary.ok(fail_on_warning) else 1
