"""What a reader yields: one input record before parsing, and a record that could not be
read, with the reason and where."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from nicelogic.errors import InputProblem
from nicelogic.model import Field, Sex, System


@dataclass(frozen=True, slots=True)
class InputLine:
    """One input record before parsing."""

    source: str
    line: int
    text: str  # the record in the text format
    default_system: System = System.OPCS
    id: str | None = None  # given by tabular and JSON inputs
    fields: tuple[Field, ...] = ()  # for rewritten lines: where each code came from
    sex: Sex | None = None
    age: int | None = None
    date: str | None = None
    error: InputProblem | None = None  # the record could not be read
    waivers: tuple[str, ...] = ()
    attributes: tuple[tuple[str, object], ...] = ()  # JSON Lines: attributes carried beside the result


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read, with the reason and where."""

    id: str
    line: int
    source: str
    error: InputProblem


def encoding_name(encoding: str) -> str:
    """The codec's own name of an encoding (``utf8``, ``UTF-8`` -> ``utf-8``); ValueError
    naming it when Python knows no such encoding."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r} (for example utf-8, latin-1, cp1252)") from None


def undecodable(text: str, encoding: str = "utf-8") -> tuple[int, str] | None:
    """Where and why text read from an input is not a readable record, or None: bytes
    that are not text in the input's encoding (read as lone surrogates, so that no byte is
    changed silently) or a lone surrogate written as a JSON escape. The column is 1-based,
    in characters; the byte offset counts the line's bytes in its encoding."""
    try:  # every record passes here: let the codec find, at C speed, that there is nothing
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            offset = len(text[:index].encode(encoding, "surrogateescape")) + 1
            if "\udc80" <= char <= "\udcff":
                byte = f"byte 0x{ord(char) - 0xDC00:02X}"
                if encoding_name(encoding) == "utf-8":
                    return index + 1, f"{byte} (byte {offset} of the line) is not UTF-8: convert the file, or name its --encoding"
                return index + 1, f"{byte} (byte {offset} of the line) is not text in {encoding}"
            return index + 1, f"a lone surrogate (\\u{ord(char):04x}) is not text"
    return None
