"""``nicelogic test --mutate``: run a pack's cases against each of its mutants (see
:mod:`nicelogic.authoring.mutation`) and score how many the cases notice.

A pack that reads whole patients is mutated the same way and its ``.patients`` cases run
against each mutant (:mod:`nicelogic.authoring.patient_cases`), with the same score.

Mutants run in worker processes, one per core by default. A worker loads the packs, the
code tables and the cases once, then for each mutant only grounds the program text with
the one mutated file swapped in. Every mutant runs under a bound: the worker's address
space is capped (``RLIMIT_AS``), and a mutant that gives no answer in time has its worker
killed and replaced. A mutant stopped by a bound counts as killed, and is listed so.

Long, and kept whole: the worker pool (start, time and memory limits, kill and replace)
is one protocol with the scoring of what it returns.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import clingo

from nicelogic.authoring.cases import run_cases
from nicelogic.authoring.mutation import OPERATORS, Dormancy, Mutant, Siblings, pack_mutants, violation_predicates
from nicelogic.authoring.patient_cases import PatientCase, check_patient_cases, load_patient_cases
from nicelogic.authoring.testing import PATIENT_CASES, AnyCaseResult, case_selection, discover, file_cases, file_tables
from nicelogic.bounded import mark_worker
from nicelogic.checking.checker import Checker
from nicelogic.errors import CaseError
from nicelogic.history.checker import PatientChecker
from nicelogic.rules.cases import Case
from nicelogic.rules.packs import RuleSet, program_text
from nicelogic.tables import TableConfig, load_tables

# Outcomes that mean the cases noticed the mutant.
KILLED = ("killed", "error", "timeout", "memory")
# Outcomes left out of the score, each listed apart.
EXCLUDED = ("equivalent", "invalid", "not-applicable")
STATUSES = (*KILLED, "survived", *EXCLUDED)

DEFAULT_MEMORY_MB = 2048  # address space a mutant may add to a loaded worker
MIN_TIMEOUT = 10.0  # seconds; at least this, or many times the unmutated run, per mutant
_TIMEOUT_FACTOR = 30


@dataclass(frozen=True, slots=True)
class MutantResult:
    mutant: Mutant
    status: str  # one of STATUSES
    cases: tuple[str, ...] = ()  # the cases that ran against it (file:line)
    failed: tuple[str, ...] = ()  # the cases that noticed it
    detail: str = ""  # why it is equivalent, why it is invalid, or the error it caused

    @property
    def killed(self) -> bool:
        return self.status in KILLED


@dataclass(frozen=True, slots=True)
class Score:
    """Mutants of one rule (or helper file) or one pack, by outcome."""

    name: str
    pack: str
    counts: tuple[tuple[str, int], ...]  # (status, count) for every status

    def count(self, *statuses: str) -> int:
        return sum(n for status, n in self.counts if status in statuses)

    @property
    def killed(self) -> int:
        return self.count(*KILLED)

    @property
    def scored(self) -> int:
        return self.killed + self.count("survived")

    @property
    def percent(self) -> float | None:
        """Killed among the mutants that could be killed; None when there are none."""
        return 100.0 * self.killed / self.scored if self.scored else None


@dataclass(frozen=True)
class MutationRun:
    results: tuple[MutantResult, ...]
    errors: tuple[str, ...]  # cases failing unmutated, stale equivalence declarations
    seconds: float
    jobs: int
    files: tuple[Path, ...] = field(default=())

    def _score(self, name: str, pack: str, results: Iterable[MutantResult]) -> Score:
        statuses = [r.status for r in results]
        return Score(name, pack, tuple((status, statuses.count(status)) for status in STATUSES))

    @property
    def pack_scores(self) -> tuple[Score, ...]:
        packs = dict.fromkeys(r.mutant.pack for r in self.results)
        return tuple(self._score(p, p, [r for r in self.results if r.mutant.pack == p]) for p in packs)

    @property
    def rule_scores(self) -> tuple[Score, ...]:
        rules = dict.fromkeys((r.mutant.pack, r.mutant.rule) for r in self.results)
        return tuple(
            self._score(rule, pack, [r for r in self.results if (r.mutant.pack, r.mutant.rule) == (pack, rule)])
            for pack, rule in rules
        )

    @property
    def total(self) -> Score:
        return self._score("all", "", self.results)

    def ok(self, threshold: float | None = None) -> bool:
        """No errors, and with a threshold every pack's score at least that."""
        if self.errors or not self.results:
            return False
        return threshold is None or all(s.percent is None or s.percent >= threshold for s in self.pack_scores)


