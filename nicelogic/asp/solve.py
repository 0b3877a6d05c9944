"""Grounding and solving batches of record forms with clingo.

One ``Control`` grounds the rule program together with thousands of records, each under
its own small integer; a fresh ``Control`` per batch keeps memory flat (clingo never
forgets a program part added to a long-lived one).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import clingo
import clingo.ast

from nicelogic.asp.facts import bind_form
from nicelogic.asp.reach import SMALL_BATCH
from nicelogic.asp.relevance import relevant_program
from nicelogic.errors import LimitExceeded, RuleError
from nicelogic.model import System
from nicelogic.resources import logic_dir
from nicelogic.rules.packs import RuleSet


@dataclass(frozen=True, slots=True)
class Finding:
    """A violation atom as derived, before it is tied back to a record's codes."""

    rule: str
    section: str
    positions: tuple[int, ...]
    detail: tuple[str, ...] = ()
    applies: bool = False  # where the rule applies (applies/4), not a violation
    row: int | None = None  # the relation-table row (its line) that fired or applies: detail row(N)


def _positions(term: clingo.Symbol) -> tuple[int, ...] | None:
    if term.type == clingo.SymbolType.Number:
        return () if term.number == 0 else (term.number,)
    if term.type == clingo.SymbolType.Function and term.name == "":
        items = tuple(a.number for a in term.arguments if a.type == clingo.SymbolType.Number)
        return items if len(items) == len(term.arguments) else None
    return None


def _row(term: clingo.Symbol) -> int | None:
    """N of the detail row(N) that relation rules give (logic/lib/relations.lp)."""
    if term.type == clingo.SymbolType.Function and term.name == "row" and len(term.arguments) == 1:
        number = term.arguments[0]
        return number.number if number.type == clingo.SymbolType.Number else None
    return None


def _finding(symbol: clingo.Symbol) -> tuple[int, Finding]:
    """A violation/4, violation/5, applies/4 or applies/5 atom, read."""
    args = symbol.arguments
    rule, record, section, where = args[0], args[1], args[2], args[3]
    positions = _positions(where)
    if rule.type != clingo.SymbolType.String or record.type != clingo.SymbolType.Number or positions is None:
        raise RuleError(f'malformed output atom {symbol}: expected {symbol.name}("id", R, Section, Positions[, Detail])')
    detail: tuple[str, ...] = ()
    row = _row(args[4]) if len(args) == 5 else None
    if len(args) == 5 and row is None:
        term = args[4]
        parts = term.arguments if term.type == clingo.SymbolType.Function and term.name == "" else [term]
        detail = tuple(p.string if p.type == clingo.SymbolType.String else str(p) for p in parts)
    section_name = section.name if section.type == clingo.SymbolType.Function else str(section)
    applies = symbol.name == "applies"
    return record.number, Finding(rule.string, section_name, tuple(sorted(set(positions))), detail, applies, row)


# The common shape of an output atom, read from its text: one call into clingo for the text
# instead of one per argument (a run reads millions). Anything else (a detail other than
# row(N), an escape in the rule id) is read argument by argument by _finding.
_ATOM = re.compile(
    r'(violation|applies)\("([^"\\]*)",(\d+),([a-z][A-Za-z0-9_]*),(\d+|\((?:\d+,)+\)|\(\d+(?:,\d+)+\))(?:,row\((\d+)\))?\)'
)


# Findings read from text, by the atom's text without its record: the same few thousand
# recur across the records of a run (most are where a rule applies)
_READ: dict[tuple[str, ...], Finding] = {}
_READ_SIZE = 100_000


def _finding_text(text: str) -> tuple[int, Finding] | None:
    """An output atom read from its text, when it has the common shape; else None."""
    match = _ATOM.fullmatch(text)
    return None if match is None else _finding_match(match)


def _finding_match(match: re.Match[str]) -> tuple[int, Finding]:
    name, rule, record, section, where, row = match.groups()
    key = (name, rule, section, where, row or "")
    finding = _READ.get(key)
    if finding is None:
        positions = tuple(sorted({int(p) for p in where.strip("()").split(",") if p})) if where[0] == "(" else (
            () if where == "0" else (int(where),)
        )  # fmt: skip
        finding = Finding(rule, section, positions, (), name == "applies", int(row) if row else None)
        if len(_READ) >= _READ_SIZE:
            _READ.clear()
        _READ[key] = finding
    return int(record), finding


# One atom of the common shape at the start of the rest of a model's text, and what follows it
_NEXT_ATOM = re.compile(_ATOM.pattern + r"(?=[,)])")


