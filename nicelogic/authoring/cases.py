"""Running annotated cases (:mod:`nicelogic.rules.cases`) against a checker, and judging
each result against its annotations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nicelogic.checking.checker import Checker
from nicelogic.errors import CaseError, GaveUp
from nicelogic.input.text import line_item
from nicelogic.results import RecordResult
from nicelogic.rules.cases import REJECTED, Case, Expectation
from nicelogic.rules.packs import RuleSet


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    result: RecordResult
    problems: tuple[str, ...]

    skipped: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems and not self.skipped

    @property
    def expected_rules(self) -> set[str]:
        return {e.rule for e in self.case.expect} - {REJECTED}

    @property
    def reported_rules(self) -> set[str]:
        return {rule for v in (*self.result.violations, *self.result.waived) for rule in v.rules}

    @property
    def applied_rules(self) -> set[str]:
        return set(self.result.applies)


def _targets(names: Sequence[str], ruleset: RuleSet, case: Case) -> set[str]:
    packs = {pack.name: {rule.id for rule in pack.rules} for pack in ruleset.packs}
    ids: set[str] = set()
    for name in names:
        if name in packs:
            ids |= packs[name]
        elif name in ruleset.rules:
            ids.add(name)
        else:
            raise CaseError(f"{case.source}:{case.line}: '# ok: {name}' names no loaded rule or pack")
    return ids


def evaluate(case: Case, result: RecordResult, ruleset: RuleSet, strict: bool = False) -> CaseResult:
    """Compare a record's result with its annotations. ``strict``: every violation the
    record has must be expected (for documented examples)."""
    problems: list[str] = []
    for expectation in case.expect:
        if expectation.rule != REJECTED and expectation.rule not in ruleset.rules:
            raise CaseError(f"{case.source}:{case.line}: expectation names no loaded rule: {expectation.rule}")
    if result.rejected:
        if not any(e.rule == REJECTED for e in case.expect):
            problems.append(f"rejected: {result.error.message if result.error else ''}")
        return CaseResult(case, result, tuple(problems))
    if any(e.rule == REJECTED for e in case.expect):
        problems.append("expected the record to be rejected, but it was read")
    # a violation restated by other guidance stands for every rule it names
    found = [(rule, v.section, v.positions) for v in result.violations for rule in v.rules]
    for expectation in case.expect:
        if expectation.rule != REJECTED and not any(expectation.matches(*item) for item in found):
            problems.append(f"expected {expectation}, not found")
    expected_rules = {e.rule for e in case.expect}
    # a partial record asked about only for its completions is not judged as a record
    strict = strict and (bool(case.expect) or case.ok is not None)
    for rule, section, positions in found:
        unexpected = rule in expected_rules or strict
        if unexpected and not any(e.matches(rule, section, positions) for e in case.expect):
            problems.append(f"unexpected {Expectation(rule, section, positions)}")
    if case.ok is not None:
        quiet = _targets(case.ok, ruleset, case) if case.ok else set(ruleset.rules)
        for rule, section, positions in found:
            if rule in quiet:
                problems.append(f"expected no violation of {rule}, found {Expectation(rule, section, positions)}")
    return CaseResult(case, result, tuple(dict.fromkeys(problems)))


def run_cases(checker: Checker, cases: Sequence[Case], strict: bool = False) -> list[CaseResult]:
    """Check every case's record (text, or a JSON object on one line) and compare."""
    items = [line_item(case.text, case.source, case.line) for case in cases]  # cases are record lines: never None
    results = list(checker.check_items(item for item in items if item is not None))  # under the checker's limits
    completers: dict[tuple[str, ...], object] = {}
    out = []
    for case, result in zip(cases, results, strict=True):
        if case.todo is not None:
            out.append(CaseResult(case, result, (), skipped=True))
            continue
        outcome = evaluate(case, result, checker.ruleset, strict)
        if checker.applicability:
            fired = {r for v in (*result.violations, *result.waived) for r in v.rules if r in checker.ruleset.rules}
            outside = sorted(fired - set(result.applies))
            if outside:  # applies/4 is the denominator of rates: it must cover every firing
                extra = tuple(f"{rule} fired, but its applies(...) does not cover this record" for rule in outside)
                outcome = CaseResult(case, result, outcome.problems + extra)
        if case.completes_to or case.no_completion is not None:
            from nicelogic.complete import Completer  # completions only where a case asks for them

            if case.candidates not in completers:
                completers[case.candidates] = Completer(checker, extra_candidates=case.candidates)
            try:
                extra = _completion_problems(case, completers[case.candidates])
            except GaveUp as error:
                extra = (f"the completer {error}",)
            outcome = CaseResult(case, result, outcome.problems + extra)
        out.append(outcome)
    return out


def _completion_problems(case: Case, completer: object) -> tuple[str, ...]:
    from nicelogic.complete import Completer

    assert isinstance(completer, Completer)
    problems: list[str] = []
    partial = completer.parse(case.text)
    for text in case.completes_to:
        record = completer.parse(text)
        result = completer.checker.check_record(record)
        if not result.valid:
            problems.append(f"{text!r} is not valid: {', '.join(v.rule for v in result.violations if v.is_error)}")
        elif not completer.produces(partial, record):
            problems.append(
                f"{text!r} is valid, but not among the completions of the record (within --max-add "
                f"{completer.max_add}, keeping its codes in order, adding only candidate codes)"
            )
    if case.no_completion is not None:
        report = completer.complete(partial, limit=1, count_limit=1)
        if report.count:
            problems.append(f"expected no completion, found {report.completions[0].record!r}")
        elif report.conflict and not set(case.no_completion) <= set(report.conflict.rules):
            problems.append(f"the conflict names {', '.join(report.conflict.rules)}, not {', '.join(case.no_completion)}")
    return tuple(problems)


def summary(results: Sequence[CaseResult]) -> Mapping[str, int]:
    passed = sum(r.passed for r in results)
    skipped = sum(r.skipped for r in results)
    return {"cases": len(results), "passed": passed, "failed": len(results) - passed - skipped, "skipped": skipped}
