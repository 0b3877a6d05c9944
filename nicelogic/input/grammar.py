"""Text record syntax: the Lark grammar in ``grammar/records.lark`` turned into records.

Every input format goes through :class:`RecordParser`, so code syntax is judged in one
place. Parse errors become :class:`InputProblem` values with a label from
:data:`ERROR_LABELS`, a message naming the offending text, and its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from nicelogic.errors import InputProblem, RecordSyntaxIssue
from nicelogic.model import SYSTEM_KEYWORDS, Code, System
from nicelogic.resources import grammar_dir

_START_RULES = {System.OPCS: "opcs_record", System.ICD10: "icd10_record", System.CPT: "cpt_record"}


@dataclass(frozen=True, slots=True)
class ErrorLabel:
    """A kind of syntax error: its message template and bad inputs that must produce it.

    The examples are the regression table for the friendly messages: tests parse each one
    and assert that it is labelled so, at the given column, naming the given word.
    """

    message: str
    examples: tuple[tuple[str, int, str], ...]  # (bad line, column of the error, the offending word)


ERROR_LABELS: dict[str, ErrorLabel] = {
    "opcs-code": ErrorLabel(
        "{word!r} is not an OPCS-4 code: expected a letter, two digits and an optional fourth "
        "character (V44.4 or V444), or a category wildcard (V55.-)",
        (
            ("ep1: V4X.4", 6, "V4X.4"),
            ("opcs V44.44", 6, "V44.44"),
            ("V44.4 V55.1.", 7, "V55.1."),
            ("V44.4 22512", 7, "22512"),
            ("opcs V44.4, icd", 13, "icd"),
            ("V4X V44.4", 1, "V4X"),  # a code's look-alike first is a bad code, not an id without its colon
            ("1A V44.4", 1, "1A"),
        ),
    ),
    "icd10-code": ErrorLabel(
        "{word!r} is not an ICD-10 code: expected a letter, two digits, an optional fourth and "
        "UK fifth character, and an optional dagger/asterisk mark (M80.0, M8008, R69X, G55.1*)",
        (("ep2: V44.4; icd M80.0.1", 17, "M80.0.1"), ("icd M8", 5, "M8"), ("icd10 M80.0X", 7, "M80.0X")),
    ),
    "cpt-code": ErrorLabel(
        "{word!r} is not a CPT/HCPCS line item: expected five characters with optional modifiers "
        "and units (22512, 0591T, 77003-59, 22512x2)",
        (("c1: cpt 2251", 9, "2251"), ("cpt 22512-5", 5, "22512-5"), ("cpt 22512 x2", 11, "x2")),
    ),
    "missing-id-colon": ErrorLabel(
        "{word!r} is neither a code nor a record id: a record id ends with ':' (ep7: V44.4)",
        (("ep7 V44.4", 1, "ep7"), ("record-12 opcs V44.4", 1, "record-12")),
    ),
    "stray-separator": ErrorLabel(
        "unexpected {word!r}: codes are separated by spaces or single commas, sections by ';'",
        (
            ("V44.4,,V55.1", 7, ","),
            ("ep3: , V44.4", 6, ","),
            ("V44.4 V55.1 : Y53.4", 13, ":"),
            ("V44.4,", 6, ","),
            ("V44.4,;", 7, ";"),
            ("icd M80.0, ;", 12, ";"),
            ("ep: :", 5, ":"),
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A line of the text format: its id (if written) and its sections in order."""

    id: str | None
    sections: tuple[tuple[System, tuple[Code, ...]], ...]


_WORD_END = re.compile(r"[\s;]")
_CPT_PARTS = re.compile(r"^([0-9A-Z]{5})((?:-[0-9A-Z]{2})*)(?:X([0-9]+))?$")
_ICD_MARKS = {"\u2020": "dagger", "+": "dagger", "*": "asterisk"}


def _opcs_code(raw: str, column: int) -> Code:
    text = raw.upper()
    wildcard = text.endswith(".-")
    core = text[:3] if wildcard else text.replace(".", "")
    value = core if len(core) == 3 else f"{core[:3]}.{core[3]}"
    return Code(System.OPCS, value, raw, column, wildcard=wildcard)


def _icd10_code(raw: str, column: int) -> Code:
    text = raw.upper()
    if text.endswith(".-"):
        return Code(System.ICD10, text[:3], raw, column, wildcard=True)
    mark = _ICD_MARKS.get(text[-1])
    if mark:
        text = text[:-1]
    category, rest = text[:3], text[3:].replace(".", "")
    if rest and rest[-1] in "DA" and mark is None:
        mark = "dagger" if rest[-1] == "D" else "asterisk"
        rest = rest[:-1]
    rest = rest.replace("X", "")  # UK filler on three-character codes
    value = f"{category}.{rest}" if rest else category
    return Code(System.ICD10, value, raw, column, mark=mark)


