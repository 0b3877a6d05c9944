"""One partial record grounded with the check rules and ``logic/complete/generate.lp``,
ready for any number of solves; reading a model back into codes at positions.

Split from the completer by concern (Python has no partial classes): :class:`Problems`
builds, reads and bounds problems; the completer, templates, why-none and repairs build on
it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import clingo

from nicelogic.asp.facts import quote
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, checked_limits
from nicelogic.checking.checker import Checker
from nicelogic.complete.candidates import candidates as candidate_codes
from nicelogic.complete.results import Completion, Placed
from nicelogic.complete.solving import DEFAULT_TIME_LIMIT, TimedSolving, _solving
from nicelogic.input.items import Rejected
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Code, Record, System
from nicelogic.resources import logic_dir

DEFAULT_MAX_ADD = 4
# Records of at most this many codes have the search steered to the guidance's default
# codes first (logic/complete/generate.lp): the completions found first are the preferred
# ones. Longer records are not steered; benchmarks/complete_speed.py measures both.
STEER_CODES = 8


def _info_facts(system: System, code: str) -> list[str]:
    s, c = system.value, quote(code)
    if system is System.CPT:
        return [f"cat_of({s},{c},{c})."]
    out = [f'cat_of({s},{c},"{code[:3]}").', f'chapter_of({s},{c},"{code[0]}").', f"catnum_of({s},{c},{int(code[1:3])})."]
    if len(code) >= 5:
        out.append(f"subdivision_of({s},{c},{code[4]}).")
    if len(code) >= 6:
        out.append(f"extension_of({s},{c},{code[5]}).")
    return out


@dataclass
class Problem:
    """One partial record grounded with the rules, ready for any number of solves."""

    record: Record
    sections: tuple[System, ...]
    given: dict[System, tuple[Code, ...]]
    ctl: clingo.Control
    defaults: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    assumptions: list[tuple[clingo.Symbol, bool]] = field(default_factory=list)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    # the error rules a completion must not break: those of the packs the question chose
    enforced: frozenset[str] = frozenset()


@dataclass
class Reading:
    """What one model says: the codes at each slot, which were inserted, warnings, the
    category at each slot, and where each given code went (and whether it was replaced)."""

    at: dict[tuple[str, int], str] = field(default_factory=dict)
    inserted: set[tuple[str, int]] = field(default_factory=set)
    warnings: tuple[str, ...] = ()
    cats: dict[tuple[str, int], str] = field(default_factory=dict)
    places: dict[tuple[str, int], int] = field(default_factory=dict)
    replaced: set[tuple[str, int]] = field(default_factory=set)


class Problems(TimedSolving):
    """Building, reading and bounding completion problems for the packs of a checker."""

    def __init__(
        self,
        checker: Checker | None = None,
        *,
        max_add: int = DEFAULT_MAX_ADD,
        extra_candidates: Iterable[str] = (),
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        # seconds of grounding and solving for one question about one record, and bytes the
        # worker answering it may take over what it holds loaded
        self.time_limit, self.memory_limit = checked_limits(time_limit, memory_limit)
        self.checker = checker or Checker()
        self._worker = None
        self.max_add = max_add
        self.extra = tuple(extra_candidates)
        folder = logic_dir() / "complete"
        self._generator = (folder / "generate.lp").read_text(encoding="utf-8")
        self._projections = {
            "codes": (folder / "project-codes.lp").read_text(encoding="utf-8"),
            "templates": (folder / "project-templates.lp").read_text(encoding="utf-8"),
        }

    # -------------------------------------------------------------- building

    def parse(self, record: Record | str, system: System = System.OPCS) -> Record:
        """A record given as one line of text or of JSON."""
        if isinstance(record, Record):
            return record
        item = line_item(record, "<input>", 1, system)
        if item is None:
            raise ValueError("no record: the line is blank or a comment")
        parsed = to_record(item, self.checker.parser)
        if isinstance(parsed, Rejected):
            raise ValueError(f"column {parsed.error.column}: {parsed.error.message}")
        return parsed

    def _sections(self, record: Record) -> tuple[System, ...]:
        present = [system for system, codes in record.sections if codes]
        base = [System.CPT, System.ICD10] if System.CPT in present else [System.OPCS, System.ICD10]
        return tuple(dict.fromkeys([*present, *base]))

    def _enforced(self, packs: Sequence[str]) -> frozenset[str]:
        """The error rules of ``packs`` (every loaded pack when none is named) that the
        checker reports: the rules a completion or repair must keep."""
        checker = self.checker.reporting(packs)
        return frozenset(rule.id for rule in checker.rules.values() if rule.severity == "error" and checker.keeps_rule(rule.id))

    def _problem(self, record: Record, projection: str, *, repair: bool = False, packs: Sequence[str] = ()) -> Problem:
        enforced = self._enforced(packs)
        sections = self._sections(record)
        given = {system: record.codes(system) for system in sections}
        given_values = {system: [c.value for c in codes if not c.wildcard] for system, codes in given.items()}
        wanted = candidate_codes(self.checker.ruleset, self.checker.tables, sections, given_values, self.extra)
        for system, codes in given.items():  # wildcards draw from their category
            for code in codes:
                table = self.checker.tables.classification(system)
                if code.wildcard and table is not None:
                    wanted[system] |= {c for c in table.titles if c[:3] == code.value and table.is_code(c)}
        facts: list[str] = [f"max_add({self.max_add}).", "allow(insert).", "cost(insert,1)."]
        if repair:
            facts += ["allow(delete).", "allow(move).", "allow(replace).", "cost(delete,1).", "cost(move,1).", "cost(replace,1)."]
        facts += [f"error_rule({quote(rule.id)})." for rule in self.checker.rules.values() if rule.severity == "error"]
        if sum(len(codes) for codes in given.values()) <= STEER_CODES:
            facts.append("steer_defaults.")
        all_codes: dict[System, set[str]] = {}
        for system in sections:
            codes = given[system]
            s = system.value
            # two slots beyond the bound, so that "needs more codes than --max-add" can be told
            facts.append(f"slot({s},1..{len(codes) + self.max_add + 2}).")
            for index, code in enumerate(codes, start=1):
                if code.wildcard:
                    facts.append(f"given({s},{index},{quote(code.value + '.-')}).")
                    facts.append(f"given_wildcard({s},{index},{quote(code.value)}).")
                else:
                    facts.append(f"given({s},{index},{quote(code.value)}).")
                    all_codes.setdefault(system, set()).add(code.value)
                if system is System.CPT:
                    facts.append(f"given_units({s},{index},{code.units}).")
                    facts += [f"given_modifier({s},{index},{quote(m)})." for m in code.modifiers]
                if code.mark:
                    facts.append(f"given_mark({s},{index},{code.mark}).")
            facts += [f"candidate({s},{quote(c)})." for c in sorted(wanted.get(system, ()))]
            all_codes.setdefault(system, set()).update(wanted.get(system, ()))
        for system, values in all_codes.items():
            for value in sorted(values):
                facts += _info_facts(system, value)
        if record.sex is not None:
            facts.append(f"sex(1,{record.sex.value}).")
        if record.age is not None:
            facts.append(f"age(1,{record.age}).")
        if record.date is not None:
            facts.append(f"date(1,{record.date.replace('-', '')}).")
        ctl = clingo.Control(
            ["--warn=none", "--project=project", "--opt-mode=ignore", "--models=0", "--heuristic=Domain"],
            logger=lambda _code, _message: None,  # "optimization may depend on enumeration order": known, by design
        )
        ctl.add("base", [], self.checker.ruleset.program)
        ctl.add("base", [], self._generator)
        ctl.add("base", [], self._projections[projection])
        ctl.add("base", [], self.checker.tables.facts(all_codes))
        ctl.add("base", [], "\n".join(facts))
        ctl.ground([("base", [])])
        # Externals default to false as facts; released, they take the value an assumption
        # gives them, and are free (the constraint they guard is relaxed) otherwise.
        for atom in ctl.symbolic_atoms:
            if atom.is_external:
                ctl.assign_external(atom.symbol, None)
        defaults = frozenset(
            (atom.symbol.arguments[0].name, atom.symbol.arguments[1].string)
            for atom in ctl.symbolic_atoms.by_signature("completion_default", 2)
        )
        problem = Problem(record, sections, given, ctl, defaults, enforced=enforced)
        problem.candidates = {system.value: sorted(wanted.get(system, ())) for system in sections}
        problem.assumptions = self._all_assumptions(problem)
        return problem

    def _all_assumptions(self, problem: Problem) -> list[tuple[clingo.Symbol, bool]]:
        out = [(clingo.Function("bounded"), True)]
        for system, codes in problem.given.items():
            out += [
                (clingo.Function("keep", [clingo.Function(system.value), clingo.Number(i)]), True)
                for i in range(1, len(codes) + 1)
            ]
        # a rule left out is free (its constraint relaxed), not assumed broken
        out += [(clingo.Function("enforce", [clingo.String(rule)]), True) for rule in sorted(problem.enforced)]
        out += [(atom.symbol, False) for atom in problem.ctl.symbolic_atoms.by_signature("add_at_most", 1)]
        out.append((clingo.Function("want_invalid"), False))
        return out

    # -------------------------------------------------------------- reading models

    def _text(self, record: Record, sections: Sequence[System], at: dict[tuple[str, int], str]) -> str:
        parts = []
        for system in sections:
            positions = sorted(p for s, p in at if s == system.value)
            if positions:
                parts.append(system.value + " " + " ".join(at[(system.value, p)] for p in positions))
        return f"{record.id}: " + "; ".join(parts)

    def _read(self, model: clingo.Model) -> Reading:
        reading = Reading()
        warnings: set[str] = set()
        for symbol in model.symbols(shown=True):
            args = symbol.arguments
            if symbol.name == "place":
                reading.places[(args[0].name, args[1].number)] = args[2].number
            elif symbol.name == "replaced":
                reading.replaced.add((args[0].name, args[1].number))
            elif symbol.name == "at":
                reading.at[(args[0].name, args[1].number)] = args[2].string
            elif symbol.name == "cat_at":
                reading.cats[(args[0].name, args[1].number)] = args[2].string
            elif symbol.name == "insert":
                reading.inserted.add((args[0].name, args[1].number))
            elif symbol.name == "warning":
                warnings.add(args[0].string)
        reading.warnings = tuple(sorted(warnings))
        return reading

    def _completion(self, problem: Problem, model: clingo.Model) -> tuple[Completion, tuple[int, ...]]:
        reading = self._read(model)
        at, inserted, warnings = self._with_given_text(problem, reading), reading.inserted, reading.warnings
        added = tuple(Placed(s, p, at[(s, p)]) for s, p in sorted(inserted, key=lambda k: (self._order(problem, k[0]), k[1])))
        text = self._text(problem.record, problem.sections, at)
        defaults_used = sum((s, c.code) in problem.defaults for s, c in ((a.section, a) for a in added))
        rank = (len(added), len(warnings), -defaults_used)
        return Completion(text, added, warnings), rank

    def _order(self, problem: Problem, section: str) -> int:
        return [s.value for s in problem.sections].index(section)

    def _with_given_text(self, problem: Problem, reading: Reading) -> dict[tuple[str, int], str]:
        """The codes of a model, the given ones with their units, modifiers and marks."""
        out = dict(reading.at)
        for (section, index), position in reading.places.items():
            code = problem.given[System(section)][index - 1]
            if not code.wildcard and (section, index) not in reading.replaced and (section, position) in out:
                out[(section, position)] = code.text()
        return out

    def _scope(self, problem: Problem, minimal: bool) -> list[tuple[clingo.Symbol, bool]] | None:
        """The assumptions for the completions asked for, or None when there are none: for
        minimal ones an optimisation solve finds the fewest inserts, otherwise one
        satisfiability check is enough."""
        if not minimal:
            return None if self._unsat(problem, problem.assumptions) else problem.assumptions
        best = self._minimum(problem)
        return None if best is None else self._bounded(problem, best)

    @staticmethod
    def _bounded(problem: Problem, inserts: int) -> list[tuple[clingo.Symbol, bool]]:
        """The problem's assumptions, with at most ``inserts`` inserted codes."""
        bound = clingo.Function("add_at_most", [clingo.Number(inserts)])
        return [a for a in problem.assumptions if a[0] != bound] + [(bound, True)]

    def _minimum(self, problem: Problem) -> int | None:
        config = _solving(problem.ctl)
        config.opt_mode = "opt"
        config.enum_mode = "auto"
        best: list[int] = []
        outcome = self._solve(problem.ctl, problem.assumptions, lambda m: best.append(int(m.cost[0]) if m.cost else 0))
        config.opt_mode = "ignore"
        return best[-1] if outcome.satisfiable and best else None

    def _unsat(self, problem: Problem, assumptions: list[tuple[clingo.Symbol, bool]]) -> bool:
        config = _solving(problem.ctl)
        config.opt_mode = "ignore"
        config.enum_mode = "auto"
        config.models = "1"
        try:
            return self._solve(problem.ctl, assumptions).unsatisfiable is True
        finally:
            config.models = "0"
