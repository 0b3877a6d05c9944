"""Input lines parsed into records by the grammar, or rejected with where and why.

This is the expensive half of reading, so it runs where the checking runs (in worker
processes for large inputs); it never raises for bad input.
"""

from __future__ import annotations

import re

from nicelogic.errors import InputProblem, RecordSyntaxIssue
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record

# Hospital Episode Statistics hold at most 24 procedures and 20 diagnoses an episode, and a
# CMS claim at most 50 service lines; far longer records are mistakes, and they would
# cost the solver time and memory that grow with their length.
MAX_CODES = 64
TOO_LONG = "too-long"  # the label of a rejection for a section of more than max_codes codes


def to_record(item: InputLine | TableRow, parser: RecordParser, max_codes: int = MAX_CODES) -> Record | Rejected:
    """Parse one input line; never raises for bad input. A section of more than
    ``max_codes`` codes is rejected."""
    if isinstance(item, TableRow):
        item = item.input_line()
    fallback_id = item.id if item.id is not None else str(item.line)
    if item.error is not None:
        return Rejected(fallback_id, item.line, item.source, item.error)
    try:
        parsed = parser.parse(item.text, item.default_system)
    except RecordSyntaxIssue as issue:
        return Rejected(id_from_text(item.text) or fallback_id, item.line, item.source, _relocate(issue.problem, item))
    for system, codes in parsed.sections:
        if len(codes) > max_codes:
            problem = InputProblem(
                f"the {system.value} section holds {len(codes)} codes, more than the limit of {max_codes} (--max-codes)",
                item.line, codes[max_codes].column, TOO_LONG,
            )  # fmt: skip
            return Rejected(parsed.id if parsed.id is not None else fallback_id, item.line, item.source, _relocate(problem, item))
    return Record(
        id=parsed.id if parsed.id is not None else fallback_id,
        sections=parsed.sections,
        line=item.line,
        source=item.source,
        sex=item.sex,
        age=item.age,
        date=item.date,
        fields=item.fields,
        waivers=item.waivers,
        episode=item.episode,
    )


_ID_PREFIX = re.compile(r"^\s*([^\s:;,#]+)[ \t]*:")


def id_from_text(text: str) -> str | None:
    match = _ID_PREFIX.match(text)
    return match.group(1) if match else None


def _relocate(error: InputProblem, item: InputLine) -> InputProblem:
    if not item.fields:
        return InputProblem(error.message, item.line, error.column, error.label)
    column, name = Record("", fields=item.fields).locate(error.column)
    return InputProblem(error.message, item.line, column if name else 0, error.label, name)
