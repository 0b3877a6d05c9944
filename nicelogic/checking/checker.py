"""Checking records: parse, turn into facts, solve in batches, tie findings back to codes.

Records are checked in batches: one clingo grounding serves thousands of records. Hospital
data repeats itself, so each distinct record *form* (exactly the facts the rules can see)
is solved once per process and its findings reused. Large inputs are spread over worker
processes, each with its own cache; results always come back in input order.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice

from nicelogic.asp.facts import AttributeScope, record_form, wanted_attributes
from nicelogic.asp.solve import Finding, solve_forms
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, BoundedWorker, checked_limits, in_worker
from nicelogic.checking.diagnostics import ENGINE_RULES, NOT_IN_FORCE, UNKNOWN_CODE, UNUSED_WAIVER
from nicelogic.checking.editions import (
    edition_choice,
    form_choice,
    judging_editions,
    mark_form,
    not_in_force,
    stale_sections,
    validity_rules,
)  # fmt: skip
from nicelogic.checking.parallel import check_in_workers, exceeded
from nicelogic.checking.violations import merge_restated, unknown_codes, unused_waiver, violation
from nicelogic.errors import InputProblem, LimitExceeded
from nicelogic.input.adapt import as_input
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.read import ReadPosition, read_inputs
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record, System
from nicelogic.resources import logic_dir
from nicelogic.results import RecordResult, Report, SummaryCounter, Violation
from nicelogic.rules.metadata import Rule
from nicelogic.rules.packs import RuleSet, load_folders, load_rules, reads_patients, resolve_selection
from nicelogic.rules.selectors import RuleFilter, matched, matches, unmatched
from nicelogic.tables import CodeTables, TableConfig, load_tables

DEFAULT_BATCH = 2000
DEFAULT_CHUNK = 5000
DEFAULT_CACHE = 200_000
# Grounding and solving with the built-in packs grows with the square of a section's length
# (their rules join codes pairwise): seconds per record, and per squared section length,
# an upper bound measured by benchmarks/worst_batch.py (CPT pairs cost most: NCCI edits).
_RECORD_SECONDS = 0.0007
_SQUARED_SECONDS = {System.CPT: 0.000025, System.OPCS: 0.000003, System.ICD10: 0.000003}
# A part of a batch estimated to take at most this long is grounded in this process (when
# the time limit is at least twice as long, and the memory limit at least IN_PROCESS_MEMORY,
# which bounds what such a grounding takes, measured by the same benchmark); anything larger,
# and every pack that is not built in, is grounded in the bounded worker process.
IN_PROCESS_SECONDS = 1.0
IN_PROCESS_MEMORY = 256 << 20
# The worker cancels its own solve at the time limit; past it by this much, grounding is
# taking too long, and the worker is stopped.
WORKER_GRACE = 1.0

# the findings of a record form, or the limit it exceeded
_Verdict = tuple[Finding, ...] | LimitExceeded


_NCCI_READ = re.compile(r"\bncci_(addon|ptp|mue)\(")


class Checker:
    """Loads rule packs once and checks any number of records with them.

    >>> checker = Checker(["opcs4"])
    >>> result = checker.check_record("ep1: opcs V44.4 Y53.4")
    >>> [v.rule for v in result.violations]
    ['opcs.spinal-levels-second']
    """

    def __init__(
        self,
        rules: Iterable[str] | None = None,
        *,
        tables: TableConfig | None = None,
        explain: bool = False,
        jobs: int | None = 1,
        batch_size: int = DEFAULT_BATCH,
        cache_size: int = DEFAULT_CACHE,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        applicability: bool = False,
        max_codes: int = MAX_CODES,
        ruleset: RuleSet | None = None,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        # bounds on each worker process (seconds a batch, bytes over what it holds loaded)
        self.time_limit, self.memory_limit = checked_limits(time_limit, memory_limit)
        # packs that read whole patients are checked by nicelogic.history, patient by patient
        self.folders = tuple(folder for folder in resolve_selection(rules) if not reads_patients(folder))
        # a worker is handed the rule set its parent loaded and validated: never re-read
        self.ruleset: RuleSet = ruleset or load_folders(self.folders, time_limit=time_limit, memory_limit=memory_limit)
        self.explain = explain
        self.table_config = tables or TableConfig()
        self.tables: CodeTables = load_tables(self.table_config)
        self._scope: AttributeScope = self.ruleset.attribute_scope(self.tables.empty_predicates())
        # the packs that judge records of some dates only (most judge every record)
        self._dated_packs = tuple(pack for pack in self.ruleset.packs if pack.effective_from or pack.effective_to)
        # a waiver may name any rule or pack, loaded or built in; anything else is a typo
        self._known_rules = {**load_rules().rules, **self.ruleset.rules}
        self.filter = RuleFilter(select, ignore)
        self.applicability = applicability  # also say which rules apply to each record
        self.max_codes = max_codes
        unknown = [s for s in unmatched(self.filter.select + self.filter.ignore, self.ruleset.rules) if s not in ENGINE_RULES]
        if unknown:
            raise ValueError(f"{unknown[0]!r} names no rule of the selected packs (give a rule id, a pack or an id prefix)")
        self.jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._forms: dict[tuple[object, ...], str] = {}
        self._parser: RecordParser | None = None
        self._bounded: BoundedWorker | None = None
        # the edits can judge only codes their tables know: say so for the others when they are loaded
        pack_files = {path for pack in self.ruleset.packs for path in pack.files}
        self._reads_ncci = any(
            _NCCI_READ.search(text)
            for path, text in zip(self.ruleset.files, self.ruleset.texts, strict=False)
            if path in pack_files
        )
        # rules that judge whether a code is in the table of the edition the record was coded with
        self._validity = validity_rules(self.ruleset)

    def with_program(self, program: str) -> Checker:
        """A checker sharing these packs' metadata and the loaded tables but running other
        program text (a mutant of a pack), with a verdict cache of its own."""
        variant = copy.copy(self)
        variant.ruleset = dataclasses.replace(self.ruleset, program=program)
        variant._cache = {}
        variant._bounded = None
        return variant

    def without_cache(self) -> Checker:
        """A checker sharing these packs and tables that keeps no verdicts of its own: for a
        caller that keeps them itself (the columnar kernel keeps them by key), so that they
        are not held twice."""
        variant = self._own_copy()
        variant.cache_size = 0
        return variant

    def _own_copy(self) -> Checker:
        """A copy sharing these packs, tables and settings, with verdicts and record forms
        of its own and no bounded worker (a process's, not a copy's to share)."""
        variant = copy.copy(self)
        variant._cache = {}
        variant._forms = {}
        variant._bounded = None
        return variant

    def reporting(self, packs: Sequence[str]) -> Checker:
        """A checker sharing this one's packs, tables and verdict cache (verdicts are kept
        before any choice of rules) that reports only the violations of the loaded ``packs``
        among those this one reports; all of them when none is named."""
        select = self._reported_by(packs)
        if not select:
            return self
        variant = copy.copy(self)  # shallow: the verdict cache and record forms stay shared
        variant.filter = RuleFilter(select, self.filter.ignore)
        return variant

    def chosen_packs(self, packs: Sequence[str]) -> tuple[str, ...]:
        """``packs`` as :meth:`reporting` takes them, sorted and once each; ValueError when
        one is not loaded or none of their rules is reported."""
        self._reported_by(packs)
        return tuple(sorted(set(packs)))

    def _reported_by(self, packs: Sequence[str]) -> list[str]:
        """The selectors of a :meth:`reporting` variant for ``packs`` (none when none is named)."""
        loaded = [pack.name for pack in self.ruleset.packs]
        unknown = [pack for pack in packs if pack not in loaded]
        if unknown:
            raise ValueError(f"pack {unknown[0]!r} is not loaded (loaded: {', '.join(loaded)})")
        if not packs:
            return []
        if not self.filter.select:
            return sorted(set(packs))
        # the rules both choices keep
        select = [rule for rule, meta in self.rules.items() if meta.pack in packs and self.keeps_rule(rule)]
        if not select:
            raise ValueError(f"no rule of {', '.join(packs)} is among the rules this checker reports")
        return select

    def alone(self) -> Checker:
        """A checker sharing these packs, tables and settings that checks every record in
        its own process, with a verdict cache of its own: what a worker process forked from
        this one runs."""
        variant = self._own_copy()
        variant.jobs = 1
        return variant

    @property
    def rules(self) -> Mapping[str, Rule]:
        return self.ruleset.rules

    def keeps_rule(self, rule: str) -> bool:
        """Whether results name ``rule`` (among the rules that apply, say): a loaded rule that
        --select/--ignore keep, or any rule when they choose none."""
        return not self.filter or (rule in self.rules and self.filter.keeps(rule, self.rules[rule].pack))

    @property
    def parser(self) -> RecordParser:
        if self._parser is None:
            self._parser = RecordParser()
        return self._parser

    # ------------------------------------------------------------------ entry points

    def check(
        self,
        records_or_text: str | Iterable[Record | InputLine | str | Mapping[str, object]],
        *,
        system: System | str = System.OPCS,
        source: str = "<input>",
    ) -> Report:
        """Check records given as text (one record per line), or as an iterable of
        :class:`Record` objects, JSON-shaped dicts or text lines."""
        counter = SummaryCounter()
        results = []
        for result in self.check_items(as_input(records_or_text, System(system), source)):
            counter.add(result)
            results.append(result)
        return Report(tuple(results), counter.summary())

    def check_record(self, record: Record | str | Mapping[str, object], *, system: System | str = System.OPCS) -> RecordResult:
        """Check one record (a :class:`Record`, one line of text, or a JSON-shaped dict)."""
        items = record if isinstance(record, str) else [record]
        results = list(self.check_items(as_input(items, System(system), "<input>")))
        if len(results) != 1:
            raise ValueError("check_record takes exactly one record (the text held none, or several lines)")
        return results[0]

    def iter_check(self, items: Iterable[InputLine | TableRow | Record]) -> Iterator[RecordResult]:
        """Check a stream of records batch by batch, in order, under the time and memory
        limits (see :meth:`_solve`); a record that exceeds them alone is rejected with
        "limit exceeded"."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.batch_size)):
            yield from self._check_batch(batch)

    def check_files(
        self,
        paths: Sequence[str],
        *,
        input_format: str = "auto",
        system: System = System.OPCS,
        id_column: str | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        position: ReadPosition | None = None,
        encoding: str = "utf-8",
    ) -> Iterator[RecordResult]:
        """Check every record of the given files (``-`` for standard input), in order.

        Inputs larger than one chunk are spread over ``jobs`` worker processes.
        ``position`` follows how far through the files the checked records are;
        ``encoding`` is the files' (strict UTF-8 by default: a record holding bytes that
        are not text in it is rejected, naming the byte and its offset).
        """
        items = read_inputs(paths, input_format, system, id_column, position, encoding)
        yield from self.check_items(items, chunk_size=chunk_size)

    def check_items(
        self, items: Iterable[InputLine | TableRow | Record], *, chunk_size: int = DEFAULT_CHUNK
    ) -> Iterator[RecordResult]:
        """Check a stream of input items in order, on ``jobs`` worker processes when it
        holds more than one chunk, each grounding and solve under the time and memory limits."""
        iterator = iter(items)
        first = list(islice(iterator, chunk_size))
        if self.jobs > 1 and len(first) >= chunk_size:
            yield from check_in_workers(self, first, iterator, chunk_size)
        else:
            yield from self.iter_check(chain(first, iterator))

    def close(self) -> None:
        """Stop this checker's bounded worker process, if it started one (it stops with this process anyway)."""
        if self._bounded is not None:
            self._bounded.stop()

    @functools.cached_property
    def builtin(self) -> bool:
        """Whether every selected pack is one of those shipped (and tested) with nicelogic."""
        shipped = logic_dir().resolve()
        return all(folder.resolve().is_relative_to(shipped) for folder in self.folders)

    # ------------------------------------------------------------------ the batch

    def _check_batch(self, items: Sequence[InputLine | TableRow | Record]) -> list[RecordResult]:
        parsed: list[Record | Rejected] = [
            item if isinstance(item, Record) else to_record(item, self.parser, self.max_codes) for item in items
        ]
        forms = [None if isinstance(entry, Rejected) else self._form(entry) for entry in parsed]
        verdicts = self._verdicts(
            {form: entry for form, entry in zip(forms, parsed, strict=True) if form is not None and isinstance(entry, Record)}
        )
        results: list[RecordResult] = []
        for entry, form in zip(parsed, forms, strict=True):
            if isinstance(entry, Rejected):
                results.append(RecordResult(entry.id, entry.line, entry.source, error=entry.error))
            elif isinstance(verdict := verdicts[form or ""], LimitExceeded):
                results.append(exceeded(self, entry, verdict))
            else:
                assert form is not None
                order = {system.value: n for n, (system, _) in enumerate(entry.sections)}
                day = entry.judged_on
                outside = {pack.name for pack in self._dated_packs if not pack.in_force(day)}
                stale = stale_sections(self.tables, entry) if self._validity else {}
                judged = [
                    f for f in verdict
                    if self.ruleset.rules[f.rule].pack not in outside and not self._validity.get(f.rule, frozenset()) & set(stale)
                ]  # fmt: skip
                findings = sorted(judged, key=lambda f: (order.get(f.section, 99), f.positions or (1 << 30,), f.rule))
                unknown = [w for w in entry.waivers if not matched(w, self._known_rules)]
                if unknown:
                    problem = InputProblem(f"the record waives {unknown[0]!r}, which names no rule", entry.line, 0, "waiver")
                    results.append(RecordResult(entry.id, entry.line, entry.source, error=problem))
                    continue
                editions = judging_editions(self.tables, entry) if self._validity and day is not None else ()
                not_judged_by = tuple(dict.fromkeys((*sorted(outside), *stale.values())))
                results.append(self._result(entry, findings, stale, editions, not_judged_by))
        return results

    def _result(
        self, record: Record, findings: Sequence[Finding], stale: Mapping[System, str] | None = None,
        editions: tuple[str, ...] = (), not_judged_by: tuple[str, ...] = (),
    ) -> RecordResult:  # fmt: skip
        """Findings as violations: waived ones apart, those the filter leaves out dropped,
        and a warning for each waiver that waives nothing on this record; ``editions`` and
        ``not_judged_by`` say what judged the record and what did not."""
        kept: list[Violation] = []
        waived: list[Violation] = []
        used: set[str] = set()
        applies = {f.rule for f in findings if f.applies}
        if self.applicability and (editions or stale):  # every dated record: its edition is judged
            applies.add(NOT_IN_FORCE.id)
        rows = sorted({(f.rule, f.row) for f in findings if f.applies and f.row is not None})
        for finding in findings:
            if finding.applies:
                continue
            rule = self.ruleset.rules[finding.rule]
            waivers = [w for w in record.waivers if matches(w, rule.id, rule.pack)]
            used.update(waivers)
            if self.filter and not self.filter.keeps(rule.id, rule.pack):
                continue
            (waived if waivers else kept).append(violation(record, finding, self.ruleset, self.tables, self.explain))
        kept = merge_restated(kept, self.ruleset.rules)
        if record.waivers and self.filter.keeps(UNUSED_WAIVER.id, ""):
            kept += [unused_waiver(record, waiver) for waiver in record.waivers if waiver not in used]
        cpt = record.codes(System.CPT)
        if cpt and self._reads_ncci and self.filter.keeps(UNKNOWN_CODE.id, ""):
            kept += unknown_codes(record, System.CPT, self.tables.ncci.unknown(c.value for c in cpt))
        if stale and self.filter.keeps(NOT_IN_FORCE.id, ""):
            read = {system for systems in self._validity.values() for system in systems}
            kept += not_in_force(record, {system: edition for system, edition in stale.items() if system in read}, self.tables)
        return RecordResult(
            record.id, record.line, record.source, tuple(kept),
            waived=tuple(waived), applies=tuple(sorted(applies)), applies_rows=tuple(rows), editions=editions,
            not_judged_by=not_judged_by,
        )  # fmt: skip

    def _form(self, record: Record) -> str:
        wanted = wanted_attributes(record, self._scope) if self._scope else ()
        choice = edition_choice(self.tables, record) if record.judged_on is not None else ()
        key = (record.sections, choice, *(getattr(record, name) for name in sorted(wanted)))
        form = self._forms.get(key)
        if form is None:
            if len(self._forms) >= self.cache_size:
                self._forms.clear()
            form = self._forms[key] = mark_form(record_form(record, self._scope), choice)
        return form

    def _verdicts(self, forms: Mapping[str, Record]) -> dict[str, _Verdict]:
        """Findings for each distinct form (given with one record that has it): from the
        cache, or solved together now with the table facts for their codes; a form that
        exceeds a limit even alone gets the :class:`LimitExceeded` instead (never cached)."""
        known: dict[str, _Verdict] = {form: self._cache[form] for form in forms if form in self._cache}
        missing = sorted(forms.keys() - known.keys())
        for start in range(0, len(missing), self.batch_size):
            part = missing[start : start + self.batch_size]
            known.update(zip(part, self._solve(part, forms), strict=True))
        solved = [form for form in missing if not isinstance(known[form], LimitExceeded)]
        if self.cache_size > 0 and solved:
            if len(self._cache) + len(solved) > self.cache_size:
                self._cache.clear()  # hospital data repeats: a cold restart refills quickly
            self._cache.update((form, known[form]) for form in solved)  # type: ignore[misc]
        return known

    # ------------------------------------------------------------------ bounded solving

    def _solve(self, part: list[str], forms: Mapping[str, Record]) -> list[_Verdict]:
        """The findings of each form, under the limits. Records are grounded in this process
        in pieces whose grounding is known to keep well within them (:meth:`here_budget`),
        the rest in the bounded worker process."""
        budget = self.here_budget()
        if budget is None:
            return self._solve_bounded(part, forms, here=True)
        pieces: list[list[str]] = [[]]
        cost = 0.0
        elsewhere: list[str] = []
        for form in part:
            weight = grounding_cost(forms[form])
            if weight > budget:
                elsewhere.append(form)
                continue
            if cost + weight > budget:
                pieces.append([])
                cost = 0.0
            pieces[-1].append(form)
            cost += weight
        found: dict[str, _Verdict] = {}
        for piece in pieces:
            found.update(zip(piece, self._solve_bounded(piece, forms, here=True), strict=True))
        found.update(zip(elsewhere, self._solve_bounded(elsewhere, forms, here=False), strict=True))
        return [found[form] for form in part]

    def _solve_bounded(self, part: list[str], forms: Mapping[str, Record], *, here: bool) -> list[_Verdict]:
        """Solve a part together; when it exceeds a limit, form by form."""
        if not part:
            return []
        try:
            return list(self._solve_part(part, forms, here))
        except LimitExceeded as error:
            if len(part) == 1:
                return [error]
        out: list[_Verdict] = []
        for form in part:
            try:
                out += self._solve_part([form], forms, here)
            except LimitExceeded as error:
                out.append(error)
        return out

    def _solve_part(self, part: list[str], forms: Mapping[str, Record], here: bool) -> list[tuple[Finding, ...]]:
        codes: dict[System, set[str]] = {}
        for form in part:
            for system, section in forms[form].sections:
                codes.setdefault(system, set()).update(code.value for code in section)
        if here:
            return self.solve_codes(part, codes)
        if self._bounded is None:
            self._bounded = BoundedWorker(self, self.memory_limit)
        # the worker cancels its own solve at the limit; the grace is for grounding, which it cannot
        timeout = None if self.time_limit is None else self.time_limit + WORKER_GRACE
        try:
            solved: list[tuple[Finding, ...]] = self._bounded.call("solve_codes", part, codes, timeout=timeout)
        except LimitExceeded as error:
            raise LimitExceeded("time", self.time_limit or 0.0) if error.kind == "time" else error from None
        return solved

    def solve_codes(self, part: list[str], codes: Mapping[System, set[str]]) -> list[tuple[Finding, ...]]:
        """Ground and solve record forms in this process, with the table facts for their
        codes (of the edition that judges each form); the solve is cancelled at the time limit."""
        groups: dict[tuple[tuple[System, int], ...], list[int]] = {}
        for index, form in enumerate(part):
            groups.setdefault(tuple(sorted(form_choice(form).items())), []).append(index)
        found: list[tuple[Finding, ...]] = [()] * len(part)
        for choice, indices in groups.items():
            facts = self.tables.facts(codes, dict(choice))
            forms = [part[i] for i in indices]
            solved = solve_forms(
                self.ruleset, forms, facts, applicability=self.applicability, time_limit=self.time_limit, codes=codes
            )
            for index, findings in zip(indices, solved, strict=True):
                found[index] = findings
        return found

    def here_budget(self) -> float | None:
        """How many seconds of grounding (estimated by :func:`grounding_cost`) one piece
        may cost to be grounded in this process: ``None`` for no bound (no limits are set,
        or this process is itself a bounded worker), 0 when nothing may (a pack that is not
        built in, or a memory limit under what such a piece can take). The time limit is
        kept at least twice what a piece may cost (docs/architecture.md, "Limits")."""
        if in_worker() or (self.time_limit is None and self.memory_limit is None):
            return None
        if not self.builtin or (self.memory_limit is not None and self.memory_limit < IN_PROCESS_MEMORY):
            return 0.0
        return IN_PROCESS_SECONDS if self.time_limit is None else min(IN_PROCESS_SECONDS, self.time_limit / 2)


def grounding_cost(record: Record) -> float:
    """Seconds grounding and solving this record with the built-in packs takes at most."""
    return _RECORD_SECONDS + sum(_SQUARED_SECONDS.get(system, 0.00002) * len(codes) ** 2 for system, codes in record.sections)


def check(
    records_or_text: str | Iterable[Record | InputLine | str | Mapping[str, object]],
    rules: Iterable[str] | None = None,
    *,
    system: System | str = System.OPCS,
    tables: TableConfig | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> Report:
    """Check records with the given rule packs (all built-in packs by default), each
    grounding within ``time_limit`` seconds a batch and ``memory_limit`` bytes."""
    checker = Checker(rules, tables=tables, time_limit=time_limit, memory_limit=memory_limit)
    return checker.check(records_or_text, system=system)


__all__ = ["Checker", "check"]
