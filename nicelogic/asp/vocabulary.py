"""The fact vocabulary, read from ``logic/lib/vocabulary.lp``, where it is written once.

Each fact there is declared with ``#defined`` and documented on a ``%@`` line above it
(``%@ code(R, S, P, C) | meaning | example``), in groups (``%@ group record: ...``).
Python asks this module which facts exist, which carry the section as their second
argument, which are record attributes and which come from the code tables; lint asks
which predicates a rule may read; ``logic/README.md`` shows the table it generates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from nicelogic.resources import logic_dir

_GROUP = re.compile(r"^%@ group (?P<name>\w+): (?P<about>.*)$")
_FACT = re.compile(r"^%@ (?P<name>\w+)\((?P<args>[^)]*)\) \| (?P<meaning>.*?) \|(?P<example>.*)$")
_DEFINED = re.compile(r"^#defined (?P<name>\w+)/(?P<arity>\d+)\.$")


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    arguments: tuple[str, ...]
    meaning: str
    example: str
    group: str

    @property
    def arity(self) -> int:
        return len(self.arguments)

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.arguments)})"


@dataclass(frozen=True)
class Vocabulary:
    facts: tuple[Fact, ...]
    groups: tuple[tuple[str, str], ...]  # (name, what the group holds)

    def of(self, group: str) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.group == group)

    @property
    def predicates(self) -> frozenset[tuple[str, int]]:
        return frozenset((f.name, f.arity) for f in self.facts)


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary as ``logic/lib/vocabulary.lp`` declares it; a ``%@`` line without
    its ``#defined`` (or the reverse) is a mistake in that file and stops here."""
    path = logic_dir() / "lib" / "vocabulary.lp"
    facts: list[Fact] = []
    groups: list[tuple[str, str]] = []
    pending: Fact | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if group := _GROUP.match(line):
            groups.append((group["name"], group["about"]))
        elif fact := _FACT.match(line):
            arguments = tuple(a.strip() for a in fact["args"].split(",") if a.strip())
            pending = Fact(fact["name"], arguments, fact["meaning"].strip(), fact["example"].strip(), groups[-1][0])
        elif defined := _DEFINED.match(line):
            declared = (defined["name"], int(defined["arity"]))
            if pending is None or (pending.name, pending.arity) != declared:
                raise RuntimeError(f"{path}:{number}: #defined {declared[0]}/{declared[1]} lacks its %@ line above it")
            facts.append(pending)
            pending = None
    return Vocabulary(tuple(facts), tuple(groups))


def section_predicates() -> frozenset[str]:
    """Record facts whose second argument is the section."""
    return frozenset(f.name for f in vocabulary().facts if f.arguments[1:2] == ("S",) and f.group == "record")


def record_attributes() -> frozenset[str]:
    return frozenset(f.name for f in vocabulary().of("attribute"))


def table_predicates() -> dict[str, int]:
    return {f.name: f.arity for f in vocabulary().of("table")}


def markdown() -> str:
    """The table of logic/README.md, section "Facts a rule can read"."""
    out: list[str] = []
    for group, about in vocabulary().groups:
        out += [f"**{about[0].upper()}{about[1:]}.**", "", "| fact | meaning | example |", "|---|---|---|"]
        out += [f"| `{f.signature}` | {f.meaning} | {f'`{f.example}`' if f.example else ''} |" for f in vocabulary().of(group)]
        out.append("")
    return "\n".join(out)
