"""Which codes a completion may insert: the codes of the categories the rules mention.

Enumerating over all 10,000 OPCS-4 codes is hopeless and pointless: a code no rule
mentions can never help a record become valid. The candidates are drawn from the loaded
tables, restricted to what the rule program names:

- code literals (``"V44.4"``, ``"22511"``) and category literals (``"V55"``) anywhere in
  the selected rules or the built-in packs, in the sections whose table knows them;
- from relation tables, the procedures of rows that ask for a code, and the codes that
  mend a row about one of the guidance's procedures or about a code the record holds
  (see ``_table_words``);
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

from clingo import ast

from nicelogic.asp.facts import SECTION_PREDICATES
from nicelogic.asp.syntax import atoms_of, statements, strings_of
from nicelogic.model import System
from nicelogic.rules.packs import RuleSet, load_rules
from nicelogic.rules.relations import spans
from nicelogic.tables import CodeTables

_CODE = re.compile(r"^[A-Z][0-9]{2}\.[0-9]{1,2}$")
_CATEGORY = re.compile(r"^[A-Z][0-9]{2}$")
_CPT = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")


@dataclass(frozen=True)
class Mentions:
    by_section: Mapping[str, frozenset[str]]  # literals in atoms about one section
    anywhere: frozenset[str]  # literals elsewhere (comparisons, pools): any section
    opcs_chapters: frozenset[str]

    def words(self, section: str) -> set[str]:
        return set(self.anywhere) | set(self.by_section.get(section, ()))


def _section_of(atom: ast.AST) -> str | None:
    term = atom.symbol
    if term.ast_type != ast.ASTType.Function or term.name not in SECTION_PREDICATES or len(term.arguments) < 2:
        return None
    section = term.arguments[1]
    return str(section.symbol) if section.ast_type == ast.ASTType.SymbolicTerm else None


def _relation_code(atom: ast.AST) -> tuple[str, str, str] | None:
    """(section, kind of term, code) of a ``relation_code`` fact: ``sub("M80", 0)`` is M80.0."""
    term = atom.symbol
    if term.ast_type != ast.ASTType.Function or term.name != "relation_code" or len(term.arguments) != 5:
        return None
    section, value = term.arguments[3], term.arguments[4]
    if section.ast_type != ast.ASTType.SymbolicTerm or value.ast_type != ast.ASTType.Function:
        return None
    parts = [str(a.symbol.string) if a.symbol.type.name == "String" else str(a.symbol) for a in value.arguments
             if a.ast_type == ast.ASTType.SymbolicTerm]  # fmt: skip
    if not parts:
        return None
    word = f"{parts[0]}.{parts[1]}" if value.name == "sub" and len(parts) == 2 else parts[0]
    return str(section.symbol), value.name, word


@cache
def mentions(texts: tuple[str, ...]) -> Mentions:
    by_section: dict[str, set[str]] = {}
    chapters: set[str] = set()
    everything: set[str] = set()
    in_atoms: set[str] = set()

    def statement(stm: ast.AST) -> None:
        everything.update(strings_of(stm))
        for atom in atoms_of(stm):
            if _relation_code(atom) is not None:  # a relation row written in a rule file: see _table_words
                in_atoms.update(strings_of(atom))
                continue
            section = _section_of(atom)
            if section is None:
                continue
            strings = strings_of(atom)
            by_section.setdefault(section, set()).update(strings)
            in_atoms.update(strings)
            if atom.symbol.name == "chapter" and section == "opcs":
                chapters.update(strings)

    for text in texts:
        for stm in statements(text):
            statement(stm)
    return Mentions({k: frozenset(v) for k, v in by_section.items()}, frozenset(everything - in_atoms), frozenset(chapters))


def _rule_texts(ruleset: RuleSet) -> tuple[str, ...]:
    """The rule files' texts without the relation tables' facts, which _table_words reads
    as tables (parsing the national standards' thousands of facts took most of a second)."""
    return tuple(text for path, text in zip(ruleset.files, ruleset.texts, strict=True) if path.suffix != ".tsv")


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
    found = mentions(_rule_texts(ruleset))
    builtin = mentions(_rule_texts(load_rules()))
    extras = {e.strip().upper() for e in extra if e.strip()}
    given = given or {}
    out: dict[System, set[str]] = {}
    held = {system: {str(c).upper() for c in given.get(system, ())} | extras for system in sections}
    from_tables = _table_words((ruleset, load_rules()), held)
    for system in sections:
        words = found.words(system.value) | builtin.words(system.value) | extras
        words |= from_tables.get(system.value, set())
        chosen: set[str] = set()
        if system is System.CPT:
            chosen |= {w for w in words if _CPT.match(w)}
            addons = {c for c in given.get(System.CPT, ())}
            chosen |= set(tables.ncci.primaries(addons)) if addons else set()
        else:
            table = tables.classification(system)
            assert table is not None
            valid = [code for code in table.titles if table.is_code(code)]
            categories = {w for w in words if _CATEGORY.match(w)}
            codes = {w for w in words if _CODE.match(w)}
            # a given code's siblings are candidates too (wildcards, replacements)
            categories |= {c[:3] for c in given.get(system, ())}
            # A chapter stands for all its codes only where the rules name none of its
            # categories: chapter Y is named, but only Y53, Y68, Y10.2 and Y78 matter.
            named = {c[0] for c in categories | codes}
            table_chapters = {w for w in from_tables.get(system.value, ()) if len(w) == 1}
            chapters = set(found.opcs_chapters) | set(builtin.opcs_chapters) | table_chapters
            chapters = chapters - named if system is System.OPCS else set()
            chapters |= {w.strip().upper() for w in extra if len(w.strip()) == 1}
            chosen = {c for c in valid if c[:3] in categories or c in codes or c[0] in chapters}
        out[system] = chosen
    return out


# The column of a relation kind whose codes mend a row when inserted (None: the kind names
# what it asks for itself, as V55 or a chapter Z site; kinds not listed only forbid).
_MENDING: dict[str, str | None] = {
    "levels-second": None,
    "group-has-image-approach": None,
    "group-has-site": None,
    "needs-diagnosis": None,
    "needs-one-of": "with",
    "group-has-one-of": "with",
    "group-site-one-of": "site",
    "must-directly-follow": "previous",
    "must-be-directly-followed-by": "next",
    "both-need-one-of": "with",
    "not-coded-with-unless": "unless",
}


def _related(word: str, other: str) -> bool:
    """One covers the other: a chapter its categories, a category its codes."""
    return word.startswith(other) or other.startswith(word)


def _table_words(rulesets: Iterable[RuleSet], held: Mapping[System, set[str]]) -> dict[str, set[str]]:
    """The codes (per section) of relation tables that a completion may insert: those of the
    rows that ask for a code (the codes of a table that only forbids never mend a record).

    Every procedure such a row is about (an OPCS-4 or CPT trigger) is a candidate, so that a
    repair may place one. A row's mending codes (a NICE recommendation's indications, sites
    and methods) are candidates for every record where its trigger is one of the guidance's
    procedures (a trigger of a row that asks for V55, an approach, a site or a diagnosis);
    any other row's (a national standard's "U21 is coded with one of Z01-Z93 Z95-Z99", "C77-C79
    with one of C00-C76 C80 Z85 D32.9") only for a record that holds its trigger: the
    standards name thousands of codes that no completion of another record needs, and each
    candidate costs grounding in every slot."""
    rows: list[tuple[str, set[str], str, set[str]]] = []  # trigger section and words, mending section and words
    guidance: dict[str, set[str]] = {}
    words: dict[str, set[str]] = {}
    seen: set[tuple[str, str]] = set()
    for ruleset in rulesets:
        for rule_id, table in ruleset.relations.items():
            kind = dict(table.rules).get(rule_id, "")
            if rule_id not in ruleset.rules or kind not in _MENDING or (rule_id, str(table.path)) in seen:
                continue
            seen.add((rule_id, str(table.path)))
            mending = _MENDING[kind]
            for row in table.rows:
                section_of = {name: section for name, section, _ in row.terms}
                section = section_of["code"]
                trigger = {w for text in row.codes("code") for w in spans(text, section)}
                if section != System.ICD10.value:
                    words.setdefault(section, set()).update(trigger)
                if mending is None:
                    guidance.setdefault(section, set()).update(trigger)
                else:
                    codes = {w for text in row.codes(mending) for w in spans(text, section_of[mending])}
                    rows.append((section, trigger, section_of[mending], codes))
    for section, trigger, mended, codes in rows:
        about = held.get(System(section), set()) | guidance.get(section, set())
        if any(_related(t, w) for t in trigger for w in about):
            words.setdefault(mended, set()).update(codes)
    return words
