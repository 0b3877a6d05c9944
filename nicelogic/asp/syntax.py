"""Programs read by clingo's own parser, once: every module that looks at a pack's
statements (the loader, where rules apply, lint, completion candidates, mutation) asks
:func:`statements` for the same parsed text, and walks it with the helpers here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import clingo
from clingo import ast


class ProgramSyntaxError(Exception):
    """Text clingo cannot parse; carries clingo's own messages (with ``<string>:LINE:COL``)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(m.strip() for m in messages) or "syntax error")
        self.messages = messages


@cache
def statements(text: str) -> tuple[ast.AST, ...]:
    """The statements of a program text, parsed once per process."""
    found: list[ast.AST] = []
    messages: list[str] = []
    try:
        ast.parse_string(text, found.append, logger=lambda _code, message: messages.append(message), message_limit=5)
    except RuntimeError:
        raise ProgramSyntaxError(messages) from None
    return tuple(found)


class _AtomCollector(ast.Transformer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.atoms: list[ast.AST] = []

    def visit_SymbolicAtom(self, node: ast.AST) -> ast.AST:
        self.atoms.append(node)
        return node


def atoms_of(node: ast.AST) -> list[ast.AST]:
    """Every symbolic atom in a statement or literal."""
    collector = _AtomCollector()
    collector(node)
    return collector.atoms


def strings_of(node: object) -> list[str]:
    """Every string literal in a node, a list of nodes, or a slice of one."""
    found: list[str] = []

    def visit(item: object) -> None:
        if isinstance(item, ast.AST):
            if item.ast_type == ast.ASTType.SymbolicTerm and item.symbol.type == clingo.SymbolType.String:
                found.append(item.symbol.string)
            for key in item.child_keys:
                visit(getattr(item, key))
        elif isinstance(item, Iterable) and not isinstance(item, str | bytes):  # lists, AST sequences and slices
            for child in item:
                visit(child)

    visit(node)
    return found


def name_and_arity(atom: ast.AST) -> tuple[str, int] | None:
    """The predicate of an atom, also for pooled facts such as p("a"; "b")."""
    term = atom.symbol
    if term.ast_type == ast.ASTType.Pool and term.arguments:
        term = term.arguments[0]
    if term.ast_type == ast.ASTType.Function:
        return term.name, len(term.arguments)
    if term.ast_type == ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
        return term.symbol.name, len(term.symbol.arguments)  # a constant atom such as "bounded"
    return None


# A range in a rule pack spans categories or positions (V22..V54, 1..24): never more.
MAX_INTERVAL = 10_000


def _number(term: ast.AST) -> int | None:
    if term.ast_type == ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Number:
        return int(term.symbol.number)
    return None


class _Growth(ast.Transformer):  # type: ignore[misc]
    """Intervals, and arithmetic on variables, in one part of a statement."""

    def __init__(self) -> None:
        self.spans: list[int | None] = []  # None: a bound that is not a number
        self.arithmetic = False

    def visit_Interval(self, node: ast.AST) -> ast.AST:
        numbers = [_number(bound) for bound in (node.left, node.right)]
        self.spans.append(None if None in numbers else numbers[1] - numbers[0] + 1)  # type: ignore[operator]
        return node

    def visit_BinaryOperation(self, node: ast.AST) -> ast.AST:
        self.arithmetic = True
        return node


def unbounded_growth(statement: ast.AST) -> str | None:
    """Why a statement could ground without bound, or None: an interval wider than
    :data:`MAX_INTERVAL`, or a predicate defined from itself with arithmetic in its head
    (``p(X+1) :- p(X)``), which grounds one atom after another until memory runs out."""
    if statement.ast_type != ast.ASTType.Rule:
        return None
    growth = _Growth()
    growth(statement)
    wide = [span for span in growth.spans if span is not None and span > MAX_INTERVAL]
    if wide:
        return f"an interval of {wide[0]:,} values grounds that many atoms (at most {MAX_INTERVAL:,})"
    head = _Growth()
    head(statement.head)
    if head.arithmetic:
        heads = {sig for atom in atoms_of(statement.head) if (sig := name_and_arity(atom))}
        body = {sig for literal in statement.body for atom in atoms_of(literal) if (sig := name_and_arity(atom))}
        bound = _upper_bound(statement.body)
        if heads & body and (bound is None or bound > MAX_INTERVAL):
            name, arity = sorted(heads & body)[0]
            limit = "no bound" if bound is None else f"a bound of {bound:,}"
            return (
                f"{name}/{arity} is defined from itself with arithmetic in its head and {limit}: it can ground "
                f"without end (bound it by a comparison with at most {MAX_INTERVAL:,}, as in N < 24)"
            )
    return None


_BELOW = {ast.ComparisonOperator.LessThan, ast.ComparisonOperator.LessEqual}
_ABOVE = {ast.ComparisonOperator.GreaterThan, ast.ComparisonOperator.GreaterEqual}


def _upper_bound(body: Sequence[ast.AST]) -> int | None:
    """The smallest constant a body literal keeps a variable below (N < 3, 3 > N), if any."""
    bounds: list[int] = []
    for literal in body:
        atom = literal.atom if literal.ast_type == ast.ASTType.Literal and literal.sign == ast.Sign.NoSign else None
        if atom is None or atom.ast_type != ast.ASTType.Comparison or len(atom.guards) != 1:
            continue
        left, guard = atom.term, atom.guards[0]
        variable, constant = (left, guard.term) if guard.comparison in _BELOW else (guard.term, left)
        if guard.comparison in _BELOW | _ABOVE and variable.ast_type == ast.ASTType.Variable:
            number = _number(constant)
            if number is not None:
                bounds.append(number)
    return min(bounds) if bounds else None
