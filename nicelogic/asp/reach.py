"""The rules a batch's facts can reach.

clingo spends about 14 µs grounding a rule even when the rule has no instance, and a batch
is handed the rules of every loaded pack (250-360 of them with the built-in packs): for one
record that is most of the time of its check. Yet most of them can never fire for that
record: an episode has no CPT code for the NCCI rules to read, a claim no OPCS-4 code.

Before a batch is grounded, each rule's positive body atoms are matched, in the abstract,
against the batch's facts and what the rules they reach can derive; a rule one of whose
positive body atoms can match nothing has no ground instance, so leaving it out changes no
answer. The abstraction only ever keeps too much: an atom is its predicate and the constants
among its arguments (a variable, an arithmetic or compound term matches anything), and
negative literals, comparisons, aggregates and conditions are not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import clingo
import clingo.ast
from clingo.ast import ASTType

from nicelogic.asp.facts import bind_form

Signature = tuple[str, int]
# the constants of an atom by argument; None where anything may stand
Pattern = tuple[object, ...]
Atom = tuple[Signature, Pattern]

# A constant of a fact that no rule body names at that argument: it can only match a variable
_OTHER = object()
# Leaving a rule out saves its grounding once a batch; reading the batch's facts costs for
# each fact. Worth it for the few records a program or the service checks at a time, not for
# the thousands of a bulk batch, which reach nearly every rule anyway (measured: a bulk run of
# all-distinct records was 0.7x as fast with every batch read)
SMALL_BATCH = 32
_CACHED_LINES = 200_000
_CACHED_CHOICES = 10_000


def _constant(term: clingo.Symbol) -> str | None:
    """A constant as clingo prints it (strings in quotes, so "a" and a differ); compared as
    Python strings, which is many times cheaper than comparing clingo symbols."""
    if term.type in (clingo.SymbolType.Number, clingo.SymbolType.String):
        return str(term)
    if term.type == clingo.SymbolType.Function and not term.arguments and term.name:
        return str(term)
    return None


def _term(node: clingo.ast.AST) -> str | None:
    if node.ast_type == ASTType.SymbolicTerm:
        return _constant(node.symbol)
    if node.ast_type == ASTType.Function and not node.arguments and not node.external and node.name:
        return str(clingo.Function(node.name))
    return None


def _atoms(node: clingo.ast.AST) -> list[Atom]:
    """The alternatives an atom's term stands for (several with a pool); none when it is
    not a plain atom."""
    if node.ast_type == ASTType.Pool:
        return [atom for alternative in node.arguments for atom in _atoms(alternative)]
    if node.ast_type == ASTType.SymbolicTerm and node.symbol.type == clingo.SymbolType.Function:
        symbol = node.symbol
        return [((symbol.name, len(symbol.arguments)), tuple(_constant(a) for a in symbol.arguments))]
    if node.ast_type == ASTType.Function and not node.external:
        return [((node.name, len(node.arguments)), tuple(_term(a) for a in node.arguments))]
    return []


def _all_atoms(node: object) -> list[Atom]:
    """Every plain atom anywhere in a head (conditions included, which only keeps more)."""
    found: list[Atom] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, clingo.ast.AST):
            if item.ast_type == ASTType.SymbolicAtom:
                found.extend(_atoms(item.symbol))
            else:
                stack.extend(getattr(item, key) for key in item.child_keys)
        elif isinstance(item, Iterable) and not isinstance(item, str):
            stack.extend(item)
    return found


def _requirements(body: Sequence[clingo.ast.AST]) -> tuple[tuple[Atom, ...], ...]:
    """For each positive body atom, the alternatives one of which must be derivable."""
    needs = []
    for literal in body:
        if literal.ast_type != ASTType.Literal or literal.sign != clingo.ast.Sign.NoSign:
            continue
        if literal.atom.ast_type != ASTType.SymbolicAtom:
            continue
        alternatives = _atoms(literal.atom.symbol)
        if alternatives:
            needs.append(tuple(alternatives))
    return tuple(needs)


def _unify(pattern: Pattern, atom: Pattern) -> bool:
    return all(p is None or a is None or p == a for p, a in zip(pattern, atom, strict=True))


@dataclass(frozen=True, slots=True)
class _Rule:
    needs: tuple[tuple[Atom, ...], ...]
    heads: tuple[Atom, ...]


@dataclass(frozen=True)
class Reach:
    """A program's rules analysed once: what each needs in its positive body, what it can
    derive, and the facts among the statements."""

    rules: dict[int, _Rule]  # by id() of the statement, held by the program's statement tuples
    facts: dict[int, tuple[Atom, ...]]
    dependents: dict[Signature, tuple[int, ...]]  # the rules that read a predicate in their body
    # the constants the rules' bodies name, by predicate and argument: any other constant of
    # a fact is kept as _OTHER, so facts of many codes fall together into a few patterns
    named: dict[Signature, tuple[frozenset[object], ...]]
    _lines: dict[str, Atom | None] = field(default_factory=dict, repr=False)
    # the rules chosen, by what a batch holds: after the constants no rule names are set
    # aside, batches of different records hold the same few sets
    _chosen: dict[tuple[frozenset[Atom], tuple[int, ...]], frozenset[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, statements: Iterable[clingo.ast.AST]) -> Reach:
        rules: dict[int, _Rule] = {}
        facts: dict[int, tuple[Atom, ...]] = {}
        dependents: dict[Signature, list[int]] = {}
        named: dict[Signature, list[set[object]]] = {}
        for statement in statements:
            if statement.ast_type == ASTType.External:
                facts[id(statement)] = tuple(_atoms(statement.atom.symbol))
            if statement.ast_type != ASTType.Rule:
                continue
            heads = tuple(_all_atoms(statement.head))
            if not statement.body:
                facts[id(statement)] = heads
                continue
            needs = _requirements(statement.body)
            rules[id(statement)] = _Rule(needs, heads)
            for alternatives in needs:
                for signature, pattern in alternatives:
                    dependents.setdefault(signature, []).append(id(statement))
                    slots = named.setdefault(signature, [set() for _ in pattern])
                    for slot, constant in zip(slots, pattern, strict=True):
                        if constant is not None:
                            slot.add(constant)
        analysed = cls(
            {}, {}, {s: tuple(dict.fromkeys(r)) for s, r in dependents.items()},
            {s: tuple(frozenset(slot) for slot in slots) for s, slots in named.items()},
        )  # fmt: skip
        # what is derived is kept as it will be compared: by the constants the bodies name
        analysed.rules.update((k, _Rule(r.needs, tuple(map(analysed._projected, r.heads)))) for k, r in rules.items())
        analysed.facts.update((k, tuple(map(analysed._projected, atoms))) for k, atoms in facts.items())
        return analysed

    def _projected(self, atom: Atom) -> Atom:
        signature, pattern = atom
        slots = self.named.get(signature)
        if slots is None:
            return (signature, tuple(None if c is None else _OTHER for c in pattern))
        return (signature, tuple(c if c is None or c in slot else _OTHER for c, slot in zip(pattern, slots, strict=True)))

    def _line(self, line: str) -> Atom | None:
        """A fact's line, abstracted; None when it is not one plain ground atom."""
        try:
            return self._lines[line]
        except KeyError:
            pass
        try:
            symbol = clingo.parse_term(line.rstrip().removesuffix("."))
        except RuntimeError:
            atom = None
        else:
            atom = None
            if symbol.type == clingo.SymbolType.Function and symbol.positive:
                atom = self._projected(((symbol.name, len(symbol.arguments)), tuple(map(_constant, symbol.arguments))))
        if len(self._lines) >= _CACHED_LINES:
            self._lines.clear()
        self._lines[line] = atom
        return atom

    def select(self, statements: Sequence[clingo.ast.AST], facts: str, forms: Iterable[str] = ()) -> list[clingo.ast.AST]:
        """The ``statements`` a batch grounds: all but the rules that its ``facts`` (text,
        one fact a line) and the facts of its record ``forms`` cannot reach."""
        lines = [line for part in (facts, *(bind_form(form, 0) for form in forms)) for line in part.split("\n") if line.strip()]
        given: set[Atom] = set()
        for line in dict.fromkeys(lines):
            atom = self._line(line)
            if atom is None:
                return list(statements)  # a fact this reading does not follow: keep everything
            given.add(atom)
        present = [key for key in map(id, statements) if key in self.rules]
        for key in map(id, statements):
            given.update(self.facts.get(key, ()))
        held = (frozenset(given), tuple(present))
        live = self._chosen.get(held)
        if live is None:
            live = self._live(*held)
            if len(self._chosen) >= _CACHED_CHOICES:
                self._chosen.clear()
            self._chosen[held] = live
        return [s for s in statements if id(s) not in self.rules or id(s) in live]

    def _live(self, given: frozenset[Atom], present: Sequence[int]) -> frozenset[int]:
        """The rules among ``present`` that the ``given`` facts reach, to a fixpoint."""
        known: dict[Signature, set[Pattern]] = {}
        grown: list[Signature] = []

        def add(atom: Atom) -> None:
            patterns = known.setdefault(atom[0], set())
            if atom[1] not in patterns:
                patterns.add(atom[1])
                grown.append(atom[0])

        def reachable(rule: _Rule) -> bool:
            return all(
                any(_unify(pattern, seen) for signature, pattern in alternatives for seen in known.get(signature, ()))
                for alternatives in rule.needs
            )

        for atom in given:
            add(atom)
        live: set[int] = set()
        waiting = set(present)
        for key in present:
            rule = self.rules[key]
            if reachable(rule):
                live.add(key)
                waiting.discard(key)
                for head in rule.heads:
                    add(head)
        while grown and waiting:
            signature = grown.pop()
            for key in self.dependents.get(signature, ()):
                if key in waiting and reachable(self.rules[key]):
                    live.add(key)
                    waiting.discard(key)
                    for head in self.rules[key].heads:
                        add(head)
        return frozenset(live)
