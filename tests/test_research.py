"""check --results: every input record in a results database (DuckDB or Parquet parts),
with its carried attributes, its violations and where each rule applies; resumable after a
real SIGKILL; a corrupt Parquet file is a clear error and an incomplete run."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nicelogic import Checker
from nicelogic.input.read import read_inputs
from nicelogic.input.tabular import TableRow
from nicelogic.research.query import connect
from nicelogic.research.schema import RUNS, VIOLATIONS, records_schema

from .conftest import ROOT

HES_ROWS = [  # a rejected row (bad code), a valid one, an invalid one, one of a provider given as PROCODE5 only
    {"EPIKEY": "e1", "PROCODE3": "RX1", "MAINSPEF": "110", "TRETSPEF": "111", "ADMIDATE": datetime.date(2024, 3, 31),
     "EPISTART": datetime.date(2024, 4, 2), "HESID": "P1", "ETHNOS": "A", "OPERTN_4_01": "V4X4", "OPERTN_4_02": None,
     "OPERTN_4_03": None, "OPERTN_4_04": None, "DIAG_4_01": "M800"},
    {"EPIKEY": "e2", "PROCODE3": "RX1", "MAINSPEF": "110", "TRETSPEF": None, "ADMIDATE": datetime.date(2024, 4, 1),
     "EPISTART": None, "HESID": "P2", "ETHNOS": None, "OPERTN_4_01": "V444", "OPERTN_4_02": "V551",
     "OPERTN_4_03": "Y534", "OPERTN_4_04": "Z665", "DIAG_4_01": "M800"},
    {"EPIKEY": "e3", "PROCODE3": "RX2", "MAINSPEF": "&", "TRETSPEF": "-", "ADMIDATE": None,
     "EPISTART": datetime.date(2025, 1, 9), "HESID": "P2", "ETHNOS": "B", "OPERTN_4_01": "Y534", "OPERTN_4_02": "V444",
     "OPERTN_4_03": None, "OPERTN_4_04": None, "DIAG_4_01": "M800"},
]  # fmt: skip


def nicelogic(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from nicelogic.cli import main; main(prog_name='nicelogic')", *args],
        cwd=ROOT, capture_output=True, text=True, check=check,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hes") / "small.parquet"
    pq.write_table(pa.Table.from_pylist(HES_ROWS), path)
    return path


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic HES-shaped episodes, in row groups of 500, zstd-compressed."""
    from benchmarks.synthetic import hes_rows

    path = tmp_path_factory.mktemp("extract") / "extract.parquet"
    pq.write_table(pa.Table.from_pylist(list(hes_rows(3000, seed=5))), path, row_group_size=500, compression="zstd")
    return path


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cursor = db.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_parquet_is_read_as_the_same_records_as_csv(hes: Path, tmp_path: Path, checker: Checker) -> None:
    csv_path = tmp_path / "small.csv"
    table = pq.read_table(hes)
    header = table.column_names
    lines = [",".join(header)]
    for row in table.to_pylist():
        lines.append(",".join("" if row[h] is None else str(row[h]) for h in header))
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from_parquet = list(checker.check_items(read_inputs([str(hes)])))
    from_csv = list(checker.check_items(read_inputs([str(csv_path)])))
    summary = [(r.id, r.rejected, sorted((v.rule, v.positions) for v in r.violations)) for r in from_parquet]
    assert summary == [(r.id, r.rejected, sorted((v.rule, v.positions) for v in r.violations)) for r in from_csv]
    assert [r.id for r in from_parquet] == ["e1", "e2", "e3"] and from_parquet[0].rejected
    # the field of the bad code is named, as for CSV; the line is the row number
    assert from_parquet[0].error is not None and from_parquet[0].error.where == "OPERTN_4_01" and from_parquet[0].line == 1


