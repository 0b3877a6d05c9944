"""Checking whole patients: one grounding and solve for a batch of patients' histories.

A pack that declares ``reads = "patient"`` derives ``patient_violation(Id, P, Blamed[,
Detail])`` and says where it applies with ``patient_applies(Id, P, Unit)`` (``logic/README.md``,
"Rules across a patient's history"); ``Blamed`` and ``Unit`` are ``episode(E)``, ``spell(Sp)``,
a tuple of them, or ``patient``. Every patient of a batch is solved together under its own
number, as records are, in a bounded worker process (:mod:`nicelogic.bounded`): a batch over
the time or memory limit is split, and a patient who alone exceeds it is not judged, with
the limit as the reason, so that no pack, built in or not, grounds without a bound.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from types import MappingProxyType

import clingo

from nicelogic.asp.solve import ONE_ANSWER_OPTIONS
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, BoundedWorker, checked_limits, in_worker
from nicelogic.errors import LimitExceeded, RuleError
from nicelogic.history.facts import ended_of, history_facts, provider_of
from nicelogic.history.patients import MAX_EPISODES, Grouped, History, NotJudged, group_patients, too_many_episodes
from nicelogic.history.results import Blamed, HistorySummary, PatientResult, PatientViolation, RuleRate
from nicelogic.model import Record
from nicelogic.rules.packs import RuleSet, load_folders, reads_patients, resolve_selection
from nicelogic.rules.templates import message_fields

DEFAULT_PATIENTS = 500  # patients grounded together
# patients a worker judges before a fresh one takes its place: clingo keeps every symbol it
# has made (each episode's id and dates among them) for the life of its process, so that a
# worker grows with the patients it has judged (from 28 to 160 MiB over 50,000). The fresh
# one is forked from the run's process as it is then: on 100,000 patients the run peaked at
# 857 MiB instead of 899, and took 159 s instead of 144; what it bounds is the growth
RECYCLE_PATIENTS = 5_000


class PatientChecker:
    """Loads the packs of a selection that read whole patients and checks histories with them.

    ``configuration`` is program text of facts a study adds (a window, say), never rules.
    ``ruleset``: those packs loaded already (Spark ships them to its executors once).
    ``max_episodes``: a patient with more is not judged, with the limit as the reason."""

    def __init__(
        self,
        rules: Iterable[str] | None,
        *,
        configuration: str = "",
        batch_patients: int = DEFAULT_PATIENTS,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        max_episodes: int = MAX_EPISODES,
        ruleset: RuleSet | None = None,
        jobs: int = 1,
    ) -> None:
        self.time_limit, self.memory_limit = checked_limits(time_limit, memory_limit)
        self.folders = tuple(folder for folder in resolve_selection(rules) if reads_patients(folder))
        self.ruleset: RuleSet = ruleset if ruleset is not None else load_folders(self.folders)
        self.configuration = configuration
        self.batch_patients = batch_patients
        self.max_episodes = max_episodes
        self._worker = BoundedWorker(self, memory_limit)
        # batches solved at once, each by its own bounded worker, while this process reads the next
        self._workers = [self._worker] + [BoundedWorker(self, memory_limit) for _ in range(max(1, jobs) - 1)]
        self.over_limit: list[NotJudged] = []  # the records of patients who alone exceeded a limit
        self._judged_by: dict[int, int] = {}  # patients each running worker has judged

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()

    @property
    def active(self) -> bool:
        return bool(self.folders)

    def check(self, histories: Sequence[History]) -> list[PatientResult]:
        batches = (histories[start : start + self.batch_patients] for start in range(0, len(histories), self.batch_patients))
        return [result for results in self._solved(batches) for result in results]

    def _solved(self, batches: Iterable[Sequence[History]]) -> Iterator[list[PatientResult]]:
        """Each batch's results, in order; up to one batch a worker is being solved while the
        next is read."""
        if in_worker():  # this process is itself bounded (a mutant's worker, say): it may not fork another
            yield from (self._solve(batch) for batch in batches)
            return
        pending: deque[tuple[BoundedWorker, list[History], float]] = deque()
        idle = list(self._workers)
        try:
            for batch in batches:
                if not idle:
                    yield self._answer(*pending.popleft(), idle)
                worker = idle.pop()
                worker.submit("_solve", list(batch))
                pending.append((worker, list(batch), time.monotonic()))
            while pending:
                yield self._answer(*pending.popleft(), idle)
        finally:
            for worker, _, _ in pending:  # interrupted: their answers would come to the next call
                worker.stop()

    def _answer(
        self, worker: BoundedWorker, batch: list[History], submitted: float, idle: list[BoundedWorker]
    ) -> list[PatientResult]:
        """A submitted batch's results within the time limit from its submission; a batch
        over a limit is split on its own worker (:meth:`_split`)."""
        try:
            remaining = None if self.time_limit is None else max(0.0, self.time_limit - (time.monotonic() - submitted))
            results: list[PatientResult] = worker.result(remaining)
        except LimitExceeded as exc:
            results = self._split(batch, exc, worker)  # this worker, stopped at the limit: no other answer pends on it
        self._judged_by[id(worker)] = self._judged_by.get(id(worker), 0) + len(batch)
        if self._judged_by[id(worker)] >= RECYCLE_PATIENTS:
            worker.stop()  # forked afresh for its next batch
            self._judged_by[id(worker)] = 0
        idle.append(worker)
        return results

    def _bounded(self, histories: Sequence[History], worker: BoundedWorker | None = None) -> list[PatientResult]:
        if in_worker():
            return self._solve(histories)
        worker = worker or self._worker
        try:
            return worker.call("_solve", list(histories), timeout=self.time_limit)  # type: ignore[no-any-return]
        except LimitExceeded as exc:
            return self._split(histories, exc, worker)

    def _split(self, histories: Sequence[History], exc: LimitExceeded, worker: BoundedWorker) -> list[PatientResult]:
        if len(histories) > 1:  # the patients who fit are still judged
            half = len(histories) // 2
            return self._bounded(histories[:half], worker) + self._bounded(histories[half:], worker)
        self.over_limit += [NotJudged(record, str(exc)) for record in histories[0].episodes]
        return []

    def start(self) -> None:
        """Fork the workers now, while this process is small: forked later, after it has read
        and spooled an extract, each would keep a copy of every page it has written since."""
        if self.active and not in_worker():
            for worker in self._workers:
                worker.start()

    def check_records(
        self, records: Iterable[Record | NotJudged], spells: str = "auto", *, out_of_memory: bool = False
    ) -> tuple[list[PatientResult], Grouped, HistorySummary]:
        """Group checked records by patient, check every history, and sum up. ``out_of_memory``:
        group through a spool of sorted runs on disk (:mod:`nicelogic.history.spool`, needs pyarrow), so
        that only a batch of patients is held at a time; the grouped value then holds no histories."""
        judged = self.judge_records(records, spells, out_of_memory=out_of_memory)
        results = list(judged)
        return results, judged.grouped, judged.summary

    def judge_records(
        self, records: Iterable[Record | NotJudged], spells: str = "auto", *, out_of_memory: bool = False
    ) -> PatientPass:
        """As :meth:`check_records`, each patient's result given as it is judged, not held:
        iterate over the pass once, then read its ``grouped`` and ``summary``."""
        return PatientPass(self, records, spells, out_of_memory)

    def _judged(
        self, records: Iterable[Record | NotJudged], spells: str, out_of_memory: bool
    ) -> Iterator[PatientResult | Grouped]:
        """Each patient's result, then what was grouped (the pass's last item)."""
        self.over_limit = []
        if not out_of_memory:
            grouped = group_patients(records, spells, self.max_episodes)
            yield from self.check(grouped.histories)
            yield Grouped(grouped.histories, grouped.not_judged + tuple(self.over_limit), grouped.duplicates)
            return
        from nicelogic.history.spool import spooled

        spool = spooled(records)
        try:
            histories = spool.histories(spells, self.max_episodes)
            batches = iter(lambda: list(islice(histories, self.batch_patients)), [])
            for solved in self._solved(batches):
                yield from solved
            too_many = spool.too_many(self.max_episodes)
            yield Grouped(
                (), tuple(spool.not_judged) + tuple(self.over_limit), tuple(spool.duplicates()),
                MappingProxyType({too_many_episodes(self.max_episodes): too_many} if too_many else {}),
            )  # fmt: skip
        finally:
            spool.close()

    def _solve(self, histories: Sequence[History]) -> list[PatientResult]:
        if not histories:
            return []
        ctl = clingo.Control(list(ONE_ANSWER_OPTIONS))
        ctl.add("base", [], self.ruleset.program)
        ctl.add("base", [], self.configuration)
        ctl.add("base", [], "\n".join(history_facts(h, p) for p, h in enumerate(histories, start=1)))
        ctl.ground([("base", [])])
        found: list[set[tuple[str, tuple[Blamed, ...], tuple[str, ...]]]] = [set() for _ in histories]
        applies: list[set[tuple[str, Blamed]]] = [set() for _ in histories]
        references: list[set[tuple[str, Blamed, Blamed]]] = [set() for _ in histories]
        models = 0
        with ctl.solve(yield_=True) as handle:
            for model in handle:
                models += 1
                for symbol in model.symbols(shown=True):
                    if symbol.name == "patient_violation" and len(symbol.arguments) in (3, 4):
                        rule, p, blamed = _rule(symbol), symbol.arguments[1].number, symbol.arguments[2]
                        detail = _detail(symbol.arguments[3]) if len(symbol.arguments) == 4 else ()
                        found[p - 1].add((rule, _blamed(blamed, histories[p - 1]), detail))
                    elif symbol.name == "patient_applies" and len(symbol.arguments) == 3:
                        rule, p = _rule(symbol), symbol.arguments[1].number
                        unit, *others = _blamed(symbol.arguments[2], histories[p - 1])  # the first is counted
                        applies[p - 1].add((rule, unit))
                        references[p - 1].update((rule, unit, other) for other in others[:1])
        if models != 1:
            raise RuleError("a patient-level pack must have exactly one answer: it only derives violations")
        results = []
        for history, violations, units, referring in zip(histories, found, applies, references, strict=True):
            made = [self._violation(history, rule, blamed, detail) for rule, blamed, detail in violations]
            made.sort(key=lambda v: (v.rule, [(b.kind, b.number) for b in v.blamed]))
            results.append(
                PatientResult(
                    history.patient,
                    tuple(made),
                    tuple(sorted(units, key=_unit_key)),
                    history.method,
                    tuple(sorted(referring, key=lambda r: (*_unit_key(r[:2]), r[2].number))),
                )  # fmt: skip
            )
        return results

    def _violation(self, history: History, rule_id: str, blamed: tuple[Blamed, ...], detail: tuple[str, ...]) -> PatientViolation:
        rule = self.ruleset.rules[rule_id]
        fields = message_fields((), (), "", "", history.patient, detail)
        try:
            message = rule.message.format_map(fields)
        except (IndexError, KeyError, ValueError):
            message = rule.message
        where = "; ".join(str(b) for b in blamed)
        text = f"{message} [{where}]"
        return PatientViolation(rule.id, rule.severity, history.patient, blamed, text, rule.source, rule.title, detail)


def _unit_key(item: tuple[str, Blamed]) -> tuple[str, str, int]:
    return (item[0], item[1].kind, item[1].number)


def _rule(symbol: clingo.Symbol) -> str:
    first = symbol.arguments[0]
    if first.type != clingo.SymbolType.String or symbol.arguments[1].type != clingo.SymbolType.Number:
        raise RuleError(f'malformed output atom {symbol}: expected {symbol.name}("id", P, ...)')
    return first.string


def _detail(term: clingo.Symbol) -> tuple[str, ...]:
    parts = term.arguments if term.type == clingo.SymbolType.Function and term.name == "" else [term]
    return tuple(p.string if p.type == clingo.SymbolType.String else str(p) for p in parts)


def _blamed(term: clingo.Symbol, history: History) -> tuple[Blamed, ...]:
    """episode(E), spell(Sp), a tuple of them, or patient, as the records they stand for."""
    if term.type == clingo.SymbolType.Function and term.name == "" and term.arguments:
        return tuple(b for part in term.arguments for b in _blamed(part, history))
    if term.type == clingo.SymbolType.Function and term.name in ("episode", "spell") and len(term.arguments) == 1:
        number = term.arguments[0].number
        if term.name == "episode":
            members: Sequence[int] = (number - 1,)
        else:
            members = history.spells[number - 1]
        records = [history.episodes[i] for i in members]
        lines = tuple((r.source, r.line) for r in records)
        return (Blamed(term.name, number, tuple(r.id for r in records), lines, provider_of(records), ended_of(records)),)
    if term.type == clingo.SymbolType.Function and term.name == "patient" and not term.arguments:
        return (Blamed("patient", 0, ()),)
    raise RuleError(f"a patient-level rule blames {term}: expected episode(E), spell(Sp), a tuple of them, or patient")


class Tally:
    """The counts of a :class:`HistorySummary`, patient result by patient result."""

    def __init__(self) -> None:
        self.applies: Counter[str] = Counter()
        self.violating: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.patients = self.violations = 0

    def add(self, result: PatientResult) -> None:
        self.patients += 1
        self.violations += len(result.violations)
        self.methods[result.spell_method] += 1
        self.applies.update(rule for rule, _ in result.applies)
        units = {(v.rule, (b.kind, b.number)) for v in result.violations for b in v.blamed[:1]}
        self.violating.update(rule for rule, _ in units)

    def summary(self, grouped: Grouped) -> HistorySummary:
        """Counts and each rule's rate: units blamed over units it applied to."""
        rates = tuple(
            RuleRate(rule, self.applies[rule], self.violating[rule])
            for rule in sorted(self.applies.keys() | self.violating.keys())
        )
        not_judged = Counter(n.reason for n in grouped.not_judged)
        not_judged.update(grouped.not_judged_counts)
        return HistorySummary(
            patients=self.patients,
            violations=self.violations,
            not_judged=MappingProxyType(dict(not_judged)),
            duplicates=len(grouped.duplicates),
            spell_methods=MappingProxyType(dict(self.methods)),
            rates=rates,
        )


