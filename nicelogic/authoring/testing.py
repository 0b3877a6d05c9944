"""``nicelogic test``: run annotated record files (see :mod:`nicelogic.authoring.cases`) and
patient case files (``*.patients``, see :mod:`nicelogic.authoring.patient_cases`) against the
rule packs they belong to, and measure coverage per rule.

A case file inside a pack folder (``logic/opcs4/tests/opcs4.txt``) runs with that pack
alone; any other file with the packs given, or every built-in pack. A rule is covered
when some passing case makes it fire where expected, and some passing case holds its
trigger (the rule applies: see :mod:`nicelogic.asp.applicability`; for a rule across a
patient's history, its ``patient_applies``) and shows it quiet.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nicelogic.authoring.cases import CaseResult, run_cases
from nicelogic.authoring.patient_cases import PatientCaseResult, run_patient_cases
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from nicelogic.checking.checker import Checker
from nicelogic.errors import CaseError
from nicelogic.history.checker import PatientChecker
from nicelogic.resources import shown_path
from nicelogic.rules.cases import Case, load_cases
from nicelogic.rules.packs import RuleSet, patient_pack_dirs, resolve_selection
from nicelogic.rules.relations import RelationTable
from nicelogic.tables import TableConfig


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    """How a rule was exercised: in how many passing cases it fired as expected, and in
    how many it applied (its trigger was there) and stayed quiet."""

    rule: str
    pack: str
    fire_cases: int
    quiet_cases: int
    applicable: bool = True  # False: the rule needs data the loaded tables lack (see needs)
    has_trigger: bool = True  # False: it says nowhere where it applies, so it can never be shown quiet

    @property
    def fired(self) -> bool:
        return self.fire_cases > 0

    @property
    def quiet(self) -> bool:
        return self.quiet_cases > 0

    @property
    def covered(self) -> bool:
        return self.fired and self.quiet


@dataclass(frozen=True, slots=True)
class RowCoverage:
    """How one row of a relation rule's table was exercised: in how many passing cases it
    fired as expected, and in how many its trigger was present and it stayed quiet."""

    rule: str
    table: Path
    line: int
    standard: str
    fire_cases: int
    quiet_cases: int

    @property
    def covered(self) -> bool:
        return self.fire_cases > 0 and self.quiet_cases > 0


PATIENT_CASES = ".patients"  # the suffix of case files whose cases are whole patients

AnyCaseResult = CaseResult | PatientCaseResult


@dataclass(frozen=True)
class TestRun:
    results: tuple[AnyCaseResult, ...]
    coverage: tuple[RuleCoverage, ...]
    errors: tuple[str, ...] = ()  # files that could not be read or run
    files: tuple[Path, ...] = field(default=())
    rows: tuple[RowCoverage, ...] = ()  # the rows of relation tables, each counted like a rule

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.skipped for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed - self.skipped

    @property
    def counted_rows(self) -> tuple[RowCoverage, ...]:
        """Rows of the relation rules that the loaded tables let fire."""
        applicable = {c.rule for c in self.coverage if c.applicable}
        return tuple(r for r in self.rows if r.rule in applicable)

    @property
    def coverage_percent(self) -> float:
        """Rules and relation-table rows that fire in some case and stay quiet in some case,
        as a share of all of them: a table of 300 pairs is 300 things to cover."""
        counted = [c.covered for c in self.coverage if c.applicable] + [r.covered for r in self.counted_rows]
        if not counted:
            return 0.0
        return 100.0 * sum(counted) / len(counted)

    def ok(self, threshold: float | None = None) -> bool:
        enough = threshold is None or self.coverage_percent >= threshold
        return not self.errors and self.failed == 0 and self.passed > 0 and enough


def pack_folder(path: Path) -> Path | None:
    """The pack a case file belongs to: the nearest folder above it with a pack.toml."""
    for folder in path.resolve().parents:
        if (folder / "pack.toml").is_file():
            return folder
    return None


_TABLE_KEYS = {"opcs-file": "opcs_file", "icd10-file": "icd10_file", "ncci-dir": "ncci_dir"}


@dataclass(frozen=True, slots=True)
class FileHeader:
    """What a case file's opening comment lines ask of the run."""

    needs: tuple[str, ...] = ()  # "# needs: icd10-file": runs only with those tables loaded
    tables: tuple[tuple[str, Path], ...] = ()  # "# tables: icd10-file=uk-table.xml": its own tables


