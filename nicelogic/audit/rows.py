"""The rows an audit writes, one shape for CSV and for the results database: one per
episode (or per record that could not be compared), one per compared code, one per
violation of either coding. Each column is named here once, with its type."""

from __future__ import annotations

from collections.abc import Sequence

from nicelogic.audit.compare import CodeType, EpisodeComparison, Outcome
from nicelogic.audit.matching import Entry
from nicelogic.audit.standards import Change

_COUNTED = tuple(o.value for o in Outcome)


def _count_columns() -> list[tuple[str, str]]:
    columns = []
    for code_type in CodeType:
        names = (*_COUNTED, "sequencing") if not code_type.primary else _COUNTED
        columns += [(f"{code_type.value}_{name}", "int") for name in names]
    return columns


# (name, type): "str", "int" or "bool"
EPISODE_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "str"), ("status", "str"), ("reason", "str"), ("original_source", "str"), ("original_line", "int"),
    ("audited_source", "str"), ("audited_line", "int"), ("coder", "str"), ("specialty", "str"), ("sections", "str"),
    *_count_columns(),
    ("violations_removed", "int"), ("violations_introduced", "int"), ("violations_shared", "int"),
)  # fmt: skip
CODE_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "str"), ("code_type", "str"), ("outcome", "str"), ("level", "str"), ("major", "bool"),
    ("audited_code", "str"), ("original_code", "str"), ("audited_position", "int"), ("original_position", "int"),
)  # fmt: skip
STANDARD_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "str"), ("change", "str"), ("rule", "str"), ("section", "str"), ("codes", "str"),
)  # fmt: skip
EPISODE_COLUMNS = tuple(name for name, _ in EPISODE_FIELDS)

Row = dict[str, object]


def _first(original: Entry | None, audited: Entry | None, name: str) -> object:
    """An attribute as the original input gives it, else as the audited input does."""
    for entry in (original, audited):
        if entry is not None and getattr(entry, name) is not None:
            return getattr(entry, name)
    return None


def episode_row(
    id: str,
    status: str,
    reason: str | None,
    original: Entry | None,
    audited: Entry | None,
    comparison: EpisodeComparison | None = None,
    changes: Sequence[tuple[Change, str, str, str]] = (),
    checked: bool = False,
) -> Row:
    row: Row = dict.fromkeys(EPISODE_COLUMNS)
    row.update(
        id=id, status=status, reason=reason,
        original_source=original.source if original else None, original_line=original.line if original else None,
        audited_source=audited.source if audited else None, audited_line=audited.line if audited else None,
        coder=_first(original, audited, "coder"), specialty=_first(original, audited, "specialty"),
    )  # fmt: skip
    if comparison is not None:
        row["sections"] = " ".join(section.value for section in comparison.compared)
        for code_type in comparison.code_types:
            counts = comparison.counts(code_type)
            for name in _COUNTED:
                row[f"{code_type.value}_{name}"] = getattr(counts, name)
            if not code_type.primary:
                row[f"{code_type.value}_sequencing"] = counts.sequencing
        if checked:
            for change in Change:
                row[f"violations_{change.value}"] = sum(1 for c in changes if c[0] is change)
    return row


def code_rows(id: str, comparison: EpisodeComparison) -> list[Row]:
    return [
        {
            "id": id,
            "code_type": code.code_type.value,
            "outcome": code.outcome.value,
            "level": code.level.value if code.level else None,
            "major": code.level.major if code.level else None,
            "audited_code": code.audited.text() if code.audited else None,
            "original_code": code.original.text() if code.original else None,
            "audited_position": code.audited_position,
            "original_position": code.original_position,
        }  # fmt: skip
        for code in comparison.codes
    ]


def standard_rows(id: str, changes: Sequence[tuple[Change, str, str, str]]) -> list[Row]:
    return [
        {"id": id, "change": change.value, "rule": rule, "section": section, "codes": codes}
        for change, rule, section, codes in changes
    ]
