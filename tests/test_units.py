"""The units of a run written whole by another writer (nicelogic.research.units), on the
filesystem alone: how files are grouped, what taking a unit in leaves, and what a stopped
attempt at a unit leaves that resuming removes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from nicelogic.research.units import RunUnits, Unit, plan_units


def _files(folder: Path, sizes: list[int]) -> list[str]:
    paths = []
    for n, size in enumerate(sizes):
        path = folder / f"f{n}.parquet"
        path.write_bytes(b"x" * size)
        paths.append(str(path))
    return paths


def test_files_are_grouped_in_order_until_a_unit_holds_its_size(tmp_path: Path) -> None:
    files = _files(tmp_path, [40, 70, 10, 10, 90, 5])
    assert [unit.files for unit in plan_units(files, 100)] == [tuple(files[:2]), tuple(files[2:5]), (files[5],)]
    assert [unit.index for unit in plan_units(files, 100)] == [0, 1, 2]
    assert [unit.files for unit in plan_units(files, 0)] == [(path,) for path in files]
    assert plan_units([], 100) == []


def _stage(units: RunUnits, unit: Unit, seqs: list[list[int]]) -> None:
    """What a job writes: record parts with these positions, and a violations part."""
    for table in ("records", "violations"):
        folder = units.staging(unit) / table
        folder.mkdir(parents=True)
        for n, part in enumerate(seqs):
            pq.write_table(pa.table({"seq": pa.array(part, pa.int64())}), folder / f"part-{n:05d}-job.snappy.parquet")
        (folder / "_SUCCESS").touch()


def test_a_unit_taken_in_is_marked_with_where_the_next_unit_starts(tmp_path: Path) -> None:
    units = RunUnits(tmp_path, "run1")
    first, second = Unit(0, ("a.parquet",)), Unit(1, ("b.parquet",))
    _stage(units, first, [[10, 11], [4, 30]])
    done = units.take_in(first, 10)
    assert done.next_seq == 31
    _stage(units, second, [[]])  # a file of no rows starts the next unit where it started
    assert units.take_in(second, 31).next_seq == 31
    assert units.done() == {0: done, 1: units.done()[1]} and units.done()[1].files == ("b.parquet",)
    names = sorted(path.name for path in (tmp_path / "records" / "run1").iterdir())
    assert names == ["part-u000000-00000-job.snappy.parquet", "part-u000000-00001-job.snappy.parquet",
                     "part-u000001-00000-job.snappy.parquet"]  # fmt: skip
    assert sorted(path.name for path in (tmp_path / "violations" / "run1").iterdir()) == names
    assert not units.staging(first).exists() and units.records_done(units.done()) == 4
    units.clear()
    assert not (tmp_path / ".units").exists() and len(list((tmp_path / "records" / "run1").iterdir())) == 3


def test_what_a_stopped_attempt_at_a_unit_left_is_discarded_and_nothing_else(tmp_path: Path) -> None:
    units = RunUnits(tmp_path, "run1")
    kept, stopped = Unit(0, ("a.parquet",)), Unit(1, ("b.parquet",))
    _stage(units, kept, [[0, 1]])
    units.take_in(kept, 0)
    _stage(units, stopped, [[2], [3]])
    # stopped while its parts were being moved: one violations part in, no marker
    staged = units.staging(stopped) / "violations" / "part-00000-job.snappy.parquet"
    staged.rename(tmp_path / "violations" / "run1" / "part-u000001-00000-job.snappy.parquet")
    other = RunUnits(tmp_path, "run2")  # another run's unit of the same number is not touched
    _stage(other, stopped, [[0]])
    other.take_in(stopped, 0)

    assert set(units.done()) == {0} and units.records_done(units.done()) == 2
    units.discard(stopped)
    assert not units.staging(stopped).exists()
    assert [path.name[:13] for path in (tmp_path / "violations" / "run1").iterdir()] == ["part-u000000-"]
    assert len(list((tmp_path / "records" / "run2").iterdir())) == 1 and set(other.done()) == {1}
    units.clear()
    assert (tmp_path / ".units" / "run2").is_dir()  # the other run, not complete, keeps its markers
