"""Message templates: the fields a rule's ``message`` may use, and their values.

Written once, here: the loader refuses a template that names any other field (and any
attribute or index access but ``{detail[N]}``), and the checker fills exactly these.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Any


class Detail(tuple[str, ...]):
    """A rule's detail term in a message: ``{detail}`` shows its parts joined by commas,
    ``{detail[0]}`` one part."""

    def __format__(self, spec: str) -> str:
        return format(", ".join(self), spec)


def message_fields(
    codes: Sequence[str], positions: Sequence[int], section: str, system_label: str, record_id: str,
    detail: Sequence[str] = (), code_title: str = "", whole_code_is_category: bool = False, standard: str = "",
) -> dict[str, Any]:  # fmt: skip
    """The value of every field for one violation: the codes it blames, where, and why."""
    first = codes[0] if codes else ""
    return {
        "code": first,
        "code_title": code_title or first,
        "codes": ", ".join(codes),
        "position": positions[0] if positions else "",
        "positions": ", ".join(str(p) for p in positions),
        "section": section,
        "system": system_label,
        "chapter": first[:1],
        "category": first if whole_code_is_category else first[:3],
        "record": record_id,
        "detail": Detail(detail),
        "standard": standard,  # a relation rule's row: the standard it cites
    }


MESSAGE_FIELDS = frozenset(message_fields((), (), "", "", ""))

_FIELD = re.compile(r"^(?P<name>[a-z_]+)(?:\[(?P<index>\d+)\])?$")


def template_problem(message: str) -> str | None:
    """Why a message template cannot be used, or None. Only the documented fields, by
    name, with ``{detail[N]}`` the one index: a pack is data, and attribute or index access
    in a format string would let it read the program's memory (``{code.__class__...}``)."""
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError as exc:
        return f"message template is malformed: {exc}"
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        match = _FIELD.match(field)
        known = ", ".join(sorted(MESSAGE_FIELDS))
        if match and match["name"] not in MESSAGE_FIELDS:
            return f"message uses unknown field(s) {match['name']} (known: {known}; detail[N])"
        if not match:
            return f"message field {{{field}}}: a field is used by name only (known: {known}; detail[N]), no attribute or index"
        if match["index"] is not None and match["name"] != "detail":
            return f"message field {{{field}}}: only detail can be indexed"
        if spec and "{" in spec:
            return f"message field {{{field}}}: a format specification cannot hold another field"
    return None
