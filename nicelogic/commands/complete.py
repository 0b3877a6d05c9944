"""``nicelogic complete`` and ``nicelogic repair``: every partial record answered, or
rejected with its reason, as ``check`` would reject it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nicelogic.complete import Completer, RepairReport
from nicelogic.errors import GaveUp, LimitExceeded, UsageError
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected, encoding_name
from nicelogic.input.read import read_lines
from nicelogic.input.records import to_record
from nicelogic.input.tabular import TableRow
from nicelogic.input.text import line_item
from nicelogic.model import Record, System
from nicelogic.report.completions import consequences_text, rejected_dict, rejected_text, repair_text, report_dict, report_text


@dataclass(frozen=True)
class Answers:
    """One answer per record (a report, or the rejection), its text, and the exit status:
    0 when every record got what was asked for."""

    items: tuple[tuple[Any, str], ...]
    exit_code: int

    def documents(self) -> list[dict[str, Any]]:
        return [
            rejected_dict(item) if isinstance(item, Rejected) else item if isinstance(item, dict) else report_dict(item)
            for item, _ in self.items
        ]

    def text(self) -> str:
        return "\n\n".join(text for _, text in self.items)


def partial_records(records: Sequence[str], file: str | None, system: System, encoding: str = "utf-8") -> list[Record | Rejected]:
    """Records given as arguments and in a file, each read as ``check`` reads it (keeping
    its id, sex, age, date and waivers), or rejected with its reason."""
    items: list[InputLine | TableRow] = []
    for number, text in enumerate(records, start=1):
        item = line_item(text, "<record>", number, system)
        if item is None:
            raise UsageError(f"{text!r} holds no record (it is blank or a comment)")
        items.append(item)
    try:
        encoding_name(encoding)
    except ValueError as exc:
        raise UsageError(f"--encoding: {exc}") from None
    if file:
        items += read_lines(file, "auto", system, encoding=encoding)
    if not items:
        raise UsageError('give a record ("opcs V44.4") or --file FILE')
    parser = RecordParser()
    return [to_record(item, parser) for item in items]


def _gave_up(record: Record, error: GaveUp | LimitExceeded) -> tuple[Any, str, bool]:
    """The answer for a record given up on: out of time before anything was found, or out of memory."""
    document: dict[str, object]
    if isinstance(error, LimitExceeded):
        document = {"input": record.text(), "limit_exceeded": error.kind, "error": str(error)}
        hint = "a shorter record, fewer --max-add or a larger --memory-limit may help"
    else:
        document = {"input": record.text(), "gave_up": error.seconds, "error": str(error)}
        hint = "a shorter record, fewer --max-add or a longer --time-limit may help"
    return document, f"{record.text()}\n  {error}: {hint}", False


def complete_records(
    completer: Completer, records: Sequence[Record | Rejected], *, minimal: bool, grouped: bool, may: bool, must: bool,
    limit: int, count_limit: int,
) -> Answers:  # fmt: skip
    found_all = True
    items: list[tuple[Any, str]] = []
    for record in records:
        if isinstance(record, Rejected):
            found_all = False
            items.append(_rejected(record)[:2])
        else:
            try:
                if may or must:
                    result = completer.consequences(record, minimal=minimal)
                    found_all &= result.conflict is None and result.gave_up is None
                    items.append((result, consequences_text(result, may, must)))
                else:
                    report = completer.complete(record, minimal=minimal, grouped=grouped, limit=limit, count_limit=count_limit)
                    found_all &= report.count > 0 and report.gave_up is None
                    items.append((report, report_text(report)))
            except (GaveUp, LimitExceeded) as error:
                found_all = False
                items.append(_gave_up(record, error)[:2])
    return Answers(tuple(items), 0 if found_all else 1)


def repair_records(completer: Completer, records: Sequence[Record | Rejected], *, limit: int, count_limit: int) -> Answers:
    items = [
        _rejected(record) if isinstance(record, Rejected) else _repair(completer, record, limit, count_limit)
        for record in records
    ]
    return Answers(tuple((item, text) for item, text, _ in items), 0 if all(done for _, _, done in items) else 1)


def _repair(completer: Completer, record: Record, limit: int, count_limit: int) -> tuple[Any, str, bool]:
    try:
        return _repaired(completer.repair(record, limit=limit, count_limit=count_limit))
    except (GaveUp, LimitExceeded) as error:
        return _gave_up(record, error)


def _rejected(record: Rejected) -> tuple[Any, str, bool]:
    return record, rejected_text(record), False


def _repaired(report: RepairReport) -> tuple[Any, str, bool]:
    return report, repair_text(report), (report.count > 0 and report.gave_up is None) or not report.violations
