"""Annotated record files: records with the result they must give, for rule tests and
documented examples.

    # expect: nice.htg3.site-code @ opcs:1
    ep1: opcs V44.4 V55.1 Y53.4; icd M80.0
    # ok: nice.htg3
    ep2: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0
    # ok
    ep3: opcs W35.1 Y53.4

``# expect: RULE @ SECTION:POS[,POS...]`` expects that violation; ``@ SECTION`` alone a
violation of the record as a whole; without ``@`` any violation of RULE. For each rule a
record expects, the violations of that rule must be exactly the expected ones.
``# expect: input.rejected`` expects the record to be rejected. ``# ok: TARGET ...``
expects no violation of the named rules or packs; a bare ``# ok`` no violation at all.
``# completes-to: RECORD`` expects RECORD to be a valid completion of the (partial) record;
``# no-completion[: RULE ...]`` expects none, for the named rules; ``# candidates: CODES``
adds codes a completion may insert, as ``--candidates`` does. ``# todo: WHY`` skips
the case and says why. Annotations apply to the next record line; other ``#`` lines are
comments.

Reading the format is here, beside the packs it belongs to; running cases against a
checker is in :mod:`nicelogic.authoring.cases`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nicelogic.errors import CaseError

REJECTED = "input.rejected"
_ANNOTATION = re.compile(r"^\s*#\s*(expect|ok|todo|completes-to|no-completion|candidates)\s*(?::\s*(.*?))?\s*$")
_EXPECT = re.compile(r"^(?P<rule>[A-Za-z0-9._-]+)(?:\s*@\s*(?P<section>opcs|icd10|cpt)(?::(?P<positions>[0-9, ]+))?)?$")


@dataclass(frozen=True, slots=True)
class Expectation:
    rule: str
    section: str | None = None  # None: anywhere
    positions: tuple[int, ...] | None = None  # None: any; (): the record as a whole

    def matches(self, rule: str, section: str, positions: tuple[int, ...]) -> bool:
        return (
            rule == self.rule
            and (self.section is None or self.section == section)
            and (self.positions is None or self.positions == positions)
        )

    def __str__(self) -> str:
        where = ""
        if self.section:
            where = f" @ {self.section}" + (":" + ",".join(map(str, self.positions)) if self.positions else "")
        return self.rule + where


@dataclass(frozen=True, slots=True)
class Case:
    """One annotated record."""

    source: str
    line: int  # the record's line
    text: str
    expect: tuple[Expectation, ...] = ()
    ok: tuple[str, ...] | None = None  # rule ids or pack names; () for "no violation at all"
    todo: str | None = None
    completes_to: tuple[str, ...] = ()
    no_completion: tuple[str, ...] | None = None  # rules the conflict must name
    candidates: tuple[str, ...] = ()  # codes a completion may add beyond the rules' own (--candidates)

    @property
    def name(self) -> str:
        return f"{self.source}:{self.line}"


def parse_cases(lines: Iterable[str], source: str) -> list[Case]:
    cases: list[Case] = []
    expect: list[Expectation] = []
    ok: list[str] | None = None
    todo: str | None = None
    completes_to: list[str] = []
    no_completion: list[str] | None = None
    candidates: list[str] = []
    pending_line = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        match = _ANNOTATION.match(text)
        if match:
            kind, argument = match.group(1), (match.group(2) or "").strip()
            pending_line = pending_line or number
            if kind == "expect":
                expect.append(_expectation(argument, source, number))
            elif kind == "ok":
                ok = (ok or []) + argument.replace(",", " ").split()
            elif kind == "todo":
                todo = argument or "todo"
            elif kind == "completes-to":
                if not argument:
                    raise CaseError(f"{source}:{number}: completes-to needs a record")
                completes_to.append(argument)
            elif kind == "candidates":
                candidates += argument.replace(",", " ").split()
            else:
                no_completion = argument.replace(",", " ").split()
            continue
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        cases.append(
            Case(
                source,
                number,
                text,
                tuple(expect),
                tuple(ok) if ok is not None else None,
                todo,
                tuple(completes_to),
                tuple(no_completion) if no_completion is not None else None,
                tuple(candidates),
            )
        )
        expect, ok, todo, completes_to, no_completion, candidates, pending_line = [], None, None, [], None, [], 0
    if pending_line:
        raise CaseError(f"{source}:{pending_line}: annotation without a record after it")
    return cases


def _expectation(argument: str, source: str, line: int) -> Expectation:
    match = _EXPECT.match(argument)
    if not match:
        raise CaseError(f"{source}:{line}: cannot read expectation {argument!r} (expected RULE [@ SECTION[:POS,...]])")
    positions = None
    if match.group("section"):
        numbers = [p for p in re.split(r"[ ,]+", match.group("positions") or "") if p]
        positions = tuple(sorted({int(p) for p in numbers}))
    return Expectation(match.group("rule"), match.group("section"), positions)


def load_cases(path: Path) -> list[Case]:
    return parse_cases(path.read_text(encoding="utf-8").splitlines(), str(path))
