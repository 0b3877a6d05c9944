"""JSON Lines: one record object per line, ``{"id", "opcs", "icd10", "cpt", "sex", "age",
"date", "waive"}``, rewritten into the text format with each code located in the line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from nicelogic.errors import InputProblem
from nicelogic.input.attributes import parse_age, parse_date, parse_sex, waivers_of
from nicelogic.input.carry import attribute_keys
from nicelogic.input.episodes import DEFAULT_COLUMNS, SHORT_NAMES, EpisodeColumns, mapping_episode
from nicelogic.input.items import InputLine, undecodable
from nicelogic.model import SYSTEM_KEYWORDS, Field, System

_JSON_SECTIONS = {key: system.value for key, system in SYSTEM_KEYWORDS.items()}
_JSON_KNOWN = set(_JSON_SECTIONS) | {"id", "sex", "age", "date", "waive"}
# Attributes carried beside the result (provider, specialty, ...: nicelogic.input.carry),
# under their HES or results names in any case; more with --carry.
_ATTRIBUTE_KEYS = attribute_keys()


def jsonl_lines(
    lines: Iterable[str],
    source: str,
    encoding: str = "utf-8",
    carried: frozenset[str] = _ATTRIBUTE_KEYS,
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
) -> Iterator[InputLine]:
    """Records of JSON Lines: ``{"id", "opcs", "icd10", "cpt", "sex", "age", "date"}``, and
    the attributes whose keys (upper case) are ``carried``."""
    for number, text in jsonl_texts(lines):
        yield json_line(text, source, number, encoding, carried, episode_columns)


def jsonl_texts(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Each record's line number and text in JSON Lines: blank lines and ``#`` comments skipped."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if text and not text.startswith("#"):
            yield number, text


def _unreadable(source: str, number: int, message: str, column: int = 0) -> InputLine:
    return InputLine(source, number, "", id=str(number), error=InputProblem(message, number, column, "json"))


def json_line(
    text: str,
    source: str,
    number: int,
    encoding: str = "utf-8",
    carried: frozenset[str] = _ATTRIBUTE_KEYS,
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
) -> InputLine:
    """One JSON object (as text) as an input line."""
    bad = undecodable(text, encoding)
    if bad is not None:
        return _unreadable(source, number, bad[1], bad[0])
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return _unreadable(source, number, f"not a JSON object: {exc.msg}", exc.colno)
    except ValueError as exc:  # Python's limit on the digits of an integer
        return _unreadable(source, number, f"not a record: {exc}")
    except RecursionError:
        return _unreadable(source, number, "not a record: nested too deeply")
    # a lone surrogate can also be written as an escape ("\udcff"): look only then
    escaped = undecodable(json.dumps(obj, ensure_ascii=False)) if "\\ud" in text.lower() else None
    if escaped is not None:
        return _unreadable(source, number, escaped[1])
    return json_record(obj, source, number, text, carried, episode_columns)


def json_record(
    obj: object,
    source: str,
    number: int,
    text: str = "",
    carried: frozenset[str] = _ATTRIBUTE_KEYS,
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
) -> InputLine:
    """A JSON-shaped record (a dict) as an input line; ``text`` locates codes in the source."""
    if not isinstance(obj, dict):
        return _unreadable(source, number, "a record must be a JSON object", 1)
    record_id = str(obj["id"]) if obj.get("id") is not None else str(number)
    attributes = tuple((key, value) for key, value in obj.items() if key not in _JSON_KNOWN and str(key).upper() in carried)

    def reject(message: str, where: str) -> InputLine:
        # a rejected record still carries its attributes: a rate by provider counts it too
        column = text.find(f'"{where}"') + 1 if text else 0
        problem = InputProblem(message, number, max(column, 0), "json", where)
        readable = tuple((key, value) for key, value in attributes if value is None or isinstance(value, str | int | float))
        return InputLine(source, number, "", id=record_id, error=problem, attributes=readable)

    episode_keys = episode_columns.column_keys() | {name.upper() for name in SHORT_NAMES}
    others = set(obj) - _JSON_KNOWN - {key for key, _ in attributes}
    unknown = sorted(key for key in others if str(key).upper() not in episode_keys)
    if unknown:
        known = ", ".join(sorted(_JSON_KNOWN))
        return reject(f"unknown key {unknown[0]!r} (known: {known}, and attributes such as PROCODE3 or --carry)", unknown[0])
    for key, value in attributes:
        if value is not None and not isinstance(value, str | int | float):
            return reject(f"{key!r} must be a string or a number", key)
    parts: list[str] = []
    fields: list[Field] = []
    offset = 0
    for key, keyword in _JSON_SECTIONS.items():
        if key not in obj or obj[key] is None:
            continue
        codes = obj[key]
        if isinstance(codes, str):
            codes = codes.replace(",", " ").split()
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            return reject(f"{key!r} must be a list of code strings", key)
        if not codes:
            continue
        if parts:
            parts.append("; ")
            offset += 2
        parts.append(keyword + " ")
        offset += len(keyword) + 1
        # each section's codes follow its own key, whatever order the keys come in
        search_from = max(text.find(f'"{key}"'), 0) if text else 0
        for n, code in enumerate(codes):
            if n:
                parts.append(" ")
                offset += 1
            column = 0
            if text:
                found = text.find(f'"{code}"', search_from)
                if found >= 0:
                    column, search_from = found + 2, found + len(code) + 2
            fields.append(Field(offset, f"{key}[{n + 1}]", column))
            parts.append(code.strip())
            offset += len(code.strip())
    try:
        sex = parse_sex(obj.get("sex"))
        age = parse_age(obj.get("age"))
        when = parse_date(str(obj["date"])) if obj.get("date") is not None else None
        episode = mapping_episode(obj, episode_columns)
    except ValueError as exc:
        _, name, message = exc.args
        key = {"SEX": "sex", "STARTAGE": "age"}.get(name, name)
        return reject(message, key)
    waive = obj.get("waive") or []
    if isinstance(waive, str):
        waive = list(waivers_of(waive))
    if not isinstance(waive, list) or not all(isinstance(w, str) for w in waive):
        return reject("'waive' must be a list of rule ids", "waive")
    return InputLine(
        source, number, "".join(parts), System.OPCS, record_id, tuple(fields), sex, age, when, waivers=tuple(waive),
        attributes=attributes, episode=episode,
    )  # fmt: skip