# --------------------------------------------------------------------------- units


@dataclass(frozen=True, slots=True)
class _UnitSpec:
    """Case files that run with the same packs: what a worker needs to rebuild them."""

    selection: tuple[str, ...]
    files: tuple[Path, ...]
    strict: bool  # every violation a case's record has must be expected
    tables: TableConfig | None = None  # the files' own tables ("# tables:"), else the run's
    patients: bool = False  # patient cases (*.patients), run by the packs of the selection that read patients


@dataclass(frozen=True)
class _Unit:
    checker: Checker | None  # None for patient cases
    cases: tuple[Case, ...] | tuple[PatientCase, ...]
    parts: tuple[tuple[Path, str], ...]  # the program's files and texts
    strict: bool
    ruleset: RuleSet  # the packs the cases run with
    selection: tuple[str, ...] = ()

    def run(self, program: str | None = None) -> list[AnyCaseResult]:
        """The cases' outcomes with the packs as loaded, or with this program text instead."""
        if self.checker is None:
            ruleset = self.ruleset if program is None else dataclasses.replace(self.ruleset, program=program)
            cases = tuple(c for c in self.cases if isinstance(c, PatientCase))
            return list(check_patient_cases(cases, list(self.selection), ruleset=ruleset))
        checker = self.checker if program is None else self.checker.with_program(program)
        return list(run_cases(checker, tuple(c for c in self.cases if isinstance(c, Case)), self.strict))

    @property
    def dormancy(self) -> Dormancy:
        """What can never fire with the loaded tables; a patient pack reads no code table."""
        texts = [text for _, text in self.parts]
        if self.checker is None:
            return Dormancy(frozenset(), frozenset(), frozenset())
        return Dormancy.of(self.checker.tables, texts)


def _load(spec: _UnitSpec, tables: TableConfig, pattern: str | None) -> _Unit:
    if spec.patients:
        ruleset = PatientChecker(list(spec.selection) or None).ruleset
        parts = tuple(zip(ruleset.files, ruleset.texts, strict=True))
        return _Unit(None, tuple(load_patient_cases(spec.files, pattern)), parts, spec.strict, ruleset, spec.selection)
    checker = Checker(list(spec.selection) or None, tables=spec.tables or tables)
    cases = tuple(case for path in spec.files for case in file_cases(path, checker, pattern))
    parts = tuple(zip(checker.ruleset.files, checker.ruleset.texts, strict=True))  # as loaded: a table is its facts
    return _Unit(checker, cases, parts, spec.strict, checker.ruleset, spec.selection)


def _grounding_problem(program: str) -> str | None:
    """Why a program cannot be grounded at all (an unsafe variable, say), or None."""
    messages: list[str] = []
    ctl = clingo.Control(["--warn=none"], logger=lambda _code, msg: messages.append(msg), message_limit=3)
    try:
        ctl.add("base", [], program)
        ctl.ground([("base", [])])
    except RuntimeError:
        return "; ".join(m.strip().splitlines()[0] for m in messages) or "cannot be grounded"
    return None


def _evaluate(unit: _Unit, file: str, text: str) -> tuple[str, tuple[str, ...], str]:
    program = program_text((path, text if str(path) == file else original) for path, original in unit.parts)
    problem = _grounding_problem(program)
    if problem is not None:
        return "invalid", (), problem
    try:
        outcomes = unit.run(program)
    except MemoryError:
        return "memory", (), "out of memory"
    except Exception as exc:  # noqa: BLE001 - a mutant that makes the checker fail is noticed, whatever the failure
        kind = "memory" if "bad_alloc" in str(exc) else "error"
        return kind, (), f"{type(exc).__name__}: {exc}".strip()
    failed = tuple(o.case.name for o in outcomes if not o.passed and not o.skipped)
    return ("killed" if failed else "survived"), failed, ""


# --------------------------------------------------------------------------- workers


