"""The results tables' Arrow schemas: written once, here, and read by every writer, reader
and report. They are a stable interface (the columnar kernel, Spark and DuckDB all produce
these batches): columns are only ever added at the end, never renamed or retyped. Each
column's meaning is written beside it (field metadata ``doc``); ``docs/results-schema.md``
is generated from them (``python -m nicelogic.research.schema > docs/results-schema.md``).

``records``: one row per input record, checked or rejected, and one string column per
``--carry COL`` at the end, named ``col``. ``violations``: one row per violation (waived
ones too, flagged). ``runs``: one row per run, updated as it goes. The patient-level tables
(``patient_violations``, ``patient_rules``, ``patient_units``) of runs whose packs read whole
patients are declared here too and written by :mod:`nicelogic.research.patients`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from nicelogic.input.carry import ATTRIBUTES, RESERVED_NAMES

SCHEMA_VERSION = 1

_ATTRIBUTE_TYPES = {"admission_date": pa.date32(), "episode_start": pa.date32()}

_DOCS = {
    "provider": "PROCODE3, else PROCODE, else PROCODE5 (the first of them the extract has)",
    "main_specialty": "MAINSPEF",
    "treatment_specialty": "TRETSPEF",
    "admission_date": "ADMIDATE",
    "episode_start": "EPISTART",
    "patient": "HESID, else TOKEN_PERSON_ID, or --patient-column",
}


def _field(name: str, kind: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"doc": doc})


RECORDS = pa.schema(
    [
        _field("run_id", pa.string(), "the run (runs.run_id)", False),
        _field("seq", pa.int64(), "0-based position of the record in the run's input (Spark: see nicelogic.spark)", False),
        _field("id", pa.string(), "the record id (EPIKEY or --id-column, JSON id, text ID:; else the line)", False),
        _field("source", pa.string(), "the input file"),
        _field("line", pa.int64(), "its line (text, CSV, JSON Lines) or row (Parquet), 1-based"),
        *(_field(name, _ATTRIBUTE_TYPES.get(name, pa.string()), _DOCS[name]) for name in ATTRIBUTES),
        _field("date", pa.date32(), "admission date, else episode start, else the record's own date (JSON date)"),
        _field("valid", pa.bool_(), "checked, and no error-severity violation", False),
        _field("rejected", pa.bool_(), "could not be read; reason says why", False),
        _field("reason", pa.string(), "why it was rejected (null when checked)"),
        _field("reason_kind", pa.string(), "the kind of problem (opcs-code, attribute, waiver, json, limit...)"),
        _field("reason_column", pa.int32(), "1-based column of the problem (0: the record as a whole)"),
        _field("reason_field", pa.string(), "the field of the problem (CSV or Parquet column, JSON key)"),
        _field("errors", pa.int32(), "error-severity violations, not waived", False),
        _field("warnings", pa.int32(), "warning-severity violations, not waived", False),
        _field("waived", pa.int32(), "violations of rules the record waives", False),
        _field(
            "applies",
            pa.list_(pa.string()),
            "the rules that judged the record (their trigger is in it, violated or "
            "honoured): the denominator of each rule's rate",
        ),  # fmt: skip
    ],
    metadata={"nicelogic.table": "records", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

VIOLATIONS = pa.schema(
    [
        _field("run_id", pa.string(), "the run (runs.run_id)", False),
        _field("seq", pa.int64(), "the record's position: joins records.seq", False),
        _field("id", pa.string(), "the record's id", False),
        _field("rule", pa.string(), "the rule's id (docs/rules.md)", False),
        _field("severity", pa.string(), "error or warning", False),
        _field("section", pa.string(), "opcs, icd10 or cpt (empty for the engine's own warnings about a record)", False),
        _field(
            "positions", pa.list_(pa.int32()), "1-based positions of the blamed codes in the section; [] for the whole record"
        ),
        _field("codes", pa.list_(pa.string()), "the blamed codes, canonical"),
        _field("message", pa.string(), "the rule's message for these codes"),
        _field("waived", pa.bool_(), "a rule the record waives: counted apart", False),
        _field("line", pa.int64(), "the record's line or row"),
        _field(
            "column",
            pa.int32(),
            "1-based column of the first blamed code (CSV, Parquet: among the columns read; JSON: character)",
        ),
        _field("field", pa.string(), "for tabular and JSON input, the field of the first blamed code (OPERTN_02, opcs[2])"),
    ],
    metadata={"nicelogic.table": "violations", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

_PACK = pa.struct([("name", pa.string()), ("version", pa.string()), ("sha256", pa.string())])
_TABLE = pa.struct([("name", pa.string()), ("version", pa.string())])
_INPUT = pa.struct([("path", pa.string()), ("format", pa.string()), ("size", pa.int64()), ("sha256", pa.string())])
_RULE = pa.struct([("id", pa.string()), ("pack", pa.string()), ("severity", pa.string()), ("title", pa.string())])

RUNS = pa.schema(
    [
        _field("run_id", pa.string(), "the run", False),
        _field(
            "fingerprint", pa.string(), "inputs, packs, tables and options: the same command over the same data resumes", False
        ),
        _field("nicelogic_version", pa.string(), "the nicelogic that ran it"),
        _field("schema_version", pa.int32(), "the version of these schemas"),
        _field("command", pa.string(), "the command as typed"),
        _field("options", pa.string(), "JSON: the options that shape the results"),
        _field("started", pa.timestamp("us", tz="UTC"), "when it started"),
        _field("finished", pa.timestamp("us", tz="UTC"), "when it completed (null until then)"),
        _field("status", pa.string(), "running, complete, interrupted or failed"),
        _field("complete", pa.bool_(), "status is complete", False),
        _field("error", pa.string(), "why a failed run stopped"),
        _field(
            "packs",
            pa.list_(_PACK),
            "the rule packs that judged the run (those of its patient pass too): name, version, SHA-256 of their text and tables",
        ),
        _field("tables", pa.list_(_TABLE), "the code tables' versions"),
        _field("inputs", pa.list_(_INPUT), "the input files: path, format, size, SHA-256"),
        _field("rules", pa.list_(_RULE), "every rule of the run: id, pack, severity, title"),
        _field("carried", pa.list_(pa.string()), "the --carry columns"),
        _field("records", pa.int64(), "records committed so far"),
        _field("valid", pa.int64(), "of them valid"),
        _field("invalid", pa.int64(), "invalid (checked, with an error)"),
        _field("rejected", pa.int64(), "rejected (could not be read)"),
        _field("violations", pa.int64(), "violations, not waived"),
        _field("warnings", pa.int64(), "of them warnings"),
        _field("waived", pa.int64(), "waived violations"),
    ],
    metadata={"nicelogic.table": "runs", "nicelogic.schema_version": str(SCHEMA_VERSION)},
)

TABLES = ("records", "violations", "runs")

# The patient-level tables (nicelogic.research.patients), written once a run's records are
# complete when its packs read whole patients.
PATIENT_VIOLATIONS = pa.schema(
    [
        _field("run_id", pa.string(), "the run (runs.run_id)"),
        _field("patient", pa.string(), "the patient key"),
        _field("rule", pa.string(), "the patient-level rule"),
        _field("severity", pa.string(), "error or warning"),
        _field("units", pa.list_(pa.string()), "the episodes or spells it blames (spell 2, episode 5), the counted one first"),
        _field("records", pa.list_(pa.string()), "their record ids"),
        _field("message", pa.string(), "the finding as text"),
    ],
    metadata={"nicelogic.table": "patient_violations"},
)
PATIENT_RULES = pa.schema(
    [
        _field("run_id", pa.string(), "the run (runs.run_id)"),
        _field("rule", pa.string(), "the patient-level rule"),
        _field("applies", pa.int64(), "units it judged: its denominator"),
        _field("violating", pa.int64(), "units it blamed: its numerator"),
        _field("patients", pa.int64(), "patients judged in the run"),
        _field("not_judged", pa.int64(), "records no patient-level rule judged (no patient key, unfinished, over a limit)"),
        _field("title", pa.string(), "the rule's title"),
    ],
    metadata={"nicelogic.table": "patient_rules"},
)
PATIENT_UNITS = pa.schema(
    [
        _field("run_id", pa.string(), "the run (runs.run_id)"),
        _field("patient", pa.string(), "the patient key"),
        _field("rule", pa.string(), "the patient-level rule"),
        _field("unit", pa.string(), "a unit the rule judged (spell 3, episode 7): one row per unit of its denominator"),
        _field("violating", pa.bool_(), "the rule blames the unit"),
        _field("provider", pa.string(), "the unit's provider (PROCODE3 of the spell, or of the episode)"),
        _field("ended", pa.date32(), "when the unit ended: the spell's discharge, else its last episode's end"),
        _field("reference", pa.string(), "the unit it was judged against, if the rule names one (persistence: the index spell)"),
        _field("reference_provider", pa.string(), "the reference's provider"),
        _field("days_since_reference", pa.int32(), "days from the reference's end to the unit's end"),
        _field("provider_changed", pa.bool_(), "the unit's provider differs from the reference's (null when either is unknown)"),
    ],
    metadata={"nicelogic.table": "patient_units"},
)
PATIENT_TABLES = {"patient_violations": PATIENT_VIOLATIONS, "patient_rules": PATIENT_RULES, "patient_units": PATIENT_UNITS}


def records_schema(carried: Sequence[str] = ()) -> pa.Schema:
    """The records schema with one string column per carried column, at the end."""
    clash = [name for name in carried if name in RESERVED_NAMES or name in RECORDS.names]
    if clash:
        raise ValueError(f"carried column {clash[0]!r} is already a column of the records table")
    schema = RECORDS
    for name in carried:
        schema = schema.append(_field(name, pa.string(), f"the extract's column {name.upper()} (--carry)"))
    return schema


def _type(kind: pa.DataType) -> str:
    if pa.types.is_list(kind):
        return f"list<{_type(kind.value_type)}>"
    if pa.types.is_struct(kind):
        return "struct<" + ", ".join(f"{field.name}: {_type(field.type)}" for field in kind) + ">"
    return str(kind)


def markdown() -> str:
    """The tables' columns, types and meanings, for docs/results-schema.md."""
    out = [
        "# The results tables",
        "",
        "Generated from `nicelogic/research/schema.py` (`python -m nicelogic.research.schema > docs/results-schema.md`);",
        "do not edit. `check --results` (DuckDB or Parquet), the columnar kernel (`nicelogic.research.kernel`) and",
        "Spark (`nicelogic.spark`) all write these columns; columns are only ever added at the end. Schema version",
        f"{SCHEMA_VERSION}.",
    ]
    for title, schema in (("records", RECORDS), ("violations", VIOLATIONS), ("runs", RUNS), *PATIENT_TABLES.items()):
        out += ["", f"## `{title}`", ""]
        if title == "patient_violations":
            out += ["The patient-level tables: written when the packs of a run read whole patients, once its records are in.", ""]
        out += ["| column | type | null | meaning |", "|---|---|---|---|"]
        for field in schema:
            doc = (field.metadata or {}).get(b"doc", b"").decode()
            out.append(f"| `{field.name}` | {_type(field.type)} | {'yes' if field.nullable else 'no'} | {doc} |")
        if title == "records":
            out += ["| `col` | string | yes | one column per `--carry COL`, named in lower case |"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
