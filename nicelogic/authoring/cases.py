"""Annotated record files: records with the result they must give, for rule tests and
documented examples.

    # expect: nice.htg3.site-code @ opcs:1
    ep1: opcs V44.4 V55.1 Y53.4; icd M80.0
    # ok: nice.htg3
    ep2: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0
    # ok
    ep3: opcs W35.1 Y53.4

``# expect: RULE @ SECTION:POS[,POS...]`` expects that violation; ``@ SECTION`` alone a
violation of the record as a whole; without ``@`` any violation of RULE. For each rule a
record expects, the violations of that rule must be exactly the expected ones.
``# expect: input.rejected`` expects the record to be rejected. ``# ok: TARGET ...``
expects no violation of the named rules or packs; a bare ``# ok`` no violation at all.
``# completes-to: RECORD`` expects RECORD to be a valid completion of the (partial) record;
``# no-completion[: RULE ...]`` expects none, for the named rules; ``# candidates: CODES``
adds codes a completion may insert, as ``--candidates`` does. ``# todo: WHY`` skips
the case and says why. Annotations apply to the next record line; other ``#`` lines are
comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nicelogic.check.checker import Checker
from nicelogic.errors import CaseError
from nicelogic.input.text import line_item
from nicelogic.results import RecordResult
from nicelogic.rules.packs import RuleSet

REJECTED = "input.rejected"
_ANNOTATION = re.compile(r"^\s*#\s*(expect|ok|todo|completes-to|no-completion|candidates)\s*(?::\s*(.*?))?\s*$")
_EXPECT = re.compile(r"^(?P<rule>[A-Za-z0-9._-]+)(?:\s*@\s*(?P<section>opcs|icd10|cpt)(?::(?P<positions>[0-9, ]+))?)?$")


@dataclass(frozen=True, slots=True)
class Expectation:
    rule: str
    section: str | None = None  # None: anywhere
    positions: tuple[int, ...] | None = None  # None: any; (): the record as a whole

    def matches(self, rule: str, section: str, positions: tuple[int, ...]) -> bool:
        return (
            rule == self.rule
            and (self.section is None or self.section == section)
            and (self.positions is None or self.positions == positions)
        )

    def __str__(self) -> str:
        where = ""
        if self.section:
            where = f" @ {self.section}" + (":" + ",".join(map(str, self.positions)) if self.positions else "")
        return self.rule + where


@dataclass(frozen=True, slots=True)
class Case:
    """One annotated record."""

    source: str
    line: int  # the record's line
    text: str
    expect: tuple[Expectation, ...] = ()
    ok: tuple[str, ...] | None = None  # rule ids or pack names; () for "no violation at all"
    todo: str | None = None
    completes_to: tuple[str, ...] = ()
    no_completion: tuple[str, ...] | None = None  # rules the conflict must name
    candidates: tuple[str, ...] = ()  # codes a completion may add beyond the rules' own (--candidates)

    @property
    def name(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    result: RecordResult
    problems: tuple[str, ...]

    skipped: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems and not self.skipped


def parse_cases(lines: Iterable[str], source: str) -> list[Case]:
    cases: list[Case] = []
    expect: list[Expectation] = []
    ok: list[str] | None = None
    todo: str | None = None
    completes_to: list[str] = []
    no_completion: list[str] | None = None
    candidates: list[str] = []
    pending_line = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        match = _ANNOTATION.match(text)
        if match:
            kind, argument = match.group(1), (match.group(2) or "").strip()
            pending_line = pending_line or number
            if kind == "expect":
                expect.append(_expectation(argument, source, number))
            elif kind == "ok":
                ok = (ok or []) + argument.replace(",", " ").split()
            elif kind == "todo":
                todo = argument or "todo"
            elif kind == "completes-to":
                if not argument:
                    raise CaseError(f"{source}:{number}: completes-to needs a record")
                completes_to.append(argument)
            elif kind == "candidates":
                candidates += argument.replace(",", " ").split()
            else:
                no_completion = argument.replace(",", " ").split()
            continue
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        cases.append(
            Case(
                source,
                number,
                text,
                tuple(expect),
                tuple(ok) if ok is not None else None,
                todo,
                tuple(completes_to),
                tuple(no_completion) if no_completion is not None else None,
                tuple(candidates),
            )
        )
        expect, ok, todo, completes_to, no_completion, candidates, pending_line = [], None, None, [], None, [], 0
    if pending_line:
        raise CaseError(f"{source}:{pending_line}: annotation without a record after it")
    return cases


def _expectation(argument: str, source: str, line: int) -> Expectation:
    match = _EXPECT.match(argument)
    if not match:
        raise CaseError(f"{source}:{line}: cannot read expectation {argument!r} (expected RULE [@ SECTION[:POS,...]])")
    positions = None
    if match.group("section"):
        numbers = [p for p in re.split(r"[ ,]+", match.group("positions") or "") if p]
        positions = tuple(sorted({int(p) for p in numbers}))
    return Expectation(match.group("rule"), match.group("section"), positions)


def load_cases(path: Path) -> list[Case]:
    return parse_cases(path.read_text(encoding="utf-8").splitlines(), str(path))


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
    found = [(v.rule, v.section, v.positions) for v in result.violations]
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
    results = list(checker.iter_check(item for item in items if item is not None))
    completers: dict[tuple[str, ...], object] = {}
    out = []
    for case, result in zip(cases, results, strict=True):
        if case.todo is not None:
            out.append(CaseResult(case, result, (), skipped=True))
            continue
        outcome = evaluate(case, result, checker.ruleset, strict)
        if checker.applicability:
            fired = {v.rule for v in (*result.violations, *result.waived) if v.rule in checker.ruleset.rules}
            outside = sorted(fired - set(result.applies))
            if outside:  # applies/4 is the denominator of rates: it must cover every firing
                extra = tuple(f"{rule} fired, but its applies(...) does not cover this record" for rule in outside)
                outcome = CaseResult(case, result, outcome.problems + extra)
        if case.completes_to or case.no_completion is not None:
            from nicelogic.complete import Completer  # completions only where a case asks for them

            if case.candidates not in completers:
                completers[case.candidates] = Completer(checker, extra_candidates=case.candidates)
            extra = _completion_problems(case, completers[case.candidates])
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
