"""Converting CMS NCCI release files into the shipped Parquet form: rows, release dates and
verdicts equal to reading the CMS CSV files directly."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from nicelogic import Checker
from nicelogic.cli import main
from nicelogic.tables import TableConfig, load_tables
from nicelogic.tables.ncci import DEFAULT_NCCI, load_ncci
from nicelogic.tables.ncci_import import MANIFEST, import_ncci

from .conftest import FIXTURES

NCCI = FIXTURES / "ncci"
CODES = ["22510", "22511", "22512", "22513", "22515", "20610", "76942", "77003", "01935", "99213"]
CLAIMS = ["cpt 20610 76942", "cpt 20610 76942-59", "cpt 22512", "cpt 22511 22512x4", "cpt 22510x2", "cpt 99213"]


def _csv_rows(name: str) -> int:
    with (NCCI / name).open(newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_import_keeps_every_row_and_the_release_dates(tmp_path) -> None:
    manifest = import_ncci(NCCI, tmp_path)
    assert {table: entry["rows"] for table, entry in manifest.items()} == {
        "aoc": _csv_rows("ncci_aoc_active_2024-06-03_sample.csv"),
        "mue_outpatient": _csv_rows("ncci_mue_outpatient_hospital_2024-07-01_sample.csv"),
        "mue_practitioner": _csv_rows("ncci_mue_practitioner_2024-07-01_sample.csv"),
        "ptp_practitioner": _csv_rows("ncci_ptp_practitioner_2024-07-01_sample.csv"),
    }
    assert manifest["aoc"]["release"] == "2024-06-03" and manifest["ptp_practitioner"]["release"] == "2024-07-01"
    assert json.loads((tmp_path / MANIFEST).read_text()) == manifest
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [f"{t}.parquet" for t in sorted(manifest)]


def test_converted_tables_give_the_facts_and_verdicts_of_the_csv_files(tmp_path) -> None:
    import_ncci(NCCI, tmp_path)
    assert sorted(load_ncci(tmp_path).facts(CODES)) == sorted(load_ncci(NCCI).facts(CODES))
    assert load_ncci(tmp_path).known_codes() == load_ncci(NCCI).known_codes()
    converted = Checker(["ncci"], tables=TableConfig(ncci_dir=tmp_path))
    direct = Checker(["ncci"], tables=TableConfig(ncci_dir=NCCI))
    for claim in CLAIMS:
        got = [(v.rule, v.positions) for v in converted.check_record(claim).violations]
        assert got == [(v.rule, v.positions) for v in direct.check_record(claim).violations], claim
    assert [v.rule for v in converted.check_record("cpt 20610 76942").violations] == ["ncci.ptp"]


def test_shipped_tables_are_the_full_2024_release() -> None:
    manifest = json.loads((DEFAULT_NCCI / MANIFEST).read_text())
    assert manifest["ptp_practitioner"]["rows"] == 2_546_017
    assert manifest["mue_practitioner"]["rows"] == 14_677 and manifest["mue_outpatient"]["rows"] == 14_628
    assert manifest["aoc"]["rows"] == 7_465
    versions = load_tables().versions()
    assert (versions["ncci.ptp"], versions["ncci.mue"], versions["ncci.aoc"]) == ("2024-07-01", "2024-07-01", "2024-06-03")
    facts = load_ncci().facts(["22511", "77003", "20610", "76942"])
    assert 'ncci_ptp("22511","77003",99991231,1).' in facts and 'ncci_ptp("20610","76942",99991231,1).' in facts
    assert not any('"22510"' in f for f in facts)  # only rows for the codes asked for


def test_outpatient_setting_reads_the_outpatient_mue_table(tmp_path) -> None:
    (tmp_path / "csv").mkdir()
    for path in NCCI.iterdir():
        (tmp_path / "csv" / path.name.replace("ptp_practitioner", "ptp_outpatient_hospital")).write_bytes(path.read_bytes())
    import_ncci(tmp_path / "csv", tmp_path / "out")
    outpatient = load_ncci(tmp_path / "out", "outpatient")
    assert outpatient.releases == {"aoc": "2024-06-03", "ptp": "2024-07-01", "mue": "2024-07-01"}
    assert [p.name for p in outpatient.files] == ["aoc.parquet", "ptp_outpatient.parquet", "mue_outpatient.parquet"]


def test_cli_import_and_use(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "q3"
    result = runner.invoke(main, ["tables", "import-ncci", str(NCCI), "-o", str(out)])
    assert result.exit_code == 0 and "ptp_practitioner: 2 rows, release 2024-07-01" in result.output
    checked = runner.invoke(main, ["check", "--record", "cpt 20610 76942", "--rules", "ncci", "--ncci-dir", str(out)])
    assert checked.exit_code == 1 and "ncci.ptp" in checked.output
    info = runner.invoke(main, ["info", "--format", "json", "--ncci-dir", str(out)])
    assert json.loads(info.output)["tables"]["ncci.ptp"] == "2024-07-01"
    absent = runner.invoke(main, ["check", "--record", "cpt 20610 76942", "--ncci-setting", "outpatient"])
    assert absent.exit_code == 2 and "import-ncci" in absent.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(main, ["tables", "import-ncci", str(empty), "-o", str(out)]).exit_code == 2


def test_a_code_no_table_knows_is_a_warning_never_silent() -> None:
    checker = Checker(["ncci"])
    result = checker.check_record("c1: cpt 22511 12345 99213-59")
    (notice,) = [v for v in result.violations if v.rule == "table.unknown-code"]
    assert (notice.severity, notice.section, notice.positions, notice.codes) == ("warning", "cpt", (2,), ("12345",))
    assert [v.rule for v in checker.check_record("cpt 22511 99213-59").violations] == []
    # only when a loaded pack reads the NCCI tables, and --ignore drops it as any rule id
    assert Checker(["opcs4"]).check_record("cpt 12345").violations == ()
    assert Checker(["ncci"], ignore=["table.unknown-code"]).check_record("cpt 12345").violations == ()
    runner = CliRunner()
    shown = runner.invoke(main, ["check", "--record", "c1: cpt 12345", "--rules", "ncci", "-f", "json"])
    record = json.loads(shown.output)["records"][0]
    assert shown.exit_code == 0 and [v["rule"] for v in record["violations"]] == ["table.unknown-code"]
    assert json.loads(shown.output)["summary"]["warnings"] == 1


def test_every_result_format_with_run_metadata_names_the_table_releases() -> None:
    from junitparser import JUnitXml

    runner = CliRunner()
    args = ["check", "--record", "c1: cpt 22512", "--rules", "ncci", "--exit-zero", "-f"]
    document = json.loads(runner.invoke(main, [*args, "json"]).output)
    assert document["metadata"]["tables"]["ncci.ptp"] == "2024-07-01"
    sarif = json.loads(runner.invoke(main, [*args, "sarif"]).output)
    assert sarif["runs"][0]["properties"]["tables"]["ncci.aoc"] == "2024-06-03"
    junit = JUnitXml.fromstring(runner.invoke(main, [*args, "junit"]).output.encode())
    properties = {p.name: p.value for suite in junit for p in suite.properties()}
    assert properties["table.ncci.mue"] == "2024-07-01"
    info = runner.invoke(main, ["info"]).output
    assert "ptp_practitioner 2024-07-01" in info and "aoc 2024-06-03" in info
