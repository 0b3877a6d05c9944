"""Checking records: parse, turn into facts, solve in batches, tie findings back to codes.

Records are checked in batches: one clingo grounding serves thousands of records. Hospital
data repeats itself, so each distinct record *form* (exactly the facts the rules can see)
is solved once per process and its findings reused. Large inputs are spread over worker
processes, each with its own cache; results always come back in input order.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from nicelogic.asp.facts import AttributeScope, record_form, wanted_attributes
from nicelogic.asp.solve import Finding, solve_forms
from nicelogic.checking.diagnostics import ENGINE_RULES, UNKNOWN_CODE, UNUSED_WAIVER
from nicelogic.checking.parallel import check_in_workers
from nicelogic.checking.violations import unknown_codes, unused_waiver, violation
from nicelogic.errors import InputProblem
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
from nicelogic.rules.packs import RuleSet, load_rules, resolve_selection
from nicelogic.rules.selectors import RuleFilter, matched, matches, unmatched
from nicelogic.tables import CodeTables, TableConfig, load_tables

DEFAULT_BATCH = 2000
DEFAULT_CHUNK = 5000
DEFAULT_CACHE = 200_000
DEFAULT_TIME_LIMIT = 10.0  # seconds for a batch of records in a worker
DEFAULT_MEMORY_LIMIT = 1 << 30  # bytes a worker may take over what it holds once loaded


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
        self.folders = tuple(resolve_selection(rules))
        # a worker is handed the rule set its parent loaded and validated: never re-read
        self.ruleset: RuleSet = ruleset or load_rules([str(f) for f in self.folders])
        self.explain = explain
        self.table_config = tables or TableConfig()
        self.tables: CodeTables = load_tables(self.table_config)
        self._scope: AttributeScope = self.ruleset.attribute_scope(self.tables.empty_predicates())
        self._packs = {pack.name: pack for pack in self.ruleset.packs}
        # a waiver may name any rule or pack, loaded or built in; anything else is a typo
        self._known_rules = {**load_rules().rules, **self.ruleset.rules}
        self.filter = RuleFilter(select, ignore)
        self.applicability = applicability  # also say which rules apply to each record
        self.max_codes = max_codes
        # bounds on each worker process (seconds a batch, bytes over what it holds loaded)
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        unknown = [s for s in unmatched(self.filter.select + self.filter.ignore, self.ruleset.rules) if s not in ENGINE_RULES]
        if unknown:
            raise ValueError(f"{unknown[0]!r} names no rule of the selected packs (give a rule id, a pack or an id prefix)")
        self.jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._forms: dict[tuple[object, ...], str] = {}
        self._parser: RecordParser | None = None
        # the edits can judge only codes their tables know: say so for the others when they are loaded
        pack_files = {path for pack in self.ruleset.packs for path in pack.files}
        self._reads_ncci = any(
            _NCCI_READ.search(text)
            for path, text in zip(self.ruleset.files, self.ruleset.texts, strict=False)
            if path in pack_files
        )

    def with_program(self, program: str) -> Checker:
        """A checker sharing these packs' metadata and the loaded tables but running other
        program text (a mutant of a pack), with a verdict cache of its own."""
        variant = copy.copy(self)
        variant.ruleset = dataclasses.replace(self.ruleset, program=program)
        variant._cache = {}
        return variant

    def worker_options(self) -> dict[str, Any]:
        """The settings a worker process needs to check exactly as this checker does."""
        return {
            "explain": self.explain, "batch_size": self.batch_size, "cache_size": self.cache_size,
            "select": self.filter.select, "ignore": self.filter.ignore, "applicability": self.applicability,
            "max_codes": self.max_codes, "ruleset": self.ruleset,
        }  # fmt: skip

    @property
    def rules(self) -> Mapping[str, Rule]:
        return self.ruleset.rules

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
        for result in self.iter_check(as_input(records_or_text, System(system), source)):
            counter.add(result)
            results.append(result)
        return Report(tuple(results), counter.summary())

    def check_record(self, record: Record | str | Mapping[str, object], *, system: System | str = System.OPCS) -> RecordResult:
        """Check one record (a :class:`Record`, one line of text, or a JSON-shaped dict)."""
        items = record if isinstance(record, str) else [record]
        results = list(self.iter_check(as_input(items, System(system), "<input>")))
        if len(results) != 1:
            raise ValueError("check_record takes exactly one record (the text held none, or several lines)")
        return results[0]

    def iter_check(self, items: Iterable[InputLine | TableRow | Record]) -> Iterator[RecordResult]:
        """Check a stream of records in this process, batch by batch, in order."""
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
    ) -> Iterator[RecordResult]:
        """Check every record of the given files (``-`` for standard input), in order.

        Inputs larger than one chunk are spread over ``jobs`` worker processes.
        ``position`` follows how far through the files the checked records are.
        """
        yield from self.check_items(read_inputs(paths, input_format, system, id_column, position), chunk_size=chunk_size)

    def check_items(
        self, items: Iterable[InputLine | TableRow | Record], *, chunk_size: int = DEFAULT_CHUNK
    ) -> Iterator[RecordResult]:
        """Check a stream of input items in order, on ``jobs`` worker processes when it
        holds more than one chunk. Packs other than the built-in ones always run in worker
        processes, under the time and memory limits, however small the input: a pack is
        data from somewhere else, and may ground without end."""
        iterator = iter(items)
        first = list(islice(iterator, chunk_size))
        bounded = not self.builtin and (self.time_limit is not None or self.memory_limit is not None)
        if (self.jobs == 1 or len(first) < chunk_size) and not bounded:
            yield from self.iter_check(first)
            yield from self.iter_check(iterator)
            return
        yield from check_in_workers(self, first, iterator, chunk_size)

    @property
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
            else:
                assert form is not None
                order = {system.value: n for n, (system, _) in enumerate(entry.sections)}
                judged = [f for f in verdicts[form] if self._packs[self.ruleset.rules[f.rule].pack].in_force(entry.date)]
                findings = sorted(judged, key=lambda f: (order.get(f.section, 99), f.positions or (1 << 30,), f.rule))
                unknown = [w for w in entry.waivers if not matched(w, self._known_rules)]
                if unknown:
                    problem = InputProblem(f"the record waives {unknown[0]!r}, which names no rule", entry.line, 0, "waiver")
                    results.append(RecordResult(entry.id, entry.line, entry.source, error=problem))
                    continue
                results.append(self._result(entry, findings))
        return results

    def _result(self, record: Record, findings: Sequence[Finding]) -> RecordResult:
        """Findings as violations: waived ones apart, those the filter leaves out dropped,
        and a warning for each waiver that waives nothing on this record."""
        kept: list[Violation] = []
        waived: list[Violation] = []
        used: set[str] = set()
        applies = sorted({f.rule for f in findings if f.applies})
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
        if record.waivers and self.filter.keeps(UNUSED_WAIVER.id, ""):
            kept += [unused_waiver(record, waiver) for waiver in record.waivers if waiver not in used]
        cpt = record.codes(System.CPT)
        if cpt and self._reads_ncci and self.filter.keeps(UNKNOWN_CODE.id, ""):
            kept += unknown_codes(record, System.CPT, self.tables.ncci.unknown(c.value for c in cpt))
        return RecordResult(
            record.id, record.line, record.source, tuple(kept),
            waived=tuple(waived), applies=tuple(applies), applies_rows=tuple(rows),
        )  # fmt: skip

    def _form(self, record: Record) -> str:
        wanted = wanted_attributes(record, self._scope) if self._scope else ()
        key = (record.sections, *(getattr(record, name) for name in sorted(wanted)))
        form = self._forms.get(key)
        if form is None:
            if len(self._forms) >= self.cache_size:
                self._forms.clear()
            form = self._forms[key] = record_form(record, self._scope)
        return form

    def _verdicts(self, forms: Mapping[str, Record]) -> dict[str, tuple[Finding, ...]]:
        """Findings for each distinct form (given with one record that has it): from the
        cache, or solved together now with the table facts for their codes."""
        known = {form: self._cache[form] for form in forms if form in self._cache}
        missing = sorted(forms.keys() - known.keys())
        for start in range(0, len(missing), self.batch_size):
            part = missing[start : start + self.batch_size]
            codes: dict[System, set[str]] = {}
            for form in part:
                for system, section in forms[form].sections:
                    codes.setdefault(system, set()).update(code.value for code in section)
            solved = solve_forms(self.ruleset, part, self.tables.facts(codes), applicability=self.applicability)
            known.update(zip(part, solved, strict=True))
        if self.cache_size > 0 and missing:
            if len(self._cache) + len(missing) > self.cache_size:
                self._cache.clear()  # hospital data repeats: a cold restart refills quickly
            self._cache.update((form, known[form]) for form in missing)
        return known


def check(
    records_or_text: str | Iterable[Record | InputLine | str | Mapping[str, object]],
    rules: Iterable[str] | None = None,
    *,
    system: System | str = System.OPCS,
    tables: TableConfig | None = None,
) -> Report:
    """Check records with the given rule packs (all built-in packs by default)."""
    return Checker(rules, tables=tables).check(records_or_text, system=system)


__all__ = ["Checker", "check"]