def file_header(path: Path) -> FileHeader:
    """The ``# needs:`` and ``# tables:`` lines before a case file's first record.

    A file may bring the tables its expectations were written against, beside it in its
    pack (a few rows in the release format, for rules that need a licensed table), so that
    its cases run everywhere; paths are relative to the file and may not leave its pack.
    """
    needs: list[str] = []
    tables: list[tuple[str, Path]] = []
    folder = pack_folder(path) or path.parent.resolve()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("# needs:"):
            needs += stripped.removeprefix("# needs:").replace(",", " ").split()
        elif stripped.startswith("# tables:"):
            for item in stripped.removeprefix("# tables:").replace(",", " ").split():
                key, _, value = item.partition("=")
                if key not in _TABLE_KEYS or not value:
                    raise CaseError(f"{path}:{number}: '# tables:' takes {', '.join(k + '=PATH' for k in _TABLE_KEYS)}")
                target = (path.parent / value).resolve()
                if not target.is_relative_to(folder) or not target.exists():
                    raise CaseError(f"{path}:{number}: {value} is not a file inside the pack {folder}")
                tables.append((_TABLE_KEYS[key], target))
        elif stripped and not stripped.startswith("#"):
            break
    return FileHeader(tuple(needs), tuple(tables))


def file_tables(path: Path, tables: TableConfig | None) -> TableConfig | None:
    """The tables a case file runs with: its own where it names them, else the run's."""
    own = file_header(path).tables
    return dataclasses.replace(tables or TableConfig(), **dict(own)) if own else tables  # type: ignore[arg-type]  # keys: TableConfig's path fields, read from the header


def discover(paths: Iterable[str], rules: Sequence[str] | None = None) -> list[Path]:
    """Case files under the given paths (record cases ``*.txt``, patient cases ``*.patients``);
    with none, the tests/ folders of the packs (by default the built-in ones, those that read
    whole patients too: a pack is tested whether or not it checks records by default)."""
    found: list[Path] = []
    folders = resolve_selection(rules) + ([] if rules else list(patient_pack_dirs().values()))
    targets = [Path(p) for p in paths] or [folder / "tests" for folder in folders]
    for target in targets:
        if target.is_dir():
            found += sorted([*target.rglob("*.txt"), *target.rglob(f"*{PATIENT_CASES}")])
        elif target.is_file():
            found.append(target)
        elif paths:
            raise CaseError(f"{target}: no such file or folder")
    return list(dict.fromkeys(found))


def case_selection(path: Path, rules: Sequence[str] | None) -> tuple[str, ...]:
    """The packs a case file runs with: those given, else its own pack, else every one (())."""
    owner = pack_folder(path)
    return tuple(rules) if rules else ((str(owner),) if owner else ())


def file_cases(path: Path, checker: Checker, pattern: str | None = None) -> list[Case]:
    """The annotated cases of a file that the checker can run (others marked todo)."""
    cases = [
        c
        for c in load_cases(Path(shown_path(path)))
        if c.expect or c.ok is not None or c.todo or c.completes_to or c.no_completion is not None
    ]
    if pattern:
        cases = [c for c in cases if pattern in f"{c.name} {c.text}"]
    if "icd10-file" in file_header(path).needs and not checker.tables.icd10.uk:
        cases = [dataclasses.replace(c, todo="needs a UK ICD-10 file (--icd10-file)") for c in cases]
    return cases