def _cpt_code(raw: str, column: int) -> Code:
    match = _CPT_PARTS.match(raw.upper())
    if match is None:  # pragma: no cover - the grammar admits only this shape
        raise ValueError(f"unexpected CPT token {raw!r}")
    value, mods, units = match.groups()
    modifiers = tuple(m for m in mods.split("-") if m)
    return Code(System.CPT, value, raw, column, modifiers=modifiers, units=int(units) if units else 1)


_CODE_OF = {System.OPCS: _opcs_code, System.ICD10: _icd10_code, System.CPT: _cpt_code}


def _merged(record_id: str | None, sections: Sequence[tuple[System, tuple[Code, ...]]]) -> ParsedLine:
    """A line's sections with each system's codes together, in the order systems first appear."""
    merged: dict[System, list[Code]] = {}
    for system, codes in sections:
        merged.setdefault(system, []).extend(codes)
    return ParsedLine(record_id, tuple((system, tuple(codes)) for system, codes in merged.items() if codes))


@v_args(inline=True)
class _ToRecord(Transformer[Token, ParsedLine]):
    """Builds records while LALR parses (no intermediate tree)."""

    def opcs_code(self, token: Token) -> Code:
        return _opcs_code(str(token), token.column or 0)

    def icd10_code(self, token: Token) -> Code:
        return _icd10_code(str(token), token.column or 0)

    def cpt_code(self, token: Token) -> Code:
        return _cpt_code(str(token), token.column or 0)

    def _section(system: System) -> Callable[..., tuple[System, tuple[Code, ...]]]:  # type: ignore[misc]  # pragma: no mutate block
        def section(self: _ToRecord, *items: Token | Code) -> tuple[System, tuple[Code, ...]]:
            return system, tuple(item for item in items if isinstance(item, Code))

        return section

    opcs_section = bare_opcs = _section(System.OPCS)
    icd10_section = bare_icd10 = _section(System.ICD10)
    cpt_section = bare_cpt = _section(System.CPT)
    del _section

    def _record(self, *items: Token | tuple[System, tuple[Code, ...]]) -> ParsedLine:
        ids = [item[:-1].strip() for item in items if isinstance(item, Token)]
        return _merged(ids[-1] if ids else None, [item for item in items if not isinstance(item, Token)])

    opcs_record = icd10_record = cpt_record = _record


