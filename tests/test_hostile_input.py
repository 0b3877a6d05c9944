"""Nothing lost: every input record comes back, checked or rejected with where and why,
whatever the bytes; and every output format still parses. Explicit cases for what broke
before, and properties over generated input (hypothesis, kept brief here; the long run is
benchmarks/fuzz.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from junitparser import JUnitXml

from nicelogic import Checker
from nicelogic.cli import main


def run(*args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def records_of(output: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in output.splitlines()]


GOOD = '{"id": "a", "opcs": ["V44.4", "V55.1", "Y53.4"]}'


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        ('{"id": "b", "opcs": ["V44.4"], "age": ' + "9" * 5000 + "}", "json"),  # past Python's digit limit
        ("[" * 100_000, "json"),  # deeper than the parser's recursion
        ('{"id": "b", "opcs": ["V44.4"], "age": "²"}', "json"),
        ('{"id": "s\\udcff", "opcs": ["V44.4"]}', "json"),  # a lone surrogate, written as an escape
    ],
)
def test_a_hostile_json_line_is_rejected_and_the_run_goes_on(tmp_path: Path, bad: str, kind: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(f"{GOOD}\n{bad}\n{GOOD.replace('a', 'c', 1)}\n", encoding="utf-8")
    for fmt in ("jsonl", "json", "csv", "junit", "sarif"):
        out = tmp_path / f"out.{fmt}"
        result = run("check", str(path), "-f", fmt, "-o", str(out), "--rules", "opcs4")
        assert result.exit_code == 1, result.output
        assert out.read_text(encoding="utf-8")  # written whole
    rejected = [r for r in records_of((tmp_path / "out.jsonl").read_text(encoding="utf-8")) if r["error"]]
    assert [(r["line"], r["error"]["kind"]) for r in rejected] == [(2, kind)]
    assert len(records_of((tmp_path / "out.jsonl").read_text(encoding="utf-8"))) == 3


def test_a_bad_age_deep_in_a_csv_extract_loses_nothing(tmp_path: Path) -> None:
    rows = [f"e{n},V44.4,V55.1,Y53.4,2,{'²' if n == 12_000 else 70}" for n in range(1, 15_001)]
    path = tmp_path / "extract.csv"
    path.write_text("EPIKEY,OPERTN_01,OPERTN_02,OPERTN_03,SEX,STARTAGE\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run("check", str(path), "-f", "jsonl", "-o", str(out), "--rules", "opcs4")
    results = records_of(out.read_text(encoding="utf-8"))
    assert len(results) == 15_000
    (bad,) = [r for r in results if r["error"]]
    assert (bad["id"], bad["error"]["field"]) == ("e12000", "STARTAGE")


def test_bytes_that_are_not_utf8_reject_their_record_with_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("a: V44.4 V55.1 Y53.4\nb: V44.4 V55.1 Y53.4 # caf\xe9\nc: W37.1 Z94.1\n".encode("latin-1"))
    results = records_of(run("check", str(path), "-f", "jsonl", "--rules", "opcs4").stdout)
    assert [r["id"] for r in results] == ["a", "b", "c"]
    assert results[1]["error"]["kind"] == "encoding" and "0xE9" in results[1]["error"]["message"]


def test_an_unclosed_quote_is_reported_not_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('EPIKEY,OPERTN_01\ne1,V44.4\ne2,"W37.1\ne3,W38.1\ne4,W37.1"\ne5,V44.6\n', encoding="utf-8")
    results = records_of(run("check", str(path), "-f", "jsonl", "--rules", "opcs4").stdout)
    assert [r["id"] for r in results] == ["e1", "3", "e5"]
    assert results[1]["error"]["kind"] == "table-row" and "lines 4 to 5" in results[1]["error"]["message"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "x.csv").write_text("EPIKEY,OPERTN_01,OPERTN_01\n1,V44.4,V55.1\n"), "OPERTN_01 more than once"),
        (lambda d: (d / "x.csv").mkdir(), "it is a folder"),
        (lambda d: (d / "x.csv").write_text(""), "no records to check"),
    ],
)
def test_unusable_inputs_stop_with_a_clear_message_and_status_2(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    result = run("check", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and message in result.stderr


def test_outputs_that_cannot_be_written_are_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("a: V44.4 V55.1 Y53.4\n")
    nowhere = run("check", str(path), "-o", "/nonexistent/x.json")
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.stderr
    itself = run("check", str(path), "-o", str(path))
    assert itself.exit_code == 2 and "also an input" in itself.stderr and path.read_text() == "a: V44.4 V55.1 Y53.4\n"


def test_a_record_longer_than_the_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("huge: cpt " + " ".join(["22510"] * 3000) + "\nfine: cpt 22510\n")
    results = records_of(run("check", str(path), "-f", "jsonl").stdout)
    assert [(r["id"], (r["error"] or {}).get("kind")) for r in results] == [("huge", "too-long"), ("fine", None)]
    assert (
        records_of(run("check", str(path), "-f", "jsonl", "--max-codes", "5000", "--rules", "cpt.vertebral-augmentation").stdout)[
            0
        ]["error"]
        is None
    )


# ------------------------------------------------------------------ properties

_codes = st.sampled_from(["V44.4", "V55.1", "Y53.4", "Z66.5", "W37.1", "Z94.1", "V4X.4", "M80.0", "22512", "Y68.9", "", "-"])
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_cell = st.one_of(_codes, _text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_cell, min_size=1, max_size=6), min_size=1, max_size=8))
def test_every_csv_row_comes_back_checked_or_rejected(checker: Checker, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["EPIKEY", "OPERTN_01", "OPERTN_02", "OPERTN_03", "SEX", "STARTAGE"])
    for n, row in enumerate(rows):
        writer.writerow([f"r{n}", *row[:5]])
    from nicelogic.input.tabular import table_lines

    items = list(table_lines(io.StringIO(buffer.getvalue(), newline=""), "gen.csv"))  # as files are read
    results = list(checker.check_items(items))
    assert len(results) == len(rows)  # one result per row, in order: the row's own, or its rejection
    assert all(r.error is not None or r.id == f"r{n}" for n, r in enumerate(results))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(_text, st.builds(" ".join, st.lists(_codes, max_size=6))), min_size=1, max_size=10))
def test_every_text_line_comes_back_and_every_format_parses(checker: Checker, lines: list[str]) -> None:
    from nicelogic.input.text import text_lines
    from nicelogic.report import make_reporter
    from nicelogic.results import SummaryCounter

    items = list(text_lines([line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines], "gen.txt"))
    results = list(checker.check_items(items))
    assert len(results) == len(items)
    for fmt in ("json", "jsonl", "sarif", "junit", "csv"):
        out = io.StringIO()
        reporter = make_reporter(fmt, out, dict(checker.rules))
        counter = SummaryCounter()
        for result in results:
            counter.add(result)
            reporter.add(result)
        reporter.finish(counter.summary())
        text = out.getvalue()
        if fmt in ("json", "sarif"):
            json.loads(text)
        elif fmt == "jsonl":
            assert len([json.loads(line) for line in text.splitlines()]) == len(results)
        elif fmt == "junit":
            assert sum(len(list(suite)) for suite in JUnitXml.fromstring(text.encode("utf-8"))) == len(results)
        else:
            shown = {row["record"] for row in csv.DictReader(io.StringIO(text))}
            assert all(r.id in shown or "'" + r.id in shown for r in results)  # formula cells are neutralised
