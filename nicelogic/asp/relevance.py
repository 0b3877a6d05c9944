"""The rows of relation tables a batch of records can need.

A relation table becomes facts (``relation_code/5`` and ``relation_value/4``, one line per
row) that the generic rules of ``logic/lib/relations.lp`` judge. Every one of those rules
starts from ``relation_trigger``: a row derives nothing for a record that has no code its
``code`` column names. Handing clingo only the rows a batch's codes can trigger therefore
changes no answer, and saves grounding and parsing about 1,900 facts for each batch, which
is most of the time of a check of one record (the service's case).

That holds only while the rows are read by those library rules alone: a program with any
other rule over a relation predicate (a pack's own rule, a mutant) gets every row. Where
a library rule reads the rows of one kind of relation without a trigger (where
``never-coded`` applies: to every record with a code in its section), the rows of that kind
are always kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import clingo
import clingo.ast

from nicelogic.asp.facts import quote
from nicelogic.asp.reach import Reach
from nicelogic.model import System
from nicelogic.resources import logic_dir

# the facts one row of a table becomes (logic/lib/vocabulary.lp)
_ROW_FACTS = frozenset({"relation_code", "relation_value"})
# what differs when rows are left out: the rows' facts and what the library derives from them
# beside the trigger (the trigger itself holds only for rows that are kept)
_CHANGED = _ROW_FACTS | frozenset({
    "relation_within", "relation_has_one_of", "relation_group_holds", "relation_at", "relation_excepted",
    "relation_has_with", "relation_applies",
})  # fmt: skip
_LIBRARY = (logic_dir() / "lib" / "relations.lp", logic_dir() / "applicability" / "relations.lp")


def _parse(text: str) -> list[clingo.ast.AST]:
    statements: list[clingo.ast.AST] = []
    clingo.ast.parse_string(text, statements.append)
    return [s for s in statements if s.ast_type != clingo.ast.ASTType.Comment]


def _names(node: object) -> set[str]:
    """The names of the functions (atoms and terms) anywhere in an AST."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, clingo.ast.AST):
            if item.ast_type == clingo.ast.ASTType.Function:
                found.add(item.name)
            stack.extend(getattr(item, key) for key in item.child_keys)
        elif isinstance(item, Iterable) and not isinstance(item, str):
            stack.extend(item)
    return found


@functools.cache
def _library() -> frozenset[str]:
    """The library's statements over relation rows, as clingo prints them."""
    return frozenset(str(s) for path in _LIBRARY for s in _parse(path.read_text(encoding="utf-8")))


def _untriggered_kind(statement: clingo.ast.AST) -> str | None:
    """The relation kind a library rule reads every row of, without a trigger: one that
    reads ``relation_code`` and names its kind, with neither ``relation_trigger`` nor
    ``relation_within`` in its body."""
    if statement.ast_type != clingo.ast.ASTType.Rule:
        return None
    body = _names(statement.body)
    if "relation_code" not in body or {"relation_trigger", "relation_within"} & body:
        return None
    for literal in statement.body:
        atom = getattr(getattr(literal, "atom", None), "symbol", None)
        if atom is not None and atom.ast_type == clingo.ast.ASTType.Function and atom.name == "relation_rule":
            kind = atom.arguments[1]
            if kind.ast_type == clingo.ast.ASTType.SymbolicTerm and kind.symbol.type == clingo.SymbolType.String:
                return str(kind.symbol.string)
    return None


@dataclass(frozen=True)
class _Row:
    rule: str
    kind: str
    triggers: frozenset[tuple[str, str]]  # (section, term) of its code column
    facts: tuple[clingo.ast.AST, ...]


