"""Records of the text format, one per line (the grammar in ``grammar/records.lark``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from nicelogic.errors import InputProblem
from nicelogic.input.attributes import parse_date, waivers_of
from nicelogic.input.items import InputLine, undecodable
from nicelogic.input.jsonl import json_line
from nicelogic.input.records import id_from_text
from nicelogic.model import Episode, System

_WAIVE_COMMENT = re.compile(r"#\s*waive\s*:\s*(?P<rules>[^#]*)$")
# Where a record sits in a patient's history, for cases written by hand:
# "ep1: opcs W37.1 # patient: P1 # spell: S1 # date: 2020-01-01"
_ATTRIBUTE_COMMENT = re.compile(r"#\s*(?P<key>patient|spell|date)\s*:\s*(?P<value>[^#\s]*)")


def text_lines(
    lines: Iterable[str], source: str, default_system: System = System.OPCS, encoding: str = "utf-8"
) -> Iterator[InputLine]:
    """Records of the text format: one per line; blank lines and ``#`` comments skipped.
    A trailing ``# waive: RULE, ...`` comment waives the named rules for the record."""
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        bad = undecodable(text, encoding)
        if bad is not None:
            column, message = bad
            problem = InputProblem(message, number, column, "encoding")
            yield InputLine(source, number, "", default_system, id_from_text(text) or str(number), error=problem)
            continue
        waive = _WAIVE_COMMENT.search(text) if "#" in text else None  # most lines hold no comment
        waivers = waivers_of(waive.group("rules")) if waive else ()
        found = {m.group("key"): m for m in _ATTRIBUTE_COMMENT.finditer(text)} if "#" in text else {}
        if not found:
            yield InputLine(source, number, text, default_system, waivers=waivers)
            continue
        when = found.get("date")
        try:
            day = parse_date(when.group("value")) if when else None
        except ValueError as exc:
            assert when is not None
            problem = InputProblem(exc.args[2], number, when.start("value") + 1, "attribute", "date")
            yield InputLine(source, number, "", default_system, id_from_text(text) or str(number), error=problem)
            continue
        values = {key: match.group("value") or None for key, match in found.items() if key != "date"}
        episode = Episode(patient=values.get("patient"), spell=values.get("spell"))
        yield InputLine(source, number, text, default_system, date=day, waivers=waivers, episode=episode)


def line_item(text: str, source: str, number: int, default_system: System = System.OPCS) -> InputLine | None:
    """One record given as a single line: JSON when it starts with ``{`` (no text record
    can), else the text format with its waivers. None for a blank or comment line."""
    if text.lstrip().startswith("{"):
        return json_line(text.strip(), source, number)
    for line in text_lines([text], source, default_system):
        return dataclasses.replace(line, line=number)
    return None
