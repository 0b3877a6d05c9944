"""Records as ASP facts, in the vocabulary declared in ``logic/lib/vocabulary.lp``.

The facts of one record are produced once as a *form*: text with the record argument
left open. Two records with the same form get the same verdict, so the form is also the
cache key, and it holds exactly what the rules can see.
"""

from __future__ import annotations

from collections.abc import Iterable

from nicelogic.asp.vocabulary import record_attributes, section_predicates, table_predicates
from nicelogic.model import Code, Record, System

# The vocabulary is declared once, in logic/lib/vocabulary.lp.
RECORD_ATTRIBUTES = record_attributes()
TABLE_PREDICATES = table_predicates()
SECTION_PREDICATES = section_predicates()

# Which record attributes to pass, and for records with which sections (None: any record).
AttributeScope = dict[str, frozenset[str] | None]

# Facts are written with this placeholder for the record argument and bound by
# bind_form(); it cannot occur in a quoted code (codes are [A-Z0-9.]).
_R = "\x00"


def quote(text: str) -> str:
    """A string as an ASP string constant: the one quoting of text that becomes a fact."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _code_facts(system: System, position: int, code: Code, out: list[str]) -> None:
    s, p = system.value, position
    out.append(f'code({_R},{s},{p},"{code.value}").')
    if system is System.CPT:
        out.append(f'category({_R},{s},{p},"{code.value}").')
        out.append(f"units({_R},{s},{p},{code.units}).")
        for modifier in code.modifiers:
            out.append(f'modifier({_R},{s},{p},"{modifier}").')
        return
    value = code.value
    out.append(f'category({_R},{s},{p},"{value[:3]}").')
    out.append(f'chapter({_R},{s},{p},"{value[0]}").')
    out.append(f"catnum({_R},{s},{p},{int(value[1:3])}).")
    if len(value) >= 5:
        out.append(f"subdivision({_R},{s},{p},{value[4]}).")
    if len(value) >= 6:
        out.append(f"extension({_R},{s},{p},{value[5]}).")
    if code.wildcard:
        out.append(f"wildcard({_R},{s},{p}).")
    if code.mark:
        out.append(f"mark({_R},{s},{p},{code.mark}).")


def wanted_attributes(record: Record, attributes: Iterable[str] | AttributeScope) -> set[str]:
    """The attributes of this record that the rules can see."""
    if not isinstance(attributes, dict):
        return set(attributes)
    present = {system.value for system, codes in record.sections if codes}
    return {name for name, sections in attributes.items() if sections is None or sections & present}


def record_form(record: Record, attributes: Iterable[str] | AttributeScope = ()) -> str:
    """The facts of one record with the record argument open; see :func:`bind_form`.

    ``attributes`` names the record attributes to include, or maps each to the sections
    that make it matter (an attribute only rules about CPT claims read is left out of a
    record without CPT codes, so that such records still share one form)."""
    out: list[str] = []
    for system, codes in record.sections:
        if not codes:
            continue
        out.append(f"section({_R},{system.value},{len(codes)}).")
        for position, code in enumerate(codes, start=1):
            _code_facts(system, position, code, out)
    wanted = wanted_attributes(record, attributes)
    if "sex" in wanted and record.sex is not None:
        out.append(f"sex({_R},{record.sex.value}).")
    if "age" in wanted and record.age is not None:
        out.append(f"age({_R},{record.age}).")
    if "date" in wanted and record.date is not None:
        out.append(f"date({_R},{record.date.replace('-', '')}).")
    return "\n".join(out)


def bind_form(form: str, r: int) -> str:
    """The facts of a form for record number ``r``."""
    return f"record({r}).\n" + form.replace(_R, str(r))


def record_facts(record: Record, r: int = 1, attributes: Iterable[str] = RECORD_ATTRIBUTES) -> str:
    """The facts of one record, for reading and for tests."""
    return bind_form(record_form(record, attributes), r)
