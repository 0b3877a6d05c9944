"""``nicelogic check FILES --results TARGET``: every record checked into a results database,
batch by batch, resumable.

A run is identified by its *fingerprint*: the inputs (path, size and SHA-256), the packs
(name, version and a hash of their text), the tables' versions and the options that shape
the results. Run the same command again after an interruption and the run with that
fingerprint continues after its last committed batch: the records already committed are
read past (reading is cheap; checking is not) and never checked or written twice. A
complete run is not run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from nicelogic._version import __version__
from nicelogic.checking.checker import Checker
from nicelogic.errors import InputError, UsageError
from nicelogic.input.carry import CarrySpec
from nicelogic.input.items import InputLine
from nicelogic.input.read import ReadPosition, detect_format, read_inputs
from nicelogic.input.tabular import TableRow
from nicelogic.model import System
from nicelogic.report.terminal import check_progress
from nicelogic.research.batches import Attributes, AttributeTap, to_batches
from nicelogic.research.schema import SCHEMA_VERSION
from nicelogic.research.store import COUNTS, ResultStore, now, open_store
from nicelogic.results import Summary, exit_code

COMMIT_EVERY = 5000  # records a transaction: small enough to lose little, large enough to cost little


@dataclass(frozen=True)
class ResultsRequest:
    files: Sequence[str]
    results: str  # a DuckDB file, or a folder (DIR/) of Parquet
    input_format: str = "auto"
    system: System = System.OPCS
    id_column: str | None = None
    carry: tuple[str, ...] = ()
    patient_column: str | None = None
    progress: bool = False
    color: str = "auto"
    command: str = ""  # as typed, for the runs table
    exit_zero: bool = False
    commit_every: int = COMMIT_EVERY
    encoding: str = "utf-8"  # of the input files (not Parquet, which says its own)


@dataclass(frozen=True)
class ResultsOutcome:
    run_id: str
    summary: Summary
    resumed_from: int = 0  # records already committed when this invocation started
    already_complete: bool = False
    exit_code: int = 0


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _inputs(request: ResultsRequest) -> list[dict[str, object]]:
    found = []
    for path in request.files:
        if path == "-":
            raise UsageError("--results reads files, not standard input: a run must be able to read its input again to resume")
        if os.path.isdir(path):
            raise UsageError(f"cannot read {path}: it is a folder (give the files in it)")
        if not os.path.isfile(path):
            raise UsageError(f"cannot read {path}: no such file")
        fmt = request.input_format if request.input_format != "auto" else detect_format(path)
        found.append({"path": os.path.abspath(path), "format": fmt, "size": os.path.getsize(path), "sha256": _sha256(path)})
    if not found:
        raise UsageError("give FILES to check into --results")
    return found


def _pack_digest(texts: Sequence[str], tables: Sequence[str]) -> str:
    """A pack's content hash: its rule files and its relation tables (as the facts solved)."""
    return hashlib.sha256("\0".join((*texts, *tables)).encode()).hexdigest()


def _description(request: ResultsRequest, checker: Checker, spec: CarrySpec) -> dict[str, object]:
    """Everything the results depend on, as the runs row records it."""
    packs = [
        {
            "name": pack.name,
            "version": pack.version,
            "sha256": _pack_digest(pack.texts, [table.facts() for table in pack.relations]),
        }
        for pack in checker.ruleset.packs
    ]
    options = {
        "input_format": request.input_format, "system": request.system.value, "id_column": request.id_column,
        "carry": list(request.carry), "patient_column": request.patient_column, "select": list(checker.filter.select),
        "ignore": list(checker.filter.ignore), "max_codes": checker.max_codes,
    }  # fmt: skip
    rules = [
        {"id": rule.id, "pack": rule.pack, "severity": rule.severity, "title": rule.title} for rule in checker.rules.values()
    ]
    return {
        "packs": packs,
        "tables": [{"name": name, "version": version} for name, version in checker.tables.versions().items()],
        "inputs": _inputs(request),
        "options": json.dumps(options, sort_keys=True),
        "rules": sorted(rules, key=lambda r: str(r["id"])),
        "carried": list(spec.carried_names),
    }


