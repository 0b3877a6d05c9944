"""Cases for packs that read whole patients: each case is one patient's records, annotated.

A case file (``logic/<pack>/tests/*.patients``: not the record cases' ``*.txt``) holds cases separated by blank lines::

    # case: autism coded in the first spell, missing from the second
    # expect: consistency.persistence-autism @ spell 2
    # ok: consistency.sex-changes
    {"id": "a1", "icd10": ["F84.0"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}
    {"id": "a2", "icd10": ["J45.9"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}

Records are JSON objects or text records, one a line, all of the case's patient (its
``patient`` is the case's title unless a record names another). ``expect: RULE @ spell N``
(or ``episode N``, or the rule alone) must be reported, blaming that unit first; a rule
expected at some units may blame no other, as a record case's positions. ``ok: RULE``
must apply to the patient and stay quiet, so that every rule is shown both to fire and to
keep quiet where it judges. ``with: FACTS`` adds facts a study would add to the case alone
(``# with: persistence_unit(episode).``); facts only, never rules. Every violation a case
does not expect fails it, and so does a violation of a unit its rule's ``patient_applies``
does not cover (the denominator of rates must hold every numerator).

``nicelogic test`` runs these files beside the record cases (:mod:`nicelogic.authoring.testing`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clingo import ast

from nicelogic.asp.syntax import ProgramSyntaxError, statements
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from nicelogic.errors import CaseError
from nicelogic.history.checker import PatientChecker
from nicelogic.history.patients import History, history
from nicelogic.history.results import PatientResult
from nicelogic.input.grammar import RecordParser
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Episode, Record
from nicelogic.rules.metadata import Rule
from nicelogic.rules.packs import RuleSet

_EXPECT = re.compile(r"^#\s*expect:\s*(?P<rule>\S+)(?:\s*@\s*(?P<kind>spell|episode)\s+(?P<number>\d+))?\s*$")
_OK = re.compile(r"^#\s*ok:\s*(?P<rule>\S+)\s*$")
_NAME = re.compile(r"^#\s*case:\s*(?P<name>.+?)\s*$")
_WITH = re.compile(r"^#\s*with:\s*(?P<facts>.+?)\s*$")


@dataclass(frozen=True, slots=True)
class PatientCase:
    title: str  # the ``case:`` line, else "line N": the case's patient unless a record names one
    source: str
    line: int
    records: tuple[str, ...]  # record lines as written
    expect: tuple[tuple[str, str | None, int | None], ...]  # (rule, unit kind, unit number)
    ok: tuple[str, ...]
    configuration: str = ""  # facts of ``with:`` lines
    todo: None = field(default=None, init=False)  # as a record case's: patient cases have no todo

    @property
    def name(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def text(self) -> str:
        """What reports show beside the file and line, where a record case shows its record."""
        return f"patient case '{self.title}' ({len(self.records)} records)"


@dataclass(frozen=True, slots=True)
class PatientCaseResult:
    case: PatientCase
    result: PatientResult
    problems: tuple[str, ...]

    skipped: bool = False  # as a record case's result: a patient case always runs

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def expected_rules(self) -> set[str]:
        return {rule for rule, _, _ in self.case.expect}

    @property
    def reported_rules(self) -> set[str]:
        return {v.rule for v in self.result.violations}

    @property
    def applied_rules(self) -> set[str]:
        return {rule for rule, _ in self.result.applies}


def read_cases(path: Path) -> list[PatientCase]:
    cases: list[PatientCase] = []
    block: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        if raw.strip():
            block.append((number, raw.strip()))
            continue
        if block:
            case = _case(path, block)
            if case is not None:
                cases.append(case)
        block = []
    return cases


def _case(path: Path, block: list[tuple[int, str]]) -> PatientCase | None:
    name, records, expect, ok, facts = "", [], [], [], []
    for number, text in block:
        if match := _NAME.match(text):
            name = match["name"]
        elif match := _WITH.match(text):
            facts.append(_facts_only(match["facts"], f"{path}:{number}"))
        elif match := _EXPECT.match(text):
            unit = int(match["number"]) if match["number"] else None
            expect.append((match["rule"], match["kind"], unit))
        elif match := _OK.match(text):
            ok.append(match["rule"])
        elif text.startswith("#"):
            continue
        else:
            records.append(text)
    if not records:
        if expect or ok:
            raise CaseError(f"{path}:{block[0][0]}: a case with annotations and no records")
        return None
    case = PatientCase(name or f"line {block[0][0]}", str(path), block[0][0], tuple(records), tuple(expect), tuple(ok))
    return dataclasses.replace(case, configuration="\n".join(facts))


def _facts_only(text: str, where: str) -> str:
    """The text of a ``with:`` line, when it is ground facts (a case configures, it adds no rule)."""
    try:
        parsed = statements(text)
    except ProgramSyntaxError:
        raise CaseError(f"{where}: with: {text!r} is not ASP facts") from None
    for statement in parsed:
        if statement.ast_type == ast.ASTType.Program:
            continue
        if statement.ast_type != ast.ASTType.Rule or statement.body or statement.head.ast_type != ast.ASTType.Literal:
            raise CaseError(f"{where}: with: {str(statement)!r} is not a fact")
    return text


def _records(case: PatientCase, parser: RecordParser) -> list[Record]:
    records = []
    for offset, text in enumerate(case.records):
        item = line_item(text, case.source, case.line + offset)
        parsed = to_record(item, parser) if item is not None else None
        if not isinstance(parsed, Record):
            raise CaseError(f"{case.source}:{case.line + offset}: the case's record cannot be read")
        episode = parsed.episode or Episode()
        if not episode.patient:
            episode = dataclasses.replace(episode, patient=case.title)
        records.append(dataclasses.replace(parsed, episode=episode))
    return records


def case_examples(rule: Rule) -> tuple[list[str], list[str]]:
    """The histories of a patient-level rule's pack cases that make it fire, and those it
    stays quiet on, each as its ``case:`` title and record lines (for the rule catalogue)."""
    fires: list[str] = []
    quiet: list[str] = []
    for path in sorted((rule.file.parent / "tests").glob("*.patients")):
        for case in read_cases(path):
            shown = "\n".join([f"# {case.title}", *case.records])
            if any(expected == rule.id for expected, _, _ in case.expect):
                fires.append(shown)
            elif rule.id in case.ok:
                quiet.append(shown)
    return fires, quiet


def load_patient_cases(paths: Iterable[Path], pattern: str | None = None) -> list[PatientCase]:
    """The cases of the files; with ``pattern``, those whose file:line or title contains it."""
    cases = [case for path in paths for case in read_cases(path)]
    return [c for c in cases if pattern in f"{c.name} {c.title}"] if pattern else cases


def run_patient_cases(
    paths: Iterable[Path],
    rules: Sequence[str],
    configuration: str = "",
    *,
    pattern: str | None = None,
    ruleset: RuleSet | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> list[PatientCaseResult]:
    """Every case of the files, judged by the packs of ``rules`` that read patients
    (``ruleset``: those packs loaded already, or a mutant of them). The cases that share a
    configuration are solved together, as patients of one batch are."""
    return check_patient_cases(
        load_patient_cases(paths, pattern), rules, configuration, ruleset=ruleset, time_limit=time_limit,
        memory_limit=memory_limit,
    )  # fmt: skip


def check_patient_cases(
    cases: Sequence[PatientCase],
    rules: Sequence[str],
    configuration: str = "",
    *,
    ruleset: RuleSet | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> list[PatientCaseResult]:
    parser = RecordParser()
    by_configuration: dict[str, list[int]] = {}
    for index, case in enumerate(cases):
        by_configuration.setdefault(case.configuration, []).append(index)
    judged: dict[int, PatientCaseResult] = {}
    for facts, indices in by_configuration.items():
        combined = "\n".join(part for part in (configuration, facts) if part)
        checker = PatientChecker(rules, configuration=combined, ruleset=ruleset, time_limit=time_limit, memory_limit=memory_limit)
        try:
            histories = [history(cases[i].title, _records(cases[i], parser)) for i in indices]
            checked: list[PatientResult | str] = list(checker.check(histories))
            if len(checked) != len(histories):  # some patient exceeded a limit: judge each alone to know which
                checked = [_alone(checker, one) for one in histories]
            for i, result in zip(indices, checked, strict=True):
                judged[i] = _judge(cases[i], result, checker.ruleset)
        finally:
            checker.close()
    return [judged[i] for i in range(len(cases))]


def _alone(checker: PatientChecker, one: History) -> PatientResult | str:
    """The patient's result, or why a limit left the patient not judged."""
    checker.over_limit = []
    checked = checker.check([one])
    return checked[0] if checked else (checker.over_limit[-1].reason if checker.over_limit else "not judged")