class RecordParser:
    """Parses lines of the text record format. One instance per thread.

    Hospital data repeats itself, so parses are cached by the text after the record id
    (and the id's length, which shifts every column). The id pattern is the grammar's own
    RECORD_ID terminal, so the grammar stays the one authority on what a line means.

    Most lines are plain: sections of codes separated by spaces, as every tabular
    and JSON record is rewritten. Such a line is read word by word against the grammar's
    own keyword and code terminals, which gives the records Lark would (tests/test_grammar.py
    holds the two to each other); any other line, and every line that does not parse, goes
    to Lark, which says what is wrong and where.
    """

    def __init__(self, cache_size: int = 100_000, *, plain_lines: bool = True) -> None:
        self._lark = Lark.open(
            str(grammar_dir() / "records.lark"),
            parser="lalr",
            lexer="contextual",
            start=list(_START_RULES.values()),
            transformer=_ToRecord(),
        )
        id_pattern = self._lark.get_terminal("RECORD_ID").pattern.to_regexp()
        self._id_prefix = re.compile(rf"[ \t\r\ufeff]*({id_pattern})")
        self._cache: dict[tuple[str, int, System], tuple[tuple[System, tuple[Code, ...]], ...]] = {}
        self._cache_size = cache_size
        self._plain_lines = plain_lines
        self._keywords, self._code_terminals = self._section_terminals()

    def _section_terminals(self) -> tuple[list[tuple[re.Pattern[str], System]], dict[System, re.Pattern[str]]]:
        """Each system's keyword terminal and the union of its code terminals, read from the
        grammar's rules ``<system>_section: KEYWORD _codes`` and ``<system>_code: TERMINAL``."""
        expansions: dict[str, list[str]] = {}
        for rule in self._lark.rules:
            if rule.expansion:
                expansions.setdefault(rule.origin.name, []).append(rule.expansion[0].name)
        pattern = lambda name: self._lark.get_terminal(name).pattern.to_regexp()  # noqa: E731
        keywords = [(re.compile(pattern(expansions[f"{s.value}_section"][0])), s) for s in System]
        codes = {s: re.compile("|".join(pattern(name) for name in expansions[f"{s.value}_code"])) for s in System}
        return keywords, codes

    def parse(self, text: str, default_system: System = System.OPCS) -> ParsedLine:
        """Parse one line; raise :class:`RecordSyntaxIssue` when it does not parse."""
        match = self._id_prefix.match(text)
        prefix = match.end() if match else 0
        record_id = match.group(1)[:-1].strip() if match else None
        key = (text[prefix:], prefix, default_system)
        sections = self._cache.get(key)
        if sections is not None:
            return ParsedLine(record_id, sections)
        parsed = (self._plain(text, prefix, record_id, default_system) if self._plain_lines else None) or self._by_lark(
            text, default_system
        )
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = parsed.sections
        return parsed

    def _by_lark(self, text: str, default_system: System) -> ParsedLine:
        try:
            parsed: ParsedLine = self._lark.parse(text, start=_START_RULES[default_system])  # type: ignore[assignment]
        except UnexpectedInput as exc:
            raise RecordSyntaxIssue(describe_error(text, exc, default_system)) from None
        return parsed

    def _plain(self, text: str, prefix: int, record_id: str | None, default_system: System) -> ParsedLine | None:
        """The line read word by word when it is plain (see the class), else None."""
        rest = text[prefix:]
        if not _PLAIN.fullmatch(rest):
            return None
        sections: list[tuple[System, tuple[Code, ...]]] = []
        start = prefix
        for part in rest.split(";"):
            words = [(m.group(), start + m.start() + 1) for m in _WORD.finditer(part)]
            start += len(part) + 1
            named = next((s for keyword, s in self._keywords if keyword.fullmatch(words[0][0])), None) if words else None
            system = named or default_system
            words = words[1:] if named else words
            if not words:
                return None  # an empty section: rare, and Lark's to judge
            terminal, code = self._code_terminals[system], _CODE_OF[system]
            if not all(terminal.fullmatch(word) for word, _ in words):
                return None
            sections.append((system, tuple(code(word, column) for word, column in words)))
        return _merged(record_id, sections)


# what a plain line after its id may hold: codes, marks, keywords, spaces and ";"
_PLAIN = re.compile(r"[A-Za-z0-9.\-+*\u2020 ;]+")
_WORD = re.compile(r"[^ ]+")


def describe_error(text: str, exc: UnexpectedInput, default_system: System) -> InputProblem:
    """Turn a Lark error into a labelled, friendly error at the offending word."""
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(text) + 1
    if isinstance(exc, UnexpectedEOF):
        column = len(text) + 1
    start = column - 1
    if isinstance(exc, UnexpectedToken) and exc.token.type in {"COMMA", "SEMICOLON"}:
        word = str(exc.token)
    elif isinstance(exc, UnexpectedCharacters) and text[start : start + 1] in {",", ":"}:
        word = text[start]
    else:
        match = _WORD_END.search(text, start)
        word = text[start : match.start() if match else len(text)] or text[start : start + 1]
    label = _label_for(text, start, word, default_system)
    return InputProblem(ERROR_LABELS[label].message.format(word=word), 1, column, label)


def _label_for(text: str, start: int, word: str, default_system: System) -> str:
    if word in {",", ";", ":"}:
        return "stray-separator"
    before = text[:start]
    if not before.strip() and ":" not in word and not word[:1].isdigit() and not _looks_like_code(word):
        return "missing-id-colon"
    return f"{_system_at(before, default_system).value}-code"


def _looks_like_code(word: str) -> bool:
    return bool(re.match(r"^[A-Za-z][0-9]", word))


_KEYWORD = re.compile(r"(?:^|[;:\s])(" + "|".join(sorted(SYSTEM_KEYWORDS, key=len, reverse=True)) + r")(?=\s)", re.IGNORECASE)


def _system_at(before: str, default_system: System) -> System:
    """The system of the section that the text ``before`` an error position ends in."""
    section = before.rsplit(";", 1)[-1]
    keywords = _KEYWORD.findall(" " + section)
    return System.from_name(keywords[-1]) if keywords else default_system


def error_examples() -> Sequence[tuple[str, str, int, str]]:
    """Every labelled bad input: (label, line, column, the offending word)."""
    return [(label, text, col, word) for label, spec in ERROR_LABELS.items() for text, col, word in spec.examples]
