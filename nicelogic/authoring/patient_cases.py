"""Cases for packs that read whole patients: each case is one patient's records, annotated.

A case file (``logic/<pack>/tests/*.patients``: not the record cases' ``*.txt``) holds cases separated by blank lines::

    # case: autism coded in the first spell, missing from the second
    # expect: consistency.persistence-autism @ spell 2
    # ok: consistency.sex-changes
    {"id": "a1", "icd10": ["F84.0"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}
    {"id": "a2", "icd10": ["J45.9"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}

Records are JSON objects or text records, one a line, all of the case's patient (its
``patient`` is the case's name unless a record names another). ``expect: RULE @ spell N``
(or ``episode N``, or the rule alone) must be reported, blaming that unit first; ``ok: RULE``
must apply to the patient and stay quiet, so that every rule is shown both to fire and to
keep quiet where it judges. ``with: FACTS`` adds facts a study would add to the case alone
(``# with: persistence_unit(episode).``); facts only, never rules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clingo import ast

from nicelogic.asp.syntax import ProgramSyntaxError, statements
from nicelogic.errors import CaseError
from nicelogic.history.checker import PatientChecker
from nicelogic.history.patients import history
from nicelogic.history.results import PatientResult
from nicelogic.input.grammar import RecordParser
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Episode, Record

_EXPECT = re.compile(r"^#\s*expect:\s*(?P<rule>\S+)(?:\s*@\s*(?P<kind>spell|episode)\s+(?P<number>\d+))?\s*$")
_OK = re.compile(r"^#\s*ok:\s*(?P<rule>\S+)\s*$")
_NAME = re.compile(r"^#\s*case:\s*(?P<name>.+?)\s*$")
_WITH = re.compile(r"^#\s*with:\s*(?P<facts>.+?)\s*$")


@dataclass(frozen=True, slots=True)
class PatientCase:
    name: str
    source: str
    line: int
    records: tuple[str, ...]  # record lines as written
    expect: tuple[tuple[str, str | None, int | None], ...]  # (rule, unit kind, unit number)
    ok: tuple[str, ...]
    configuration: str = ""  # facts of ``with:`` lines


@dataclass(frozen=True, slots=True)
class PatientCaseResult:
    case: PatientCase
    result: PatientResult
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


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
            episode = dataclasses.replace(episode, patient=case.name)
        records.append(dataclasses.replace(parsed, episode=episode))
    return records


def run_patient_cases(
    paths: Iterable[Path], rules: Sequence[str], configuration: str = ""
) -> tuple[list[PatientCaseResult], dict[str, tuple[int, int]]]:
    """Every case of the files, and for each rule of the packs (cases firing, cases quiet where it applies)."""
    patients = PatientChecker(rules, configuration=configuration)
    configured: dict[str, PatientChecker] = {"": patients}
    parser = RecordParser()
    results: list[PatientCaseResult] = []
    coverage = {rule: (0, 0) for rule in patients.ruleset.rules}
    for path in paths:
        for case in read_cases(path):
            patient = history(case.name, _records(case, parser))
            if case.configuration not in configured:
                combined = "\n".join(part for part in (configuration, case.configuration) if part)
                configured[case.configuration] = PatientChecker(rules, configuration=combined)
            checker = configured[case.configuration]
            checked = checker.check([patient])
            if not checked:  # the one patient exceeded a limit: a failed case, with the limit as its reason
                reason = checker.over_limit[-1].reason if checker.over_limit else "not judged"
                nothing = PatientResult(patient.patient, (), (), patient.method)
                results.append(PatientCaseResult(case, nothing, (f"not judged: {reason}",)))
                continue
            (result,) = checked
            problems = []
            for rule, kind, number in case.expect:
                if rule not in patients.ruleset.rules:
                    raise CaseError(f"{case.source}:{case.line}: expectation names no loaded rule: {rule}")
                found = [v for v in result.violations if v.rule == rule]
                if kind is not None:
                    found = [v for v in found if (v.blamed[0].kind, v.blamed[0].number) == (kind, number)]
                if not found:
                    problems.append(f"expected {rule}{f' @ {kind} {number}' if kind else ''}, not found")
            expected = {rule for rule, _, _ in case.expect}
            for violation in result.violations:
                if violation.rule not in expected:
                    problems.append(f"unexpected {violation.rule} @ {violation.blamed[0]}")
            applied = {rule for rule, _ in result.applies}
            for rule in case.ok:
                if rule not in applied:
                    problems.append(f"ok: {rule} does not apply to the case, so its quiet proves nothing")
            for rule in expected:
                fired, quiet = coverage[rule]
                coverage[rule] = (fired + 1, quiet)
            for rule in case.ok:
                if rule in applied and rule not in {v.rule for v in result.violations}:
                    fired, quiet = coverage[rule]
                    coverage[rule] = (fired, quiet + 1)
            results.append(PatientCaseResult(case, result, tuple(problems)))
    for facts, checker in configured.items():
        if facts:
            checker.close()
    return results, coverage
