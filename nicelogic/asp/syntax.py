"""Programs read by clingo's own parser, once: every module that looks at a pack's
statements (the loader, where rules apply, lint, completion candidates, mutation) asks
:func:`statements` for the same parsed text, and walks it with the helpers here."""

from __future__ import annotations

from collections.abc import Iterable
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