def _limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it uses now plus extra_mb."""
    try:
        import resource
    except ImportError:  # not a POSIX system: run unbounded
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        used = 0
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra_mb * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve(conn: Connection, specs: tuple[_UnitSpec, ...], tables: TableConfig, pattern: str | None, memory_mb: int) -> None:
    mark_worker()  # this process is bounded by the pool (time) and its address space: it grounds every mutant itself
    try:
        units = [_load(spec, tables, pattern) for spec in specs]
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("start-error", str(exc)))
        return
    _limit_memory(memory_mb)
    conn.send("ready")
    while (message := conn.recv()) is not None:
        unit, file, text = message
        conn.send(_evaluate(units[unit], file, text))


@dataclass(frozen=True, slots=True)
class _Task:
    index: int
    unit: int
    file: str
    text: str
    timeout: float


@dataclass
class _Slot:
    process: Any  # a multiprocessing Process
    conn: Connection
    ready: bool = False
    task: _Task | None = None
    deadline: float = 0.0


class _Pool:
    """Worker processes that can be killed one by one when a mutant outlives its time."""

    def __init__(self, jobs: int, args: tuple[object, ...]) -> None:
        self._context = multiprocessing.get_context()
        self._args = args
        self.slots = [self._start() for _ in range(jobs)]

    def _start(self) -> _Slot:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs, *self._args), daemon=True)
        process.start()
        theirs.close()
        return _Slot(process, ours)

    def _replace(self, slot: _Slot) -> None:
        slot.process.kill()
        slot.process.join()
        slot.conn.close()
        self.slots[self.slots.index(slot)] = self._start()

    def run(self, tasks: Sequence[_Task]) -> dict[int, tuple[str, tuple[str, ...], str]]:
        pending = deque(tasks)
        done: dict[int, tuple[str, tuple[str, ...], str]] = {}
        while len(done) < len(tasks):
            for slot in self.slots:
                if slot.ready and slot.task is None and pending:
                    slot.task = pending.popleft()
                    slot.deadline = time.monotonic() + slot.task.timeout
                    slot.conn.send((slot.task.unit, slot.task.file, slot.task.text))
            deadlines = [s.deadline for s in self.slots if s.task is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([s.conn for s in self.slots], timeout)
            for slot in list(self.slots):
                if slot.conn in ready:
                    self._receive(slot, done)
                elif slot.task is not None and time.monotonic() >= slot.deadline:
                    done[slot.task.index] = ("timeout", (), f"no answer within {slot.task.timeout:g} s")
                    self._replace(slot)
        return done

    def _receive(self, slot: _Slot, done: dict[int, tuple[str, tuple[str, ...], str]]) -> None:
        try:
            message = slot.conn.recv()
        except (EOFError, OSError):  # the worker died: its address space ran out, or a signal
            if slot.task is None:
                raise RuntimeError(f"a mutation worker stopped while starting (exit {slot.process.exitcode})") from None
            done[slot.task.index] = ("memory", (), f"the worker died (exit {slot.process.exitcode})")
            self._replace(slot)
            return
        if message == "ready":
            slot.ready = True
        elif isinstance(message, tuple) and message[0] == "start-error":
            raise CaseError(f"a mutation worker could not load the packs: {message[1]}")
        elif slot.task is not None:
            done[slot.task.index] = message
            slot.task = None
            if message[0] == "memory":  # clingo ran out inside its cap: what it left behind may fail the next mutant
                self._replace(slot)

    def close(self) -> None:
        for slot in self.slots:
            with contextlib.suppress(OSError):  # a worker that died already
                slot.conn.send(None)
        for slot in self.slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


# --------------------------------------------------------------------------- the run


def run_mutation(
    paths: Iterable[str] = (),
    *,
    rules: Sequence[str] | None = None,
    pattern: str | None = None,
    tables: TableConfig | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    operators: Sequence[str] = OPERATORS,
    strict: bool = False,
) -> MutationRun:
    """Mutate the packs the case files belong to (as ``nicelogic test`` finds them) and run
    the cases against every mutant. ``timeout``: seconds per mutant (default: the longer of
    10 s and 30 times the unmutated run of its cases). ``strict``: as for ``nicelogic test
    --strict``, a case fails on any violation it does not expect, so it notices more."""
    start = time.monotonic()
    tables = tables or TableConfig()
    files = discover(paths, rules)
    grouped: dict[tuple[tuple[str, ...], TableConfig | None, bool], list[Path]] = {}
    for path in files:  # files that bring their own tables run as a unit of their own, and so do patient cases
        patients = path.suffix == PATIENT_CASES
        own = None if patients else file_tables(path, tables)
        grouped.setdefault((case_selection(path, rules), own, patients), []).append(path)
    specs = tuple(
        _UnitSpec(selection, tuple(paths_), strict, own, patients) for (selection, own, patients), paths_ in grouped.items()
    )
    errors: list[str] = []
    results: dict[int, MutantResult] = {}
    tasks: list[_Task] = []
    pending: dict[int, tuple[Mutant, tuple[str, ...]]] = {}
    siblings: Siblings | None = None
    for number, spec in enumerate(specs):
        unit = _load(spec, tables, pattern)
        began = time.monotonic()
        outcomes = unit.run()
        per_mutant = timeout or max(MIN_TIMEOUT, _TIMEOUT_FACTOR * (time.monotonic() - began))
        failing = [o.case.name for o in outcomes if not o.passed and not o.skipped]
        if failing:
            errors.append(f"cases fail on the unmutated packs, so no mutant of them was run: {', '.join(failing)}")
            continue
        ran = tuple(o.case.name for o in outcomes if o.passed)
        # one sibling per code whatever tables a unit runs with, so that a mutant made in two
        # units is the same mutant, judged by both
        siblings = siblings or Siblings.of_tables(load_tables(tables))
        texts = [text for _, text in unit.parts]
        reachable = violation_predicates(texts)
        dormancy = unit.dormancy
        uk = unit.checker is not None and unit.checker.tables.icd10.uk
        for pack in unit.ruleset.packs:
            found = pack_mutants(pack, siblings, reachable, operators, dormancy)
            errors += found.stale
            for mutant in found.mutants:
                index = len(results) + len(pending)
                if mutant.equivalent is not None:
                    results[index] = MutantResult(mutant, "equivalent", detail=mutant.equivalent)
                elif "icd10-file" in mutant.needs and not uk:
                    results[index] = MutantResult(mutant, "not-applicable", detail="the rule needs a UK ICD-10 file")
                elif mutant.inapplicable is not None:
                    results[index] = MutantResult(mutant, "not-applicable", detail=mutant.inapplicable)
                else:
                    pending[index] = (mutant, ran)
                    tasks.append(_Task(index, number, str(mutant.file), mutant.text, per_mutant))
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    if tasks:
        pool = _Pool(workers, (specs, tables, pattern, memory_mb))
        try:
            done = pool.run(tasks)
        finally:
            pool.close()
        for index, (mutant, ran) in pending.items():
            status, failed, detail = done[index]
            results[index] = MutantResult(mutant, status, ran, failed, detail)
    ordered = _merged(results[i] for i in sorted(results))
    return MutationRun(ordered, tuple(errors), time.monotonic() - start, workers, tuple(files))


def _merged(results: Iterable[MutantResult]) -> tuple[MutantResult, ...]:
    """One result per mutant: a pack whose case files run in several units (a file with
    its own tables is a unit of its own) has its mutants run in each, and a mutant is
    killed when any unit's cases notice it, survives when some ran it and none did."""
    runs: dict[tuple[str, str, str], list[MutantResult]] = {}
    for result in results:
        runs.setdefault((str(result.mutant.file), result.mutant.key, result.mutant.text), []).append(result)
    merged = []
    for same in runs.values():
        ran = tuple(dict.fromkeys(case for r in same for case in r.cases))
        killed = [r for r in same if r.status in KILLED]
        if killed:
            first = killed[0]
            merged.append(MutantResult(first.mutant, first.status, ran, tuple(c for r in killed for c in r.failed), first.detail))
        elif any(r.status == "survived" for r in same):
            merged.append(MutantResult(same[0].mutant, "survived", ran))
        else:  # excluded everywhere: say why where it could have run
            merged.append(next((r for r in same if r.status != "not-applicable"), same[0]))
    return tuple(merged)


__all__ = ["EXCLUDED", "KILLED", "STATUSES", "MutantResult", "MutationRun", "Score", "run_mutation"]
