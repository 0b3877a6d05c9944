"""The columnar patient kernel: what a distributed run of the packs that read whole patients
does in each task, with Arrow in and out and the single-machine code in between.

Two steps, with a shuffle by patient between them (:mod:`nicelogic.spark`):

1. :func:`read_episodes`: a batch of extract rows read as the files are read
   (:mod:`nicelogic.input.arrow`), each readable record with its patient key, or with the
   reason it is not judged (no patient key, unfinished), and as the payload the disk spool
   carries (:func:`nicelogic.history.spool.payload`). A record that cannot be read is left
   out, as the single-machine patient pass leaves it out: it is rejected in ``records``.
2. :func:`judge`: a group of whole patients' payloads, put back in input order and checked
   by :meth:`PatientChecker.check_records <nicelogic.history.checker.PatientChecker.check_records>`
   (grouping, spells, the bounded solve, the limits), as one row: the ``patient_violations``
   rows nested, and the group's :class:`~nicelogic.history.results.HistorySummary`, which
   :func:`summary_of` reads back and :func:`nicelogic.history.checker.merged` adds up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from nicelogic.history.checker import PatientChecker
from nicelogic.history.patients import not_judged_reason, rejected
from nicelogic.history.results import HistorySummary, RuleRate
from nicelogic.history.spool import from_payload, payload
from nicelogic.input.arrow import batch_items
from nicelogic.input.episodes import DEFAULT_COLUMNS, EpisodeColumns
from nicelogic.input.grammar import RecordParser
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.model import Record
from nicelogic.research.patients import unit_rows, violation_rows
from nicelogic.research.schema import PATIENT_UNITS, PATIENT_VIOLATIONS

EPISODES = pa.schema([
    ("seq", pa.int64()),  # the row's position in the input: episodes are put back in this order
    ("patient", pa.string()),  # null when the record is not judged
    ("reason", pa.string()),  # why it is not judged (null when it is)
    ("payload", pa.string()),  # the record (null when it is not judged)
])  # fmt: skip

_COUNT = pa.int64()
JUDGED = pa.schema([
    ("violations", pa.list_(pa.struct(list(PATIENT_VIOLATIONS)))),
    ("units", pa.list_(pa.struct(list(PATIENT_UNITS)))),
    ("patients", _COUNT),
    ("violation_count", _COUNT),
    ("duplicates", _COUNT),
    ("not_judged", pa.list_(pa.struct([("reason", pa.string()), ("records", _COUNT)]))),
    ("spell_methods", pa.list_(pa.struct([("method", pa.string()), ("patients", _COUNT)]))),
    ("rates", pa.list_(pa.struct([("rule", pa.string()), ("applies", _COUNT), ("violating", _COUNT)]))),
])  # fmt: skip

_PARSERS: list[RecordParser] = []  # one per process, made on first use


def _parser() -> RecordParser:
    if not _PARSERS:
        _PARSERS.append(RecordParser())
    return _PARSERS[0]


def read_episodes(
    batch: pa.RecordBatch | pa.Table,
    seq: Sequence[int],
    source: str,
    id_column: str | None = None,
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
    max_codes: int = MAX_CODES,
) -> pa.RecordBatch:
    """The readable records of ``batch`` (rows numbered ``seq``; their line is seq + 1) as
    :data:`EPISODES` rows."""
    parser = _parser()
    items = batch_items(batch, [n + 1 for n in seq], source, id_column, episode_columns)
    rows: dict[str, list[object]] = {name: [] for name in EPISODES.names}
    for position, item in zip(seq, items, strict=True):
        record = to_record(item, parser, max_codes)
        if not isinstance(record, Record):
            # rejected by the record pass: counted as not judged, with the reason
            rows["seq"].append(position)
            rows["patient"].append(None)
            rows["reason"].append(rejected(record.error.label, max_codes))
            rows["payload"].append(None)
            continue
        reason = not_judged_reason(record)
        judged = reason is None and record.episode is not None
        rows["seq"].append(position)
        rows["patient"].append(record.episode.patient if judged and record.episode is not None else None)
        rows["reason"].append(reason)
        rows["payload"].append(payload(record) if judged else None)
    return pa.RecordBatch.from_pydict(rows, schema=EPISODES)


def judge(group: pa.Table, checker: PatientChecker, spells: str = "auto", run_id: str = "") -> pa.RecordBatch:
    """One group of whole patients' :data:`EPISODES` rows judged: a :data:`JUDGED` row."""
    ordered = pc.take(group.column("payload"), pc.sort_indices(group.column("seq")))
    records = [from_payload(text) for text in ordered.to_pylist()]
    results, _, summary = checker.check_records(records, spells)
    row = {
        "violations": [violation_rows(run_id, results)],
        "units": [unit_rows(run_id, results)],
        "patients": [summary.patients],
        "violation_count": [summary.violations],
        "duplicates": [summary.duplicates],
        "not_judged": [[{"reason": reason, "records": count} for reason, count in summary.not_judged.items()]],
        "spell_methods": [[{"method": method, "patients": count} for method, count in summary.spell_methods.items()]],
        "rates": [[{"rule": r.rule, "applies": r.applies, "violating": r.violating} for r in summary.rates]],
    }
    return pa.RecordBatch.from_pydict(row, schema=JUDGED)


def summary_of(row: Mapping[str, Any]) -> HistorySummary:
    """The summary a :data:`JUDGED` row holds (its violations aside), as a dict (Spark's
    ``Row.asDict(recursive=True)``, or ``pyarrow``'s ``to_pylist()``)."""
    return HistorySummary(
        patients=int(row["patients"] or 0),
        violations=int(row["violation_count"] or 0),
        not_judged=MappingProxyType({n["reason"]: int(n["records"]) for n in row["not_judged"] or ()}),
        duplicates=int(row["duplicates"] or 0),
        spell_methods=MappingProxyType({m["method"]: int(m["patients"]) for m in row["spell_methods"] or ()}),
        rates=tuple(RuleRate(r["rule"], int(r["applies"]), int(r["violating"])) for r in row["rates"] or ()),
    )
