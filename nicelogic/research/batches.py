"""Checker results as Arrow batches of the results schema (:mod:`nicelogic.research.schema`).

This is the one place where :class:`RecordResult` objects become rows; a columnar checker
would produce the same batches directly. Attributes arrive beside the results (read from
the input in the parent process, never sent to workers) as :class:`Attributes` tuples.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from nicelogic.input.carry import DATE_ATTRIBUTES, AttributeReader, CarrySpec, attribute_value, mapping_attributes
from nicelogic.input.items import InputLine
from nicelogic.input.tabular import TableRow
from nicelogic.model import Record
from nicelogic.research.schema import VIOLATIONS, records_schema
from nicelogic.results import RecordResult


@dataclass(frozen=True, slots=True)
class Attributes:
    """What is carried beside one record's result: the values of ``CarrySpec.sources()`` in
    order, and the record's own date (JSON ``date``), the last resort for ``date``."""

    values: tuple[object, ...]
    own_date: str | None = None


class AttributeTap:
    """Reads each input item's attributes as it goes past, for the results (one reader per
    tabular header, built once)."""

    def __init__(self, spec: CarrySpec) -> None:
        self.spec = spec
        self.names = tuple(spec.sources())
        self._readers: dict[tuple[str, ...], AttributeReader] = {}  # by header
        self._empty = Attributes((None,) * len(self.names))

    def attributes(self, item: InputLine | TableRow | Record) -> Attributes:
        if isinstance(item, TableRow):
            header = item.layout.names
            reader = self._readers.get(header)
            if reader is None:
                reader = self._readers[header] = AttributeReader(self.spec, header)
            return Attributes(reader.read(item.cells))
        if isinstance(item, InputLine) and item.attributes:
            return Attributes(mapping_attributes(self.spec, dict(item.attributes)), item.date)
        return Attributes(self._empty.values, item.date) if item.date else self._empty

    def follow(
        self, items: Iterator[InputLine | TableRow | Record], into: Callable[[Attributes], None]
    ) -> Iterator[InputLine | TableRow | Record]:
        for item in items:
            into(self.attributes(item))
            yield item


def iso_date(value: object) -> datetime.date | None:
    """A carried date attribute (an ISO date, as the attribute readers give it) as a date."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else None


def to_batches(
    run_id: str,
    first_seq: int,
    results: Sequence[RecordResult],
    attributes: Sequence[Attributes],
    names: Sequence[str],
    carried: Sequence[str],
    applies_kept: Callable[[str], bool] = lambda rule: True,
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The records and violations batches of consecutive results (``first_seq`` is the
    position of the first in the run's input); ``names`` name the attribute values,
    ``carried`` the ``--carry`` columns among them; ``applies_kept`` keeps the rules
    selected for the run in ``applies``."""
    schema = records_schema(carried)
    columns: dict[str, list[object]] = {name: [] for name in schema.names}
    vcols: dict[str, list[object]] = {name: [] for name in VIOLATIONS.names}
    at = {name: index for index, name in enumerate(names)}
    for offset, (result, carried_values) in enumerate(zip(results, attributes, strict=True)):
        seq = first_seq + offset
        values = carried_values.values
        columns["run_id"].append(run_id)
        columns["seq"].append(seq)
        columns["id"].append(result.id)
        columns["source"].append(result.source)
        columns["line"].append(result.line)
        for name, index in at.items():
            value = values[index]
            columns[name].append(iso_date(value) if name in DATE_ATTRIBUTES else value)
        own = attribute_value(carried_values.own_date, True) if carried_values.own_date else None
        when = values[at["admission_date"]] or values[at["episode_start"]] or own
        columns["date"].append(iso_date(when))
        error = result.error
        columns["valid"].append(result.valid)
        columns["rejected"].append(error is not None)
        columns["reason"].append(error.message if error else None)
        columns["reason_kind"].append(error.label if error else None)
        columns["reason_column"].append(error.column if error else None)
        columns["reason_field"].append(error.where if error else None)
        errors = sum(v.is_error for v in result.violations)
        columns["errors"].append(errors)
        columns["warnings"].append(len(result.violations) - errors)
        columns["waived"].append(len(result.waived))
        columns["applies"].append([rule for rule in result.applies if applies_kept(rule)] if error is None else [])
        for waived, found in ((False, result.violations), (True, result.waived)):
            for violation in found:
                vcols["run_id"].append(run_id)
                vcols["seq"].append(seq)
                vcols["id"].append(result.id)
                vcols["rule"].append(violation.rule)
                vcols["severity"].append(violation.severity)
                vcols["section"].append(violation.section)
                vcols["positions"].append(list(violation.positions))
                vcols["codes"].append(list(violation.codes))
                vcols["message"].append(violation.message)
                vcols["waived"].append(waived)
                vcols["line"].append(violation.line)
                vcols["column"].append(violation.column)
                vcols["field"].append(violation.where)
    records = pa.RecordBatch.from_pydict(columns, schema=schema)
    violations = pa.RecordBatch.from_pydict(vcols, schema=VIOLATIONS)
    return records, violations
