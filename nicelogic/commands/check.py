"""``nicelogic check``: every input record read, checked and written, streaming.

Records flow from the readers through the checker (on worker processes for large inputs)
into one reporter, in input order, with a progress display on a terminal; nothing holds
the whole input.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain
from typing import IO

from nicelogic.checking.checker import Checker
from nicelogic.checking.ids import IdWatch
from nicelogic.errors import UsageError
from nicelogic.history.checker import PatientChecker
from nicelogic.history.patients import NotJudged, rejected
from nicelogic.history.results import HistorySummary
from nicelogic.input.episodes import DEFAULT_COLUMNS, EpisodeColumns
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, encoding_name
from nicelogic.input.read import ReadPosition, read_inputs
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.input.text import line_item
from nicelogic.model import Record, System
from nicelogic.report import Reporter, make_reporter
from nicelogic.report.history import history_summary_dict, history_summary_line, patient_line, patient_violation_dict, rate_lines
from nicelogic.report.json import JsonReporter
from nicelogic.report.statistics import StatisticsReporter
from nicelogic.report.terminal import check_progress, force_color
from nicelogic.report.text import TextReporter
from nicelogic.results import Summary, SummaryCounter, exit_code

USAGE_ERROR = 2


@dataclass(frozen=True)
class CheckRequest:
    files: Sequence[str] = ()
    records: Sequence[str] = ()  # records written on the command line
    fmt: str = "text"
    output: str | None = None
    system: System = System.OPCS
    input_format: str = "auto"
    id_column: str | None = None
    statistics: bool = False
    quiet: bool = False
    color: str = "auto"
    progress: bool | None = None  # None: when standard error is a terminal
    fail_on_warning: bool = False
    exit_zero: bool = False
    encoding: str = "utf-8"  # of the input files
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS  # where patient, spell and episode keys and dates are
    spells: str = "auto"  # how spells are formed for patient-level rules: auto, supplied, hes-pipeline


@dataclass(frozen=True)
class CheckOutcome:
    summary: Summary
    warnings: tuple[str, ...] = field(default=())  # for standard error: ids that repeat
    exit_code: int = 0


def validate(request: CheckRequest) -> None:
    """Refuse, before anything is read or written, what cannot work."""
    if not request.files and not request.records:
        raise UsageError("give FILES to check (- for standard input) or --record RECORD")
    try:
        encoding_name(request.encoding)
    except ValueError as exc:
        raise UsageError(f"--encoding: {exc}") from None
    if request.statistics and request.fmt != "text":
        raise UsageError("--statistics is a text summary; the other formats carry the count per rule in their summary")
    for path in request.files:
        if path != "-" and os.path.isdir(path):
            raise UsageError(f"cannot read {path}: it is a folder (give the files in it)")
        if path != "-" and not os.path.isfile(path):
            raise UsageError(f"cannot read {path}: no such file")
    if list(request.files).count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if request.output is not None:
        folder = os.path.dirname(os.path.abspath(request.output))
        if not os.path.isdir(folder):
            raise UsageError(f"cannot write {request.output}: the folder {folder} does not exist")
        for path in request.files:
            if path != "-" and os.path.exists(request.output) and os.path.samefile(path, request.output):
                raise UsageError(f"--output {request.output} is also an input: it would be overwritten before it is read")


def _record_items(records: Sequence[str], system: System) -> Iterator[InputLine]:
    for number, text in enumerate(records, start=1):
        item = line_item(text, "<record>", number, system)
        if item is None:
            raise UsageError(f"--record {text!r} holds no record (it is blank or a comment)")
        yield item


@contextmanager
def _atomic_output(path: str) -> Iterator[IO[str]]:
    """A file that appears under its name only when the run completes: written beside it
    under a temporary name and renamed at the end, so an interrupted run never leaves a
    file that looks complete (the temporary one is removed)."""
    target = os.path.abspath(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".partial", dir=os.path.dirname(target)
        )
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    completed = False
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as open() would have made it, not mkstemp's 0600
        os.replace(temporary, target)
        completed = True
    finally:
        if not completed:
            with suppress(FileNotFoundError):
                os.unlink(temporary)


def _reporter(request: CheckRequest, out: IO[str], checker: Checker) -> Reporter:
    rules, color = dict(checker.rules), force_color(request.color)
    if request.statistics:
        return StatisticsReporter(out, rules, color, quiet=request.quiet)
    if request.fmt == "text":
        return TextReporter(out, rules, color, quiet=request.quiet)
    return make_reporter(request.fmt, out, rules, color, tables=checker.tables.versions())


def patient_records(request: CheckRequest, max_codes: int = MAX_CODES) -> Iterator[Record | NotJudged]:
    """The inputs read again and parsed, for the packs that read whole patients. A record the
    record pass rejected (unreadable, or over ``max_codes``) is in no history: it comes as
    not judged, with its reason, to be counted."""
    parser = RecordParser()
    files = read_inputs(
        request.files, request.input_format, request.system, request.id_column, None, request.encoding,
        episode_columns=request.episode_columns,
    )  # fmt: skip
    for item in chain(_record_items(request.records, request.system), files):
        parsed = to_record(item, parser, max_codes)
        if isinstance(parsed, Record):
            yield parsed
        else:  # rejected by the record pass: in no history, and counted so
            yield NotJudged(Record(parsed.id, line=parsed.line, source=parsed.source), rejected(parsed.error.label, max_codes))


def _report_patients(
    request: CheckRequest, patients: PatientChecker, reporter: Reporter, out: IO[str], max_codes: int
) -> HistorySummary:
    # grouped by patient on disk when pyarrow is there (the research extra), so memory stays bounded
    out_of_memory = importlib.util.find_spec("pyarrow") is not None
    judged = patients.judge_records(patient_records(request, max_codes), request.spells, out_of_memory=out_of_memory)
    violations = [v for result in judged for v in result.violations]  # what is reported; a patient's units only counted
    summary = judged.summary
    if isinstance(reporter, JsonReporter):
        reporter.extra = {
            "patients": [patient_violation_dict(v) for v in violations],
            "patient_summary": history_summary_dict(summary),
        }
    elif isinstance(reporter, TextReporter) and not isinstance(reporter, StatisticsReporter):
        for violation in violations:
            out.write(patient_line(violation) + "\n")
        if not request.quiet:
            out.write(history_summary_line(summary) + "\n")
            out.write("\n".join(rate_lines(summary)) + "\n")
    return summary


def run_check(request: CheckRequest, checker: Checker, patients: PatientChecker | None = None) -> CheckOutcome:
    validate(request)
    position = ReadPosition(request.files)
    show_progress = not request.quiet and (request.progress if request.progress is not None else sys.stderr.isatty())
    counter = SummaryCounter()
    ids = IdWatch(request.id_column)
    files = read_inputs(
        request.files, request.input_format, request.system, request.id_column, position, request.encoding,
        episode_columns=request.episode_columns,
    )  # fmt: skip
    items = chain(_record_items(request.records, request.system), files)
    with ExitStack() as stack:
        bar = stack.enter_context(check_progress(show_progress, position, request.color, results_here=request.output is None))
        out: IO[str] = bar.out or sys.stdout
        if request.output:
            out = stack.enter_context(_atomic_output(request.output))
        reporter = _reporter(request, out, checker)
        for result in bar.follow(checker.check_items(items)):
            counter.add(result)
            ids.add(result)
            reporter.add(result)
        summary = counter.summary()
        if patients is not None and patients.active:
            _report_patients(request, patients, reporter, out, checker.max_codes)
        reporter.finish(summary)
    empty = [f"{path} holds no records" for path in request.files if path != "-" and os.path.getsize(path) == 0]
    if summary.records == 0:  # nothing was checked: never a silent success
        return CheckOutcome(summary, (*empty, "no records to check"), USAGE_ERROR)
    status = 0 if request.exit_zero else exit_code(summary, request.fail_on_warning)
    return CheckOutcome(summary, (*empty, *ids.warnings()), status)