def _fingerprint(description: dict[str, object]) -> str:
    shaping = {key: description[key] for key in ("packs", "tables", "inputs", "options")}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def _summary(row: dict[str, object]) -> Summary:
    count = {name: int(row[name] or 0) for name in COUNTS}  # type: ignore[call-overload]
    return Summary(
        count["records"], count["valid"], count["invalid"], count["rejected"], count["violations"], count["warnings"],
        count["waived"],
    )  # fmt: skip


def _items(request: ResultsRequest, spec: CarrySpec, position: ReadPosition, skip: int) -> Iterator[InputLine | TableRow]:
    lines = read_inputs(
        request.files, request.input_format, request.system, request.id_column, position,
        encoding=request.encoding, carried=spec.keys(),
    )  # fmt: skip
    return position.track(islice(lines, skip, None))


def run_results(request: ResultsRequest, checker: Checker) -> ResultsOutcome:
    """Check every record of the files into the results database, resuming a stopped run
    of the same command."""
    if not checker.applicability:
        raise ValueError("a results run needs a Checker(applicability=True): rates need to know where rules apply")
    spec = CarrySpec(request.carry, request.patient_column)
    description = _description(request, checker, spec)
    fingerprint = _fingerprint(description)
    store = open_store(request.results)
    try:
        stored = store.find(fingerprint)
        if stored is not None and stored.complete:
            row = store.run_row(stored.run_id)
            summary = _summary(row)
            return ResultsOutcome(stored.run_id, summary, stored.records, True, _status(request, summary))
        if stored is not None:
            run_id, committed = stored.run_id, store.resume(stored.run_id)
        else:
            run_id, committed = now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6], 0
            store.start(
                {"run_id": run_id, "fingerprint": fingerprint, "nicelogic_version": __version__, "schema_version": SCHEMA_VERSION,
                 "command": request.command, "started": now(), "status": "running", "complete": False,
                 **description, **dict.fromkeys(COUNTS, 0)}
            )  # fmt: skip
        _check_into(store, run_id, committed, request, checker, spec)
        summary = _summary(store.run_row(run_id))
        return ResultsOutcome(run_id, summary, committed, False, _status(request, summary))
    finally:
        store.close()


def _status(request: ResultsRequest, summary: Summary) -> int:
    return 0 if request.exit_zero else exit_code(summary)


def _check_into(
    store: ResultStore, run_id: str, committed: int, request: ResultsRequest, checker: Checker, spec: CarrySpec
) -> None:
    position = ReadPosition(request.files)
    tap = AttributeTap(spec)
    waiting: deque[Attributes] = deque()  # attributes of the records read and not yet committed, in order
    items = tap.follow(_items(request, spec, position, committed), waiting.append)
    rules = checker.rules

    def kept(rule: str) -> bool:
        return not checker.filter or (rule in rules and checker.filter.keeps(rule, rules[rule].pack))

    seq = committed
    try:
        with check_progress(request.progress, position, request.color) as bar:
            results = bar.follow(checker.check_items(items))
            while batch := list(islice(results, request.commit_every)):
                attributes = [waiting.popleft() for _ in batch]
                records, violations = to_batches(run_id, seq, batch, attributes, tap.names, spec.carried_names, kept)
                store.commit(run_id, records, violations)
                seq += len(batch)
    except InputError as exc:
        store.finish(run_id, "failed", str(exc))
        raise
    except BaseException:
        store.finish(run_id, "interrupted")
        raise
    if seq == 0:
        store.finish(run_id, "failed", "no records to check")
        raise InputError("no records to check")
    store.finish(run_id, "complete")
