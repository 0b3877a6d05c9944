"""The units of a run that another writer (Spark) writes whole: the input files in groups of
at least ``unit_bytes``, each checked by one job into a staging folder of its own, then taken
into the results folder, then marked done. A run stopped at any instant resumes after the
last unit marked: a unit without its marker is discarded (what of it was taken in, and its
staging folder) and checked again, so no record is lost or counted twice.

In the results folder ``DIR``:

- ``DIR/.units/RUN/K/records/`` and ``.../violations/``: where unit K's job writes;
- ``DIR/records/RUN/part-uK-*.parquet``, ``DIR/violations/RUN/part-uK-*.parquet``: its parts
  once taken in (violations first: the records parts make the unit visible to a reader);
- ``DIR/.units/RUN/K.json``: its marker, written last, holding its files and the ``seq``
  the next unit starts at (Spark's positions are unique within one job only).

``DIR/.units/RUN`` is removed when the run is complete; readers never look in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# pyarrow is imported where parts are read: the command line reads UNIT_BYTES without the research extra
UNIT_BYTES = 64 << 20  # about 2.5 million HES episodes of Parquet: a minute or two of checking per core
TABLES = ("violations", "records")  # in the order a unit's parts are taken in


@dataclass(frozen=True, slots=True)
class Unit:
    index: int
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitDone:
    index: int
    files: tuple[str, ...]
    next_seq: int  # where the next unit's positions start


def plan_units(files: Sequence[str], unit_bytes: int = UNIT_BYTES) -> list[Unit]:
    """Consecutive files grouped until each group holds at least ``unit_bytes`` (a file is
    never split: 0 makes each file a unit of its own)."""
    units: list[Unit] = []
    current: list[str] = []
    size = 0
    for path in files:
        current.append(path)
        size += os.path.getsize(path)
        if size >= unit_bytes:
            units.append(Unit(len(units), tuple(current)))
            current, size = [], 0
    if current:
        units.append(Unit(len(units), tuple(current)))
    return units


def _sync_folder(folder: Path) -> None:
    """The renames into a folder on disk: after a power loss, a marker must not name a unit
    whose parts were not moved."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _prefix(index: int) -> str:
    return f"part-u{index:06d}-"


class RunUnits:
    """The units of one run in one results folder."""

    def __init__(self, results: Path, run_id: str) -> None:
        self.results = results
        self.run_id = run_id
        self.folder = results / ".units" / run_id

    def _marker(self, index: int) -> Path:
        return self.folder / f"{index:06d}.json"

    def done(self) -> dict[int, UnitDone]:
        """The units marked done, by index."""
        found: dict[int, UnitDone] = {}
        for path in sorted(self.folder.glob("[0-9]*.json")):
            data = json.loads(path.read_text())
            found[int(data["index"])] = UnitDone(int(data["index"]), tuple(data["files"]), int(data["next_seq"]))
        return found

    def records_done(self, done: dict[int, UnitDone]) -> int:
        """How many records the units marked done hold."""
        import pyarrow.parquet as pq

        folder = self.results / "records" / self.run_id
        return sum(pq.ParquetFile(part).metadata.num_rows for index in done for part in folder.glob(f"{_prefix(index)}*.parquet"))

    def staging(self, unit: Unit) -> Path:
        """The empty folder unit's job writes into (``records/`` and ``violations/`` in it)."""
        return self.folder / f"{unit.index:06d}"

    def discard(self, unit: Unit) -> None:
        """Whatever a stopped attempt at the unit left: its parts taken in, its staging folder."""
        for table in TABLES:
            for part in (self.results / table / self.run_id).glob(f"{_prefix(unit.index)}*"):
                part.unlink()
        shutil.rmtree(self.staging(unit), ignore_errors=True)
        self._marker(unit.index).unlink(missing_ok=True)

    def take_in(self, unit: Unit, first_seq: int) -> UnitDone:
        """The unit's staged parts moved into the results tables, then its marker written."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        next_seq = first_seq
        for table in TABLES:
            target = self.results / table / self.run_id
            target.mkdir(parents=True, exist_ok=True)
            for part in sorted((self.staging(unit) / table).glob("part-*.parquet")):
                if table == "records":
                    largest = pc.max(pq.read_table(part, columns=["seq"]).column("seq")).as_py()
                    next_seq = max(next_seq, largest + 1) if largest is not None else next_seq
                os.replace(part, target / f"{_prefix(unit.index)}{part.name[len('part-') :]}")
            _sync_folder(target)
        marker = UnitDone(unit.index, unit.files, next_seq)
        temporary = self._marker(unit.index).with_suffix(".partial")
        temporary.write_text(json.dumps({"index": marker.index, "files": list(marker.files), "next_seq": marker.next_seq}))
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, self._marker(unit.index))
        _sync_folder(self.folder)
        shutil.rmtree(self.staging(unit), ignore_errors=True)
        return marker

    def clear(self) -> None:
        """The run is complete: its markers are no longer needed."""
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # other runs' units are there, or it is gone already
            self.folder.parent.rmdir()
