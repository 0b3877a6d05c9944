"""Records as a request carries them: one bare record or a list, each a text line or a JSON
Lines object; turned into what a checker takes, every one kept in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nicelogic.errors import InputProblem
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.jsonl import json_record
from nicelogic.input.records import to_record
from nicelogic.input.text import line_item
from nicelogic.model import Record, System
from nicelogic.results import RecordResult

SOURCE = "<request>"


class RecordObject(BaseModel):
    """A record in the JSON Lines shape (docs/output.md); a field of the wrong type makes
    it a rejected record in the result, not a refused request."""

    model_config = ConfigDict(extra="allow")
    id: Any = Field(None, description="The record's id (its number in the request when absent).")
    opcs: Any = Field(None, description='OPCS-4 codes in order, e.g. ["V44.4", "V55.1"].')
    icd10: Any = Field(None, description='ICD-10 codes in order, e.g. ["M80.0"].')
    cpt: Any = Field(None, description='CPT/HCPCS line items, e.g. ["22511", "77003-59"].')

    @model_validator(mode="before")
    @classmethod
    def _not_a_list_of_records(cls, data: Any) -> Any:
        if isinstance(data, dict) and "records" in data:
            raise ValueError('"records" names the list of records of a request, not a field of one record')
        return data

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


# one record: a line of the text format ("ep1: opcs V44.4 V55.1; icd M80.0") or an object of
# the JSON Lines shape ({"id": "ep1", "opcs": ["V44.4", "V55.1"], "icd10": ["M80.0"]})
RecordIn = str | RecordObject


class CheckRequest(BaseModel):
    """Records under ``records``, each a text line or a JSON Lines object."""

    model_config = ConfigDict(extra="forbid")  # a misspelt or unknown field is refused, not ignored
    records: list[RecordIn] = Field(min_length=1)


# what POST /v1/check takes: {"records": [...]}, a bare list, one record object, or text
# (one record per line, as in a file: blank and comment lines are skipped)
CheckBody = CheckRequest | list[RecordIn] | RecordIn


def body_records(body: CheckBody) -> dict[int, RecordIn]:
    """The records of a request by their numbers: a list's entries from 1, a text's lines
    by their line in it (as ``check`` numbers a file's), so that the line an error names is
    the line of the text."""
    if isinstance(body, CheckRequest):
        return dict(enumerate(body.records, start=1))
    if isinstance(body, list):
        return dict(enumerate(body, start=1))
    if isinstance(body, RecordObject):
        return {1: body}
    lines = enumerate((line.removesuffix("\r") for line in body.split("\n")), start=1)
    return {n: line for n, line in lines if line.strip() and not line.lstrip().startswith("#")} or {1: body}


def check_items(records: Mapping[int, RecordIn]) -> list[InputLine | RecordResult]:
    """One item per record, with its number; an entry that holds no record (a blank or a
    comment) is already its rejected result."""
    items: list[InputLine | RecordResult] = []
    for number, entry in records.items():
        item = _item(entry, number, System.OPCS)
        if item is None:
            problem = InputProblem("the entry holds no record (it is blank or a comment)", number, 0, "empty")
            items.append(RecordResult(str(number), number, SOURCE, error=problem))
        else:
            items.append(item)
    return items


def one_record(entry: RecordIn, parser: RecordParser, max_codes: int, system: System = System.OPCS) -> Record | Rejected:
    """The single record a completion or repair is asked about, read as ``check`` reads it."""
    item = _item(entry, 1, system)
    if item is None:
        return Rejected("1", 1, SOURCE, InputProblem("the record is blank or a comment", 1, 0, "empty"))
    return to_record(item, parser, max_codes)


def _item(entry: RecordIn, number: int, system: System) -> InputLine | None:
    if isinstance(entry, RecordObject):
        return json_record(entry.as_json(), SOURCE, number)
    return line_item(entry, SOURCE, number, system)
