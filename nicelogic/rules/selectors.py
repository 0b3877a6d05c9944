"""Naming rules on the command line, in configuration and in waivers.

A selector names a rule by its id (``opcs.spinal-levels-second``), a pack by its name
(``nice.htg3``, ``opcs4``), or a group of rules by a prefix of their ids: ``nice`` or
``nice.`` selects every rule whose id starts with ``nice.``. A prefix matches only at a
dot or dash, so ``opcs.spinal`` selects ``opcs.spinal-levels-second`` but ``opc`` selects
nothing. This is how ruff's ``--select E4`` and sqlfluff's ``--rules`` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class _Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def pack(self) -> str: ...


def split_selectors(values: Iterable[str]) -> tuple[str, ...]:
    """Selectors given repeated or comma-separated, in order, without duplicates."""
    parts = (part.strip() for value in values for part in value.replace(";", ",").split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


def matches(selector: str, rule_id: str, pack: str) -> bool:
    if selector in (rule_id, pack):
        return True
    if selector.endswith((".", "-")):
        return rule_id.startswith(selector)
    return rule_id.startswith(selector + ".") or rule_id.startswith(selector + "-")


def matched(selector: str, rules: Mapping[str, _Named]) -> list[str]:
    """Ids of the rules a selector names."""
    return [rule_id for rule_id, rule in rules.items() if matches(selector, rule_id, rule.pack)]


def unmatched(selectors: Iterable[str], rules: Mapping[str, _Named]) -> list[str]:
    """Selectors that name none of the rules: almost always a typo."""
    return [s for s in selectors if not matched(s, rules)]


class RuleFilter:
    """Which rules' violations are reported: ``select`` (all when empty) less ``ignore``."""

    def __init__(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
        self.select = split_selectors(select)
        self.ignore = split_selectors(ignore)

    def __bool__(self) -> bool:
        return bool(self.select or self.ignore)

    def keeps(self, rule_id: str, pack: str) -> bool:
        selected = not self.select or any(matches(s, rule_id, pack) for s in self.select)
        return selected and not any(matches(s, rule_id, pack) for s in self.ignore)
