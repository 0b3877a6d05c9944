"""The results tables' Arrow schemas: written once, here, and read by every writer, reader
and report. They are a stable interface (a later columnar kernel, Spark and DuckDB all
produce these batches): columns are only ever added at the end, never renamed or retyped.

``records``: one row per input record, checked or rejected.

=====================  ==============  ====================================================
column                 type            meaning
=====================  ==============  ====================================================
run_id                 string          the run (``runs.run_id``)
seq                    int64           0-based position of the record in the run's input
id                     string          the record id (EPIKEY, JSON ``id``, text ``ID:``)
source                 string          the input file
line                   int64           its line (text, CSV, JSON Lines) or row (Parquet)
provider               string          PROCODE3, else PROCODE, else PROCODE5
main_specialty         string          MAINSPEF
treatment_specialty    string          TRETSPEF
admission_date         date32          ADMIDATE
episode_start          date32          EPISTART
patient                string          HESID, else TOKEN_PERSON_ID, or ``--patient-column``
date                   date32          admission date, else episode start, else the
                                       record's own date (JSON ``date``, OPDATE_01)
valid                  bool            checked, and no error-severity violation
rejected               bool            could not be read; ``reason`` says why
reason                 string          why it was rejected (null when checked)
reason_kind            string          the kind of problem (``syntax``, ``attribute``...)
reason_column          int32           1-based column of the problem (0: the record)
reason_field           string          the field of the problem (CSV column, JSON key)
errors                 int32           error-severity violations (not waived)
warnings               int32           warning-severity violations (not waived)
waived                 int32           violations of rules the record waives
applies                list<string>    the rules that judged the record: its trigger is
                                       there (violated or honoured); the denominator of
                                       each rule's rate
<carried>              string          one column per ``--carry COL``, named ``col``
=====================  ==============  ====================================================

``violations``: one row per violation (waived ones too, flagged).

``runs``: one row per run, updated as it goes (see :data:`RUNS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from nicelogic.input.carry import ATTRIBUTES, RESERVED_NAMES

SCHEMA_VERSION = 1

_ATTRIBUTE_TYPES = {"admission_date": pa.date32(), "episode_start": pa.date32()}

RECORDS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("line", pa.int64()),
        *(pa.field(name, _ATTRIBUTE_TYPES.get(name, pa.string())) for name in ATTRIBUTES),
        pa.field("date", pa.date32()),
        pa.field("valid", pa.bool_(), nullable=False),
        pa.field("rejected", pa.bool_(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("reason_kind", pa.string()),
        pa.field("reason_column", pa.int32()),
        pa.field("reason_field", pa.string()),
        pa.field("errors", pa.int32(), nullable=False),
        pa.field("warnings", pa.int32(), nullable=False),
        pa.field("waived", pa.int32(), nullable=False),
        pa.field("applies", pa.list_(pa.string())),
    ],
    metadata={"nicelogic.table": "records", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

VIOLATIONS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),  # the record's, joins records.seq
        pa.field("id", pa.string(), nullable=False),  # the record's id
        pa.field("rule", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),  # error or warning
        pa.field("section", pa.string(), nullable=False),  # opcs, icd10 or cpt
        pa.field("positions", pa.list_(pa.int32())),  # 1-based in the section; [] for the whole record
        pa.field("codes", pa.list_(pa.string())),  # the blamed codes, canonical
        pa.field("message", pa.string()),
        pa.field("waived", pa.bool_(), nullable=False),  # a rule the record waives: counted apart
        pa.field("line", pa.int64()),
        pa.field("column", pa.int32()),
        pa.field("field", pa.string()),  # for tabular and JSON input, the field of the first blamed code
    ],
    metadata={"nicelogic.table": "violations", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

_PACK = pa.struct([("name", pa.string()), ("version", pa.string()), ("sha256", pa.string())])
_TABLE = pa.struct([("name", pa.string()), ("version", pa.string())])
_INPUT = pa.struct([("path", pa.string()), ("format", pa.string()), ("size", pa.int64()), ("sha256", pa.string())])
_RULE = pa.struct([("id", pa.string()), ("pack", pa.string()), ("severity", pa.string()), ("title", pa.string())])

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("fingerprint", pa.string(), nullable=False),  # inputs, packs, tables and options: what resumes
        pa.field("nicelogic_version", pa.string()),
        pa.field("schema_version", pa.int32()),
        pa.field("command", pa.string()),
        pa.field("options", pa.string()),  # JSON: the options that shape the results
        pa.field("started", pa.timestamp("us", tz="UTC")),
        pa.field("finished", pa.timestamp("us", tz="UTC")),  # null until the run completes
        pa.field("status", pa.string()),  # running, complete, interrupted or failed
        pa.field("complete", pa.bool_(), nullable=False),
        pa.field("error", pa.string()),  # why a failed run stopped
        pa.field("packs", pa.list_(_PACK)),
        pa.field("tables", pa.list_(_TABLE)),
        pa.field("inputs", pa.list_(_INPUT)),
        pa.field("rules", pa.list_(_RULE)),
        pa.field("carried", pa.list_(pa.string())),
        pa.field("records", pa.int64()),  # committed so far
        pa.field("valid", pa.int64()),
        pa.field("invalid", pa.int64()),
        pa.field("rejected", pa.int64()),
        pa.field("violations", pa.int64()),  # not waived
        pa.field("warnings", pa.int64()),
        pa.field("waived", pa.int64()),
    ],
    metadata={"nicelogic.table": "runs", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

TABLES = ("records", "violations", "runs")


def records_schema(carried: Sequence[str] = ()) -> pa.Schema:
    """The records schema with one string column per carried column, at the end."""
    clash = [name for name in carried if name in RESERVED_NAMES or name in RECORDS.names]
    if clash:
        raise ValueError(f"carried column {clash[0]!r} is already a column of the records table")
    schema = RECORDS
    for name in carried:
        schema = schema.append(pa.field(name, pa.string()))
    return schema