@dataclass(frozen=True)
class RelevantProgram:
    """A rule program parsed once: the statements every batch gets and, when they may be
    left out, the rows of relation tables, each given to the batches it can concern."""

    statements: tuple[clingo.ast.AST, ...]
    rows: tuple[_Row, ...] = ()
    kept_kinds: frozenset[str] = frozenset()

    @functools.cached_property
    def reach(self) -> Reach:
        """Its rules analysed for what a batch's facts can reach (:mod:`nicelogic.asp.reach`)."""
        return Reach.of((*self.statements, *(fact for row in self.rows for fact in row.facts)))

    def for_batch(self, codes: Mapping[System, Iterable[str]], facts: str, forms: Iterable[str]) -> list[clingo.ast.AST]:
        """The statements a batch grounds: the rows its ``codes`` can trigger, and the rules its
        table ``facts`` and record ``forms`` can reach."""
        return self.reach.select(list(self.for_codes(codes)), facts, forms)

    def for_codes(self, codes: Mapping[System, Iterable[str]] | None) -> Iterator[clingo.ast.AST]:
        """The statements for a batch whose records hold ``codes`` (None: every row)."""
        yield from self.statements
        terms = None if codes is None else batch_terms(codes)
        for row in self.rows:
            if terms is None or row.kind in self.kept_kinds or not row.triggers.isdisjoint(terms):
                yield from row.facts


def batch_terms(codes: Mapping[System, Iterable[str]]) -> set[tuple[str, str]]:
    """Every table term (logic/lib/relations.lp: code, category, chapter, sub) a code of
    the batch falls under, by section, as clingo prints it."""
    terms: set[tuple[str, str]] = set()
    for system, values in codes.items():
        section = system.value
        for code in values:
            terms.add((section, f"code({quote(code)})"))
            if system is System.CPT:
                terms.add((section, f"category({quote(code)})"))
                continue
            terms.add((section, f"category({quote(code[:3])})"))
            terms.add((section, f"chapter({quote(code[:1])})"))
            if len(code) >= 5 and code[4].isdigit():
                terms.add((section, f"sub({quote(code[:3])},{code[4]})"))
    return terms


@functools.lru_cache(maxsize=4)
def relevant_program(program: str) -> RelevantProgram:
    """``program`` parsed, its relation rows apart when no rule but the library's reads them."""
    statements = _parse(program)
    library = _library()
    kinds: dict[str, str] = {}
    rows: dict[tuple[str, int], list[clingo.ast.AST]] = {}
    triggers: dict[tuple[str, int], set[tuple[str, str]]] = {}
    rest: list[clingo.ast.AST] = []
    kept_kinds: set[str] = set()
    for statement in statements:
        row_fact = _row_fact(statement)
        if row_fact is not None:
            symbol, key = row_fact
            rows.setdefault(key, []).append(statement)
            if symbol.name == "relation_code" and symbol.arguments[2] == clingo.Function("code"):
                triggers.setdefault(key, set()).add((str(symbol.arguments[3]), str(symbol.arguments[4])))
            continue
        rest.append(statement)
        if statement.ast_type != clingo.ast.ASTType.Rule:
            continue
        if not statement.body and _names(statement.head) == {"relation_rule"}:
            symbol = clingo.parse_term(str(statement.head))
            if len(symbol.arguments) == 2 and symbol.arguments[1].type == clingo.SymbolType.String:
                kinds[symbol.arguments[0].string] = symbol.arguments[1].string
            continue
        if _CHANGED & _names(statement.body):
            if str(statement) not in library:
                return RelevantProgram(tuple(statements))  # another reader of the rows: every row, always
            kind = _untriggered_kind(statement)
            if kind is not None:
                kept_kinds.add(kind)
    parted = tuple(
        _Row(rule, kinds.get(rule, ""), frozenset(triggers.get((rule, line), ())), tuple(facts))
        for (rule, line), facts in rows.items()
    )
    return RelevantProgram(tuple(rest), parted, frozenset(kept_kinds))


def _row_fact(statement: clingo.ast.AST) -> tuple[clingo.Symbol, tuple[str, int]] | None:
    """A fact of one table row, with its (rule id, line); None for any other statement."""
    if statement.ast_type != clingo.ast.ASTType.Rule or statement.body:
        return None
    head = statement.head
    if head.ast_type != clingo.ast.ASTType.Literal or head.sign != clingo.ast.Sign.NoSign:
        return None
    atom = head.atom.symbol if head.atom.ast_type == clingo.ast.ASTType.SymbolicAtom else None
    if atom is None or atom.ast_type != clingo.ast.ASTType.Function or atom.name not in _ROW_FACTS:
        return None
    try:
        symbol = clingo.parse_term(str(atom))
    except RuntimeError:
        return None
    rule, line = symbol.arguments[0], symbol.arguments[1]
    if rule.type != clingo.SymbolType.String or line.type != clingo.SymbolType.Number:
        return None
    return symbol, (rule.string, line.number)
