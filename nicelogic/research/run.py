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
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from nicelogic._version import __version__
from nicelogic.checking.checker import Checker
from nicelogic.errors import InputError, UsageError
from nicelogic.input.arrow import fits_columns, json_texts_batch, table_rows_batch, text_lines_batch
from nicelogic.input.carry import CarrySpec
from nicelogic.input.episodes import DEFAULT_COLUMNS, EpisodeColumns
from nicelogic.input.items import InputLine, undecodable
from nicelogic.input.jsonl import json_line, jsonl_texts
from nicelogic.input.parquet import parquet_batches
from nicelogic.input.read import ReadPosition, detect_format, open_input, read_inputs
from nicelogic.input.tabular import TableRow
from nicelogic.model import System
from nicelogic.report.terminal import check_progress
from nicelogic.research.batches import Attributes, AttributeTap, to_batches
from nicelogic.research.kernel import Kernel
from nicelogic.research.parallel import BatchTask, RowsTask, Task, check_batches
from nicelogic.research.schema import SCHEMA_VERSION
from nicelogic.research.store import COUNTS, ResultStore, now, open_store
from nicelogic.research.units import UNIT_BYTES
from nicelogic.results import Summary, exit_code
from nicelogic.rules.packs import Pack

if TYPE_CHECKING:
    import pyarrow as pa

COMMIT_EVERY = 5000  # records a transaction: small enough to lose little, large enough to cost little
# Records the kernel reads into keys at once (committed COMMIT_EVERY at a time): the batches
# read ahead of the workers are held in memory; at a million records, 20,000 peaked 48 MiB
# higher than 10,000 (564 against 516 MiB, one run each, 27 and 29 s on a shared machine).
KERNEL_BATCH = 10_000


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
    engine: str = "local"  # or spark (nicelogic.spark): a run of its own, whose seq numbers differ
    unit_bytes: int = UNIT_BYTES  # spark: the input files are checked and written in units of this size
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS  # where patient, spell and episode keys and dates are


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


def describe(
    request: ResultsRequest, checker: Checker, spec: CarrySpec, patient_packs: Sequence[Pack] = (), spells: str | None = None
) -> dict[str, object]:
    """Everything the results depend on, as the runs row records it: with ``patient_packs``
    (the packs that read whole patients, judging the run's patient pass) those packs too,
    and the spell method they were given."""
    packs = [
        {
            "name": pack.name,
            "version": pack.version,
            "sha256": _pack_digest(pack.texts, [table.facts() for table in pack.relations]),
        }
        for pack in (*checker.ruleset.packs, *patient_packs)
    ]
    options = {
        "input_format": request.input_format, "system": request.system.value, "id_column": request.id_column,
        "carry": list(request.carry), "patient_column": request.patient_column, "select": list(checker.filter.select),
        "ignore": list(checker.filter.ignore), "max_codes": checker.max_codes,
    }  # fmt: skip
    if patient_packs:
        options["spells"] = spells or "auto"
    if request.engine != "local":
        options["engine"] = request.engine
        options["unit_bytes"] = request.unit_bytes  # a resumed run must cut its files into the same units
    judging = [*checker.rules.values(), *(rule for pack in patient_packs for rule in pack.rules)]
    rules = [{"id": rule.id, "pack": rule.pack, "severity": rule.severity, "title": rule.title} for rule in judging]
    return {
        "packs": packs,
        "tables": [{"name": name, "version": version} for name, version in checker.tables.versions().items()],
        "inputs": _inputs(request),
        "options": json.dumps(options, sort_keys=True),
        "rules": sorted(rules, key=lambda r: str(r["id"])),
        "carried": list(spec.carried_names),
    }


def fingerprint(description: dict[str, object]) -> str:
    shaping = {key: description[key] for key in ("packs", "tables", "inputs", "options")}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def new_run_id() -> str:
    return now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]


def run_row(run_id: str, run_fingerprint: str, request: ResultsRequest, description: dict[str, object]) -> dict[str, object]:
    """The runs row of a run as it starts."""
    return {
        "run_id": run_id, "fingerprint": run_fingerprint, "nicelogic_version": __version__, "schema_version": SCHEMA_VERSION,
        "command": request.command, "started": now(), "status": "running", "complete": False,
        **description, **dict.fromkeys(COUNTS, 0),
    }  # fmt: skip


def run_summary(row: dict[str, object]) -> Summary:
    count = {name: int(row[name] or 0) for name in COUNTS}  # type: ignore[call-overload]
    return Summary(
        count["records"], count["valid"], count["invalid"], count["rejected"], count["violations"], count["warnings"],
        count["waived"],
    )  # fmt: skip


