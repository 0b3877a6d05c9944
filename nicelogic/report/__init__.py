"""Output formats for check results: text, json, jsonl, sarif, junit, csv, tap, github, gitlab."""

from __future__ import annotations

from typing import IO

from ..packs import Rule
from .base import Reporter, record_dict, summary_dict, violation_dict
from .csv import CsvReporter
from .github import GithubReporter
from .gitlab import GitlabReporter
from .json import JsonLinesReporter, JsonReporter
from .junit import JunitReporter
from .sarif import SarifReporter
from .tap import TapReporter
from .text import TextReporter

FORMATS = ("text", "json", "jsonl", "sarif", "junit", "csv", "tap", "github", "gitlab")


def make_reporter(fmt: str, out: IO[str], rules: dict[str, Rule], color: bool | None = None) -> Reporter:
    if fmt == "text":
        return TextReporter(out, rules, color)
    classes = {
        "json": JsonReporter,
        "jsonl": JsonLinesReporter,
        "sarif": SarifReporter,
        "junit": JunitReporter,
        "csv": CsvReporter,
        "tap": TapReporter,
        "github": GithubReporter,
        "gitlab": GitlabReporter,
    }
    if fmt not in classes:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return classes[fmt](out, rules)  # type: ignore[no-any-return]


__all__ = ["FORMATS", "Reporter", "make_reporter", "record_dict", "summary_dict", "violation_dict"]