def test_parquet_reads_only_the_columns_it_needs_in_batches(extract: Path) -> None:
    items = read_inputs([str(extract)])
    first = next(items)
    assert isinstance(first, TableRow)
    assert "PROCODE3" in first.layout.names and "EPIKEY" in first.layout.names
    assert sum(1 for _ in items) == 2999


@pytest.mark.parametrize("target", ["run.duckdb", "parts/"])
def test_every_record_with_its_attributes_violations_and_rules_that_apply(hes: Path, tmp_path: Path, target: str) -> None:
    results = str(tmp_path / target) + ("/" if target.endswith("/") else "")
    done = nicelogic("check", str(hes), "--results", results, "--carry", "ETHNOS", "--rules", "opcs4,nice.htg3")
    assert (tmp_path / target).is_dir() == target.endswith("/")
    assert done.returncode == 1, done.stderr  # e1 is rejected, e3 invalid
    assert "3 records checked, 1 valid, 1 invalid, 1 rejected" in done.stderr
    db = connect(results)
    found = {r["id"]: r for r in rows(db, "SELECT * FROM records ORDER BY seq")}
    assert list(found) == ["e1", "e2", "e3"]
    e1, e2, e3 = found["e1"], found["e2"], found["e3"]
    assert e1["rejected"] and not e1["valid"] and "V4X4" in str(e1["reason"]) and e1["reason_field"] == "OPERTN_4_01"
    assert e1["applies"] == [] and e1["errors"] == 0
    assert (e1["provider"], e1["main_specialty"], e1["treatment_specialty"], e1["patient"], e1["ethnos"]) == (
        "RX1", "110", "111", "P1", "A",
    )  # fmt: skip
    assert e1["date"] == datetime.date(2024, 3, 31) and e1["episode_start"] == datetime.date(2024, 4, 2)
    assert e2["valid"] and e2["errors"] == 0 and "opcs.spinal-levels-second" in e2["applies"]
    # HES fillers are no value; the date falls back on the episode start
    assert e3["main_specialty"] is None and e3["treatment_specialty"] is None and e3["ethnos"] == "B"
    assert e3["admission_date"] is None and e3["date"] == datetime.date(2025, 1, 9)
    assert not e3["valid"] and e3["errors"] >= 2
    assert {"opcs.subsidiary-not-first", "nice.htg3.levels-second"} <= set(e3["applies"])  # type: ignore[arg-type]
    assert not any(rule.startswith("icd.") for rule in e3["applies"])  # type: ignore[union-attr]  # not loaded
    violations = rows(db, "SELECT * FROM violations ORDER BY seq, rule")
    assert {v["id"] for v in violations} == {"e3"}
    first = next(v for v in violations if v["rule"] == "opcs.subsidiary-not-first")
    assert (first["section"], first["positions"], first["codes"], first["severity"], first["waived"]) == (
        "opcs", [1], ["Y53.4"], "error", False,
    )  # fmt: skip
    assert first["field"] == "OPERTN_4_01"
    (run,) = rows(db, "SELECT * FROM runs")
    assert run["complete"] and run["status"] == "complete" and run["finished"] is not None
    assert (run["records"], run["valid"], run["invalid"], run["rejected"]) == (3, 1, 1, 1)
    assert sorted(p["name"] for p in run["packs"]) == ["nice.htg3", "opcs4"]  # type: ignore[union-attr]
    assert all(len(p["sha256"]) == 64 for p in run["packs"])  # type: ignore[union-attr]
    (source,) = run["inputs"]  # type: ignore[misc]
    assert source["size"] == hes.stat().st_size and source["format"] == "parquet" and len(source["sha256"]) == 64
    assert {t["name"] for t in run["tables"]} >= {"opcs4", "icd10"}  # type: ignore[union-attr]
    assert run["carried"] == ["ethnos"]


