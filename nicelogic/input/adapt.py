"""What the library accepts as records (text, Records, JSON-shaped dicts), as the items a
checker takes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from nicelogic.input.items import InputLine
from nicelogic.input.jsonl import json_record
from nicelogic.input.text import line_item
from nicelogic.model import Record, System


def as_input(
    records_or_text: str | Iterable[Record | InputLine | str | Mapping[str, object]],
    system: System,
    source: str,
) -> Iterator[InputLine | Record]:
    """Everything the library accepts as records, as the items a checker takes: text
    (one record per line), or Records, JSON-shaped dicts and lines. A line starting with
    ``{`` is a JSON record (no text record can start so)."""
    if isinstance(records_or_text, str):
        # lines end at \n only, as in files: str.splitlines would also split a record at \x1e or \u2028
        records_or_text = [line.removesuffix("\r") for line in records_or_text.split("\n")]
    for number, item in enumerate(records_or_text, start=1):
        if isinstance(item, Record | InputLine):
            yield item
        elif isinstance(item, str):
            line = line_item(item, source, number, system)
            if line is not None:
                yield line
        elif isinstance(item, Mapping):
            yield json_record(dict(item), source, number)
        else:
            raise TypeError(f"cannot check a {type(item).__name__}: give Records, text lines or dicts")