class PatientPass:
    """The patients' results of one pass, each as it is judged (iterate once); then what was
    grouped and the summary. Only the counts are kept, so that memory stays bounded however
    many patients an extract holds."""

    def __init__(self, checker: PatientChecker, records: Iterable[Record | NotJudged], spells: str, out_of_memory: bool) -> None:
        self._items = checker._judged(records, spells, out_of_memory)
        self._tally = Tally()
        self._grouped: Grouped | None = None

    def __iter__(self) -> Iterator[PatientResult]:
        for item in self._items:
            if isinstance(item, Grouped):
                self._grouped = item
            else:
                self._tally.add(item)
                yield item

    @property
    def grouped(self) -> Grouped:
        if self._grouped is None:
            raise RuntimeError("the pass's results have not all been read yet")
        return self._grouped

    @property
    def summary(self) -> HistorySummary:
        return self._tally.summary(self.grouped)


def merged(parts: Iterable[HistorySummary]) -> HistorySummary:
    """The summary of patients checked in parts (each patient whole in one part), as if at once."""
    not_judged: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    applies: Counter[str] = Counter()
    violating: Counter[str] = Counter()
    patients = violations = duplicates = 0
    for part in parts:
        patients, violations, duplicates = patients + part.patients, violations + part.violations, duplicates + part.duplicates
        not_judged.update(part.not_judged)
        methods.update(part.spell_methods)
        applies.update({rate.rule: rate.applies for rate in part.rates})
        violating.update({rate.rule: rate.violating for rate in part.rates})
    return HistorySummary(
        patients=patients,
        violations=violations,
        not_judged=MappingProxyType(dict(not_judged)),
        duplicates=duplicates,
        spell_methods=MappingProxyType(dict(methods)),
        rates=tuple(RuleRate(rule, applies[rule], violating[rule]) for rule in sorted(applies.keys() | violating.keys())),
    )
