"""Grouping records by patient out of memory: records are spooled into a DuckDB database on
disk and read back ordered by patient, one patient's history at a time.

DuckDB sorts larger than memory by spilling to its temporary folder, under the memory limit
set here, so the checking process holds one batch of records being spooled and one batch of
patients being solved, however large the extract. The records of a patient come back as
they were read (codes, sex, age, dates and episode fields: what the patient facts need).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path

from nicelogic.history.patients import MAX_EPISODES, Duplicate, History, NotJudged, history, not_judged_reason
from nicelogic.model import Code, Episode, Record, Sex, System

SPOOL_ROWS = 20_000  # records written to the spool at a time
MEMORY_LIMIT = "256MB"  # DuckDB's, while it sorts the spool


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
    """Records written in, histories read out patient by patient; the files are removed on close."""

    def __init__(self, folder: str | None = None) -> None:
        import duckdb

        self._folder = tempfile.TemporaryDirectory(prefix="nicelogic-patients-", dir=folder)
        path = Path(self._folder.name)
        self._db = duckdb.connect(str(path / "spool.duckdb"))
        self._db.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self._db.execute(f"SET temp_directory = '{path / 'tmp'}'")
        self._db.execute("CREATE TABLE episodes (seq BIGINT, patient VARCHAR, episode VARCHAR, payload VARCHAR)")
        self._rows: list[tuple[int, str, str | None, str]] = []
        self._seq = 0
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
        self._rows.append((self._seq, episode.patient or "", episode.episode, payload(record)))
        if len(self._rows) >= SPOOL_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        import pyarrow as pa

        seq, patient, episode, payloads = zip(*self._rows, strict=True)
        batch = pa.table({"seq": seq, "patient": patient, "episode": episode, "payload": payloads})
        self._db.register("spool_batch", batch)
        self._db.execute("INSERT INTO episodes SELECT * FROM spool_batch")
        self._db.unregister("spool_batch")
        self._rows = []

    def duplicates(self) -> list[Duplicate]:
        self._flush()
        # the repeated keys first, by counting: gathering every key's payloads would hold the whole spool
        found = self._db.execute(
            "WITH repeated AS (SELECT patient, episode FROM episodes WHERE episode IS NOT NULL "
            "GROUP BY patient, episode HAVING count(*) > 1) "
            "SELECT patient, episode, list(payload ORDER BY seq) FROM episodes JOIN repeated USING (patient, episode) "
            "GROUP BY patient, episode ORDER BY min(seq)"
        ).fetchall()
        return [Duplicate(patient, episode, tuple(from_payload(p) for p in payloads)) for patient, episode, payloads in found]

    def histories(self, method: str = "auto", max_episodes: int = MAX_EPISODES) -> Iterator[History]:
        """Each patient's history, patients in order of their first record; a patient with
        more than ``max_episodes`` is left out (:meth:`too_many` counts their records)."""
        self._flush()
        ordered = self._db.sql(
            "SELECT e.patient, e.payload FROM episodes e "
            "JOIN (SELECT patient, min(seq) AS first, count(*) AS n FROM episodes GROUP BY patient) f USING (patient) "
            f"WHERE f.n <= {int(max_episodes)} ORDER BY f.first, e.seq"
        )
        current: str | None = None
        records: list[Record] = []
        reader = ordered.to_arrow_reader(SPOOL_ROWS)
        for batch in reader:
            for patient, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                if patient != current and records:
                    yield history(current or "", records, method)
                    records = []
                current = patient
                records.append(from_payload(text))
        if records:
            yield history(current or "", records, method)

    def too_many(self, max_episodes: int = MAX_EPISODES) -> int:
        """Records of the patients with more than ``max_episodes``, counted where they lie."""
        self._flush()
        found = self._db.execute(
            "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM episodes GROUP BY patient) WHERE n > ?",
            [max_episodes],
        ).fetchone()
        return int(found[0]) if found else 0

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


def spooled(records: Iterable[Record | NotJudged]) -> Spool:
    spool = Spool()
    for record in records:
        spool.add(record)
    return spool
