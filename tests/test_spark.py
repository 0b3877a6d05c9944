"""nicelogic.spark on a real PySpark in local mode: a DataFrame of 100,000 HES-shaped
episodes checked with mapInArrow gives, record by record and violation by violation, what
the single-machine ``check --results`` gives for the same Parquet file; and
``check --engine spark`` writes a results folder that ``query`` reads."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession

from nicelogic.research.query import connect
from nicelogic.research.schema import VIOLATIONS, records_schema
from nicelogic.spark import SparkCheck, check_dataframe, checked_dataframe

from .test_kernel import JSON_RECORDS, _hes_batch
from .test_research import nicelogic, rows

RECORDS = 100_000


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 episodes: 2,000-odd synthetic ones (rejected, waived and invalid rows among
    them) repeated, each with its own EPIKEY, and the row number in ROWNUM."""
    base = pa.Table.from_batches([_hes_batch(2000)])
    copies = -(-RECORDS // base.num_rows)
    table = pa.concat_tables([base] * copies).slice(0, RECORDS)
    keys = table.column("EPIKEY").to_pylist()
    table = table.set_column(
        table.schema.get_field_index("EPIKEY"), "EPIKEY",
        pa.array([key if not key or not key.strip() else f"{key}-{n // base.num_rows}" for n, key in enumerate(keys)]),
    )  # fmt: skip
    table = table.append_column("ROWNUM", pa.array(range(table.num_rows), pa.int64()))
    path = tmp_path_factory.mktemp("spark") / "extract.parquet"
    pq.write_table(table, path, row_group_size=10_000)
    return path


def _arrow(df: DataFrame) -> pa.Table:
    return df.toArrow() if hasattr(df, "toArrow") else pa.Table.from_batches(df._collect_as_arrow())  # pyspark 3.5


def _ordered(table: pa.Table, keys: list[str]) -> list[dict[str, object]]:
    listed = table.to_pylist()
    return sorted(listed, key=lambda row: tuple(row[key] if isinstance(row[key], int) else str(row[key]) for key in keys))


def test_spark_gives_record_by_record_what_one_machine_gives(spark: SparkSession, extract: Path, tmp_path: Path) -> None:
    database = tmp_path / "one.duckdb"
    done = nicelogic("check", str(extract), "--results", str(database), "--no-progress")
    assert done.returncode == 1, done.stderr  # some records are invalid
    db = connect(str(database))
    local_records = db.sql("SELECT * EXCLUDE (run_id) FROM records ORDER BY seq").to_arrow_table()
    local_violations = db.sql("SELECT * EXCLUDE (run_id) FROM violations").to_arrow_table()
    assert local_records.num_rows == RECORDS

    df = spark.read.parquet(str(extract)).repartition(4)  # the work spread over tasks, in no order
    records, violations = check_dataframe(df, seq_column="ROWNUM", run_id="spark-run", source=str(extract))
    assert [f.name for f in records.schema.fields] == records_schema().names
    assert [f.name for f in violations.schema.fields] == VIOLATIONS.names
    spark_records = _arrow(records).drop_columns(["run_id"])
    spark_violations = _arrow(violations).drop_columns(["run_id"])

    assert spark_records.num_rows == RECORDS
    assert _ordered(spark_records, ["seq"]) == local_records.to_pylist()
    order = ["seq", "rule", "section", "positions", "waived", "message"]
    assert _ordered(spark_violations, order) == _ordered(local_violations, order)
    # the comparison is not of empty tables: rejected, invalid and waived records are there
    counts = db.execute("SELECT count(*) FILTER (rejected), count(*) FILTER (NOT valid AND NOT rejected), "
                        "(SELECT count(*) FROM violations WHERE waived) FROM records").fetchone()  # fmt: skip
    assert counts is not None and all(count > 50 for count in counts)


def test_a_dataframe_of_json_lines_fields(spark: SparkSession) -> None:
    schema = ("id string, opcs array<string>, icd10 array<string>, sex string, age long, date date, PROCODE3 string, "
              "ADMIDATE string, waive array<string>")  # fmt: skip
    names = [column.split()[0] for column in schema.split(", ")]
    df = spark.createDataFrame([tuple(record.get(name) for name in names) for record in JSON_RECORDS], schema)
    records, violations = check_dataframe(df, request=SparkCheck(rules=("opcs4",)), source="<json>")
    got = {row["id"]: (row["valid"], row["reason_field"]) for row in records.collect()}
    assert got["j1"] == (True, None) and got["j2"][0] is False and got["j4"] == (False, "opcs[1]")
    assert got["j5"] == (False, "sex") and got["j6"] == (False, "age")
    assert {(row["id"], row["rule"], row["waived"]) for row in violations.collect()} >= {
        ("j2", "opcs.subsidiary-not-first", False), ("j7", "opcs.subsidiary-not-first", True),
    }  # fmt: skip


def test_check_engine_spark_writes_a_results_folder(tmp_path: Path) -> None:
    from .test_research import HES_ROWS

    path = tmp_path / "small.parquet"
    pq.write_table(pa.Table.from_pylist(HES_ROWS), path)
    results = tmp_path / "results"
    done = nicelogic("check", str(path), "--results", f"{results}/", "--engine", "spark", "--master", "local[1]")
    assert done.returncode == 1, done.stderr
    assert "3 records checked, 1 valid, 1 invalid, 1 rejected" in done.stderr
    db = connect(f"{results}/")
    (run,) = rows(db, "SELECT status, complete, records, rejected, options FROM runs")
    assert run["status"] == "complete" and run["complete"] and run["records"] == 3 and '"engine": "spark"' in str(run["options"])
    found = rows(db, "SELECT id, valid, rejected, provider FROM records ORDER BY id")
    assert [(r["id"], r["valid"], r["rejected"], r["provider"]) for r in found] == [
        ("e1", False, True, "RX1"), ("e2", True, False, "RX1"), ("e3", False, False, "RX2"),
    ]  # fmt: skip
    again = nicelogic("check", str(path), "--results", f"{results}/", "--engine", "spark", "--master", "local[1]")
    assert "already complete" in again.stderr
    wrong = nicelogic("check", str(path), "--results", str(tmp_path / "x.duckdb"), "--engine", "spark")
    assert wrong.returncode == 2 and "give --results a folder" in wrong.stderr
    for misplaced in (["--results", f"{results}/", "--spark-unit", "0"], ["--spark-unit", "0"]):
        wrong = nicelogic("check", str(path), *misplaced)
        assert wrong.returncode == 2 and "--spark-unit" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_spark_run_killed_mid_way_goes_on_after_the_last_unit_written(tmp_path: Path) -> None:
    """Four files, a unit each: killed (the driver, its JVM and its Python workers) once two
    units are written, the same command keeps those two as they are and checks the others;
    the records and violations are those of the single machine's run, none lost or twice."""
    from .test_research import _run_until_committed

    files = []
    for n in range(4):
        path = tmp_path / f"extract-{n}.parquet"
        table = pa.Table.from_batches([_hes_batch(1500)])
        keys = [f"{n}-{key}" if key and key.strip() else key for key in table.column("EPIKEY").to_pylist()]
        column = table.schema.get_field_index("EPIKEY")
        pq.write_table(table.set_column(column, "EPIKEY", pa.array(keys, pa.string())), path)
        files.append(str(path))
    results = tmp_path / "results"
    checking = ["check", *files, "--rules", "opcs4,nice.htg3", "--results"]
    args = [*checking, f"{results}/", "--engine", "spark", "--master", "local[1]", "--spark-unit", "0"]

    def marked(index: int) -> bool:
        return any(results.glob(f".units/*/{index:06d}.json"))

    process = _run_until_committed(args, lambda: marked(1), timeout=300)
    os.killpg(process.pid, signal.SIGKILL)  # a power cut: nothing runs a handler
    process.wait()
    assert not marked(3), "the run ended before it could be killed mid-way"
    (run,) = rows(connect(f"{results}/"), "SELECT run_id, status, complete FROM runs")
    assert (run["status"], run["complete"]) == ("running", False)
    kept = {path: path.stat().st_mtime_ns for path in results.glob("*/*/part-u00000[01]-*.parquet")}
    assert kept and {path.name[:13] for path in kept} == {"part-u000000-", "part-u000001-"}
    per_file = [pq.read_metadata(path).num_rows for path in files]
    kept_records = sum(pq.read_metadata(path).num_rows for path in kept if path.parent.parent.name == "records")
    assert kept_records == per_file[0] + per_file[1]

    resumed = nicelogic(*args)
    assert resumed.returncode == 1, resumed.stderr
    assert f"resumed run {run['run_id']} after {kept_records:,} committed records" in resumed.stderr
    assert {path: path.stat().st_mtime_ns for path in kept} == kept  # the units written were not written again
    assert not (results / ".units").exists()
    db = connect(f"{results}/")
    (after,) = rows(db, "SELECT run_id, status, complete, records FROM runs")
    total = sum(per_file)
    assert after == {"run_id": run["run_id"], "status": "complete", "complete": True, "records": total}
    assert db.execute("SELECT count(*), count(DISTINCT seq), count(DISTINCT id) FROM records").fetchone() == (total,) * 3

    local = tmp_path / "local.duckdb"
    assert nicelogic(*checking, str(local)).returncode == 1
    # positions and line numbers differ between the engines (Spark's are its own), and so do
    # the ids of rows without an EPIKEY, which are their line numbers; the rest is one
    same_records = ("SELECT source, id, valid, rejected, reason, errors, warnings, waived, provider, date FROM records "
                    "WHERE id SIMILAR TO '[0-3]-.*' ORDER BY id")  # fmt: skip
    same_violations = ("SELECT r.id, rule, section, positions, codes FROM violations v JOIN records r USING (seq) "
                       "WHERE r.id SIMILAR TO '[0-3]-.*' ORDER BY ALL")  # fmt: skip
    one = connect(str(local))
    assert db.execute(same_records).fetchall() == one.execute(same_records).fetchall()
    assert len(db.execute(same_records).fetchall()) > total - 100
    assert db.execute(same_violations).fetchall() == one.execute(same_violations).fetchall()
    assert one.execute("SELECT count(*) FROM violations").fetchone()[0] > 100  # type: ignore[index]


def test_the_one_pass_is_kept_on_disk_not_on_the_heap(spark: SparkSession) -> None:
    """Caching it in memory first ran a local[2] driver's 1 GiB heap out on 1,000,000
    episodes in some runs; on disk, the cache never holds a partition on the heap."""
    df = spark.createDataFrame([("e1", "V444")], "EPIKEY string, OPERTN_4_01 string")
    level = checked_dataframe(df, SparkCheck(rules=("opcs4",))).storageLevel
    assert (level.useDisk, level.useMemory, level.useOffHeap) == (True, False, False)


def test_the_rows_of_a_record_form_are_checked_in_one_partition(spark: SparkSession) -> None:
    """Each Python worker keeps its own verdicts: a form met by two workers is solved twice."""
    from pyspark.sql import functions as F

    forms = [("V444", "V551"), ("V444", "Y534"), ("W371", "Z843"), ("A011", "")]
    rows = [(f"e{n}", *forms[n % len(forms)]) for n in range(40)]
    df = spark.createDataFrame(rows, "EPIKEY string, OPERTN_4_01 string, OPERTN_4_02 string").repartition(4)
    assert df.select(F.spark_partition_id().alias("part")).distinct().count() > 1  # the copies start apart
    checked = checked_dataframe(df, SparkCheck(rules=("opcs4",)))
    placed = checked.select("id", F.spark_partition_id().alias("part")).collect()
    parts_of_form: dict[tuple[str, str], set[int]] = {}
    for row in placed:
        parts_of_form.setdefault(forms[int(row["id"][1:]) % len(forms)], set()).add(row["part"])
    assert len(parts_of_form) == len(forms) and all(len(parts) == 1 for parts in parts_of_form.values())
    checked.unpersist()
