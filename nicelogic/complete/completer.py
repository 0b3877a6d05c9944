"""Completions and repairs of partial or invalid records, from the check rules themselves.

The selected rule packs are grounded once together with ``logic/complete/generate.lp``
and the facts of one partial record; every question is then a solve on that ground
program: all completions, the minimal ones, category templates, what may or must appear
(brave and cautious consequences), the smallest conflicting set when there is none
(assumptions and unsatisfiable cores), and minimal repairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import clingo

from nicelogic.asp.facts import quote
from nicelogic.check.checker import Checker
from nicelogic.complete.candidates import candidates as candidate_codes
from nicelogic.input.items import Rejected
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Code, Record, System
from nicelogic.resources import logic_dir

DEFAULT_MAX_ADD = 4
DEFAULT_LIMIT = 20
# How many distinct completions are enumerated to count and rank them; past it a count
# is reported as "N+".
DEFAULT_COUNT_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Placed:
    section: str
    position: int
    code: str


@dataclass(frozen=True, slots=True)
class Completion:
    """One valid completion, or with ``template`` a group of them that differ only in
    fourth characters (``V55.-``), with how many it stands for."""

    record: str  # the completed record in the text input format
    added: tuple[Placed, ...]
    warnings: tuple[str, ...] = ()
    template: bool = False
    count: int = 1
    exhaustive: bool = True  # False: count is a lower bound
    example: str | None = None  # templates: the best-ranked member


@dataclass(frozen=True, slots=True)
class Conflict:
    """Why a record has no completion: the smallest set of given codes and rules that
    cannot hold together (and whether the bound on added codes is part of it)."""

    codes: tuple[Placed, ...]
    rules: tuple[str, ...]
    bounded: bool
    message: str


@dataclass(frozen=True, slots=True)
class CompletionReport:
    input: str
    completions: tuple[Completion, ...]
    count: int
    exhaustive: bool
    minimal: bool = False
    grouped: bool = False
    conflict: Conflict | None = None


@dataclass(frozen=True, slots=True)
class Consequences:
    """Codes (and categories) that appear in some / in every valid completion."""

    input: str
    may: tuple[Placed, ...]
    must: tuple[Placed, ...]
    may_categories: tuple[Placed, ...]
    must_categories: tuple[Placed, ...]
    minimal: bool = False
    conflict: Conflict | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    kind: str  # insert, delete, move, replace
    section: str
    code: str
    position: int | None = None  # in the repaired record
    original: int | None = None  # the given code's position in the input
    replacement: str | None = None


@dataclass(frozen=True, slots=True)
class Repair:
    record: str
    edits: tuple[Edit, ...]
    removes: tuple[str, ...]  # the rule ids whose violations the repair removes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RepairReport:
    input: str
    repairs: tuple[Repair, ...]
    count: int
    exhaustive: bool
    violations: tuple[str, ...] = ()  # the input's error-severity violations
    conflict: Conflict | None = None


# --------------------------------------------------------------------------- the problem


def _solving(ctl: clingo.Control) -> Any:
    """The solve options of a control (typed loosely by clingo)."""
    return ctl.configuration.solve


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
class _Problem:
    """One partial record grounded with the rules, ready for any number of solves."""

    record: Record
    sections: tuple[System, ...]
    given: dict[System, tuple[Code, ...]]
    ctl: clingo.Control
    defaults: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    assumptions: list[tuple[clingo.Symbol, bool]] = field(default_factory=list)
    candidates: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Reading:
    """What one model says: the codes at each slot, which were inserted, warnings, the
    category at each slot, and where each given code went (and whether it was replaced)."""

    at: dict[tuple[str, int], str] = field(default_factory=dict)
    inserted: set[tuple[str, int]] = field(default_factory=set)
    warnings: tuple[str, ...] = ()
    cats: dict[tuple[str, int], str] = field(default_factory=dict)
    places: dict[tuple[str, int], int] = field(default_factory=dict)
    replaced: set[tuple[str, int]] = field(default_factory=set)


class Completer:
    """Completions and repairs with the rule packs (and tables) of a checker."""

    def __init__(
        self,
        checker: Checker | None = None,
        *,
        max_add: int = DEFAULT_MAX_ADD,
        extra_candidates: Iterable[str] = (),
    ) -> None:
        self.checker = checker or Checker()
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

    def _problem(self, record: Record, projection: str, *, repair: bool = False) -> _Problem:
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
        problem = _Problem(record, sections, given, ctl, defaults)
        problem.candidates = {system.value: sorted(wanted.get(system, ())) for system in sections}
        problem.assumptions = self._all_assumptions(problem)
        return problem

    def _all_assumptions(self, problem: _Problem) -> list[tuple[clingo.Symbol, bool]]:
        out = [(clingo.Function("bounded"), True)]
        for system, codes in problem.given.items():
            out += [
                (clingo.Function("keep", [clingo.Function(system.value), clingo.Number(i)]), True)
                for i in range(1, len(codes) + 1)
            ]
        out += [
            (clingo.Function("enforce", [clingo.String(rule.id)]), True)
            for rule in self.checker.rules.values()
            if rule.severity == "error"
        ]
        out += [(atom.symbol, False) for atom in problem.ctl.symbolic_atoms.by_signature("add_at_most", 1)]
        out.append((clingo.Function("want_invalid"), False))
        return out

    # -------------------------------------------------------------- reading models

    def _text(
        self, record: Record, sections: Sequence[System], at: dict[tuple[str, int], str], inserted: set[tuple[str, int]]
    ) -> str:
        parts = []
        for system in sections:
            positions = sorted(p for s, p in at if s == system.value)
            if positions:
                parts.append(system.value + " " + " ".join(at[(system.value, p)] for p in positions))
        return f"{record.id}: " + "; ".join(parts)

    def _read(self, model: clingo.Model) -> _Reading:
        reading = _Reading()
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

    def _completion(self, problem: _Problem, model: clingo.Model) -> tuple[Completion, tuple[int, ...]]:
        reading = self._read(model)
        at, inserted, warnings = self._with_given_text(problem, reading), reading.inserted, reading.warnings
        added = tuple(Placed(s, p, at[(s, p)]) for s, p in sorted(inserted, key=lambda k: (self._order(problem, k[0]), k[1])))
        text = self._text(problem.record, problem.sections, at, inserted)
        defaults_used = sum((s, c.code) in problem.defaults for s, c in ((a.section, a) for a in added))
        rank = (len(added), len(warnings), -defaults_used)
        return Completion(text, added, warnings), rank

    def _order(self, problem: _Problem, section: str) -> int:
        return [s.value for s in problem.sections].index(section)

    def _with_given_text(self, problem: _Problem, reading: _Reading) -> dict[tuple[str, int], str]:
        """The codes of a model, the given ones with their units, modifiers and marks."""
        out = dict(reading.at)
        for (section, index), position in reading.places.items():
            code = problem.given[System(section)][index - 1]
            if not code.wildcard and (section, index) not in reading.replaced and (section, position) in out:
                out[(section, position)] = code.text()
        return out

    # -------------------------------------------------------------- completions

    def complete(
        self,
        record: Record | str,
        *,
        minimal: bool = False,
        grouped: bool = False,
        limit: int = DEFAULT_LIMIT,
        count_limit: int = DEFAULT_COUNT_LIMIT,
    ) -> CompletionReport:
        """Valid completions of a partial record: all (up to ``max_add`` inserted codes),
        or the minimal ones; concrete, or grouped into category templates."""
        parsed = self.parse(record)
        if grouped:
            return self._grouped(parsed, minimal=minimal, limit=limit, count_limit=count_limit)
        problem = self._problem(parsed, "codes")
        assumptions = self._scope(problem, minimal)
        if assumptions is None:
            return CompletionReport(parsed.text(), (), 0, True, minimal, False, self._conflict(problem))
        shown = self._ranked(problem, limit, assumptions)
        counted = [0]
        exhaustive = self._enumerate(problem, False, count_limit, lambda _: counted.__setitem__(0, counted[0] + 1), assumptions)
        return CompletionReport(parsed.text(), tuple(shown), counted[0], exhaustive, minimal, False)

    def _ranked(self, problem: _Problem, limit: int, assumptions: list[tuple[clingo.Symbol, bool]]) -> list[Completion]:
        """The best-ranked completions: fewest added codes, then fewest warnings, then the
        guidance's defaults (found first by optimisation), topped up to the limit with
        others of the same population."""
        found: dict[str, tuple[tuple[int, ...], Completion]] = {}

        def keep(model: clingo.Model) -> None:
            completion, rank = self._completion(problem, model)
            found.setdefault(completion.record, (rank, completion))

        self._enumerate(problem, True, limit, keep, assumptions)
        if len(found) < limit:
            self._enumerate(problem, False, limit * 4, keep, assumptions)
        return [c for _, c in sorted(found.values(), key=lambda item: (item[0], item[1].record))][:limit]

    def _enumerate(self, problem: _Problem, minimal: bool, count_limit: int, on_model, assumptions=None) -> bool:  # type: ignore[no-untyped-def]
        """Enumerate distinct (projected) models; with ``minimal`` only optimal ones.
        Returns whether the enumeration was exhaustive."""
        config = _solving(problem.ctl)
        config.opt_mode = "optN" if minimal else "ignore"
        config.enum_mode = "auto"
        seen = 0
        with problem.ctl.solve(
            assumptions=assumptions if assumptions is not None else problem.assumptions, yield_=True
        ) as handle:
            for model in handle:
                if minimal and not model.optimality_proven:
                    continue
                on_model(model)
                seen += 1
                if seen >= count_limit:
                    return False
        return True

    def _grouped(self, record: Record, *, minimal: bool, limit: int, count_limit: int) -> CompletionReport:
        """Templates: the distinct category sequences (one projected solve), ranked by
        their best member, each shown one with the number of completions it stands for."""
        problem = self._problem(record, "templates")
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
                witness = self._text(problem.record, problem.sections, self._with_given_text(problem, reading), inserted)
                found[key] = ((len(inserted), len(warnings), -defaults), inserted, warnings, cats, witness)

        # Under optimisation first: every template with a member free of warnings comes
        # out with such a member as its witness; then every other template.
        self._enumerate(problem, True, count_limit, on_template, assumptions)
        exhaustive = self._enumerate(problem, False, count_limit, on_template, assumptions)
        ranked = sorted(found.values(), key=lambda item: (item[0], sorted(item[3].items())))
        shown = tuple(
            self._template(problem, assumptions, inserted, warnings, cats, witness, count_limit)
            for _, inserted, warnings, cats, witness in ranked[:limit]
        )
        return CompletionReport(record.text(), shown, len(found), exhaustive, minimal, True)

    def _template(self, problem: _Problem, base, inserted, warnings, cats, witness, count_limit) -> Completion:  # type: ignore[no-untyped-def]
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
        problem.ctl.solve(assumptions=assumptions, on_model=lambda m: brave.__setitem__(slice(None), m.symbols(shown=True)))
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
        coupled = problem.ctl.solve(assumptions=relaxed + excluded + [(clingo.Function("want_invalid"), True)]).satisfiable
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
        witness_codes = dict(
            ((section, index), code)
            for section, rest in (part.split(" ", 1) for part in witness.split(": ", 1)[1].split("; "))
            for index, code in enumerate(rest.split(), start=1)
        )
        shown = dict(witness_codes)
        for key in inserted:
            if len(options.get(key, ())) > 1:
                shown[key] = f"{cats[key]}.-"
        added = tuple(Placed(s, p, shown[(s, p)]) for s, p in sorted(inserted, key=lambda k: (self._order(problem, k[0]), k[1])))
        text = self._text(problem.record, problem.sections, shown, inserted)
        return Completion(text, added, warnings, True, size, exact, witness)

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

    def consequences(self, record: Record | str, *, minimal: bool = False) -> Consequences:
        """The codes that appear in some (may) and in every (must) valid completion, each
        from one brave or cautious solve."""
        parsed = self.parse(record)
        problem = self._problem(parsed, "codes")
        scoped = self._scope(problem, minimal)
        if scoped is None:
            return Consequences(parsed.text(), (), (), (), (), minimal, self._conflict(problem))
        assumptions = scoped
        config = _solving(problem.ctl)
        config.opt_mode = "ignore"
        config.project = "show"  # consequences over every shown atom, not the projection
        results: dict[str, Sequence[clingo.Symbol]] = {}
        for mode in ("brave", "cautious"):
            config.enum_mode = mode

            def remember(model: clingo.Model, mode: str = mode) -> None:
                results[mode] = model.symbols(shown=True)  # the last model holds the consequences

            outcome = problem.ctl.solve(assumptions=assumptions, on_model=remember)
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
        )

    def _scope(self, problem: _Problem, minimal: bool) -> list[tuple[clingo.Symbol, bool]] | None:
        """The assumptions for the completions asked for, or None when there are none: for
        minimal ones an optimisation solve finds the fewest inserts, otherwise one
        satisfiability check is enough."""
        if not minimal:
            return None if self._unsat(problem, problem.assumptions) else problem.assumptions
        best = self._minimum(problem)
        return None if best is None else self._bounded(problem, best)

    @staticmethod
    def _bounded(problem: _Problem, inserts: int) -> list[tuple[clingo.Symbol, bool]]:
        """The problem's assumptions, with at most ``inserts`` inserted codes."""
        bound = clingo.Function("add_at_most", [clingo.Number(inserts)])
        return [a for a in problem.assumptions if a[0] != bound] + [(bound, True)]

    def _minimum(self, problem: _Problem) -> int | None:
        config = _solving(problem.ctl)
        config.opt_mode = "opt"
        config.enum_mode = "auto"
        best: list[int] = []
        outcome = problem.ctl.solve(
            assumptions=problem.assumptions, on_model=lambda m: best.append(int(m.cost[0]) if m.cost else 0)
        )
        config.opt_mode = "ignore"
        return best[-1] if outcome.satisfiable and best else None

    # -------------------------------------------------------------- why none

    def _unsat(self, problem: _Problem, assumptions: list[tuple[clingo.Symbol, bool]]) -> bool:
        config = _solving(problem.ctl)
        config.opt_mode = "ignore"
        config.enum_mode = "auto"
        config.models = "1"
        try:
            return problem.ctl.solve(assumptions=assumptions).unsatisfiable is True
        finally:
            config.models = "0"

    def _conflict(self, problem: _Problem) -> Conflict | None:
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

    # -------------------------------------------------------------- repairs

    def repair(self, record: Record | str, *, limit: int = DEFAULT_LIMIT, count_limit: int = DEFAULT_COUNT_LIMIT) -> RepairReport:
        """The minimal edits (insert, delete, move, replace by a sibling code) that make a
        record valid, each with what it changes and which violations it removes."""
        parsed = self.parse(record)
        before = self.checker.check_record(parsed)
        errors = tuple(sorted({v.rule for v in before.violations if v.is_error}))
        if not errors:
            return RepairReport(parsed.text(), (), 0, True, ())
        problem = self._problem(parsed, "codes", repair=True)
        found: list[tuple[tuple[int, ...], Repair]] = []

        def on_model(model: clingo.Model) -> None:
            found.append(self._repair(problem, model, before.violations))

        exhaustive = self._enumerate(problem, True, count_limit, on_model)
        if not found:
            return RepairReport(parsed.text(), (), 0, exhaustive, errors, self._conflict(problem))
        found.sort(key=lambda item: (item[0], item[1].record))
        return RepairReport(parsed.text(), tuple(r for _, r in found[:limit]), len(found), exhaustive, errors)

    def _repair(self, problem: _Problem, model: clingo.Model, violations) -> tuple[tuple[int, ...], Repair]:  # type: ignore[no-untyped-def]
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
        text = self._text(problem.record, problem.sections, self._with_given_text(problem, reading), inserted)
        after = self.checker.check_record(text)
        removed = tuple(sorted({v.rule for v in violations} - {v.rule for v in after.violations}))
        defaults = sum(1 for e in edits if e.kind == "insert" and (e.section, e.code) in problem.defaults)
        order = {"delete": 0, "move": 1, "replace": 2, "insert": 3}
        edits.sort(key=lambda e: (order[e.kind], e.section, e.position or 0, e.original or 0))
        return (len(edits), len(warnings), -defaults), Repair(text, tuple(edits), removed, warnings)


__all__ = ["Completer", "Completion", "CompletionReport", "Conflict", "Consequences", "Edit", "Placed", "Repair", "RepairReport"]
