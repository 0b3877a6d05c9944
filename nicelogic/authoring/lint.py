"""``nicelogic lint``: what silently breaks rule sets, found before any record is checked.

Errors: anything the pack loader refuses (duplicate ids, missing metadata, ``#script``,
constraints, syntax), a rule no test makes fire, a predicate used but never defined or
defined but never used, a code literal that is no code of the loaded tables (``V5.1``,
``Z00:Z99``), a code of a relation table's row that is none either, and a rule that can
never fire with the loaded tables. Warnings: a relation row that excludes a code from
itself. Information: what each category range in a rule or a table covers, so that a
range like V22-V70 shows it holds V55 and V64.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clingo import ast

from nicelogic.asp.applicability import APPLIES
from nicelogic.asp.applicability import derive as derive_applies
from nicelogic.asp.facts import SECTION_PREDICATES
from nicelogic.asp.syntax import atoms_of, name_and_arity, statements, strings_of
from nicelogic.asp.vocabulary import vocabulary
from nicelogic.authoring.patient_cases import read_cases
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from nicelogic.errors import CaseError, RuleError
from nicelogic.resources import shown_path
from nicelogic.rules.cases import load_cases
from nicelogic.rules.packs import library_files, load_pack, load_rules, resolve_selection
from nicelogic.rules.program import OUTPUT, PATIENT_APPLIES
from nicelogic.rules.relations import RelationTable, spans
from nicelogic.tables import CodeTables, TableConfig, load_tables

# Predicates every program may read without defining them (the vocabulary), and those a
# rule may define for nicelogic to read (violations, where it applies, completion defaults).
VOCABULARY = vocabulary().predicates
_DECLARED = {APPLIES, PATIENT_APPLIES} | set(OUTPUT) | {(f.name, f.arity) for f in vocabulary().of("completion")}
_CODE_LIKE = re.compile(r"^[A-Z][0-9]")
_CODE = re.compile(r"^[A-Z][0-9]{2}\.[0-9]{1,2}$")
_CATEGORY = re.compile(r"^[A-Z][0-9]{2}$")
_CPT = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
_BOUND = re.compile(r"^(?P<left>\w+)\s*(?P<op>>=|<=|>|<|=)\s*(?P<right>-?\d+)$")


@dataclass(frozen=True, slots=True, order=True)
class LintFinding:
    file: str
    line: int
    level: str  # error, info
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level} {self.code}: {self.message}"


@dataclass
class _Statement:
    file: Path
    line: int
    heads: list[tuple[str, int]]
    body: list[tuple[str, int]]
    atoms: list[ast.AST]
    literals: list[ast.AST]
    is_violation: bool


def _statements(path: Path) -> list[_Statement]:
    out: list[_Statement] = []

    def on_statement(stm: ast.AST) -> None:
        if stm.ast_type != ast.ASTType.Rule:
            return
        heads = [s for a in atoms_of(stm.head) if (s := name_and_arity(a))]
        body_atoms = [a for lit in stm.body for a in atoms_of(lit)]
        body = [s for a in body_atoms if (s := name_and_arity(a))]
        out.append(
            _Statement(path, stm.location.begin.line, heads, body, body_atoms, list(stm.body), any(h in OUTPUT for h in heads))
        )

    for statement in statements(path.read_text(encoding="utf-8")):
        on_statement(statement)
    return out


def _from_error(exc: RuleError, fallback: Path) -> LintFinding:
    if exc.file is not None:
        return LintFinding(shown_path(exc.file), exc.line or 1, "error", "pack", exc.message)
    return LintFinding(shown_path(fallback), 1, "error", "pack", exc.message)


# --------------------------------------------------------------------------- the checks


def _codes(statements: Sequence[_Statement], tables: CodeTables, cpt_known: frozenset[str]) -> list[LintFinding]:
    """Code literals must be codes of the loaded tables, in the section they are used for."""
    findings: list[LintFinding] = []

    def judge(literal: str, section: str | None, kind: str | None) -> str | None:
        if kind == "chapter":
            return None if re.fullmatch(r"[A-Z]", literal) else f"{literal!r} is not a chapter letter"
        if section == "cpt" or (section is None and _CPT.match(literal)):
            if _CPT.match(literal) and (literal in cpt_known or section is None):
                return None
            return f"{literal!r} is no CPT/HCPCS code of the loaded NCCI tables"
        if not _CODE_LIKE.match(literal):
            return None if kind is None else f"{literal!r} is not a code"
        for system in [section] if section else ["opcs", "icd10"]:
            table = tables.classification(system)
            if table is not None and (_CODE.match(literal) or _CATEGORY.match(literal)) and literal in table.titles:
                return None
        if re.search(r"[:\-]", literal):
            return f"{literal!r} is not a code: a range is written with chapter/catnum comparisons, not a string"
        where = f"the loaded {section} table" if section else "any loaded table"
        return f"{literal!r} is no code or category of {where}"

    for statement in statements:
        for atom in statement.atoms:
            name_arity = name_and_arity(atom)
            if not name_arity or name_arity[0] not in SECTION_PREDICATES:
                continue
            args = atom.symbol.arguments
            section = str(args[1].symbol) if len(args) > 1 and args[1].ast_type == ast.ASTType.SymbolicTerm else None
            kind = "chapter" if name_arity[0] == "chapter" else name_arity[0]
            for literal in strings_of(args[2:]):
                problem = judge(literal, section, kind)
                if problem:
                    findings.append(LintFinding(shown_path(statement.file), statement.line, "error", "code-literal", problem))
        atom_strings = {
            s for atom in statement.atoms if (name_and_arity(atom) or ("", 0))[0] in SECTION_PREDICATES for s in strings_of(atom)
        }
        for literal in strings_of(statement.literals):
            if literal in atom_strings or not _CODE_LIKE.match(literal):
                continue
            problem = judge(literal, None, None)
            if problem:
                findings.append(LintFinding(shown_path(statement.file), statement.line, "error", "code-literal", problem))
    return findings


def _ranges(statements: Sequence[_Statement], tables: CodeTables) -> list[LintFinding]:
    """What a chapter + category-number range covers, spelled out."""
    findings: list[LintFinding] = []
    for statement in statements:
        chapters: dict[str, tuple[str, str]] = {}  # catnum variable -> (section, chapter)
        letters: dict[tuple[str, str], str] = {}  # (record, position) variables -> chapter
        for atom in statement.atoms:
            sig = name_and_arity(atom)
            args = atom.symbol.arguments
            if sig == ("chapter", 4) and strings_of(args[3:]):
                letters[(str(args[0]), str(args[2]))] = f"{args[1]}:{strings_of(args[3:])[0]}"
        for atom in statement.atoms:
            if name_and_arity(atom) == ("catnum", 4):
                args = atom.symbol.arguments
                key = (str(args[0]), str(args[2]))
                if key in letters:
                    section, letter = letters[key].split(":")
                    chapters[str(args[3])] = (section, letter)
        for variable, (section, letter) in chapters.items():
            low, high = 0, 99
            for literal in statement.literals:
                match = _BOUND.match(str(literal).strip())
                if not match or match.group("left") != variable:
                    continue
                value, op = int(match.group("right")), match.group("op")
                if op in (">=", "="):
                    low = max(low, value)
                if op == ">":
                    low = max(low, value + 1)
                if op in ("<=", "="):
                    high = min(high, value)
                if op == "<":
                    high = min(high, value - 1)
            if (low, high) == (0, 99):
                continue
            table = tables.classification(section)
            if table is None:
                continue
            covered = sorted(c for c in table.titles if len(c) == 3 and c[0] == letter and low <= int(c[1:]) <= high)
            names = "; ".join(f"{c} {table.titles[c]}" for c in covered)
            message = f"{letter}{low:02d}-{letter}{high:02d} covers {len(covered)} {section} categories: {names}"
            findings.append(LintFinding(shown_path(statement.file), statement.line, "info", "range", message))
    return findings


def _predicates(statements: Sequence[_Statement], library: Sequence[_Statement], own: set[Path]) -> list[LintFinding]:
    defined = {h for s in [*statements, *library] for h in s.heads}
    used = {b for s in [*statements, *library] for b in s.body}
    findings: list[LintFinding] = []
    seen: set[tuple[str, int, Path]] = set()
    for statement in statements:
        for name, arity in statement.body:
            known = (name, arity) in defined or (name, arity) in VOCABULARY or (name, arity) in _DECLARED
            if not known and (name, arity, statement.file) not in seen:
                seen.add((name, arity, statement.file))
                message = f"{name}/{arity} is used but never defined (and is no fact of the vocabulary in logic/README.md)"
                findings.append(LintFinding(shown_path(statement.file), statement.line, "error", "undefined", message))
    for statement in statements:
        if statement.file not in own:
            continue
        for name, arity in statement.heads:
            if (name, arity) in _DECLARED or (name, arity) in used or (name, arity, statement.file) in seen:
                continue
            seen.add((name, arity, statement.file))
            message = f"{name}/{arity} is defined but never used"
            findings.append(LintFinding(shown_path(statement.file), statement.line, "error", "unused", message))
    return findings


def lint(
    selection: Iterable[str] | None = None,
    tables: TableConfig | None = None,
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> list[LintFinding]:
    """Lint the selected packs (every built-in pack by default) against the loaded tables;
    packs that are not built in are grounded in a worker process within the limits."""
    loaded = load_tables(tables or TableConfig())
    findings: list[LintFinding] = []
    library = [s for path in library_files() for s in _statements(path)]
    folders = resolve_selection(selection)
    cpt_known = loaded.ncci_codes()
    all_statements: list[_Statement] = []
    owned: set[Path] = set()
    for folder in folders:
        try:
            pack, _ = load_pack(folder)
        except RuleError as exc:
            findings.append(_from_error(exc, folder / "pack.toml"))
            continue
        statements = [s for path in pack.files for s in _statements(path)]
        all_statements += statements
        owned |= set(pack.files)
        findings += _codes(statements, loaded, cpt_known)
        findings += _ranges(statements, loaded)
        findings += _untested(pack, folder)
        findings += _unfireable(pack, statements, loaded)
        findings += _untriggered(pack)
        for table in pack.relations:
            findings += _relation_rows(table, loaded, cpt_known)
    if not findings or all(f.level != "error" or f.code != "pack" for f in findings):
        try:
            load_rules([str(f) for f in folders], time_limit=time_limit, memory_limit=memory_limit)  # duplicate ids, grounding
        except RuleError as exc:
            findings.append(_from_error(exc, folders[0] / "pack.toml"))
    # the library's own definitions are judged when every built-in pack is linted together
    if selection is None or not list(selection):
        owned |= set(library_files())
        findings += _ranges(library, loaded)
    findings += _predicates(all_statements + (library if selection is None else []), library, owned)
    return sorted(set(findings))


def _known(code: str, section: str, tables: CodeTables, cpt_known: frozenset[str]) -> bool:
    if section == "cpt":
        return code in cpt_known
    table = tables.classification(section)
    if table is None:
        return True
    if len(code) == 1:
        return any(known.startswith(code) for known in table.titles)
    # a UK five-character code is known to a UK table; to the WHO table, by its four characters
    return code in table.titles or (len(code) == 6 and not getattr(table, "uk", True) and code[:5] in table.titles)


def _relation_rows(table: RelationTable, tables: CodeTables, cpt_known: frozenset[str]) -> list[LintFinding]:
    """Every code of every row is a code of the loaded tables (a typo would make the row
    judge nothing, silently); a row that relates a code to itself is suspect; and what a
    range covers is spelled out."""
    findings: list[LintFinding] = []
    where = shown_path(table.path)
    for row in table.rows:
        covered: dict[str, set[str]] = {}
        for column, section, _ in row.terms:
            covered[column] = set()
            for written in row.codes(column):
                codes = spans(written.upper(), section)
                covered[column] |= set(codes)
                unknown = [code for code in codes if not _known(code, section, tables, cpt_known)]
                if len(unknown) == len(codes):
                    what = "covers nothing" if len(codes) > 1 else "is no code"
                    message = f"{written} in column {column} {what} of the loaded {section} table ({row.standard})"
                    findings.append(LintFinding(where, row.line, "error", "table-code", message))
                elif len(codes) > 1:
                    known = [c for c in codes if c not in unknown]
                    names = "; ".join(f"{c} {tables.title(section, c)}".strip() for c in known)
                    level = "categories" if len(known[0]) == 3 else "codes"
                    message = f"{written} covers {len(known)} {section} {level}: {names}"
                    findings.append(LintFinding(where, row.line, "info", "range", message))
        if any(kind == "not-coded-with" for _, kind in table.rules):
            same = {a for a in covered.get("code", ()) for b in covered.get("other", ()) if a.startswith(b) or b.startswith(a)}
            if same:
                message = f"the row relates {', '.join(sorted(same))} to itself: every such code breaks it alone ({row.standard})"
                findings.append(LintFinding(where, row.line, "warning", "self-relation", message))
    return findings


def _untriggered(pack) -> list[LintFinding]:  # type: ignore[no-untyped-def]
    """Rules that say nowhere where they apply: no case can show them quiet, and no rate
    over them has a denominator (see nicelogic.asp.applicability)."""
    _, never = derive_applies(path.read_text(encoding="utf-8") for path in pack.files)
    return [
        LintFinding(
            shown_path(rule.file),
            rule.line,
            "error",
            "no-trigger",
            f'{rule.id} never says where it applies: add applies("{rule.id}", R, Section, Positions) :- <its trigger>.',
        )  # fmt: skip
        for rule in pack.rules
        if rule.id in never
    ]


def _untested(pack, folder: Path) -> list[LintFinding]:  # type: ignore[no-untyped-def]
    """Rules no case makes fire: record cases (``tests/*.txt``) and, for packs that read whole
    patients, patient cases (``tests/*.patients``)."""
    expected: set[str] = set()
    tests = folder / "tests"
    for path in sorted([*tests.glob("*.txt"), *tests.glob("*.patients")]) if tests.is_dir() else []:
        try:
            if path.suffix == ".patients":
                expected |= {rule for case in read_cases(path) for rule, _, _ in case.expect}
            else:
                expected |= {e.rule for case in load_cases(path) for e in case.expect}
        except (ValueError, CaseError) as exc:
            return [LintFinding(shown_path(path), 1, "error", "tests", str(exc))]
    return [
        LintFinding(
            shown_path(rule.file),
            rule.line,
            "error",
            "untested",
            f"rule {rule.id} has no test case in {shown_path(folder / 'tests')} that makes it fire",
        )
        for rule in pack.rules
        if rule.id not in expected
    ]


def _unfireable(pack, statements: Sequence[_Statement], tables: CodeTables) -> list[LintFinding]:  # type: ignore[no-untyped-def]
    empty = tables.empty_predicates()
    findings = []
    for rule in pack.rules:
        reads = {name for s in statements if s.file == rule.file and s.is_violation for name, _ in s.body}
        missing = sorted(reads & empty)
        if missing and not rule.needs:
            provided = f"they provide no {', '.join(missing)} facts"
            message = f"rule {rule.id} can never fire with the loaded tables: {provided} (declare needs)"
            findings.append(LintFinding(shown_path(rule.file), rule.line, "error", "never-fires", message))
    return findings


__all__ = ["LintFinding", "lint"]
