"""What a pack's statements do, read from clingo's own parser: the predicates they define
and use, the record attributes they read, and everything a check pack must not contain
(``#script``, ``#show``, integrity constraints, choice rules), each with its file and line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import clingo
from clingo import ast

from nicelogic.asp.applicability import APPLIES
from nicelogic.asp.facts import RECORD_ATTRIBUTES, SECTION_PREDICATES, TABLE_PREDICATES
from nicelogic.asp.syntax import ProgramSyntaxError, atoms_of, statements, unbounded_growth
from nicelogic.bounded import BoundedWorker, in_worker
from nicelogic.errors import LimitExceeded, RuleError
from nicelogic.rules.metadata import Rule

OUTPUT = ("violation", 4), ("violation", 5), ("patient_violation", 3), ("patient_violation", 4)
PATIENT_APPLIES = ("patient_applies", 3)  # where a rule across a patient's history applies: its denominator


@dataclass(frozen=True, slots=True)
class AttributeUse:
    """A rule statement that reads a record attribute: for records with which sections
    (None: any), and which table predicates it also needs."""

    attribute: str
    sections: frozenset[str] | None
    tables: frozenset[str]


# ------------------------------------------------------------------------- ASP checks


@dataclass
class Scan:
    """What one file's statements do, from clingo's own parser."""

    heads: list[tuple[str, int, object, int]]  # (name, arity, first argument, line)
    used: set[tuple[str, int]]
    problems: list[tuple[str, int]]  # (message, line)
    attribute_uses: list[AttributeUse]


def _arguments(atom: ast.AST) -> tuple[str, list[ast.AST]] | None:
    symbol = atom.symbol
    if symbol.ast_type == ast.ASTType.Function:
        return symbol.name, list(symbol.arguments)
    return None


def _attribute_uses(body: list[ast.AST]) -> list[AttributeUse]:
    calls = [call for literal in body for atom in atoms_of(literal) if (call := _arguments(atom))]
    attributes = {name for name, args in calls if name in RECORD_ATTRIBUTES and len(args) == 2}
    if not attributes:
        return []
    sections: set[str] | None = set()
    for name, args in calls:
        if name in SECTION_PREDICATES and len(args) >= 2:
            term = args[1]
            if term.ast_type == ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
                if sections is not None:
                    sections.add(term.symbol.name)
            else:
                sections = None
    scope = frozenset(sections) if sections else None
    tables = frozenset(name for name, args in calls if TABLE_PREDICATES.get(name) == len(args))
    return [AttributeUse(attribute, scope, tables) for attribute in sorted(attributes)]


def _signature(atom: ast.AST) -> tuple[str, int, object] | None:
    symbol = atom.symbol
    if symbol.ast_type == ast.ASTType.Function:
        args = symbol.arguments
        return symbol.name, len(args), (args[0] if args else None)
    if symbol.ast_type == ast.ASTType.SymbolicTerm and symbol.symbol.type == clingo.SymbolType.Function:
        return symbol.symbol.name, len(symbol.symbol.arguments), None
    return None


def scan_file(path: Path, text: str) -> Scan:
    scan = Scan([], set(), [], [])

    def on_statement(stm: ast.AST) -> None:
        line = stm.location.begin.line
        kind = stm.ast_type
        if kind == ast.ASTType.Script:
            scan.problems.append(("#script blocks are refused: packs are data, not code", line))
        elif kind in (ast.ASTType.ShowSignature, ast.ASTType.ShowTerm):
            scan.problems.append(("#show is refused in packs: nicelogic shows the violation atoms itself", line))
        elif kind in (ast.ASTType.Minimize, ast.ASTType.External):
            scan.problems.append((f"{str(stm).split()[0]} has no place in a check pack", line))
        elif kind == ast.ASTType.Rule:
            growth = unbounded_growth(stm)
            if growth is not None:
                scan.problems.append((f"{growth}; a pack must ground in bounded time and memory", line))
            head = stm.head
            if head.ast_type == ast.ASTType.Literal and head.atom.ast_type == ast.ASTType.BooleanConstant:
                scan.problems.append((
                    "integrity constraints are refused: derive violation(...) instead, "
                    "so that one record cannot make a whole batch unsatisfiable", line,
                ))  # fmt: skip
            elif head.ast_type != ast.ASTType.Literal:
                scan.problems.append(("choice rules and disjunctions are refused in check packs", line))
            for atom in atoms_of(head):
                sig = _signature(atom)
                if sig:
                    scan.heads.append((sig[0], sig[1], sig[2], line))
            for literal in stm.body:
                for atom in atoms_of(literal):
                    sig = _signature(atom)
                    if sig:
                        scan.used.add((sig[0], sig[1]))
            scan.attribute_uses.extend(_attribute_uses(list(stm.body)))

    try:
        parsed = statements(text)
    except ProgramSyntaxError as exc:
        raise _clingo_error(exc.messages, path) from None
    for stm in parsed:
        on_statement(stm)
    return scan


_CLINGO_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+(?:-\d+(?::\d+)?)?): (?P<message>.*)$", re.DOTALL)


def _clingo_error(messages: list[str], path: Path | None = None) -> RuleError:
    """clingo's own error messages as one RuleError at the first one's file and line."""
    if not messages:
        return RuleError("the rule program cannot be parsed or grounded", path)
    first = _CLINGO_LOCATION.match(messages[0].strip())
    rest = "; ".join(m.strip() for m in messages[1:])
    if first is None:
        return RuleError("; ".join(m.strip() for m in messages), path)
    file = path if path is not None and first.group("file") == "<string>" else first.group("file")
    message = first.group("message").replace("\n", " ") + (f"; {rest}" if rest else "")
    return RuleError(message, file, int(first.group("line")), first.group("column"))


def check_heads(path: Path, scan: Scan, rule: Rule | None) -> None:
    for name, arity, first, line in scan.heads:
        if (name, arity) not in OUTPUT and (name, arity) not in (APPLIES, PATIENT_APPLIES):
            continue
        if rule is None:
            raise RuleError(f"derives {name}/{arity} but has no %! rule metadata", path, line)
        literal = str(first) if first is not None else ""
        if not (literal.startswith('"') and literal.endswith('"')):
            raise RuleError(f"the rule id in {name}(...) must be a string literal, not {literal}", path, line)
        if literal[1:-1] != rule.id:
            raise RuleError(f"derives {name} under {literal} but the file declares id {rule.id!r}", path, line)
    # a relation's violations come from the generic rule of its kind (logic/lib/relations.lp)
    if rule is not None and rule.relation is None and not any((name, arity) in OUTPUT for name, arity, _, _ in scan.heads):
        raise RuleError(f'rule {rule.id} never derives violation("{rule.id}", ...)', path, rule.line)


def _ground(texts: Sequence[str]) -> list[str] | None:
    """clingo's messages when these texts cannot be grounded together (with no records),
    or None."""
    messages: list[str] = []
    ctl = clingo.Control(["--warn=none"], logger=lambda _code, msg: messages.append(msg), message_limit=10)
    try:
        for text in texts:
            ctl.add("base", [], text)
        ctl.ground([("base", [])])
    except RuntimeError:
        return messages or ["the rule program cannot be grounded"]
    return None


class _GroundCheck:
    """The ground check, for a worker process to run."""

    def __init__(self, files: Sequence[tuple[Path, str]], library: int) -> None:
        self.files, self.library = files, library

    def run(self) -> None:
        ground_check(self.files, self.library)


def ground_check(
    files: Sequence[tuple[Path, str]], library: int = 0, *, limits: tuple[float | None, int | None] | None = None
) -> None:
    """Ground the program once without records, so unsafe variables and the like are
    reported with their file and line before any record is checked. Grounds the texts
    that were read and validated, never the files again; the first ``library`` files are
    shared definitions that every other file may use. With ``limits`` (seconds, bytes),
    in a worker process that is stopped when it exceeds them."""
    if limits is not None and limits != (None, None) and not in_worker():
        worker = BoundedWorker(_GroundCheck(files, library), limits[1])
        try:
            worker.call("run", timeout=limits[0])
        except LimitExceeded as error:
            where = files[library][0] if len(files) > library else None
            raise RuleError(f"the rules cannot be grounded without records within the limits ({error})", where) from None
        finally:
            worker.stop()
        return
    texts = [text for _, text in files]
    if _ground(texts) is None:
        return
    shared = texts[:library]
    for path, text in files[library:]:  # find the file that cannot be grounded
        messages = _ground([*shared, text])
        if messages is not None:
            raise _clingo_error([m.replace("<block>", str(path)) for m in messages], path)
    raise _clingo_error(_ground(texts) or [])


_INCLUDE = re.compile(r"^[ \t]*#include\b", re.MULTILINE)


def include_problem(text: str) -> int | None:
    """The line of an ``#include`` directive, or None. clingo opens included files while it
    parses, so this is looked for in the text before any parse: a pack's program is the
    .lp files in its folder and nothing else."""
    match = _INCLUDE.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None