def _items(request: ResultsRequest, spec: CarrySpec, position: ReadPosition, skip: int) -> Iterator[InputLine | TableRow]:
    lines = read_inputs(
        request.files, request.input_format, request.system, request.id_column, position,
        encoding=request.encoding, carried=spec.keys(), episode_columns=request.episode_columns,
    )  # fmt: skip
    return position.track(islice(lines, skip, None))


def run_results(
    request: ResultsRequest, checker: Checker, patient_packs: Sequence[Pack] = (), spells: str | None = None
) -> ResultsOutcome:
    """Check every record of the files into the results database, resuming a stopped run
    of the same command. ``patient_packs`` and ``spells``: those of the patient pass that
    follows, so that the runs row names every pack that judged the run."""
    if not checker.applicability:
        raise ValueError("a results run needs a Checker(applicability=True): rates need to know where rules apply")
    spec = CarrySpec(request.carry, request.patient_column)
    description = describe(request, checker, spec, patient_packs, spells)
    run_fingerprint = fingerprint(description)
    store = open_store(request.results)
    try:
        stored = store.find(run_fingerprint)
        if stored is not None and stored.complete:
            row = store.run_row(stored.run_id)
            summary = run_summary(row)
            return ResultsOutcome(stored.run_id, summary, stored.records, True, run_status(request, summary))
        if stored is not None:
            run_id, committed = stored.run_id, store.resume(stored.run_id)
        else:
            run_id, committed = new_run_id(), 0
            store.start(run_row(run_id, run_fingerprint, request, description))
        _check_into(store, run_id, committed, request, checker, spec)
        summary = run_summary(store.run_row(run_id))
        return ResultsOutcome(run_id, summary, committed, False, run_status(request, summary))
    finally:
        store.close()


def run_status(request: ResultsRequest, summary: Summary) -> int:
    return 0 if request.exit_zero else exit_code(summary)


_KERNEL_FORMATS = ("parquet", "csv", "tsv", "text", "jsonl")


def _format(request: ResultsRequest, path: str) -> str:
    return request.input_format if request.input_format != "auto" else detect_format(path)


def _columnar(request: ResultsRequest) -> bool:
    """Whether every input can be read as columns (Parquet, and CSV/TSV rows, text lines or
    JSON Lines records gathered into columns): then the columnar kernel checks it. Standard input is read by
    what its first line shows, so record by record."""
    formats = {_format(request, path) for path in request.files}
    return "-" not in request.files and formats <= set(_KERNEL_FORMATS)


def _tasks(request: ResultsRequest, spec: CarrySpec, skip: int) -> Iterator[Task]:
    """The inputs as batches of records, past the first ``skip`` (committed by an earlier
    invocation); a batch is a commit."""
    seq = 0
    size = max(request.commit_every, KERNEL_BATCH)
    for path in request.files:
        if _format(request, path) == "jsonl":
            seq = yield from _json_tasks(request, spec, path, seq, skip, size)
            continue
        if _format(request, path) != "parquet":
            seq = yield from _row_tasks(request, spec, path, seq, skip, size)
            continue
        line = 1  # the row number in its file
        for batch in parquet_batches(path, request.id_column, spec.keys(), size, request.episode_columns):
            cut = min(max(skip - seq, 0), batch.num_rows)
            seq, line = seq + cut, line + cut
            if cut < batch.num_rows:
                rest = batch.slice(cut)
                yield BatchTask(rest, seq, line, path)
                seq, line = seq + rest.num_rows, line + rest.num_rows


def _row_tasks(request: ResultsRequest, spec: CarrySpec, path: str, seq: int, skip: int, size: int) -> Generator[Task, None, int]:
    """A CSV/TSV or text file's records as tasks: runs of rows or lines gathered into
    columns, and each record that columns cannot hold alone (a row that does not
    :func:`fits_columns`, a line its reader rejected); returns the next seq."""
    import pyarrow as pa

    rows: list[TableRow] = []
    lines: list[InputLine] = []
    text = _format(request, path) == "text"

    def gathered() -> BatchTask:
        first = seq - len(rows) - len(lines)
        numbers = pa.array([row.line for row in rows] + [line.line for line in lines], pa.int64())
        batch = text_lines_batch(lines) if text else table_rows_batch(rows)
        task = BatchTask(batch, first, int(numbers[0].as_py()), path, numbers)
        rows.clear()
        lines.clear()
        return task

    items = read_inputs(
        [path], _format(request, path), request.system, request.id_column, encoding=request.encoding,
        carried=spec.keys(), episode_columns=request.episode_columns,
    )  # fmt: skip
    for item in items:
        if seq < skip:
            seq += 1
            continue
        if text and isinstance(item, InputLine) and item.error is None:
            lines.append(item)
        elif isinstance(item, TableRow) and fits_columns(item) and (not rows or item.layout is rows[0].layout):
            rows.append(item)
        else:
            if rows or lines:
                yield gathered()
            yield RowsTask([item], seq)
            seq += 1
            continue
        seq += 1
        if len(rows) + len(lines) >= size:
            yield gathered()
    if rows or lines:
        yield gathered()
    return seq


