"""Records of the text format, one per line (the grammar in ``grammar/records.lark``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from nicelogic.errors import InputProblem
from nicelogic.input.attributes import waivers_of
from nicelogic.input.items import InputLine, undecodable
from nicelogic.input.jsonl import json_line
from nicelogic.input.records import id_from_text
from nicelogic.model import System

_WAIVE_COMMENT = re.compile(r"#\s*waive\s*:\s*(?P<rules>[^#]*)$")


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
        yield InputLine(source, number, text, default_system, waivers=waivers)


def line_item(text: str, source: str, number: int, default_system: System = System.OPCS) -> InputLine | None:
    """One record given as a single line: JSON when it starts with ``{`` (no text record
    can), else the text format with its waivers. None for a blank or comment line."""
    if text.lstrip().startswith("{"):
        return json_line(text.strip(), source, number)
    for line in text_lines([text], source, default_system):
        return dataclasses.replace(line, line=number)
    return None
