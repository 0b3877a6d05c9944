"""Where a rule applies: the records (and positions) that carry its trigger.

A rule that fires says a record breaks it; a rule that applies and does not fire says the
record honours it. The second is what rule tests need to credit a rule with staying quiet,
and what rates need as their denominator (records the rule judged, not every record).

A rule file may say where it applies with ``applies("id", R, Section, Positions)``
statements beside its ``violation`` statements. A rule that does not is given them here,
from its own violation statements with their negative conditions dropped: for the usual
shape "trigger, unless the guidance is followed" (``code(R, opcs, P, "W37.1"), not
side(R, P)``) that is exactly the trigger. A rule whose violation statements have no
negative condition (a pair that must not occur, a code never first) cannot be given one
this way: it must declare its own, or it can never be shown to stay quiet.

The statements derived here are generated from the rule's own syntax tree and loaded only
when applicability is asked for, so checking pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Iterable

import clingo
from clingo import ast

from nicelogic.asp.syntax import statements

APPLIES = ("applies", 4)
VIOLATION_NAMES = ("violation",)


def _head_call(statement: ast.AST) -> tuple[str, list[ast.AST]] | None:
    head = statement.head
    if head.ast_type != ast.ASTType.Literal or head.atom.ast_type != ast.ASTType.SymbolicAtom:
        return None
    symbol = head.atom.symbol
    if symbol.ast_type != ast.ASTType.Function:
        return None
    return symbol.name, list(symbol.arguments)


def _rule_id(arguments: list[ast.AST]) -> str | None:
    first = arguments[0] if arguments else None
    if first is not None and first.ast_type == ast.ASTType.SymbolicTerm and first.symbol.type == clingo.SymbolType.String:
        return str(first.symbol.string)
    return None


class _Variables(ast.Transformer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Variable(self, node: ast.AST) -> ast.AST:
        self.names.add(node.name)
        return node


def _variables(node: ast.AST) -> set[str]:
    collector = _Variables()
    collector(node)
    return collector.names - {"_"}


def _is_positive_atom(literal: ast.AST) -> bool:
    return (
        literal.ast_type == ast.ASTType.Literal
        and literal.sign == ast.Sign.NoSign
        and literal.atom.ast_type == ast.ASTType.SymbolicAtom
    )


def _trigger(body: list[ast.AST]) -> list[ast.AST]:
    """The body without its negative conditions, and without comparisons that only the
    dropped conditions made safe."""
    positive = [literal for literal in body if _is_positive_atom(literal)]
    bound = set().union(*(_variables(literal) for literal in positive)) if positive else set()
    kept = []
    for literal in body:
        if literal.ast_type == ast.ASTType.Literal and literal.sign != ast.Sign.NoSign:
            continue
        if _is_positive_atom(literal) or _variables(literal) <= bound:
            kept.append(literal)
    return kept


def _negates(body: list[ast.AST]) -> bool:
    return any(literal.ast_type == ast.ASTType.Literal and literal.sign != ast.Sign.NoSign for literal in body)


def scan_file(text: str) -> tuple[set[str], dict[str, list[str]], set[str]]:
    """For one file: the rule ids that declare ``applies``; the applies statements derived
    from each rule's violation statements (wherever it fires, it applies); and the rules
    some of whose statements have a negative condition, so that what is derived is wider
    than where they fire."""
    declared: set[str] = set()
    derived: dict[str, list[str]] = {}
    conditional: set[str] = set()

    def on_statement(statement: ast.AST) -> None:
        if statement.ast_type != ast.ASTType.Rule:
            return
        call = _head_call(statement)
        if call is None:
            return
        name, arguments = call
        rule_id = _rule_id(arguments)
        if rule_id is None:
            return
        if (name, len(arguments)) == APPLIES:
            declared.add(rule_id)
        elif name in VIOLATION_NAMES and len(arguments) in (4, 5):
            body = list(statement.body)
            if _negates(body):
                conditional.add(rule_id)
            head = f"applies({', '.join(str(a) for a in arguments[:4])})"
            trigger = "; ".join(str(literal) for literal in _trigger(body))
            derived.setdefault(rule_id, []).append(f"{head} :- {trigger}." if trigger else f"{head}.")

    for statement in statements(text):
        on_statement(statement)
    return declared, derived, conditional


def derive(texts: Iterable[str]) -> tuple[str, frozenset[str]]:
    """For the files of a rule set: the program of derived applies statements (for rules
    that declare none), and the rules that can never be shown to stay quiet, because they
    neither declare where they apply nor have a condition whose absence is the trigger."""
    declared: set[str] = set()
    derived: dict[str, list[str]] = {}
    conditional: set[str] = set()
    for text in texts:
        own, found, negated = scan_file(text)
        declared |= own
        conditional |= negated
        for rule_id, written in found.items():
            derived.setdefault(rule_id, []).extend(written)
    program = [statement for rule_id in sorted(derived) if rule_id not in declared for statement in derived[rule_id]]
    unknown = frozenset(rule_id for rule_id in derived if rule_id not in declared and rule_id not in conditional)
    return "\n".join(program) + ("\n" if program else ""), unknown
