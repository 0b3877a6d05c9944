"""Grouping records by patient out of memory: records are spooled to files on disk and read
back ordered by patient, one patient's history at a time.

An external merge sort: every ``SPOOL_ROWS`` records are sorted by their patient's first
record, then their own position, and written as a run (an Arrow IPC file); the runs are
merged a batch of rows from each at a time, so that each patient's records come together,
patients in order of their first record, as the in-memory grouping gives them. The checking
process holds each patient's first position and number of records, one run being filled
and a batch of each run being merged, however large the extract. The records of a patient
come back as they were read (codes, sex, age, dates and episode fields: what the patient
facts need).

DuckDB sorted the spool before, and held several times its memory limit doing it: the run's
process reached 821 MiB on 1,403,462 episodes with a limit of 256 MB, and with 64 MB the
sort ran out of memory.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import fields
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from nicelogic.history.patients import MAX_EPISODES, Duplicate, History, NotJudged, history, not_judged_reason
from nicelogic.model import Code, Episode, Record, Sex, System

if TYPE_CHECKING:
    import pyarrow as pa

SPOOL_ROWS = 50_000  # records sorted and written as one run (about 15 MB of payloads)
READ_ROWS = 1_000  # rows read from each run at a time while the runs are merged
MAX_RUNS = 256  # runs merged into one before more are written, so that few files are open at once

_Row = tuple[int, int, str, "str | None", str]  # the patient's first position, the record's, patient, episode key, payload


def payload(record: Record) -> str:
    """A record as the text the spool (and Spark's shuffle, :mod:`nicelogic.research.patient_kernel`) carries."""
    return json.dumps({
        "id": record.id, "source": record.source, "line": record.line, "date": record.date, "age": record.age,
        "sex": record.sex.value if record.sex is not None else None,
        "sections": [[system.value, [code.value for code in codes]] for system, codes in record.sections],
        "episode": _episode_fields(record.episode) if record.episode is not None else None,
    })  # fmt: skip


# an episode's fields are plain values: read them directly (dataclasses.asdict copies
# recursively, which cost more than the rest of spooling a record)
_EPISODE_FIELDS = tuple(field.name for field in fields(Episode))


def _episode_fields(episode: Episode) -> dict[str, object]:
    return {name: getattr(episode, name) for name in _EPISODE_FIELDS}


def from_payload(text: str) -> Record:
    """The record a :func:`payload` holds."""
    data = json.loads(text)
    sections = tuple(
        (System(system), tuple(Code(System(system), value, value) for value in codes)) for system, codes in data["sections"]
    )
    sex = Sex(data["sex"]) if data["sex"] is not None else None
    episode = Episode(**data["episode"]) if data["episode"] is not None else None
    return Record(data["id"], sections, data["line"], data["source"], sex, data["age"], data["date"], episode=episode)


class Spool:
    """Records written in, sorted runs on disk, histories read out patient by patient; the
    files are removed on close."""

    def __init__(self, folder: str | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="nicelogic-patients-", dir=folder)
        self._runs: list[Path] = []
        self._written = 0  # runs written, merged ones among them: each file's number
        self._rows: list[_Row] = []
        self._patients: dict[str, list[int]] = {}  # each patient's first position and number of records
        self._seq = 0
        self._duplicates: list[Duplicate] | None = None
        self.not_judged: list[NotJudged] = []

    def add(self, record: Record | NotJudged) -> None:
        if isinstance(record, NotJudged):
            self.not_judged.append(record)
            return
        reason = not_judged_reason(record)
        if reason is not None:
            self.not_judged.append(NotJudged(record, reason))
            return
        episode = record.episode or Episode()
        self._seq += 1
        patient = episode.patient or ""
        known = self._patients.get(patient)
        if known is None:
            known = self._patients[patient] = [self._seq, 0]
        known[1] += 1
        self._rows.append((known[0], self._seq, patient, episode.episode, payload(record)))
        if len(self._rows) >= SPOOL_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        self._rows.sort()  # positions are unique: tuples never compare past the second
        self._write(iter(self._rows))
        self._rows = []
        if len(self._runs) >= MAX_RUNS:
            runs, self._runs = self._runs, []
            self._write(heapq.merge(*(_read(path) for path in runs)))
            for path in runs:
                path.unlink()

    def _write(self, rows: Iterator[_Row]) -> None:
        """Sorted rows as the next run."""
        import pyarrow as pa
        import pyarrow.ipc

        path = Path(self._folder.name) / f"run-{self._written:06d}.arrow"
        self._written += 1
        with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_file(sink, _run_schema()) as writer:
            while chunk := list(islice(rows, SPOOL_ROWS)):
                columns = list(zip(*chunk, strict=True))
                writer.write_table(
                    pa.table(dict(zip(_run_schema().names, columns, strict=True)), schema=_run_schema()), READ_ROWS
                )
        self._runs.append(path)

    def _patient_rows(self) -> Iterator[tuple[str, list[_Row]]]:
        """Each patient's rows in order, patients in order of their first record."""
        self._flush()
        current: list[_Row] = []
        for row in heapq.merge(*(_read(path) for path in self._runs)):
            if current and row[0] != current[0][0]:  # a patient's first position is theirs alone
                yield current[0][2], current
                current = []
            current.append(row)
        if current:
            yield current[0][2], current

    def duplicates(self) -> list[Duplicate]:
        """The episode keys more than one record of a patient holds, in order of their first
        record (found while the histories are read, else by reading the runs again)."""
        if self._duplicates is None:
            self._duplicates = _sorted_duplicates(row for _, rows in self._patient_rows() for row in _repeated(rows))
        return self._duplicates

    def histories(self, method: str = "auto", max_episodes: int = MAX_EPISODES) -> Iterator[History]:
        """Each patient's history, patients in order of their first record; a patient with
        more than ``max_episodes`` is left out (:meth:`too_many` counts their records)."""
        repeated: list[_Row] = []
        for patient, rows in self._patient_rows():
            repeated += _repeated(rows)
            if len(rows) <= max_episodes:
                yield history(patient, [from_payload(row[4]) for row in rows], method)
        self._duplicates = _sorted_duplicates(repeated)

    def too_many(self, max_episodes: int = MAX_EPISODES) -> int:
        """Records of the patients with more than ``max_episodes``."""
        return sum(count for _, count in self._patients.values() if count > max_episodes)

    def close(self) -> None:
        self._folder.cleanup()


def _run_schema() -> pa.Schema:  # made on first use: pyarrow comes with the research extra
    import pyarrow as pa

    return pa.schema([("first", pa.int64()), ("seq", pa.int64()), ("patient", pa.string()), ("episode", pa.string()),
                      ("payload", pa.string())])  # fmt: skip


def _read(path: Path) -> Iterator[_Row]:
    """A run's rows in order, a batch at a time."""
    import pyarrow as pa
    import pyarrow.ipc

    with pa.OSFile(str(path), "rb") as source:
        reader = pyarrow.ipc.open_file(source)
        for index in range(reader.num_record_batches):
            batch = reader.get_batch(index)
            yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _repeated(rows: list[_Row]) -> list[_Row]:
    """The rows of one patient whose episode key another of their rows holds too."""
    keys = Counter(row[3] for row in rows if row[3])  # an empty key is none, as in memory
    return [row for row in rows if row[3] and keys[row[3]] > 1]


def _sorted_duplicates(rows: Iterable[_Row]) -> list[Duplicate]:
    """The repeated rows of every patient as one :class:`Duplicate` a key, in order of its first record."""
    grouped: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        grouped.setdefault((row[2], str(row[3])), []).append(row)
    ordered = sorted(grouped.items(), key=lambda item: min(row[1] for row in item[1]))
    return [
        Duplicate(patient, episode, tuple(from_payload(row[4]) for row in sorted(found, key=lambda row: row[1])))
        for (patient, episode), found in ordered
    ]


def spooled(records: Iterable[Record | NotJudged]) -> Spool:
    spool = Spool()
    for record in records:
        spool.add(record)
    return spool
