"""Mutants of a rule pack: small wrong versions of its statements, for ``nicelogic test
--mutate`` to run the pack's cases against. A mutant the cases do not notice points at a
rule the cases do not pin down.

Mutants are made on clingo's syntax tree of each rule statement (never on the shared
``logic/lib`` files, never on ``%!`` metadata) and spliced back into the file text in
place of the original statement, so every other line keeps its number. Operators:

- ``delete-literal``: drop one body literal;
- ``negate``: add or remove the ``not`` of a body atom;
- ``comparison``: replace a comparison operator by each of the others;
- ``shift``: an integer constant (a position, an offset, a bound) one lower and one higher;
- ``swap-variables``: exchange two variables of the same kind within one body literal;
- ``sibling``: a code, category or chapter constant replaced by its next sibling in the
  loaded classification (V44.4 -> V44.5, V55 -> V56, Y -> Z);
- ``drop-rule``: drop a whole statement (a rule, or one row of a fact table);
- ``drop-row``: drop one alternative of a pooled list of codes (``("V37"; "V38")``), or one
  row of a relation table.

Relation tables (:mod:`nicelogic.rules.relations`) are mutated as rows: each row dropped,
and each code of a row replaced by its sibling; the mutant is the table's facts with that
row changed, on the row's own line.

The detail term of ``violation/5`` and the rule id and section of a violation are left
alone: case files assert rule, section and positions, never messages.

A mutant that cannot change any answer is *equivalent*: found here when the mutated
statement is the original one after normalisation (operand order of ``=``/``!=``, ``>``
written as ``<``, body order), or when no violation depends on the statement's head; or
declared by the rule's author in the file's ``%!`` header (``equivalent-mutants``).
Equivalent mutants are listed apart and left out of the score, never dropped silently.

Long, and kept whole: one mutation operator per function over clingo's syntax tree, and
the detection of equivalent mutants that must agree with them statement by statement.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import clingo
from clingo import ast

from nicelogic.asp.applicability import APPLIES
from nicelogic.asp.facts import SECTION_PREDICATES
from nicelogic.asp.syntax import atoms_of, name_and_arity
from nicelogic.errors import RuleError
from nicelogic.rules.metadata import EquivalentMutant, equivalent_mutants, read_header
from nicelogic.rules.packs import Pack
from nicelogic.rules.program import OUTPUT, PATIENT_APPLIES
from nicelogic.rules.relations import RelationRow, RelationTable, code_terms
from nicelogic.tables import CodeTables

OPERATORS = ("delete-literal", "negate", "comparison", "shift", "swap-variables", "sibling", "drop-rule", "drop-row")

_C = ast.ComparisonOperator
_RELATIONS = (_C.LessThan, _C.LessEqual, _C.Equal, _C.NotEqual, _C.GreaterThan, _C.GreaterEqual)
_FLIPPED = {_C.GreaterThan: _C.LessThan, _C.GreaterEqual: _C.LessEqual}
_SYMBOL = {_C.LessThan: "<", _C.LessEqual: "<=", _C.Equal: "=", _C.NotEqual: "!=", _C.GreaterThan: ">", _C.GreaterEqual: ">="}


@dataclass(frozen=True, slots=True)
class Mutant:
    """One changed statement of one pack file."""

    pack: str
    file: Path
    rule: str  # the file's rule id, or the file name for a helper file
    line: int  # where the changed part starts
    operator: str
    before: str  # the changed part, as clingo prints it ("" for nothing)
    after: str
    statement: str  # the original statement, as clingo prints it
    mutated: str  # the mutated statement ("" when dropped)
    key: str  # what an equivalent-mutants declaration names: "OPERATOR: BEFORE -> AFTER" [#N]
    text: str = field(repr=False, compare=False, default="")  # the whole mutated file
    equivalent: str | None = None  # why it cannot change any answer
    declared: bool = False  # equivalence declared by the author (else detected)
    needs: tuple[str, ...] = ()  # data the rule needs beyond the shipped tables
    inapplicable: str | None = None  # why no case can notice it with the loaded tables


@dataclass(frozen=True, slots=True)
class PackMutants:
    mutants: tuple[Mutant, ...]
    stale: tuple[str, ...]  # declarations that name no mutant, with file and line


# --------------------------------------------------------------------------- siblings


@dataclass(frozen=True)
class Siblings:
    """The next code of the same category, category of the same chapter, or chapter, in
    the loaded tables: a deterministic plausible slip for each code constant."""

    codes: Mapping[str, tuple[str, ...]]  # section -> its codes and categories, sorted

    @classmethod
    def of_tables(cls, tables: CodeTables) -> Siblings:
        return cls(
            {
                "opcs": tuple(sorted(tables.opcs.titles)),
                "icd10": tuple(sorted(tables.icd10.titles)),
                "cpt": tuple(sorted(tables.ncci_codes())),
            }
        )

    def sibling(self, value: str, section: str | None) -> str | None:
        if section is None or section not in self.codes:
            section = self._guess(value)
        known = self.codes.get(section or "", ())
        if not known or not value:
            return None
        if section == "cpt":
            return _next(known, value, lambda c: len(c) == len(value))
        if len(value) == 1 and value.isalpha():
            return _next(tuple(sorted({c[0] for c in known})), value, lambda c: True)
        if len(value) == 3:
            return _next(known, value, lambda c: len(c) == 3 and c[0] == value[0])
        if len(value) > 3 and value[3] == ".":
            return _next(known, value, lambda c: len(c) == len(value) and c[:3] == value[:3])
        return None

    def _guess(self, value: str) -> str | None:
        if len(value) == 5 and value[:4].isdigit():
            return "cpt"
        return next((section for section in ("opcs", "icd10") if value in self.codes.get(section, ())), None)


def _next(known: Sequence[str], value: str, same: Callable[[str], bool]) -> str | None:
    """The first sibling after value, or the last one before it."""
    start = bisect.bisect_right(known, value)
    for candidate in known[start:]:
        if same(candidate) and candidate != value:
            return candidate
    for candidate in reversed(known[:start]):
        if same(candidate) and candidate != value:
            return candidate
    return None


# --------------------------------------------------------------------------- normal form


def normal_form(statement: ast.AST) -> str:
    """A statement's text up to body order and the direction of comparisons."""
    return str(statement.head) + " :- " + "; ".join(sorted(_normal_literal(lit) for lit in statement.body))