def run_tests(
    paths: Iterable[str] = (),
    *,
    rules: Sequence[str] | None = None,
    pattern: str | None = None,
    tables: TableConfig | None = None,
    strict: bool = False,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> TestRun:
    """Run the case files under ``paths`` (seconds a batch and bytes a worker bound every
    grounding of a pack that is not built in)."""
    files = discover(paths, rules)
    checkers: dict[tuple[tuple[str, ...], TableConfig | None], Checker] = {}
    patient_rulesets: dict[tuple[str, ...], RuleSet] = {}
    results: list[AnyCaseResult] = []
    errors: list[str] = []
    loaded: dict[str, str] = {}  # rule id -> pack, for every rule any file ran with
    unmet: set[str] = set()  # rules whose needs the loaded tables do not meet
    met: set[str] = set()
    untriggered: set[str] = set()
    fired: Counter[str] = Counter()
    quiet: Counter[str] = Counter()
    rows_fired: Counter[tuple[str, int]] = Counter()
    rows_quiet: Counter[tuple[str, int]] = Counter()
    relation_tables: dict[str, RelationTable] = {}
    for path in files:
        selection = case_selection(path, rules)
        if path.suffix == PATIENT_CASES:
            try:
                if selection not in patient_rulesets:
                    patient_rulesets[selection] = PatientChecker(list(selection) or None).ruleset
                ruleset = patient_rulesets[selection]
                judged = run_patient_cases(
                    [path], list(selection), pattern=pattern, ruleset=ruleset, time_limit=time_limit,
                    memory_limit=memory_limit,
                )  # fmt: skip
            except (CaseError, ValueError) as exc:
                errors.append(str(exc))
                continue
            results += judged
            loaded.update({rule.id: rule.pack for rule in ruleset.rules.values()})
            met.update(ruleset.rules)
            _cover(judged, fired, quiet)
            continue
        try:
            own_tables = file_tables(path, tables)
            key = (selection, own_tables)
            if key not in checkers:
                checkers[key] = Checker(
                    list(selection) or None, tables=own_tables, applicability=True, time_limit=time_limit,
                    memory_limit=memory_limit,
                )  # fmt: skip
            checker = checkers[key]
            outcomes = run_cases(checker, file_cases(path, checker, pattern), strict)
        except (CaseError, ValueError) as exc:
            errors.append(str(exc))
            continue
        results += outcomes
        loaded.update({rule.id: rule.pack for rule in checker.rules.values()})
        for rule in checker.rules.values():  # a rule's needs may be met by another file's tables
            (unmet if "icd10-file" in rule.needs and not checker.tables.icd10.uk else met).add(rule.id)
        untriggered |= checker.ruleset.never_quiet
        relation_tables.update(checker.ruleset.relations)
        _cover(outcomes, fired, quiet)
        _cover_rows(outcomes, rows_fired, rows_quiet)
    coverage = tuple(
        RuleCoverage(rule, pack, fired[rule], quiet[rule], rule in met or rule not in unmet, rule not in untriggered)
        for rule, pack in sorted(loaded.items(), key=lambda kv: (kv[1], kv[0]))
    )
    rows = tuple(
        RowCoverage(rule, table.path, row.line, row.standard, rows_fired[rule, row.line], rows_quiet[rule, row.line])
        for rule, table in sorted(relation_tables.items())
        for row in table.rows
    )
    return TestRun(tuple(results), coverage, tuple(errors), tuple(files), rows)


def _cover(outcomes: Sequence[AnyCaseResult], fired: Counter[str], quiet: Counter[str]) -> None:
    """Count, per rule, the passing cases that made it fire where they expected it, and
    those in which it applied (its trigger was present) and stayed quiet. A case that
    merely says ``# ok`` of a rule that does not apply to its record shows nothing."""
    for result in outcomes:
        if not result.passed:
            continue
        fired.update(result.expected_rules)
        quiet.update(result.applied_rules - result.reported_rules - result.expected_rules)


def _cover_rows(outcomes: Sequence[CaseResult], fired: Counter[tuple[str, int]], quiet: Counter[tuple[str, int]]) -> None:
    """The same count for each row of a relation table: a row fires when a violation of
    an expected rule names it; it stays quiet when its trigger is present and it names
    no violation of the case."""
    for result in outcomes:
        if not result.passed:
            continue
        expected = {e.rule for e in result.case.expect}
        named = {(v.rule, v.row) for v in (*result.result.violations, *result.result.waived) if v.row is not None}
        fired.update(key for key in named if key[0] in expected)
        quiet.update(set(result.result.applies_rows) - named)
