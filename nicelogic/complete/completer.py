"""Completions and repairs of partial or invalid records, from the check rules themselves.

The selected rule packs are grounded once together with ``logic/complete/generate.lp``
and the facts of one partial record; every question is then a solve on that ground
program: all completions, the minimal ones, category templates, what may or must appear
(brave and cautious consequences), the smallest conflicting set when there is none
(assumptions and unsatisfiable cores), and minimal repairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import clingo

from nicelogic.complete.problem import Problem
from nicelogic.complete.repair import DEFAULT_COUNT_LIMIT, DEFAULT_LIMIT, Repairs
from nicelogic.complete.results import Completion, CompletionReport, Consequences, Placed
from nicelogic.complete.solving import _solving, within_time_limit
from nicelogic.complete.templates import Templates
from nicelogic.errors import GaveUp
from nicelogic.model import Record


class Completer(Templates, Repairs):
    """Completions and repairs with the rule packs (and tables) of a checker."""

    @within_time_limit
    def complete(
        self,
        record: Record | str,
        *,
        minimal: bool = False,
        grouped: bool = False,
        limit: int = DEFAULT_LIMIT,
        count_limit: int = DEFAULT_COUNT_LIMIT,
        packs: Sequence[str] = (),
    ) -> CompletionReport:
        """Valid completions of a partial record: all (up to ``max_add`` inserted codes),
        or the minimal ones; concrete, or grouped into category templates. With ``packs``,
        valid under the error rules of those loaded packs only."""
        parsed = self.parse(record)
        if grouped:
            return self._grouped(parsed, minimal=minimal, limit=limit, count_limit=count_limit, packs=packs)
        problem = self._problem(parsed, "codes", packs=packs)
        assumptions = self._scope(problem, minimal)
        if assumptions is None:
            return CompletionReport(parsed.text(), (), 0, True, minimal, False, self._conflict(problem))
        found: dict[str, tuple[tuple[int, ...], Completion]] = {}
        counted = [0]
        try:
            self._rank(found, problem, limit, assumptions)
            exhaustive = self._enumerate(
                problem, False, count_limit, lambda _: counted.__setitem__(0, counted[0] + 1), assumptions
            )
        except GaveUp as error:
            if not found:
                raise
            # what was found before the time ran out is worth showing; the count is a lower bound
            shown = self._best(found, limit)
            return CompletionReport(
                parsed.text(), shown, max(counted[0], len(found)), False, minimal, False, gave_up=error.seconds
            )
        return CompletionReport(parsed.text(), self._best(found, limit), counted[0], exhaustive, minimal, False)

    def _rank(
        self, found: dict[str, tuple[tuple[int, ...], Completion]], problem: Problem, limit: int,
        assumptions: list[tuple[clingo.Symbol, bool]],
    ) -> None:  # fmt: skip
        """Collect the best-ranked completions: fewest added codes, then fewest warnings,
        then the guidance's defaults (found first by optimisation), topped up to the limit
        with others of the same population."""

        def keep(model: clingo.Model) -> None:
            completion, rank = self._completion(problem, model)
            found.setdefault(completion.record, (rank, completion))

        self._enumerate(problem, True, limit, keep, assumptions)
        if len(found) < limit:
            self._enumerate(problem, False, limit * 4, keep, assumptions)

    @staticmethod
    def _best(found: dict[str, tuple[tuple[int, ...], Completion]], limit: int) -> tuple[Completion, ...]:
        return tuple(c for _, c in sorted(found.values(), key=lambda item: (item[0], item[1].record)))[:limit]

    @within_time_limit
    def produces(self, record: Record | str, completion: Record | str) -> bool:
        """Whether ``completion`` is one of the valid completions this completer gives for
        ``record`` (within ``max_add`` inserted codes, from its candidates)."""
        partial, wanted = self.parse(record), self.parse(completion)
        problem = self._problem(partial, "codes")
        if any(codes and system not in problem.sections for system, codes in wanted.sections):
            return False
        fixed: list[tuple[clingo.Symbol, bool]] = []
        for system in problem.sections:
            codes = wanted.codes(system)
            for position, code in enumerate(codes, start=1):
                atom = clingo.Function("at", [clingo.Function(system.value), clingo.Number(position), clingo.String(code.value)])
                if problem.ctl.symbolic_atoms[atom] is None:
                    return False  # no completion can hold that code there
                fixed.append((atom, True))
            beyond = clingo.Function("filled", [clingo.Function(system.value), clingo.Number(len(codes) + 1)])
            if problem.ctl.symbolic_atoms[beyond] is not None:
                fixed.append((beyond, False))
        return not self._unsat(problem, problem.assumptions + fixed)

    # -------------------------------------------------------------- may / must

    @within_time_limit
    def consequences(self, record: Record | str, *, minimal: bool = False, packs: Sequence[str] = ()) -> Consequences:
        """The codes that appear in some (may) and in every (must) valid completion, each
        from one brave or cautious solve; with ``packs``, completions valid under those packs."""
        parsed = self.parse(record)
        problem = self._problem(parsed, "codes", packs=packs)
        scoped = self._scope(problem, minimal)
        if scoped is None:
            return Consequences(parsed.text(), (), (), (), (), minimal, self._conflict(problem))
        assumptions = scoped
        config = _solving(problem.ctl)
        config.opt_mode = "ignore"
        config.project = "show"  # consequences over every shown atom, not the projection
        results: dict[str, Sequence[clingo.Symbol]] = {}
        gave_up: float | None = None
        for mode in ("brave", "cautious"):
            config.enum_mode = mode

            def remember(model: clingo.Model, mode: str = mode) -> None:
                results[mode] = model.symbols(shown=True)  # the last model holds the consequences

            try:
                outcome = self._solve(problem.ctl, assumptions, remember)
            except GaveUp as error:
                # brave consequences grow model by model: those seen are a lower bound of
                # "may"; cautious ones shrink, so "must" is not known until the solve ends
                if "brave" not in results:
                    raise
                gave_up = error.seconds
                results["cautious"] = ()
                break
            if not outcome.satisfiable:
                return Consequences(parsed.text(), (), (), (), (), minimal, self._conflict(problem))
        config.enum_mode = "auto"
        config.project = "project"

        def placed(symbols: Sequence[clingo.Symbol], name: str) -> tuple[Placed, ...]:
            items = [Placed(s.arguments[0].name, s.arguments[1].number, s.arguments[2].string) for s in symbols if s.name == name]
            return tuple(sorted(items, key=lambda p: (self._order(problem, p.section), p.position, p.code)))

        return Consequences(
            parsed.text(),
            placed(results["brave"], "at"),
            placed(results["cautious"], "at"),
            placed(results["brave"], "cat_at"),
            placed(results["cautious"], "cat_at"),
            minimal,
            gave_up=gave_up,
        )