def _normal_literal(literal: ast.AST) -> str:
    atom = getattr(literal, "atom", None)
    if atom is None or atom.ast_type != ast.ASTType.Comparison or len(atom.guards) != 1:
        return str(literal)
    left, guard = str(atom.term), atom.guards[0]
    right, relation = str(guard.term), guard.comparison
    if relation in _FLIPPED:
        left, right, relation = right, left, _FLIPPED[relation]
    if relation in (_C.Equal, _C.NotEqual):
        left, right = sorted((left, right))
    return f"{'not ' if literal.sign == ast.Sign.Negation else ''}{left} {_SYMBOL[relation]} {right}"


# --------------------------------------------------------------------------- reachability


def violation_predicates(texts: Sequence[str]) -> frozenset[tuple[str, int]]:
    """Predicates some violation depends on, through the statements of all the texts."""
    depends: dict[tuple[str, int], set[tuple[str, int]]] = {}

    def on_statement(stm: ast.AST) -> None:
        if stm.ast_type != ast.ASTType.Rule:
            return
        body = {sig for literal in stm.body for atom in atoms_of(literal) if (sig := name_and_arity(atom))}
        for atom in atoms_of(stm.head):
            sig = name_and_arity(atom)
            if sig:
                depends.setdefault(sig, set()).update(body)

    for text in texts:
        ast.parse_string(text, on_statement)
    reached: set[tuple[str, int]] = set(OUTPUT)
    frontier = list(OUTPUT)
    while frontier:
        for sig in depends.get(frontier.pop(), ()):
            if sig not in reached:
                reached.add(sig)
                frontier.append(sig)
    return frozenset(reached)


