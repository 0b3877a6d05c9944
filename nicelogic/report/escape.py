"""How untrusted text is made safe for each destination, in one place.

Record ids, file names and the messages that quote them come from the input, so any of
them may hold a newline, an ESC sequence or a NUL. Every writer passes them through the
one helper here that suits its destination."""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from urllib.parse import quote

# C0 and C1 controls (tab aside: harmless, and rule text is indented with it), DEL, the
# line and paragraph separators that str.splitlines() and some viewers honour, the bidi
# overrides that reorder what a reader sees, and what XML 1.0 cannot carry at all
# (noncharacters U+FFFE/U+FFFF and lone surrogates).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """One line of text as a terminal, a log viewer or an XML parser can take it: each
    unsafe character written out as ``\\x1b`` or ``\\u2028``, so that nothing read from
    the input can move the cursor, recolour the screen or start a line of its own."""
    return _UNSAFE.sub(_escape, text)


def visible_lines(lines: list[str]) -> str:
    """Lines we mean to write, joined by newlines: any line break inside one is escaped."""
    return "\n".join(visible(line) for line in lines)


def tap_description(text: str) -> str:
    """A TAP test point description: one line, and no ``#``, which would start a directive
    (a record id ``x # SKIP`` must not turn a failure into a skip). TAP 14 allows ``\\#``
    but TAP 13 parsers such as tap.py do not honour it, so ``#`` is written ``\\x23``."""
    return visible(text).replace("#", "\\x23")


def workflow_data(text: str) -> str:
    """The message of a GitHub Actions workflow command, escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value (``file=``, ``title=``) of a GitHub Actions workflow command."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# OWASP's list of leading characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text rather than evaluates: a string that
    could start a formula gets a leading single quote, as OWASP recommends. Numbers pass
    as they are (the reports hold no negative ones); codes never start with these."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


STDIN = "<stdin>"  # the name readers give standard input


def uri_reference(path: str) -> str:
    """A file name as an RFC 3986 URI reference for SARIF's ``artifactLocation.uri``:
    relative paths stay relative (percent-encoded, ``/``-separated, and never mistakable
    for a scheme), absolute ones become ``file:`` URIs, and standard input is named by the
    percent-encoded form of the name the other formats show."""
    if path == STDIN:
        return quote(path, safe="")
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    # ":" is encoded too (quote's default), so that "c:x.txt" cannot read as scheme "c".
    return quote(pure.as_posix(), safe="/")


_LINE_BREAKING = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_text(value: object) -> str:
    """JSON that keeps non-ASCII text as it is, except the characters that many line
    readers (Python's str.splitlines, JavaScript before ES2019) take for line breaks: each
    JSON Lines record stays on one line for every consumer."""
    text = json.dumps(value, ensure_ascii=False)
    if any(char in text for char in _LINE_BREAKING):
        for char, escaped in _LINE_BREAKING.items():
            text = text.replace(char, escaped)
    return text
