"""Which codes a completion may insert: the codes of the categories the rules mention.

Enumerating over all 10,000 OPCS-4 codes is hopeless and pointless: a code no rule
mentions can never help a record become valid. The candidates are drawn from the loaded
tables, restricted to what the rule program names:

- code literals (``"V44.4"``, ``"22511"``) and category literals (``"V55"``) anywhere in
  the selected rules or the built-in packs, in the sections whose table knows them;
- OPCS-4 chapters named in ``chapter(R, opcs, P, "Z")`` atoms, but only where no category
  of the chapter is named (grounding grows with every candidate: 1,900 codes of chapters
  V, Y and Z took 0.3 s to ground, the 150 of the named categories 40 ms); ICD-10 chapters
  are not expanded (the external-cause chapters alone hold thousands of codes, and rules
  name them only to forbid them in first place);
- for CPT, the primary codes of the add-on codes given (from the NCCI add-on table);
- any categories or codes the caller adds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import clingo
from clingo import ast

from .model import System
from .packs import RuleSet, load_rules
from .tables import CodeTables

_CODE = re.compile(r"^[A-Z][0-9]{2}\.[0-9]{1,2}$")
_CATEGORY = re.compile(r"^[A-Z][0-9]{2}$")
_CPT = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")


@dataclass(frozen=True)
class Mentions:
    strings: frozenset[str]  # every string literal of the rule program
    opcs_chapters: frozenset[str]


class _Strings(ast.Transformer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.strings: set[str] = set()
        self.chapters: set[str] = set()

    def visit_SymbolicTerm(self, node: ast.AST) -> ast.AST:
        if node.symbol.type == clingo.SymbolType.String:
            self.strings.add(node.symbol.string)
        return node

    def visit_SymbolicAtom(self, node: ast.AST) -> ast.AST:
        term = node.symbol
        if term.ast_type == ast.ASTType.Function and term.name == "chapter" and len(term.arguments) == 4:
            section, letter = term.arguments[1], term.arguments[3]
            if (
                section.ast_type == ast.ASTType.SymbolicTerm
                and str(section.symbol) == "opcs"
                and letter.ast_type == ast.ASTType.SymbolicTerm
                and letter.symbol.type == clingo.SymbolType.String
            ):
                self.chapters.add(letter.symbol.string)
        return node.update(**self.visit_children(node))


@cache
def mentions(program: str) -> Mentions:
    collector = _Strings()
    ast.parse_string(program, collector)
    return Mentions(frozenset(collector.strings), frozenset(collector.chapters))


def candidates(
    ruleset: RuleSet,
    tables: CodeTables,
    sections: Iterable[System],
    given: Mapping[System, Iterable[str]] | None = None,
    extra: Iterable[str] = (),
) -> dict[System, set[str]]:
    """Candidate codes per section for completing a record with these rules and tables."""
    # The vocabulary of every built-in pack, not only the selected ones: a pack that asks
    # for "a diagnosis" names none, while another names the indications of the procedure.
    found = mentions(ruleset.program)
    builtin = mentions(load_rules().program)
    words = set(found.strings) | set(builtin.strings) | {e.strip().upper() for e in extra if e.strip()}
    given = given or {}
    out: dict[System, set[str]] = {}
    for system in sections:
        chosen: set[str] = set()
        if system is System.CPT:
            chosen |= {w for w in words if _CPT.match(w)}
            addons = {c for c in given.get(System.CPT, ())}
            chosen |= set(tables.ncci.primaries(addons)) if addons else set()
        else:
            table = tables.opcs if system is System.OPCS else tables.icd10
            valid = [code for code in table.titles if table.is_code(code)]
            categories = {w for w in words if _CATEGORY.match(w)}
            codes = {w for w in words if _CODE.match(w)}
            # a given code's siblings are candidates too (wildcards, replacements)
            categories |= {c[:3] for c in given.get(system, ())}
            # A chapter stands for all its codes only where the rules name none of its
            # categories: chapter Y is named, but only Y53, Y68, Y10.2 and Y78 matter.
            named = {c[0] for c in categories | codes}
            chapters = (set(found.opcs_chapters) | set(builtin.opcs_chapters)) - named if system is System.OPCS else set()
            chapters |= {w.strip().upper() for w in extra if len(w.strip()) == 1}
            chosen = {c for c in valid if c[:3] in categories or c in codes or c[0] in chapters}
        out[system] = chosen
    return out