@dataclass(frozen=True)
class Dormancy:
    """Statements that can never fire with the loaded tables: they read a table fact the
    tables never give (``icd_edition(uk)`` with the WHO edition, ``icd_sex/2`` without a
    UK file), or a helper all of whose statements are so. A mutant of such a statement
    that leaves it so cannot be noticed by any case with these tables, like a rule whose
    ``needs`` are unmet."""

    empty: frozenset[str]  # table predicates the tables give no facts of
    constant: frozenset[str]  # the code-independent table facts they give, e.g. icd_edition(who)
    dormant: frozenset[tuple[str, int]]  # predicates whose every statement is dormant

    @classmethod
    def of(cls, tables: CodeTables, texts: Sequence[str]) -> Dormancy:
        constant = frozenset(line.rstrip(".") for line in tables.facts({}).splitlines() if line)
        found = cls(tables.empty_predicates(), constant, frozenset())
        by_head: dict[tuple[str, int], list[ast.AST]] = {}

        def on_statement(stm: ast.AST) -> None:
            if stm.ast_type == ast.ASTType.Rule:
                for atom in atoms_of(stm.head):
                    if sig := name_and_arity(atom):
                        by_head.setdefault(sig, []).append(stm)

        for text in texts:
            ast.parse_string(text, on_statement)
        while True:
            dormant = frozenset(sig for sig, stms in by_head.items() if all(found.blocked(stm) for stm in stms))
            if dormant == found.dormant:
                return found
            found = cls(found.empty, found.constant, dormant)

    def blocked(self, statement: ast.AST) -> bool:
        """Whether some positive body atom of the statement can never hold."""
        return any(
            literal.ast_type == ast.ASTType.Literal
            and literal.sign == ast.Sign.NoSign
            and literal.atom.ast_type == ast.ASTType.SymbolicAtom
            and self._never(literal.atom)
            for literal in statement.body
        )

    def _never(self, atom: ast.AST) -> bool:
        sig = name_and_arity(atom)
        if sig is None:
            return False
        if sig[0] in self.empty or sig in self.dormant:
            return True
        constant_names = {fact.split("(")[0] for fact in self.constant}
        return sig[0] in constant_names and not _variables(atom) and str(atom.symbol) not in self.constant


# --------------------------------------------------------------------------- rewriting

# (the new node, the changed node before, the changed node after)
Rewrite = tuple[ast.AST, ast.AST, ast.AST]


def _rewrites(node: ast.AST, change: Callable[[ast.AST], list[ast.AST]]) -> Iterator[Rewrite]:
    """Every copy of node with exactly one descendant (or node itself) changed."""
    for replacement in change(node):
        yield replacement, node, replacement
    for key in node.child_keys:
        child = getattr(node, key)
        if isinstance(child, ast.AST):
            for new, old, after in _rewrites(child, change):
                yield node.update(**{key: new}), old, after
        elif child is not None:
            items = list(child)
            for index, item in enumerate(items):
                if isinstance(item, ast.AST):
                    for new, old, after in _rewrites(item, change):
                        yield node.update(**{key: [*items[:index], new, *items[index + 1 :]]}), old, after


def _shift(node: ast.AST) -> list[ast.AST]:
    if node.ast_type == ast.ASTType.SymbolicTerm and node.symbol.type == clingo.SymbolType.Number:
        n = node.symbol.number
        return [node.update(symbol=clingo.Number(n - 1)), node.update(symbol=clingo.Number(n + 1))]
    return []


def _sibling_change(siblings: Siblings, section: str | None) -> Callable[[ast.AST], list[ast.AST]]:
    def change(node: ast.AST) -> list[ast.AST]:
        if node.ast_type == ast.ASTType.SymbolicTerm and node.symbol.type == clingo.SymbolType.String:
            other = siblings.sibling(node.symbol.string, section)
            if other is not None:
                return [node.update(symbol=clingo.String(other))]
        return []

    return change


def _drop_row(node: ast.AST) -> list[ast.AST]:
    if node.ast_type == ast.ASTType.Pool and len(node.arguments) > 1:
        items = list(node.arguments)
        return [node.update(arguments=items[:i] + items[i + 1 :]) for i in range(len(items))]
    return []


def _comparisons(literal: ast.AST) -> list[ast.AST]:
    atom = literal.atom
    out = []
    for index, guard in enumerate(atom.guards):
        for relation in _RELATIONS:
            if relation != guard.comparison:
                guards = list(atom.guards)
                guards[index] = guard.update(comparison=relation)
                out.append(literal.update(atom=atom.update(guards=guards)))
    return out


def _variables(node: ast.AST) -> list[str]:
    found: list[str] = []

    def visit(item: object) -> None:
        if isinstance(item, ast.AST):
            if item.ast_type == ast.ASTType.Variable:
                found.append(item.name)
            for key in item.child_keys:
                visit(getattr(item, key))
        elif isinstance(item, Iterable) and not isinstance(item, str | bytes):  # lists and AST sequences
            for child in item:
                visit(child)

    visit(node)
    return found


