"""Code tables: loaders, and only the rows for codes present reaching the solver."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nicelogic import Checker, InputError
from nicelogic.cli import main
from nicelogic.model import System
from nicelogic.tables import TableConfig, load_tables, ncci
from nicelogic.tables.icd10 import load_icd10_uk
from nicelogic.tables.ncci import NcciTables, load_ncci
from nicelogic.tables.opcs import load_opcs

from .conftest import FIXTURES, ROOT, UK_ICD10

NCCI = FIXTURES / "ncci"
MINI_OPCS = FIXTURES / "opcs_mini_release.xml"
PAIRS = "SELECT c1, c2, deleted, mi FROM ptp WHERE c1 IN ? AND c2 IN ?"  # a batch's query, asked directly


def test_shipped_opcs_release() -> None:
    table = load_opcs()
    assert len(table.titles) == 12_122
    assert sum(len(code) == 3 for code in table.titles) == 1_665
    assert table.titles["V44.4"] == "Vertebroplasty of fracture of spine NEC"
    assert table.is_code("V44.4") and table.is_code("E45") and not table.is_code("V44") and not table.is_code("V44.0")
    assert table.release.startswith("OPCS-4.11")
    assert len(table.extended) == 104
    assert all(e[0] == p[0] != "O" for e, p in table.extended.items())


def test_another_opcs_release_replaces_the_shipped_one() -> None:
    checker = Checker(["opcs4"], tables=TableConfig(opcs_file=MINI_OPCS))
    assert checker.tables.opcs.extended == {"Y68": "Y53"}
    rules = {v.rule for v in checker.check_record("V44.4 V55.1 Y53.4 Z66.5").violations}
    assert rules == {"opcs.valid-code"}  # Z66.5 is not in this release


@pytest.mark.parametrize("content", ["<dsv></dsv>", "not xml at all", "<dsv><code CODE='V44'"])
def test_bad_opcs_file_is_an_input_error(tmp_path, content: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(InputError):
        load_opcs(path)


def test_who_icd10_and_derived_asterisks() -> None:
    table = load_tables().icd10
    assert not table.uk and table.edition.startswith("WHO")
    assert {"M49.5", "M82.0", "G55.1", "M49"} <= table.asterisk
    assert "M80.0" not in table.asterisk and "M48.5" not in table.asterisk
    assert table.is_code("M80.0") and table.is_code("R69") and not table.is_code("M80")


def test_uk_icd10_loader() -> None:
    table = load_icd10_uk(UK_ICD10)
    assert table.uk and len(table.titles) == 20
    assert table.asterisk == {"G55.1", "M49", "M49.5", "M82.0"}
    assert table.dagger == {"E10.2", "M51.1"}
    assert table.not_primary == {"W19", "X59"}
    assert table.sex == {"M80.0": "female", "M80.08": "female", "N40": "male"}
    assert table.age["M80.0"] == (45, 999)
    assert table.is_code("M80.08") and table.is_code("R69") and not table.is_code("M80")


def test_batch_facts_hold_only_rows_for_codes_present() -> None:
    tables = load_tables()
    facts = tables.facts({System.CPT: ["22511", "77003"], System.OPCS: ["V44.4"]}).splitlines()
    assert 'ncci_ptp("22511","77003",99991231,1).' in facts
    assert not any(f.startswith("ncci_ptp(") and '"22510"' in f for f in facts)
    assert sum(f.startswith("opcs_") for f in facts) == 2  # opcs_code and opcs_subdivided for V44.4 only
    assert len(facts) < 40


def test_a_claims_pairs_are_looked_up_by_code_kept_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_ncci()
    tables = NcciTables(shipped.source, shipped.files, shipped.releases)
    claim = ["20610", "22511", "22512", "64493", "76942", "77003"]
    both = tables._rows(PAIRS, claim, claim)
    assert len(both) >= 5
    assert sorted(tables._pairs(claim)) == sorted(both)
    queried = []
    monkeypatch.setattr(tables, "_rows", lambda sql, *params: queried.append(params) or [])
    assert sorted(tables._pairs(claim)) == sorted(both) and not queried  # from the rows kept, no query
    assert tables._pairs(["20610", "99999"]) == [] and queried == [(["99999"],)]  # only the code not asked before
    monkeypatch.undo()
    monkeypatch.setattr(ncci, "_KEPT_PAIRS", 1_000)
    for code in ("99213", "99214", "99215", "20610", "64493", "76942"):
        tables._pairs([code, "22511"])
    assert tables._pairs_kept == sum(len(rows) + 1 for rows in tables._pairs_of.values()) <= 1_000
    assert "99213" not in tables._pairs_of and "22511" in tables._pairs_of  # the least recently asked went first
    batch = [f"{n:05d}" for n in range(20000, 20040)]  # more than a claim's codes: one query, nothing kept
    before = dict(tables._pairs_of)
    assert sorted(tables._pairs(batch)) == sorted(tables._rows(PAIRS, batch, batch))
    assert tables._pairs_of == before


def test_ncci_folder_and_setting() -> None:
    practitioner = load_ncci(NCCI, "practitioner")
    assert [p.name for p in practitioner.files if "mue" in p.name] == ["ncci_mue_practitioner_2024-07-01_sample.csv"]
    # the fixture folder, like the shipped tables, holds no outpatient hospital PTP file: said, not replaced
    with pytest.raises(InputError, match="outpatient hospital PTP"):
        load_ncci(NCCI, "outpatient")
    with pytest.raises(InputError, match="import-ncci"):
        load_tables(TableConfig(ncci_setting="outpatient"))
    facts = practitioner.facts(["20610", "76942"])
    assert 'ncci_ptp("20610","76942",99991231,1).' in facts


def test_ncci_folder_reaches_the_rules() -> None:
    checker = Checker(["ncci"], tables=TableConfig(ncci_dir=NCCI))
    assert [v.rule for v in checker.check_record("cpt 20610 76942").violations] == ["ncci.ptp"]
    assert checker.check_record("cpt 20610 76942-59").violations == ()
    # the shipped tables hold the whole practitioner PTP table, this pair too
    assert [v.rule for v in Checker(["ncci"]).check_record("cpt 20610 76942").violations] == ["ncci.ptp"]


def test_ncci_folder_without_a_table_kind(tmp_path) -> None:
    (tmp_path / "ncci_aoc_x.csv").write_text((NCCI / "ncci_aoc_active_2024-06-03_sample.csv").read_text())
    with pytest.raises(InputError, match="no NCCI PTP file"):
        load_ncci(tmp_path).facts(["22512"])


def test_cli_table_options(tmp_path) -> None:
    path = tmp_path / "claims.txt"
    path.write_text("c1: cpt 20610 76942\n")
    runner = CliRunner()
    shipped = runner.invoke(main, ["check", str(path), "--rules", "ncci"])
    full = runner.invoke(main, ["check", str(path), "--rules", "ncci", "--ncci-dir", str(NCCI)])
    assert (shipped.exit_code, full.exit_code) == (1, 1) and "ncci.ptp" in full.output and "ncci.ptp" in shipped.output
    uk = runner.invoke(main, ["info", "--icd10-file", str(UK_ICD10)])
    assert "UK ICD-10 5th Edition" in uk.output and "Open Government Licence v3.0" in uk.output
    other = runner.invoke(
        main, ["check", str(ROOT / "examples" / "episodes.txt"), "--opcs-file", str(MINI_OPCS), "--rules", "opcs4"]
    )
    assert "opcs.valid-code" in other.output
    bad = tmp_path / "bad.xml"
    bad.write_text("<dsv/>")
    assert runner.invoke(main, ["check", str(path), "--opcs-file", str(bad)]).exit_code == 2


def test_the_ncci_tables_can_be_queried_in_a_process_forked_after_the_parent_queried_them() -> None:
    """DuckDB crashes a forked child that uses it while the parent's connection is open:
    bounded workers and worker pools fork from a checker that has read the tables."""
    import os

    from nicelogic.tables import TableConfig, load_tables

    ncci = load_tables(TableConfig()).ncci
    expected = ncci.facts(["22512"])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        os._exit(0 if ncci.facts(["22512"]) == expected else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ncci.facts(["22512"]) == expected  # and the parent reopens its own