def test_the_tables_have_the_documented_schema(hes: Path, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    nicelogic("check", str(hes), "--results", f"{parts}/", "--carry", "ETHNOS")
    (records_part,) = (parts / "records").glob("*/part-*.parquet")
    (violations_part,) = (parts / "violations").glob("*/part-*.parquet")
    (runs_part,) = (parts / "runs").glob("*.parquet")
    assert pq.read_schema(records_part).remove_metadata().equals(records_schema(["ethnos"]).remove_metadata())
    assert pq.read_schema(violations_part).remove_metadata().equals(VIOLATIONS.remove_metadata())
    assert pq.read_schema(runs_part).remove_metadata().equals(RUNS.remove_metadata())
    database = tmp_path / "run.duckdb"
    nicelogic("check", str(hes), "--results", str(database), "--carry", "ETHNOS")
    db = duckdb.connect(str(database), read_only=True)
    columns = [row[0] for row in db.execute("SELECT column_name FROM (DESCRIBE records)").fetchall()]
    assert columns == records_schema(["ethnos"]).names


def test_json_lines_carry_attributes_under_hes_or_results_names(tmp_path: Path) -> None:
    source = tmp_path / "episodes.jsonl"
    source.write_text(
        json.dumps({"id": "j1", "opcs": ["V44.4", "V55.1"], "PROCODE3": "RZ9", "main_specialty": "110", "date": "2024-05-01"})
        + "\n"
        + json.dumps({"id": "j2", "opcs": ["V44.4"], "provider": "RZ8", "ward": "7B", "EPISTART": "2024-06-02"})
        + "\n"
        + json.dumps({"id": "j3", "opcs": ["V44.4"], "colour": "red"})
        + "\n",
        encoding="utf-8",
    )
    results = tmp_path / "run.duckdb"
    done = nicelogic("check", str(source), "--results", str(results), "--carry", "ward", "--rules", "opcs4")
    assert done.returncode == 1, done.stderr
    found = {r["id"]: r for r in rows(connect(str(results)), "SELECT * FROM records")}
    assert (found["j1"]["provider"], found["j1"]["main_specialty"], found["j1"]["date"]) == (
        "RZ9",
        "110",
        datetime.date(2024, 5, 1),
    )
    assert (found["j2"]["provider"], found["j2"]["ward"], found["j2"]["date"]) == ("RZ8", "7B", datetime.date(2024, 6, 2))
    assert found["j3"]["rejected"] and "unknown key 'colour'" in str(found["j3"]["reason"])


def test_a_complete_run_is_not_run_again_and_another_command_is_another_run(hes: Path, tmp_path: Path) -> None:
    results = str(tmp_path / "run.duckdb")
    nicelogic("check", str(hes), "--results", results)
    again = nicelogic("check", str(hes), "--results", results)
    assert "already complete" in again.stderr and again.returncode == 1
    other = nicelogic("check", str(hes), "--results", results, "--rules", "opcs4")
    assert "already complete" not in other.stderr
    db = connect(results)
    assert db.execute("SELECT count(*), count(DISTINCT run_id) FROM records").fetchone() == (6, 2)


def test_results_options_are_refused_where_they_cannot_work(hes: Path, tmp_path: Path) -> None:
    assert nicelogic("check", str(hes), "--carry", "ETHNOS").returncode == 2
    refused = nicelogic("check", str(hes), "--results", str(tmp_path / "r.duckdb"), "--format", "json")
    assert refused.returncode == 2 and "--results" in refused.stderr
    clash = nicelogic("check", str(hes), "--results", str(tmp_path / "r.duckdb"), "--carry", "PROVIDER")
    assert clash.returncode == 2 and "already" in clash.stderr
    stdin = nicelogic("check", "-", "--results", str(tmp_path / "r.duckdb"))
    assert stdin.returncode == 2 and "standard input" in stdin.stderr


def _run_until_committed(args: list[str], committed: object, timeout: float = 120) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from nicelogic.cli import main; main(prog_name='nicelogic')", *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        # A shell's background job ignores SIGINT, and Python then never installs its Ctrl-C
        # handler: the run must meet SIGINT as it does under a terminal, whoever started pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not committed() and time.monotonic() < deadline and process.poll() is None:  # type: ignore[operator]
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed: give it more records"
    return process


def _same_results(first: str, second: str) -> None:
    """Both databases hold the same records and violations (run ids aside)."""
    query_records = "SELECT seq, id, valid, rejected, errors, warnings, provider, date, applies FROM records ORDER BY seq"
    query_violations = "SELECT seq, rule, section, positions, codes FROM violations ORDER BY seq, rule, section, positions"
    a, b = connect(first), connect(second)
    assert a.execute(query_records).fetchall() == b.execute(query_records).fetchall()
    assert a.execute(query_violations).fetchall() == b.execute(query_violations).fetchall()


@pytest.mark.parametrize("target", ["run.duckdb", "parts/"])
def test_a_run_killed_mid_way_resumes_with_no_record_lost_or_duplicated(extract: Path, tmp_path: Path, target: str) -> None:
    results = str(tmp_path / target) + ("/" if target.endswith("/") else "")
    args = ["check", str(extract), "--results", results, "--commit-every", "100", "-j", "2", "--rules", "opcs4,nice.htg3"]
    if target.endswith("/"):

        def committed() -> bool:
            return len(list((tmp_path / target / "records").glob("*/part-*.parquet"))) >= 3
    else:
        wal = Path(results + ".wal")

        def committed() -> bool:  # DuckDB appends each commit to its write-ahead log
            return wal.exists() and wal.stat().st_size > 200_000

    process = _run_until_committed(args, committed)
    os.killpg(process.pid, signal.SIGKILL)  # the whole process group, workers too: a power cut
    process.wait()
    db = connect(results)
    (records, distinct) = db.execute("SELECT count(*), count(DISTINCT seq) FROM records").fetchone() or (0, 0)
    (run,) = rows(db, "SELECT status, complete, records FROM runs")
    db.close()
    assert 0 < records < 3000 and records == distinct and records % 100 == 0, records
    assert (run["status"], run["complete"]) == ("running", False)
    if target.endswith("/"):  # the runs file is rewritten after each part: killed in between, it is one batch behind
        assert records - 100 <= run["records"] <= records  # type: ignore[operator]
    else:  # one transaction holds the batch and the counts
        assert run["records"] == records

    resumed = nicelogic(*args)
    assert resumed.returncode == 1, resumed.stderr
    assert "resumed run" in resumed.stderr and f"after {records:,} committed records" in resumed.stderr
    db = connect(results)
    assert db.execute("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM records").fetchone() == (3000, 3000, 0, 2999)
    ids = [row[0] for row in db.execute("SELECT id FROM records ORDER BY seq").fetchall()]
    assert ids == [f"{n:09d}" for n in range(1, 3001)]
    (run,) = rows(db, "SELECT status, complete, records FROM runs")
    assert run == {"status": "complete", "complete": True, "records": 3000}
    db.close()
    clean = f"{tmp_path}/clean/" if target.endswith("/") else str(tmp_path / "clean.duckdb")
    nicelogic(*[clean if a == results else a for a in args])
    _same_results(results, clean)


def test_ctrl_c_leaves_an_interrupted_run_that_the_same_command_completes(extract: Path, tmp_path: Path) -> None:
    results = tmp_path / "parts"
    args = ["check", str(extract), "--results", f"{results}/", "--commit-every", "100", "-j", "1", "--rules", "opcs4"]
    process = _run_until_committed(args, lambda: len(list((results / "records").glob("*/part-*.parquet"))) >= 2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    (run,) = rows(connect(f"{results}/"), "SELECT status, complete FROM runs")
    assert run == {"status": "interrupted", "complete": False}
    assert nicelogic(*args).returncode == 1
    assert connect(f"{results}/").execute("SELECT count(*), count(DISTINCT seq) FROM records").fetchone() == (3000, 3000)


def test_a_corrupt_parquet_file_is_a_clear_error_and_an_incomplete_run(extract: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet at all" * 10)
    done = nicelogic("check", str(garbage), "--results", str(tmp_path / "a.duckdb"))
    assert done.returncode == 2 and "not a readable Parquet file" in done.stderr and "Traceback" not in done.stderr
    (run,) = rows(connect(str(tmp_path / "a.duckdb")), "SELECT status, complete, error FROM runs")
    assert run["status"] == "failed" and not run["complete"] and "not a readable Parquet file" in str(run["error"])

    # the footer intact, a column chunk of a later row group overwritten: found part-way
    broken = tmp_path / "broken.parquet"
    data = bytearray(extract.read_bytes())
    chunk = pq.ParquetFile(extract).metadata.row_group(4).column(0)
    start = chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = os.urandom(chunk.total_compressed_size)
    broken.write_bytes(bytes(data))
    done = nicelogic("check", str(broken), "--results", str(tmp_path / "b.duckdb"), "--commit-every", "100", "--rules", "opcs4")
    assert done.returncode == 2 and "not a readable Parquet file" in done.stderr and "Traceback" not in done.stderr
    db = connect(str(tmp_path / "b.duckdb"))
    (run,) = rows(db, "SELECT status, complete, records FROM runs")
    assert run["status"] == "failed" and not run["complete"] and int(run["records"]) <= 2000  # type: ignore[call-overload]


def test_query_prints_a_table_csv_or_json(hes: Path, tmp_path: Path) -> None:
    results = str(tmp_path / "run.duckdb")
    nicelogic("check", str(hes), "--results", results)
    sql = "SELECT id, provider, valid FROM records ORDER BY seq"
    table = nicelogic("query", results, sql, check=True).stdout
    assert "provider" in table and "RX2" in table and "3 rows" in table
    assert nicelogic("query", results, sql, "--format", "csv", check=True).stdout.splitlines() == [
        "id,provider,valid", "e1,RX1,False", "e2,RX1,True", "e3,RX2,False",
    ]  # fmt: skip
    assert json.loads(nicelogic("query", results, sql, "-f", "json", check=True).stdout)[2] == {
        "id": "e3", "provider": "RX2", "valid": False,
    }  # fmt: skip
    bad = nicelogic("query", results, "SELECT nothing FROM nowhere")
    assert bad.returncode == 2 and "the query failed" in bad.stderr
    assert nicelogic("query", str(tmp_path / "missing.duckdb"), sql).returncode == 2


def test_csv_carries_the_provider_and_patient_it_has(tmp_path: Path) -> None:
    source = tmp_path / "extract.csv"
    source.write_text(
        "EPIKEY,PROCODE,PROCODE5,TOKEN_PERSON_ID,NHS_KEY,ADMIDATE,OPERTN_01\n"
        "c1,RYJ,RYJ01,T9,N1,15/06/2024,V444\n"
        "c2,,RYJ02,T8,N2,bad,V444\n",
        encoding="utf-8",
    )
    results = str(tmp_path / "run.duckdb")
    nicelogic("check", str(source), "--results", results, "--rules", "opcs4")
    other_results = str(tmp_path / "other.duckdb")
    nicelogic("check", str(source), "--results", other_results, "--patient-column", "NHS_KEY", "--rules", "opcs4")
    found = {r["id"]: r for r in rows(connect(results), "SELECT * FROM records")}
    c1 = found["c1"]
    assert (c1["provider"], c1["patient"], c1["date"]) == ("RYJ", "T9", datetime.date(2024, 6, 15))
    # the first provider column the extract has is read for every row: never a trust for one row and a site for the next
    assert found["c2"]["provider"] is None
    assert found["c2"]["rejected"] and found["c2"]["reason_kind"] == "attribute" and found["c2"]["date"] is None
    other = {r["id"]: r["patient"] for r in rows(connect(other_results), "SELECT * FROM records")}
    assert other == {"c1": "N1", "c2": "N2"}