def _kinds(statement: ast.AST) -> set[frozenset[str]]:
    """Pairs of variables of the same kind: in the same argument slot of the same
    predicate, or compared with each other."""
    slots: dict[tuple[str, int, int], set[str]] = {}
    pairs: set[frozenset[str]] = set()
    for literal in statement.body:
        atom = getattr(literal, "atom", None)
        if atom is not None and atom.ast_type == ast.ASTType.Comparison:
            names = [t.name for t in [atom.term, *(g.term for g in atom.guards)] if t.ast_type == ast.ASTType.Variable]
            pairs |= {frozenset((a, b)) for a in names for b in names if a != b}
        for symbolic in atoms_of(literal):
            term = symbolic.symbol
            if term.ast_type != ast.ASTType.Function:
                continue
            for slot, argument in enumerate(term.arguments):
                if argument.ast_type == ast.ASTType.Variable and argument.name != "_":
                    slots.setdefault((term.name, len(term.arguments), slot), set()).add(argument.name)
    for group in slots.values():
        pairs |= {frozenset((a, b)) for a in group for b in group if a != b}
    return pairs


def _swap(node: ast.AST, x: str, y: str) -> ast.AST:
    class Swap(ast.Transformer):  # type: ignore[misc]
        def visit_Variable(self, variable: ast.AST) -> ast.AST:
            if variable.name == x:
                return variable.update(name=y)
            if variable.name == y:
                return variable.update(name=x)
            return variable

    return Swap()(node)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class _Change:
    operator: str
    line: int
    before: str
    after: str
    statement: ast.AST | None  # None: the statement is dropped


def _statement_changes(stm: ast.AST, siblings: Siblings) -> Iterator[_Change]:
    body = list(stm.body)
    section = _section(stm)
    kinds = sorted(tuple(sorted(pair)) for pair in _kinds(stm))

    def with_literal(index: int, literal: ast.AST) -> ast.AST:
        return stm.update(body=[*body[:index], literal, *body[index + 1 :]])

    yield _Change("drop-rule", stm.location.begin.line, str(stm), "", None)
    for index, literal in enumerate(body):
        line = literal.location.begin.line
        if len(body) > 1:
            yield _Change("delete-literal", line, str(literal), "", stm.update(body=body[:index] + body[index + 1 :]))
        atom = getattr(literal, "atom", None)
        if literal.ast_type == ast.ASTType.Literal and atom is not None and atom.ast_type == ast.ASTType.SymbolicAtom:
            sign = ast.Sign.NoSign if literal.sign == ast.Sign.Negation else ast.Sign.Negation
            if literal.sign != ast.Sign.DoubleNegation:
                negated = literal.update(sign=sign)
                yield _Change("negate", line, str(literal), str(negated), with_literal(index, negated))
        if literal.ast_type == ast.ASTType.Literal and atom is not None and atom.ast_type == ast.ASTType.Comparison:
            for changed in _comparisons(literal):
                yield _Change("comparison", line, str(literal), str(changed), with_literal(index, changed))
        for operator, change in (("shift", _shift), ("sibling", _sibling_change(siblings, section)), ("drop-row", _drop_row)):
            for new, old, after in _rewrites(literal, change):
                yield _Change(operator, old.location.begin.line, str(old), str(after), with_literal(index, new))
        names = set(_variables(literal))
        for x, y in kinds:
            if names & {x, y}:
                swapped = _swap(literal, x, y)
                if str(swapped) != str(literal):
                    yield _Change("swap-variables", line, str(literal), str(swapped), with_literal(index, swapped))
    yield from _head_changes(stm, siblings, section)