def _read_model(symbols: Sequence[clingo.Symbol]) -> Iterator[tuple[int, Finding]]:
    """The findings of a model's shown atoms. The whole model is turned into text in one
    call into clingo (one call per atom costs more than the solve) and read atom by atom;
    an atom of another shape is read from its own symbol, and skipped past in the text."""
    text = str(clingo.Function("", symbols))  # "(atom,atom,...)": each atom's text is str(symbol)
    position = 1
    for symbol in symbols:
        match = _NEXT_ATOM.match(text, position)
        if match is not None:
            position = match.end() + 1
            yield _finding_match(match)
            continue
        own = str(symbol)
        position += len(own) + 1
        if symbol.name in ("violation", "applies") and len(symbol.arguments) in (4, 5):
            yield _finding_text(own) or _finding(symbol)


# clingo options for a program that must have exactly one answer (a check pack, record- or
# patient-level): clingo stops at the first answer unless asked for a second, and without
# the second a pack with several (an even loop through negation) would pass unnoticed
ONE_ANSWER_OPTIONS = ("--warn=none", "--models=2")


# what a run that asks where rules apply loads: the #show of applies/4 and applies/5, and
# where the rows of relation tables apply
APPLICABILITY = tuple(sorted((logic_dir() / "applicability").glob("*.lp")))


def _models(handle: clingo.SolveHandle, time_limit: float | None) -> Iterator[clingo.Model]:
    """The models of a solve; with a time limit, the solve runs in clingo's own thread and
    is cancelled when the limit is reached."""
    if time_limit is None:
        yield from handle
        return
    deadline = time.monotonic() + time_limit
    while True:
        handle.resume()
        if not handle.wait(max(0.0, deadline - time.monotonic())):
            handle.cancel()
            raise LimitExceeded("time", time_limit)
        model = handle.model()
        if model is None:
            return
        yield model


@functools.cache
def _applicability_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in APPLICABILITY)


@functools.lru_cache(maxsize=4)
def _with_applicability(program: str, applies_program: str) -> str:
    """A rule set's program with the rules saying where rules apply: joined once, so that
    every batch hands the same text to :func:`relevant_program` (whose cache hashes it)."""
    return "\n".join((program, applies_program, _applicability_text()))


def solve_forms(
    ruleset: RuleSet, forms: Sequence[str], table_facts: str = "", *, applicability: bool = False,
    time_limit: float | None = None, codes: Mapping[System, Iterable[str]] | None = None,
) -> list[tuple[Finding, ...]]:  # fmt: skip
    """The findings for each record form, in order, from one grounding of all of them
    together with the table facts for their codes; with ``applicability``, also where
    each rule applies. Given the ``codes`` of the forms, only the rows of relation tables
    they can trigger (:mod:`nicelogic.asp.relevance`) and, in a small batch, the rules its
    facts can reach (:mod:`nicelogic.asp.reach`) are grounded; without them, the whole program. The solve is cancelled
    after ``time_limit`` seconds (:class:`LimitExceeded`); the grounding is bounded by what
    the caller lets in."""
    if not forms:
        return []
    ctl = clingo.Control(list(ONE_ANSWER_OPTIONS))
    facts = "\n".join(bind_form(form, number) for number, form in enumerate(forms, start=1))
    # parsed once per program: handing clingo parsed statements costs a third of parsing the text again
    program = _with_applicability(ruleset.program, ruleset.applies_program) if applicability else ruleset.program
    with clingo.ast.ProgramBuilder(ctl) as builder:
        relevant = relevant_program(program)
        if codes is not None and len(forms) <= SMALL_BATCH:
            statements: Iterable[clingo.ast.AST] = relevant.for_batch(codes, table_facts, forms)
        else:
            statements = relevant.for_codes(codes)
        for statement in statements:
            builder.add(statement)
    ctl.add("base", [], table_facts)
    ctl.add("base", [], facts)
    ctl.ground([("base", [])])
    found: list[set[Finding]] = [set() for _ in forms]
    models = 0
    with ctl.solve(yield_=True, async_=time_limit is not None) as handle:
        for model in _models(handle, time_limit):
            models += 1
            if models > 1:
                break
            for number, finding in _read_model(model.symbols(shown=True)):
                if 1 <= number <= len(forms):
                    found[number - 1].add(finding)  # (P,Q) and (Q,P) are one finding
    if models != 1:
        raise RuleError(
            "the rule program has no single answer for this batch "
            f"({'none' if models == 0 else 'several'}): a check pack must only derive violations"
        )
    return [tuple(sorted(f, key=lambda x: (x.applies, x.positions, x.rule, x.detail, x.row or 0))) for f in found]
