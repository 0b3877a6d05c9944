"""A violation's message: the rule's template filled with the fields of the codes it blames.

The fields a template may use are those of :mod:`nicelogic.rules.templates`, checked
when the pack loads.
"""

from __future__ import annotations

from nicelogic.asp.solve import Finding
from nicelogic.model import Record, System
from nicelogic.rules.metadata import Rule
from nicelogic.rules.templates import message_fields


def render_message(
    rule: Rule, record: Record, system: System, finding: Finding, codes: list[str], code_title: str = "", standard: str = ""
) -> str:
    fields = message_fields(
        codes, finding.positions, system.value, system.label, record.id, finding.detail, code_title,
        whole_code_is_category=system is System.CPT, standard=standard,
    )  # fmt: skip
    try:
        return rule.message.format_map(fields)
    except (IndexError, KeyError, ValueError):  # a template valid at load but not for these codes
        return rule.message