def _head_changes(stm: ast.AST, siblings: Siblings, section: str | None) -> Iterator[_Change]:
    """Constants of a helper's head; of a violation only its positions (of a patient's, the units it blames)."""
    head = stm.head
    if head.ast_type != ast.ASTType.Literal or head.atom.ast_type != ast.ASTType.SymbolicAtom:
        return
    term = head.atom.symbol
    arguments = list(term.arguments) if term.ast_type == ast.ASTType.Function else []
    is_violation = term.ast_type == ast.ASTType.Function and (term.name, len(arguments)) in OUTPUT
    blamed = 2 if is_violation and term.name == "patient_violation" else 3
    slots = [blamed] if is_violation else range(len(arguments))
    changes: list[tuple[str, Callable[[ast.AST], list[ast.AST]]]] = [("shift", _shift)]
    if not is_violation:
        changes += [("sibling", _sibling_change(siblings, section)), ("drop-row", _drop_row)]
    for slot in slots:
        for operator, change in changes:
            for new, old, after in _rewrites(arguments[slot], change):
                new_term = term.update(arguments=[*arguments[:slot], new, *arguments[slot + 1 :]])
                new_head = head.update(atom=head.atom.update(symbol=new_term))
                yield _Change(operator, old.location.begin.line, str(old), str(after), stm.update(head=new_head))
    if term.ast_type == ast.ASTType.Pool:  # a pooled fact: one row per alternative
        for new, old, after in _rewrites(term, _drop_row):
            new_head = head.update(atom=head.atom.update(symbol=new))
            yield _Change("drop-row", old.location.begin.line, str(old), str(after), stm.update(head=new_head))


def _section(stm: ast.AST) -> str | None:
    """The one section a statement reads, if it reads exactly one."""
    sections = set()
    for atom in atoms_of(stm):
        term = atom.symbol
        if term.ast_type == ast.ASTType.Function and term.name in SECTION_PREDICATES and len(term.arguments) >= 2:
            argument = term.arguments[1]
            if argument.ast_type == ast.ASTType.SymbolicTerm:
                sections.add(str(argument.symbol))
    return sections.pop() if len(sections) == 1 else None


# --------------------------------------------------------------------------- files and packs


def _splice(text: str, location: ast.Location, replacement: str) -> str:
    """text with the span of location replaced (clingo counts columns in bytes from 1)."""
    data = text.encode("utf-8")
    starts = [0]
    for line in text.encode("utf-8").splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    begin = starts[location.begin.line - 1] + location.begin.column - 1
    end = starts[location.end.line - 1] + location.end.column - 1
    return (data[:begin] + replacement.encode("utf-8") + data[end:]).decode("utf-8")


def file_mutants(
    path: Path,
    pack: str,
    siblings: Siblings,
    reachable: frozenset[tuple[str, int]],
    operators: Sequence[str] = OPERATORS,
    dormancy: Dormancy | None = None,
) -> PackMutants:
    """The mutants of one pack file, with equivalent ones marked."""
    text = path.read_text(encoding="utf-8")
    header = read_header(path, text)
    where = f"{path}:{header[1]}" if header else str(path)
    declared = {d.mutant: d for d in equivalent_mutants(header[0] if header else None, path, header[1] if header else 1)}
    rule = str(header[0].get("id") or path.name) if header else path.name
    needs = tuple(header[0].get("needs", ())) if header else ()  # type: ignore[arg-type]
    statements: list[ast.AST] = []
    try:
        ast.parse_string(text, statements.append)
    except RuntimeError:
        raise RuleError(f"{path}: cannot be parsed") from None
    found: list[tuple[_Change, ast.AST]] = []
    for stm in statements:
        # applies/4 says where a rule judges records (coverage, rates), not what it finds:
        # no case's verdict can notice a mutant of it; the test runner checks instead that
        # a rule never fires where it says it does not apply
        # (patient_applies likewise: a patient case fails when its rule fires outside it)
        if stm.ast_type != ast.ASTType.Rule:
            continue
        if not {name_and_arity(atom) for atom in atoms_of(stm.head)} & {APPLIES, PATIENT_APPLIES}:
            found += [(change, stm) for change in _statement_changes(stm, siblings) if change.operator in operators]
    bases = [_base_key(change) for change, _ in found]
    mutants: list[Mutant] = []
    seen: set[str] = set()
    ordinal: dict[str, int] = {}
    for (change, stm), base in zip(found, bases, strict=True):
        ordinal[base] = ordinal.get(base, 0) + 1
        key = base if bases.count(base) == 1 else f"{base} #{ordinal[base]}"
        mutated = str(change.statement) if change.statement is not None else ""
        new_text = _splice(text, stm.location, mutated)
        if new_text in seen:  # the same program by another route: one mutant is enough
            continue
        seen.add(new_text)
        equivalent, is_declared = _equivalence(stm, change, reachable)
        if equivalent is None and key in declared:
            equivalent, is_declared = declared[key].why, True
        asleep = None
        if dormancy and dormancy.blocked(stm) and (change.statement is None or dormancy.blocked(change.statement)):
            asleep = "the statement can never fire with the loaded tables, before or after the change"
        mutants.append(
            Mutant(
                pack=pack,
                file=path,
                rule=rule,
                line=change.line,
                operator=change.operator,
                before=change.before,
                after=change.after,
                statement=str(stm),
                mutated=mutated,
                key=key,
                text=new_text,
                equivalent=equivalent,
                declared=is_declared,
                needs=needs,
                inapplicable=asleep,
            )  # fmt: skip
        )
    keys = {m.key for m in mutants}
    stale = tuple(f"{where}: equivalent-mutants names no mutant of this file: {name!r}" for name in declared if name not in keys)
    return PackMutants(tuple(mutants), stale)


