"""The figures of an audit, accumulated episode by episode in memory that grows with the
codes and categories seen, never with the episodes: percentage correct per code type with
its 95% Wilson interval, Cohen's kappa of the primary codes at three levels, counts by error
level, the categories with most errors, the same by coder and by specialty, and the rule
packs' violations removed, introduced and shared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from nicelogic.audit.compare import CodeType, EpisodeComparison, Outcome, Section, TypeCounts
from nicelogic.audit.kappa import NONE_LABEL, Kappa, cohen_kappa
from nicelogic.audit.levels import ErrorLevel, chapter
from nicelogic.audit.methods import Method
from nicelogic.audit.standards import Change
from nicelogic.audit.thresholds import Profile, Verdict, judge
from nicelogic.audit.units import Unit
from nicelogic.research.statistics import Rate, rate

KAPPA_LEVELS = ("chapter", "3-character", "4-character")
EPISODE_STATUSES = ("compared", "only_in_original", "only_in_audited", "duplicate_id", "unreadable")


def _label(unit: Unit | None, level: str) -> str:
    if unit is None:
        return NONE_LABEL
    if level == "chapter":
        return chapter(unit)
    return unit.category if level == "3-character" else unit.four


@dataclass(frozen=True, slots=True)
class TypeFigure:
    code_type: CodeType
    counts: TypeCounts
    rate: Rate  # percentage correct, by the method's denominator

    @property
    def percent(self) -> float | None:
        return None if self.rate.value is None else 100 * self.rate.value


@dataclass(frozen=True, slots=True)
class KappaFigure:
    code_type: CodeType
    level: str
    kappa: Kappa


@dataclass(frozen=True, slots=True)
class GroupFigure:
    kind: str  # "coder" or "specialty"
    key: str
    code_type: CodeType
    correct: int
    denominator: int
    rate: Rate


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule: str
    removed: int
    introduced: int
    shared: int


@dataclass(frozen=True, slots=True)
class AuditFigures:
    method: Method
    episodes: tuple[tuple[str, int], ...]  # by status (EPISODE_STATUSES), and the records of each input
    types: tuple[TypeFigure, ...]
    kappas: tuple[KappaFigure, ...]
    levels: tuple[tuple[ErrorLevel, CodeType, int], ...]
    worst: tuple[tuple[CodeType, str, int, int], ...]  # (type, category, codes not correct, codes) most errors first
    groups: tuple[GroupFigure, ...]
    verdicts: tuple[Verdict, ...]
    rules: tuple[RuleChange, ...]  # empty when the rule packs were not run
    standards_checked: bool
    notes: tuple[str, ...] = ()  # input-level problems: a section one layout lacks

    def episode_count(self, status: str) -> int:
        return dict(self.episodes).get(status, 0)

    def type_figure(self, code_type: CodeType) -> TypeFigure:
        return next(f for f in self.types if f.code_type is code_type)


@dataclass
class Tally:
    method: Method
    statuses: Counter[str] = field(default_factory=Counter)
    counts: dict[CodeType, Counter[str]] = field(default_factory=lambda: {t: Counter() for t in CodeType})
    pairs: dict[tuple[CodeType, str], Counter[tuple[str, str]]] = field(default_factory=dict)
    levels: Counter[tuple[ErrorLevel, CodeType]] = field(default_factory=Counter)
    categories: Counter[tuple[CodeType, str, bool]] = field(default_factory=Counter)
    groups: Counter[tuple[str, str, CodeType, str]] = field(default_factory=Counter)
    rules: Counter[tuple[str, Change]] = field(default_factory=Counter)

    def add_status(self, status: str) -> None:
        self.statuses[status] += 1

    def add(self, comparison: EpisodeComparison, coder: str | None = None, specialty: str | None = None) -> None:
        self.statuses["compared"] += 1
        for code_type, moved in comparison.sequencing:
            self.counts[code_type]["sequencing"] += moved
        primaries: dict[CodeType, tuple[Unit | None, Unit | None]] = {}
        for code in comparison.codes:
            self.counts[code.code_type][code.outcome.value] += 1
            if code.level is not None:
                self.levels[code.level, code.code_type] += 1
            unit = code.audited or code.original
            assert unit is not None
            self.categories[code.code_type, unit.category, code.outcome is Outcome.CORRECT] += 1
            if code.code_type.primary:
                primaries[code.code_type] = (code.audited, code.original)
            for kind, key in (("coder", coder), ("specialty", specialty)):
                if key is not None:
                    self.groups[kind, key, code.code_type, code.outcome.value] += 1
        for code_type in (CodeType.PRIMARY_DIAGNOSIS, CodeType.PRIMARY_PROCEDURE):
            if code_type in primaries:  # an episode neither coding gives a code of this type says nothing
                audited, original = primaries[code_type]
                for level in KAPPA_LEVELS:
                    self.pairs.setdefault((code_type, level), Counter())[_label(audited, level), _label(original, level)] += 1

    def add_changes(self, changes: Sequence[tuple[Change, str, str, str]]) -> None:
        for change, rule, _, _ in changes:
            self.rules[rule, change] += 1

    def _denominator(self, counts: TypeCounts) -> int:
        return counts.audited + (counts.superfluous if self.method.superfluous_in_denominator else 0)

    def figures(
        self,
        profiles: Sequence[Profile] = (),
        records: tuple[int, int] = (0, 0),
        standards_checked: bool = False,
        notes: Sequence[str] = (),
        compared_types: Sequence[CodeType] = tuple(CodeType),
        worst: int = 10,
    ) -> AuditFigures:
        types = []
        for code_type in compared_types:
            c = self.counts[code_type]
            counts = TypeCounts(c["correct"], c["wrong"], c["omitted"], c["superfluous"], c["sequencing"])
            types.append(TypeFigure(code_type, counts, rate(counts.correct, self._denominator(counts), suppress=False)))
        kappas = tuple(
            KappaFigure(code_type, level, cohen_kappa(self.pairs.get((code_type, level), Counter())))
            for code_type in (CodeType.PRIMARY_DIAGNOSIS, CodeType.PRIMARY_PROCEDURE)
            if code_type in compared_types
            for level in KAPPA_LEVELS
        )
        levels = tuple((level, code_type, self.levels[level, code_type]) for level in ErrorLevel for code_type in compared_types)
        by_category: dict[tuple[CodeType, str], list[int]] = {}
        for (code_type, category, correct), n in self.categories.items():
            entry = by_category.setdefault((code_type, category), [0, 0])
            entry[0] += 0 if correct else n
            entry[1] += n
        ranked = sorted(
            ((t, cat, bad, n) for (t, cat), (bad, n) in by_category.items() if bad), key=lambda r: (-r[2], -r[3], r[0], r[1])
        )
        groups = []
        keys = sorted({(kind, key, code_type) for kind, key, code_type, _ in self.groups})
        for kind, key, code_type in keys:
            got = {o.value: self.groups[kind, key, code_type, o.value] for o in Outcome}
            counts = TypeCounts(got["correct"], got["wrong"], got["omitted"], got["superfluous"])
            denominator = self._denominator(counts)
            groups.append(
                GroupFigure(kind, key, code_type, counts.correct, denominator, rate(counts.correct, denominator, False))
            )
        percentages = {f.code_type: f.percent for f in types}
        compared = self.statuses["compared"]
        verdicts = tuple(judge(profile, percentages, compared) for profile in profiles)
        rules = sorted({rule for rule, _ in self.rules})
        changes = tuple(
            RuleChange(
                rule, self.rules[rule, Change.REMOVED], self.rules[rule, Change.INTRODUCED], self.rules[rule, Change.SHARED]
            )
            for rule in rules
        )
        episodes = tuple((status, self.statuses[status]) for status in EPISODE_STATUSES)
        episodes += (("original_records", records[0]), ("audited_records", records[1]))
        return AuditFigures(
            self.method, episodes, tuple(types), kappas, levels, tuple(ranked[:worst]), tuple(groups), verdicts,
            tuple(sorted(changes, key=lambda c: (-(c.removed + c.introduced + c.shared), c.rule))), standards_checked,
            tuple(notes),
        )  # fmt: skip


def compared_types(sections: Sequence[Section]) -> tuple[CodeType, ...]:
    return tuple(t for t in CodeType if any(t in s.code_types for s in sections))
