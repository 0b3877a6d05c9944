"""A violation's message: the rule's template filled with the fields of the codes it blames.

The fields a template may use are :data:`nicelogic.rules.metadata.MESSAGE_FIELDS`, checked
when the pack loads.
"""

from __future__ import annotations

from nicelogic.asp.solve import Finding
from nicelogic.model import Record, System
from nicelogic.rules.metadata import Rule


class Detail(tuple[str, ...]):
    """A rule's detail term in a message: ``{detail}`` shows its parts joined by commas,
    ``{detail[0]}`` one part."""

    def __format__(self, spec: str) -> str:
        return format(", ".join(self), spec)


def render_message(rule: Rule, record: Record, system: System, finding: Finding, codes: list[str], code_title: str = "") -> str:
    first = codes[0] if codes else ""
    fields = {
        "code": first,
        "code_title": code_title or first,
        "codes": ", ".join(codes),
        "position": finding.positions[0] if finding.positions else "",
        "positions": ", ".join(str(p) for p in finding.positions),
        "section": system.value,
        "system": system.label,
        "chapter": first[:1],
        "category": first[:3] if system is not System.CPT else first,
        "record": record.id,
        "detail": Detail(finding.detail),
    }
    try:
        return rule.message.format_map(fields)
    except (IndexError, KeyError, ValueError):  # a template valid at load but not for these codes
        return rule.message
