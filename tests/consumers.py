"""Read output formats back the way their consumers do, strictly: a test that passes
through these has shown that a real reader accepts the output, not that it looks right."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from tap.line import Result
from tap.parser import Parser

SARIF_SCHEMA = Path(__file__).resolve().parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


@cache
def sarif_validator() -> Draft4Validator:
    """The official schema declares draft 4, whose own format checker skips
    ``uri-reference`` (a draft 6 format): FormatChecker() checks every format jsonschema
    knows, with rfc3986-validator behind ``uri-reference``."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FormatChecker())


def sarif_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(document)]


def tap_results(text: str) -> list[Result]:
    """The test points of a TAP 13 stream, after checking what tap.py's loader checks (one
    version line first, one plan at the start or the end that matches the count) and
    that every line is one tap.py recognises."""
    lines = list(Parser().parse_text(text))
    categories = [line.category for line in lines]
    assert categories[0] == "version" and lines[0].version == 13 and categories.count("version") == 1
    assert "unknown" not in categories, [str(line) for line in lines if line.category == "unknown"]
    plans = [n for n, c in enumerate(categories) if c == "plan"]
    assert len(plans) == 1 and plans[0] in (1, len(lines) - 1), plans
    results = [line for line in lines if line.category == "test"]
    assert lines[plans[0]].expected_tests == len(results)
    assert [r.number for r in results] == list(range(1, len(results) + 1))
    return results


def tap_diagnostics(text: str) -> list[list[str]]:
    """The diagnostic lines below each test point, without their ``# ``."""
    groups: list[list[str]] = []
    for line in Parser().parse_text(text):
        if line.category == "test":
            groups.append([])
        elif line.category == "diagnostic" and groups:
            groups[-1].append(line.text.removeprefix("# "))
    return groups


@dataclass(frozen=True)
class WorkflowCommand:
    kind: str
    properties: dict[str, str]
    message: str


# The workflow-command grammar: ::NAME PROP=VALUE,PROP=VALUE::DATA, on one line. Values
# cannot hold "," or ":" and data cannot hold a line break: the writer must escape them.
_COMMAND = re.compile(r"::(?P<kind>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<data>[^\r\n]*)")
_PROPERTY = re.compile(r"(?P<key>[a-zA-Z]+)=(?P<value>[^,:]*)")


_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def _unescape(text: str) -> str:
    # One pass, so that "%253A" comes back as "%3A", not ":".
    return re.sub("%(25|0D|0A|3A|2C)", lambda m: _ESCAPES[m.group()], text)


def workflow_commands(text: str) -> list[WorkflowCommand]:
    commands = []
    for line in text.splitlines():
        match = _COMMAND.fullmatch(line)
        assert match, f"not a workflow command: {line!r}"
        properties: dict[str, str] = {}
        for item in (match["props"] or "").split(","):
            prop = _PROPERTY.fullmatch(item)
            assert prop and prop["key"] not in properties, f"bad property {item!r} in {line!r}"
            properties[prop["key"]] = _unescape(prop["value"])
        assert "%" not in re.sub("%(25|0D|0A)", "", match["data"]), f"unescaped % in {line!r}"
        commands.append(WorkflowCommand(match["kind"], properties, _unescape(match["data"])))
    return commands


def control_characters(text: str, allowed: str = "\n") -> list[str]:
    """Characters a terminal or a viewer would act on instead of showing."""
    return [c for c in text if c not in allowed and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in "\u202e\u2066")]
