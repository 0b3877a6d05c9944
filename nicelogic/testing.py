"""``nicelogic test``: run annotated record files (see :mod:`nicelogic.cases`) against the
rule packs they belong to, and measure coverage per rule.

A case file inside a pack folder (``logic/opcs4/tests/opcs4.txt``) runs with that pack
alone; any other file with the packs given, or every built-in pack. A rule is covered
when some passing case makes it fire where expected and some passing case shows it quiet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cases import REJECTED, Case, CaseError, CaseResult, load_cases, run_cases
from .checker import Checker
from .packs import resolve_selection
from .resources import shown_path
from .tables import TableConfig


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    rule: str
    pack: str
    fired: bool
    quiet: bool
    applicable: bool = True  # False: the rule needs data the loaded tables lack (see needs)

    @property
    def covered(self) -> bool:
        return self.fired and self.quiet


@dataclass(frozen=True)
class TestRun:
    results: tuple[CaseResult, ...]
    coverage: tuple[RuleCoverage, ...]
    errors: tuple[str, ...] = ()  # files that could not be read or run
    files: tuple[Path, ...] = field(default=())

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
    def coverage_percent(self) -> float:
        counted = [c for c in self.coverage if c.applicable]
        if not counted:
            return 0.0
        return 100.0 * sum(c.covered for c in counted) / len(counted)

    def ok(self, threshold: float | None = None) -> bool:
        enough = threshold is None or self.coverage_percent >= threshold
        return not self.errors and self.failed == 0 and self.passed > 0 and enough


def pack_folder(path: Path) -> Path | None:
    """The pack a case file belongs to: the nearest folder above it with a pack.toml."""
    for folder in path.resolve().parents:
        if (folder / "pack.toml").is_file():
            return folder
    return None


def _needs(path: Path) -> list[str]:
    """A case file's "# needs: icd10-file" line: it runs only with those tables loaded."""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("# needs:"):
            return stripped.removeprefix("# needs:").replace(",", " ").split()
        if stripped and not stripped.startswith("#"):
            break
    return []


def discover(paths: Iterable[str], rules: Sequence[str] | None = None) -> list[Path]:
    """Case files under the given paths; with none, the tests/ folders of the packs."""
    found: list[Path] = []
    targets = [Path(p) for p in paths] or [folder / "tests" for folder in resolve_selection(rules)]
    for target in targets:
        if target.is_dir():
            found += sorted(target.rglob("*.txt"))
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
    if "icd10-file" in _needs(path) and not checker.tables.icd10.uk:
        cases = [dataclasses.replace(c, todo="needs a UK ICD-10 file (--icd10-file)") for c in cases]
    return cases


def run_tests(
    paths: Iterable[str] = (),
    *,
    rules: Sequence[str] | None = None,
    pattern: str | None = None,
    tables: TableConfig | None = None,
    strict: bool = False,
) -> TestRun:
    files = discover(paths, rules)
    checkers: dict[tuple[str, ...], Checker] = {}
    results: list[CaseResult] = []
    errors: list[str] = []
    loaded: dict[str, str] = {}  # rule id -> pack, for every rule any file ran with
    unmet: set[str] = set()  # rules whose needs the loaded tables do not meet
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in files:
        selection = case_selection(path, rules)
        try:
            if selection not in checkers:
                checkers[selection] = Checker(list(selection) or None, tables=tables)
            checker = checkers[selection]
            outcomes = run_cases(checker, file_cases(path, checker, pattern), strict)
        except (CaseError, ValueError) as exc:
            errors.append(str(exc))
            continue
        results += outcomes
        loaded.update({rule.id: rule.pack for rule in checker.rules.values()})
        unmet |= {rule.id for rule in checker.rules.values() if "icd10-file" in rule.needs and not checker.tables.icd10.uk}
        _cover(outcomes, checker, fired, quiet)
    coverage = tuple(
        RuleCoverage(rule, pack, rule in fired, rule in quiet, rule not in unmet)
        for rule, pack in sorted(loaded.items(), key=lambda kv: (kv[1], kv[0]))
    )
    return TestRun(tuple(results), coverage, tuple(errors), tuple(files))


def _cover(outcomes: Sequence[CaseResult], checker: Checker, fired: set[str], quiet: set[str]) -> None:
    """Rules a passing case made fire where expected, and rules it showed quiet."""
    pack_rules = {pack.name: {rule.id for rule in pack.rules} for pack in checker.ruleset.packs}
    for result in outcomes:
        if not result.passed:
            continue
        case = result.case
        expected = {e.rule for e in case.expect}
        fired |= expected - {REJECTED}
        if case.ok is not None:
            for name in case.ok or tuple(pack_rules):
                quiet |= pack_rules.get(name, {name}) - expected
