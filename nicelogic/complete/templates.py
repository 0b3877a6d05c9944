"""Grouped completions: the distinct category sequences of the completions (one projected
solve), each shown with one member and the exact number of completions it stands for."""

from __future__ import annotations

from collections.abc import Sequence

import clingo

from nicelogic.complete.problem import Problem
from nicelogic.complete.results import Completion, CompletionReport, Placed
from nicelogic.complete.solving import _solving
from nicelogic.complete.why_none import WhyNone
from nicelogic.errors import GaveUp
from nicelogic.model import Record


class Templates(WhyNone):
    def _grouped(
        self, record: Record, *, minimal: bool, limit: int, count_limit: int, packs: Sequence[str] = ()
    ) -> CompletionReport:
        """Templates: the distinct category sequences (one projected solve), ranked by
        their best member, each shown one with the number of completions it stands for."""
        problem = self._problem(record, "templates", packs=packs)
        assumptions = self._scope(problem, minimal)
        if assumptions is None:
            return CompletionReport(record.text(), (), 0, True, minimal, True, self._conflict(problem))
        found: dict[frozenset[tuple[tuple[str, int], str]], tuple] = {}  # type: ignore[type-arg]

        def on_template(model: clingo.Model) -> None:
            reading = self._read(model)
            at, inserted, warnings, cats = reading.at, reading.inserted, reading.warnings, reading.cats
            key = frozenset(cats.items())
            if key not in found:
                defaults = sum((s, at[(s, p)]) in problem.defaults for s, p in inserted)
                witness = self._with_given_text(problem, reading)  # the member shown: codes by slot
                found[key] = ((len(inserted), len(warnings), -defaults), inserted, warnings, cats, witness)

        # Under optimisation first: every template with a member free of warnings comes
        # out with such a member as its witness; then every other template.
        gave_up: float | None = None
        try:
            self._enumerate(problem, True, count_limit, on_template, assumptions)
            exhaustive = self._enumerate(problem, False, count_limit, on_template, assumptions)
        except GaveUp as error:
            if not found:
                raise
            gave_up, exhaustive = error.seconds, False
        ranked = sorted(found.values(), key=lambda item: (item[0], sorted(item[3].items())))
        shown: list[Completion] = []
        for _, inserted, warnings, cats, witness in ranked[:limit]:
            if gave_up is None:
                try:
                    shown.append(self._template(problem, assumptions, inserted, warnings, cats, witness, count_limit))
                    continue
                except GaveUp as error:
                    gave_up, exhaustive = error.seconds, False
            shown.append(self._witness(problem, inserted, warnings, witness))
        return CompletionReport(record.text(), tuple(shown), len(found), exhaustive, minimal, True, gave_up=gave_up)

    def _with_defaults(self, problem: Problem, witness, inserted, warnings, options) -> dict:  # type: ignore[no-untyped-def]
        """The member shown for a template whose codes combine freely: the guidance's
        default code (V55.9, Y53.9) in each inserted slot that allows it, when that member
        is valid with the same warnings (the solver is not steered to defaults: on long
        records that steering cost five times the time)."""
        preferred = dict(witness)
        for section, position in inserted:
            defaults = sorted(c for c in options.get((section, position), ()) if (section, c) in problem.defaults)
            if defaults:
                preferred[(section, position)] = defaults[0]
        if preferred == witness:
            return witness
        result = self.checker.check_record(self._text(problem.record, problem.sections, preferred))
        same = result.valid and tuple(sorted({v.rule for v in result.violations})) == tuple(sorted(set(warnings)))
        return preferred if same else witness

    def _witness(self, problem: Problem, inserted, warnings, witness) -> Completion:  # type: ignore[no-untyped-def]
        """A template the time ran out on before its size was known: its member, standing
        for at least itself."""
        added = tuple(
            Placed(s, p, witness[(s, p)]) for s, p in sorted(inserted, key=lambda k: (self._order(problem, k[0]), k[1]))
        )
        text = self._text(problem.record, problem.sections, witness)
        return Completion(text, added, warnings, True, 1, False, text)

    def _template(self, problem: Problem, base, inserted, warnings, cats, witness, count_limit) -> Completion:  # type: ignore[no-untyped-def]
        """One template: inserted slots show their category (K.-) where more than one of
        its codes fits. Its size is the product of the codes each slot allows (one brave
        solve), proven exact by finding no invalid choice among them (one more solve);
        otherwise the members are counted one by one."""
        fixed = [
            (clingo.Function("cat_at", [clingo.Function(s), clingo.Number(p), clingo.String(k)]), True)
            for (s, p), k in cats.items()
        ]
        for system in problem.sections:
            length = sum(1 for s, _ in cats if s == system.value)
            after = clingo.Function("filled", [clingo.Function(system.value), clingo.Number(length + 1)])
            if problem.ctl.symbolic_atoms[after] is not None:
                fixed.append((after, False))
        assumptions = list(base) + fixed
        config = _solving(problem.ctl)
        config.project, config.opt_mode, config.enum_mode = "show", "ignore", "brave"
        brave: list[clingo.Symbol] = []
        self._solve(problem.ctl, assumptions, lambda m: brave.__setitem__(slice(None), m.symbols(shown=True)))
        options: dict[tuple[str, int], set[str]] = {}
        for symbol in brave:
            if symbol.name == "at":
                options.setdefault((symbol.arguments[0].name, symbol.arguments[1].number), set()).add(symbol.arguments[2].string)
        size = 1
        for values in options.values():
            size *= len(values)
        # Is some combination of the allowed codes invalid? Relax every rule, ask for an error.
        excluded = [
            (clingo.Function("at", [clingo.Function(s), clingo.Number(p), clingo.String(c)]), False)
            for (s, p), values in options.items()
            for c in problem.candidates.get(s, ())
            if c not in values
        ]
        relaxed = [a for a in assumptions if a[0].name not in {"enforce", "want_invalid"}]
        config.enum_mode, config.models = "auto", "1"
        coupled = self._solve(problem.ctl, relaxed + excluded + [(clingo.Function("want_invalid"), True)]).satisfiable
        config.models = "0"
        exact = True
        if coupled:
            members: set[frozenset[clingo.Symbol]] = set()
            exact = self._enumerate(
                problem, False, count_limit,
                lambda m: members.add(frozenset(x for x in m.symbols(shown=True) if x.name == "at")),
                assumptions,
            )  # fmt: skip
            size = len(members)
        config.project = "project"
        if not coupled:
            witness = self._with_defaults(problem, witness, inserted, warnings, options)
        shown = dict(witness)
        for key in inserted:
            if len(options.get(key, ())) > 1:
                shown[key] = f"{cats[key]}.-"
        added = tuple(Placed(s, p, shown[(s, p)]) for s, p in sorted(inserted, key=lambda k: (self._order(problem, k[0]), k[1])))
        text = self._text(problem.record, problem.sections, shown)
        example = self._text(problem.record, problem.sections, witness)
        return Completion(text, added, warnings, True, size, exact, example)