def _json_tasks(
    request: ResultsRequest, spec: CarrySpec, path: str, seq: int, skip: int, size: int
) -> Generator[Task, None, int]:
    """A JSON Lines file's records as tasks: runs of records gathered, as written, into a
    column (the kernel reads each as the JSON Lines reader does, locating codes and
    problems in its text), and each record holding a byte its encoding cannot read alone
    (Arrow cannot hold it; the reader rejects it naming the byte); returns the next seq."""
    import pyarrow as pa

    texts: list[str] = []
    numbers: list[int] = []

    def gathered() -> BatchTask:
        task = BatchTask(json_texts_batch(texts), seq - len(texts), numbers[0], path, pa.array(numbers, pa.int64()))
        texts.clear()
        numbers.clear()
        return task

    with open_input(path, request.encoding) as handle:
        for number, text in jsonl_texts(handle):
            if seq < skip:
                seq += 1
                continue
            if undecodable(text) is not None:
                if texts:
                    yield gathered()
                item = json_line(text, path, number, request.encoding, spec.keys(), request.episode_columns)
                yield RowsTask([item], seq)
                seq += 1
                continue
            texts.append(text)
            numbers.append(number)
            seq += 1
            if len(texts) >= size:
                yield gathered()
    if texts:
        yield gathered()
    return seq


def _rows(request: ResultsRequest) -> int:
    """Records in the inputs, for the progress display (0 when a file cannot say: its
    reader then reports why)."""
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(path).metadata.num_rows for path in request.files)
    except Exception:
        return 0


def _check_into(
    store: ResultStore, run_id: str, committed: int, request: ResultsRequest, checker: Checker, spec: CarrySpec
) -> None:
    seq = committed
    try:
        if _columnar(request):
            seq = _check_columns_into(store, run_id, committed, request, checker, spec)
        else:
            seq = _check_items_into(store, run_id, committed, request, checker, spec)
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


def _check_columns_into(
    store: ResultStore, run_id: str, committed: int, request: ResultsRequest, checker: Checker, spec: CarrySpec
) -> int:
    """Columnar inputs through the kernel, on every core: batches in, batches committed."""
    kernel = Kernel(checker, spec, id_column=request.id_column, episode_columns=request.episode_columns, system=request.system)
    seq = committed
    position = ReadPosition(request.files)
    with check_progress(request.progress, position, request.color) as bar:
        batches = check_batches(kernel, _tasks(request, spec, committed), run_id, checker.jobs)
        for records, violations in bar.follow_batches(batches, _rows(request) - committed if request.progress else 0):
            for part, found in _commits(records, violations, request.commit_every):
                store.commit(run_id, part, found)
                seq += part.num_rows
    return seq


def _commits(records: pa.RecordBatch, violations: pa.RecordBatch, size: int) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """A checked batch in commits of ``size`` records, each with its violations (which
    come in record order)."""
    import numpy as np

    seqs = violations.column("seq").to_numpy()
    for start in range(0, records.num_rows, size):
        part = records.slice(start, size)
        first, last = part.column("seq")[0].as_py(), part.column("seq")[-1].as_py()
        low, high = np.searchsorted(seqs, first, "left"), np.searchsorted(seqs, last, "right")
        yield part, violations.slice(int(low), int(high - low))


def _check_items_into(
    store: ResultStore, run_id: str, committed: int, request: ResultsRequest, checker: Checker, spec: CarrySpec
) -> int:
    """Text, JSON Lines and long-form inputs: records read one by one, checked by the
    checker (with its verdicts by record form), their results made into batches."""
    position = ReadPosition(request.files)
    tap = AttributeTap(spec)
    waiting: deque[Attributes] = deque()  # attributes of the records read and not yet committed, in order
    items = tap.follow(_items(request, spec, position, committed), waiting.append)
    seq = committed
    with check_progress(request.progress, position, request.color) as bar:
        results = bar.follow(checker.check_items(items))
        while batch := list(islice(results, request.commit_every)):
            attributes = [waiting.popleft() for _ in batch]
            records, violations = to_batches(run_id, seq, batch, attributes, tap.names, spec.carried_names, checker.keeps_rule)
            store.commit(run_id, records, violations)
            seq += len(batch)
    return seq
