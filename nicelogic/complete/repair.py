"""Repairs: the smallest edits (insert, delete, move, replace by a sibling code) that make
an invalid record valid, from the same generator with edits allowed."""

from __future__ import annotations

from collections.abc import Sequence

import clingo

from nicelogic.complete.problem import Problem
from nicelogic.complete.results import Edit, Repair, RepairReport
from nicelogic.complete.solving import within_time_limit
from nicelogic.complete.why_none import WhyNone
from nicelogic.errors import GaveUp
from nicelogic.model import Record, System

DEFAULT_LIMIT = 20
# How many distinct completions are enumerated to count and rank them; past it a count
# is reported as "N+".
DEFAULT_COUNT_LIMIT = 2000


class Repairs(WhyNone):
    # -------------------------------------------------------------- repairs

    @within_time_limit
    def repair(
        self, record: Record | str, *, limit: int = DEFAULT_LIMIT, count_limit: int = DEFAULT_COUNT_LIMIT,
        packs: Sequence[str] = (),
    ) -> RepairReport:  # fmt: skip
        """The minimal edits (insert, delete, move, replace by a sibling code) that make a
        record valid, each with what it changes and which violations it removes; with
        ``packs``, valid under the error rules of those loaded packs only."""
        parsed = self.parse(record)
        before = self.checker.reporting(packs).check_record(parsed)
        errors = tuple(sorted({rule for v in before.violations if v.is_error for rule in v.rules}))
        if not errors:
            return RepairReport(parsed.text(), (), 0, True, ())
        problem = self._problem(parsed, "codes", repair=True, packs=packs)
        found: list[tuple[tuple[int, ...], Repair]] = []
        unproven: list[tuple[tuple[int, ...], Repair]] = []  # valid, found while optimising

        def on_model(model: clingo.Model) -> None:
            found.append(self._repair(problem, model, before.violations))

        def on_unproven(model: clingo.Model) -> None:
            unproven.append(self._repair(problem, model, before.violations))

        try:
            exhaustive = self._enumerate(problem, True, count_limit, on_model, on_unproven=on_unproven)
        except GaveUp as error:
            if not (found or unproven):
                raise
            # an honest partial answer: the minimal repairs found so far, or else the
            # smallest valid ones seen while looking for them, flagged as not proven minimal
            best = found or unproven
            best.sort(key=lambda item: (item[0], item[1].record))
            shown = tuple(dict.fromkeys(r for _, r in best))[:limit]
            return RepairReport(
                parsed.text(), shown, len(shown), False, errors, gave_up=error.seconds, proven_minimal=bool(found)
            )
        if not found:
            return RepairReport(parsed.text(), (), 0, exhaustive, errors, self._conflict(problem))
        found.sort(key=lambda item: (item[0], item[1].record))
        return RepairReport(parsed.text(), tuple(r for _, r in found[:limit]), len(found), exhaustive, errors)

    def _repair(self, problem: Problem, model: clingo.Model, violations) -> tuple[tuple[int, ...], Repair]:  # type: ignore[no-untyped-def]
        reading = self._read(model)
        at, inserted, warnings = reading.at, reading.inserted, reading.warnings
        edits: list[Edit] = []
        for symbol in model.symbols(shown=True):
            args = symbol.arguments
            if symbol.name == "deleted":
                system = System(args[0].name)
                edits.append(
                    Edit("delete", system.value, problem.given[system][args[1].number - 1].text(), original=args[1].number)
                )
        places = reading.places
        for symbol in model.symbols(shown=True):
            args = symbol.arguments
            if symbol.name == "moved":
                system = System(args[0].name)
                code = problem.given[system][args[1].number - 1]
                edits.append(Edit("move", system.value, code.text(), places.get((system.value, args[1].number)), args[1].number))
            elif symbol.name == "replaced":
                system = System(args[0].name)
                code = problem.given[system][args[1].number - 1]
                edits.append(
                    Edit(
                        "replace",
                        system.value,
                        code.text(),
                        places.get((system.value, args[1].number)),
                        args[1].number,
                        args[2].string,
                    )
                )
        for section, position in sorted(inserted):
            edits.append(Edit("insert", section, at[(section, position)], position))
        text = self._text(problem.record, problem.sections, self._with_given_text(problem, reading))
        after = self.checker.check_record(text)
        removed = tuple(sorted({r for v in violations for r in v.rules} - {r for v in after.violations for r in v.rules}))
        defaults = sum(1 for e in edits if e.kind == "insert" and (e.section, e.code) in problem.defaults)
        order = {"delete": 0, "move": 1, "replace": 2, "insert": 3}
        edits.sort(key=lambda e: (order[e.kind], e.section, e.position or 0, e.original or 0))
        return (len(edits), len(warnings), -defaults), Repair(text, tuple(edits), removed, warnings)