def _judge(case: PatientCase, result: PatientResult | str, ruleset: RuleSet) -> PatientCaseResult:
    if isinstance(result, str):  # the one patient exceeded a limit: a failed case, with the limit as its reason
        return PatientCaseResult(case, PatientResult(case.title, (), (), ""), (f"not judged: {result}",))
    problems = []
    for rule, kind, number in case.expect:
        if rule not in ruleset.rules:
            raise CaseError(f"{case.source}:{case.line}: expectation names no loaded rule: {rule}")
        found = [v for v in result.violations if v.rule == rule]
        if kind is not None:
            found = [v for v in found if (v.blamed[0].kind, v.blamed[0].number) == (kind, number)]
        if not found:
            problems.append(f"expected {rule}{f' @ {kind} {number}' if kind else ''}, not found")
    expected = {rule for rule, _, _ in case.expect}
    # as a record case's positions: a rule expected at some units must blame no other
    anywhere = {rule for rule, kind, _ in case.expect if kind is None}
    units = {(rule, kind, number) for rule, kind, number in case.expect}
    for violation in result.violations:
        first = violation.blamed[0]
        if violation.rule not in expected:
            problems.append(f"unexpected {violation.rule} @ {first}")
        elif violation.rule not in anywhere and (violation.rule, first.kind, first.number) not in units:
            problems.append(f"unexpected {violation.rule} @ {first} (expected only @ the units named)")
    applied = {rule for rule, _ in result.applies}
    for rule in case.ok:
        if rule not in ruleset.rules:
            raise CaseError(f"{case.source}:{case.line}: ok: names no loaded rule: {rule}")
        if rule not in applied:
            problems.append(f"ok: {rule} does not apply to the case, so its quiet proves nothing")
        elif rule in {v.rule for v in result.violations}:
            problems.append(f"ok: {rule} expected quiet, but it fired")
    counted = {(rule, (unit.kind, unit.number)) for rule, unit in result.applies}
    for violation in result.violations:  # patient_applies is the denominator of rates: it must hold every firing
        first = violation.blamed[0]
        if first.kind != "patient" and (violation.rule, (first.kind, first.number)) not in counted:
            problems.append(f"{violation.rule} fired @ {first}, but its patient_applies does not cover that unit")
    return PatientCaseResult(case, result, tuple(dict.fromkeys(problems)))
