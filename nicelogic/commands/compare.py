"""``nicelogic compare ORIGINAL AUDITED``: two codings of the same episodes compared as a
clinical coding audit does.

Both inputs are read (and, unless told not to, checked by the rule packs) into a staging
folder, their episodes paired by id there (:mod:`nicelogic.audit.matching`), and each pair
compared (:mod:`nicelogic.audit.compare`) while its rows stream to the CSV output and the
results database; the figures are accumulated as the pairs go past.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO

from nicelogic.audit.compare import Section, compare_episode
from nicelogic.audit.matching import AUDITED, ORIGINAL, Entry, Layout, ReadOptions, Staging, stage
from nicelogic.audit.methods import DEFAULT_METHOD, METHODS
from nicelogic.audit.rows import Row, code_rows, episode_row, standard_rows
from nicelogic.audit.standards import changes as violation_changes
from nicelogic.audit.tally import AuditFigures, Tally, compared_types
from nicelogic.audit.thresholds import load_profiles
from nicelogic.audit.units import coding_of_texts
from nicelogic.checking.checker import Checker
from nicelogic.commands.check import _atomic_output
from nicelogic.errors import UsageError
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import encoding_name

COMPARE_FORMATS = ("text", "json", "csv")
_SECTION_NAMES = {Section.DIAGNOSES: "diagnoses (DIAG_nn, icd10)", Section.PROCEDURES: "procedures (OPERTN_nn, opcs)"}


@dataclass(frozen=True)
class CompareRequest:
    original: str
    audited: str
    method: str = DEFAULT_METHOD
    options: ReadOptions = field(default_factory=ReadOptions)
    thresholds: tuple[str, ...] = ()  # profile names or files; none: every built-in profile
    fmt: str = "text"
    output: str | None = None
    results: str | None = None  # a DuckDB file
    standards: bool = True
    command: str = ""


@dataclass(frozen=True)
class Problem:
    """A record that could not be compared, and why."""

    id: str
    status: str
    reason: str
    original: Entry | None
    audited: Entry | None


@dataclass(frozen=True)
class CompareOutcome:
    figures: AuditFigures
    problems: tuple[Problem, ...]
    layouts: tuple[Layout, Layout]
    run_id: str | None = None
    exit_code: int = 0


def validate(request: CompareRequest) -> None:
    if request.method not in METHODS:
        raise UsageError(f"--method {request.method!r} is not a counting method ({', '.join(METHODS)})")
    if request.fmt not in COMPARE_FORMATS:
        raise UsageError(f"--format {request.fmt!r}: expected one of {', '.join(COMPARE_FORMATS)}")
    try:
        encoding_name(request.options.encoding)
    except ValueError as exc:
        raise UsageError(f"--encoding: {exc}") from None
    paths = (request.original, request.audited)
    if paths.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    for path in paths:
        if path != "-" and os.path.isdir(path):
            raise UsageError(f"cannot read {path}: it is a folder (give a file)")
        if path != "-" and not os.path.isfile(path):
            raise UsageError(f"cannot read {path}: no such file")
    if request.output is not None:
        folder = os.path.dirname(os.path.abspath(request.output))
        if not os.path.isdir(folder):
            raise UsageError(f"cannot write {request.output}: the folder {folder} does not exist")
        for path in paths:
            if path != "-" and os.path.exists(request.output) and os.path.samefile(path, request.output):
                raise UsageError(f"--output {request.output} is also an input: it would be overwritten before it is read")
    if request.results is not None and (request.results.endswith(("/", os.sep)) or os.path.isdir(request.results)):
        raise UsageError("compare --results writes a DuckDB file (run.duckdb), not a folder of Parquet")
    if request.fmt == "text" and request.output is not None:
        raise UsageError("--output takes --format json or csv; the text summary is for the terminal")
    load_profiles(request.thresholds)  # an unknown profile or a bad file stops the run before reading


def _notes(original: Layout, audited: Layout) -> list[str]:
    notes = []
    for section in Section:
        for have, lack, have_name, lack_name in (
            (original, audited, "ORIGINAL", "AUDITED"),
            (audited, original, "AUDITED", "ORIGINAL"),
        ):
            if section in have.sections and section not in lack.sections:
                notes.append(
                    f"{lack_name} ({lack.path}) has no {_SECTION_NAMES[section]} in its layout and {have_name} "
                    f"({have.path}) has: {section.code_types[0].label.lower()} and {section.code_types[1].label.lower()} "
                    "are not compared"
                )
    return notes


def _unreadable(pair_original: Entry | None, pair_audited: Entry | None) -> str:
    parts = []
    for name, entry in (("ORIGINAL", pair_original), ("AUDITED", pair_audited)):
        if entry is not None and entry.rejected:
            field_name = f", field {entry.reason_field}" if entry.reason_field else ""
            column = f":{entry.reason_column}" if entry.reason_column else ""
            parts.append(f"{name} {entry.where()}{column}{field_name}: {entry.reason}")
    return "; ".join(parts) + " (the episode is not compared)"


def run_compare(
    request: CompareRequest,
    checker: Checker | None,
    out: IO[str] | None = None,
    results_sink: Callable[[str, list[Row]], None] | None = None,
) -> CompareOutcome:
    """Compare the two inputs; rows go to the CSV output (``--format csv``) and to
    ``results_sink(table, rows)`` as they are made. The caller writes the figures."""
    validate(request)
    method = METHODS[request.method]
    profiles = load_profiles(request.thresholds)
    parser = RecordParser()
    tally = Tally(method)
    problems: list[Problem] = []
    with Staging() as staging, ExitStack() as stack:
        with open(staging.file, "w", encoding="utf-8") as staged:
            original = stage(request.original, ORIGINAL, request.options, checker if request.standards else None, staged, parser)
            audited = stage(request.audited, AUDITED, request.options, checker if request.standards else None, staged, parser)
        staging.load()
        sections = tuple(s for s in Section if s in original.sections and s in audited.sections)
        notes = _notes(original, audited)
        csv_writer = None
        if request.fmt == "csv":
            from nicelogic.audit.formats import EpisodeCsv

            target = out if out is not None else sys.stdout
            if request.output:
                target = stack.enter_context(_atomic_output(request.output))
            csv_writer = EpisodeCsv(target)
        buffered: dict[str, list[Row]] = {"episodes": [], "codes": [], "standards": []}

        def emit(table: str, rows: list[Row]) -> None:
            if table == "episodes" and csv_writer is not None:
                csv_writer.write(rows)
            if results_sink is not None:
                buffered[table] += rows
                if len(buffered["episodes"]) >= 5000:
                    flush()

        def flush() -> None:
            if results_sink is not None:
                for name, rows in buffered.items():
                    if rows:
                        results_sink(name, rows)
                    buffered[name] = []

        def not_compared(id: str, status: str, reason: str, o: Entry | None, a: Entry | None) -> None:
            tally.add_status(status)
            problems.append(Problem(id, status, reason, o, a))
            emit("episodes", [episode_row(id, status, reason, o, a)])

        for entry, times, lines in staging.repeated():
            side = "ORIGINAL" if entry.side == ORIGINAL else "AUDITED"
            if times > 1:
                where = ", ".join(map(str, lines))
                reason = f"id {entry.id} appears {times} times in {side} (lines {where}): no record of this id is compared"
            else:
                reason = f"id {entry.id} repeats in the other input: no record of this id is compared"
            o, a = (entry, None) if entry.side == ORIGINAL else (None, entry)
            not_compared(entry.id, "duplicate_id", reason, o, a)
        for pair in staging.pairs():
            o, a = pair.original, pair.audited
            if (o is not None and o.rejected) or (a is not None and a.rejected):
                # a record that cannot be read may not even give its id: never "missing" on that account
                not_compared(pair.id, "unreadable", _unreadable(o, a), o, a)
            elif a is None:
                not_compared(
                    pair.id, "only_in_original", f"ORIGINAL {o.where() if o else ''}: no episode {pair.id} in AUDITED", o, a
                )
            elif o is None:
                not_compared(pair.id, "only_in_audited", f"AUDITED {a.where()}: no episode {pair.id} in ORIGINAL", o, a)
            else:
                comparison = compare_episode(coding_of_texts(o.icd10, o.opcs), coding_of_texts(a.icd10, a.opcs), sections)
                found = violation_changes(o.violations, a.violations) if request.standards else []
                tally.add(comparison, o.coder or a.coder, o.specialty or a.specialty)
                tally.add_changes(found)
                if csv_writer is not None or results_sink is not None:  # rows only where they go
                    emit("episodes", [episode_row(pair.id, "compared", None, o, a, comparison, found, request.standards)])
                if results_sink is not None:
                    emit("codes", code_rows(pair.id, comparison))
                    if found:
                        emit("standards", standard_rows(pair.id, found))
        flush()
        if csv_writer is not None:
            csv_writer.close()
    figures = tally.figures(profiles, (original.records, audited.records), request.standards, notes, compared_types(sections))
    named = bool(request.thresholds)
    status = 1 if named and not all(v.met for v in figures.verdicts) else 0
    return CompareOutcome(figures, tuple(problems), (original, audited), exit_code=status)
