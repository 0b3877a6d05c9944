"""Why a record has no valid completion: the smallest set of given codes, rules and the
bound on inserts that conflicts (deletion-based minimisation of an unsatisfiable core)."""

from __future__ import annotations

from nicelogic.complete.problem import Problem, Problems
from nicelogic.complete.results import Conflict, Placed
from nicelogic.model import System


class WhyNone(Problems):
    def _conflict(self, problem: Problem) -> Conflict | None:
        """The smallest set of given codes, enforced rules and the bound on inserts that
        has no completion (deletion-based minimisation of an unsatisfiable core)."""
        current = list(problem.assumptions)
        if not self._unsat(problem, current):
            return None
        for item in list(current):
            trial = [a for a in current if a != item]
            if self._unsat(problem, trial):
                current = trial
        codes: list[Placed] = []
        rules: list[str] = []
        bounded = False
        for symbol, _ in current:
            if symbol.name == "keep":
                system, index = System(symbol.arguments[0].name), symbol.arguments[1].number
                codes.append(Placed(system.value, index, problem.given[system][index - 1].text()))
            elif symbol.name == "enforce":
                rules.append(symbol.arguments[0].string)
            elif symbol.name == "bounded":
                bounded = True
        return Conflict(tuple(codes), tuple(sorted(rules)), bounded, self._conflict_message(codes, rules, bounded))

    def _conflict_message(self, codes: list[Placed], rules: list[str], bounded: bool) -> str:
        given = ", ".join(f"{c.code} ({c.section}:{c.position})" for c in codes) or "the record"
        said = "; ".join(f"{r}: {self.checker.rules[r].title}" for r in rules)
        if bounded and not rules:
            return f"{given} cannot be completed within {self.max_add} added codes"
        bound = f" within {self.max_add} added codes" if bounded else ""
        return f"no valid record keeps {given}{bound}, because of {said}"
