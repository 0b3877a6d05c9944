"""Output formats for check results: text, json, jsonl, sarif, junit, csv, tap, github, gitlab."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

from nicelogic.report.base import Reporter, record_dict, summary_dict, violation_dict
from nicelogic.report.csv import CsvReporter
from nicelogic.report.github import GithubReporter
from nicelogic.report.gitlab import GitlabReporter
from nicelogic.report.json import JsonLinesReporter, JsonReporter
from nicelogic.report.junit import JunitReporter
from nicelogic.report.sarif import SarifReporter
from nicelogic.report.tap import TapReporter
from nicelogic.report.text import TextReporter
from nicelogic.rules.metadata import Rule

FORMATS = ("text", "json", "jsonl", "sarif", "junit", "csv", "tap", "github", "gitlab")


def make_reporter(
    fmt: str, out: IO[str], rules: dict[str, Rule], color: bool | None = None, tables: Mapping[str, str] | None = None
) -> Reporter:
    """The reporter of a format; ``tables`` (``CodeTables.versions()``) goes into the run's
    metadata where the format carries any (JSON, SARIF, JUnit)."""
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
    return classes[fmt](out, rules, tables)  # type: ignore[no-any-return]


__all__ = ["FORMATS", "Reporter", "make_reporter", "record_dict", "summary_dict", "violation_dict"]