def _base_key(change: _Change) -> str:
    return f"{change.operator}: {change.before}" + (f" -> {change.after}" if change.after else "")


def _equivalence(stm: ast.AST, change: _Change, reachable: frozenset[tuple[str, int]]) -> tuple[str | None, bool]:
    heads = {sig for atom in atoms_of(stm.head) if (sig := name_and_arity(atom))}
    if heads and not heads & reachable:
        names = ", ".join(f"{name}/{arity}" for name, arity in sorted(heads))
        return f"no violation depends on {names}", False
    if change.statement is not None and normal_form(change.statement) == normal_form(stm):
        return "the same statement up to body order and the direction of comparisons", False
    return None, False


def pack_mutants(
    pack: Pack,
    siblings: Siblings,
    reachable: frozenset[tuple[str, int]],
    operators: Sequence[str] = OPERATORS,
    dormancy: Dormancy | None = None,
) -> PackMutants:
    mutants: list[Mutant] = []
    stale: list[str] = []
    for path in pack.files:
        found = file_mutants(path, pack.name, siblings, reachable, operators, dormancy)
        mutants += found.mutants
        stale += found.stale
    needs = {rule.id: rule.needs for rule in pack.rules}
    for table in pack.relations:
        needed = tuple(dict.fromkeys(n for rule, _ in table.rules for n in needs.get(rule, ())))
        mutants += table_mutants(pack.name, table, siblings, operators, needed)
    return PackMutants(tuple(mutants), tuple(stale))


def _row_text(row: RelationRow) -> str:
    return "\t".join(" ".join(codes) for _, codes in row.cells)


def table_mutants(
    pack: str, table: RelationTable, siblings: Siblings, operators: Sequence[str] = OPERATORS, needs: tuple[str, ...] = ()
) -> list[Mutant]:
    """A relation table's mutants: each row dropped, each single code of a row replaced by
    its sibling in the loaded classification."""
    found: list[tuple[str, RelationRow, RelationRow | None]] = []  # operator, row, the row after (None: dropped)
    for row in table.rows:
        if "drop-row" in operators:
            found.append(("drop-row", row, None))
        if "sibling" not in operators:
            continue
        for index, (column, section, _) in enumerate(row.terms):
            written = row.cells[index][1]
            for position, code in enumerate(written):
                sibling = siblings.sibling(code.upper(), section) if "-" not in code else None
                if sibling is None or sibling == code:
                    continue
                codes = (*written[:position], sibling, *written[position + 1 :])
                spans = tuple(dict.fromkeys(t for c in codes for t in code_terms(c, section)))
                cells = tuple((name, codes if name == column else values) for name, values in row.cells)
                terms = tuple((name, sec, spans if name == column else values) for name, sec, values in row.terms)
                found.append(("sibling", row, RelationRow(row.line, row.standard, cells, terms)))
    mutants = []
    for operator, row, after in found:
        rows = tuple(r for r in table.rows if r.line != row.line) + ((after,) if after else ())
        before, changed = _row_text(row), _row_text(after) if after else ""
        key = f"{operator}: {before}" + (f" -> {changed}" if changed else "")
        mutants.append(
            Mutant(
                pack=pack,
                file=table.path,
                rule=table.name,
                line=row.line,
                operator=operator,
                before=before,
                after=changed,
                statement=before,
                mutated=changed,
                key=key,
                text=table.facts(rows),
                needs=needs,
            )  # fmt: skip
        )
    return mutants


__all__ = [
    "OPERATORS", "Dormancy", "EquivalentMutant", "Mutant", "PackMutants", "Siblings",
    "normal_form", "pack_mutants", "violation_predicates",
]  # fmt: skip
