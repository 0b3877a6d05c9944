"""What the rule packs find in each coding of an episode: the violations the audited coding
removes, those it introduces, and those both share (a standard broken in both codings is a
training point, not a disagreement). A violation is the rule and the codes it blames, not
their positions, which move when a code is added or dropped before them."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from nicelogic.results import RecordResult


class Change(enum.StrEnum):
    REMOVED = "removed"  # in the original only: the auditor's coding does not break it
    INTRODUCED = "introduced"  # in the audited coding only
    SHARED = "shared"  # in both


def violation_keys(result: RecordResult) -> list[str]:
    """Each violation (not waived) of a checked record, as ``rule<TAB>section<TAB>codes``."""
    return sorted({f"{v.rule}\t{v.section}\t{' '.join(v.codes)}" for v in result.violations})


def changes(original: Iterable[str], audited: Iterable[str]) -> list[tuple[Change, str, str, str]]:
    """``(change, rule, section, codes)`` for every violation of either coding."""
    before, after = set(original), set(audited)
    found = []
    for key in sorted(before | after):
        change = Change.SHARED if key in before and key in after else (Change.REMOVED if key in before else Change.INTRODUCED)
        rule, section, codes = key.split("\t")
        found.append((change, rule, section, codes))
    return found
