"""The rule-set revision a verdict was given under: pack versions and a content hash, so
that a caller can log what judged a record."""

from __future__ import annotations

import hashlib
from typing import Any

from nicelogic.rules.packs import Pack, RuleSet


def pack_digest(pack: Pack) -> str:
    """SHA-256 of a pack's rule files and its relation tables, as they were read once."""
    parts = [*pack.texts, *(table.facts() for table in pack.relations)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def revision(ruleset: RuleSet, table_versions: dict[str, str]) -> dict[str, Any]:
    """Each pack's name, version and digest, and one hash over every text solved and the
    code tables' editions."""
    everything = hashlib.sha256("\0".join(ruleset.texts).encode())
    everything.update(repr(sorted(table_versions.items())).encode())
    return {
        "packs": [{"name": p.name, "version": p.version, "sha256": pack_digest(p)} for p in ruleset.packs],
        "tables": dict(table_versions),
        "sha256": everything.hexdigest(),
    }
