"""Seeded inconsistencies are reported at exactly the seeded counts (issue 15, tests)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.synthetic_patients import Expected, patients, write_csv
from nicelogic.cli import main
from nicelogic.history.checker import PatientChecker
from nicelogic.input.grammar import RecordParser
from nicelogic.input.records import to_record
from nicelogic.input.tabular import table_lines
from nicelogic.model import Record


def _records(count: int, seed: int) -> list[Record]:
    """``count`` synthetic patients' episodes, read as the patient pass reads them."""
    text = io.StringIO()
    write_csv(patients(count, seed=seed), text)
    parser = RecordParser()
    records = [to_record(item, parser) for item in table_lines(io.StringIO(text.getvalue()), "patients.csv")]
    assert all(isinstance(record, Record) for record in records)  # the generator writes only readable rows
    return records  # type: ignore[return-value]


def test_the_consistency_pack_reports_exactly_the_seeded_counts_on_10000_patients() -> None:
    expected = Expected()
    text = io.StringIO()
    write_csv(patients(10_000, seed=11, expected=expected), text)
    parser = RecordParser()
    records = []
    for item in table_lines(io.StringIO(text.getvalue()), "patients.csv"):
        record = to_record(item, parser)
        assert isinstance(record, Record), record
        records.append(record)
    assert expected.patients == 10_000 and len(records) == expected.episodes
    results, grouped, summary = PatientChecker(["consistency"]).check_records(records)
    assert summary.patients == 10_000 and not grouped.not_judged and not grouped.duplicates
    reported = {rate.rule: (rate.violating, rate.applies) for rate in summary.rates}
    assert reported == expected.counts()
    # every rule was seeded, and the persistence rates are near Hardy's (they are drawn at those rates)
    assert all(violating > 0 for violating, _ in reported.values())
    autism = reported["consistency.persistence-autism"]
    assert 0.38 < autism[0] / autism[1] < 0.50


def test_batches_solved_by_two_workers_at_once_give_the_results_of_one(tmp_path: Path) -> None:
    """Two bounded workers each solving a batch while the next is read (in memory, and
    through the spool on disk) give, in order, what one worker gives."""
    records = _records(1_500, seed=5)
    one = PatientChecker(["consistency"], batch_patients=200)
    two = PatientChecker(["consistency"], batch_patients=200, jobs=2)
    try:
        expected, _, summary = one.check_records(records)
        assert summary.patients == 1_500 and expected
        for out_of_memory in (False, True):
            results, grouped, _ = two.check_records(records, out_of_memory=out_of_memory)
            assert results == expected and not grouped.not_judged
        assert two._workers[1].pid is not None  # the second worker took batches
    finally:
        one.close()
        two.close()


def test_a_pass_gives_each_patient_as_judged_and_sums_up_what_check_records_does() -> None:
    records = _records(1_200, seed=9)
    checker = PatientChecker(["consistency"], batch_patients=200, jobs=2)
    try:
        expected, expected_grouped, expected_summary = checker.check_records(records, out_of_memory=True)
        judged = checker.judge_records(records, out_of_memory=True)
        with pytest.raises(RuntimeError, match="not all been read"):
            judged.summary  # noqa: B018 - the counts are not known before every patient is judged
        assert list(judged) == expected
        assert judged.summary == expected_summary and judged.grouped == expected_grouped
        assert expected_summary.patients == 1_200 and any(rate.violating for rate in expected_summary.rates)
    finally:
        checker.close()


def test_results_become_table_rows_a_chunk_at_a_time_as_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from nicelogic.research import patients as tables
    from nicelogic.research.schema import PATIENT_UNITS, PATIENT_VIOLATIONS

    records = _records(300, seed=3)
    results, _, _ = PatientChecker(["consistency"]).check_records(records)
    monkeypatch.setattr(tables, "JUDGED_CHUNK", 7)  # 300 patients: 43 chunks, the last of 6
    violations, units = tables.judged_tables("run", iter(results))
    assert violations.num_rows > 0 and units.num_rows > violations.num_rows
    assert violations.equals(pa.Table.from_pylist(tables.violation_rows("run", results), PATIENT_VIOLATIONS))
    assert units.equals(pa.Table.from_pylist(tables.unit_rows("run", results), PATIENT_UNITS))
    empty_violations, empty_units = tables.judged_tables("run", iter(()))
    assert empty_violations.schema == PATIENT_VIOLATIONS and empty_units.num_rows == 0


def test_a_worker_is_replaced_after_judging_its_share_of_patients(monkeypatch: pytest.MonkeyPatch) -> None:
    """clingo keeps every symbol a process made: a worker that judged every patient of an
    extract would grow with it."""
    from nicelogic.history import checker as module

    records = _records(1_000, seed=8)
    expected, _, _ = PatientChecker(["consistency"], batch_patients=200).check_records(records, out_of_memory=True)
    monkeypatch.setattr(module, "RECYCLE_PATIENTS", 400)
    checker = PatientChecker(["consistency"], batch_patients=200)
    started: list[int | None] = []
    real_start = checker._workers[0]._started

    def watched() -> object:
        connection = real_start()
        started.append(checker._workers[0].pid)
        return connection

    monkeypatch.setattr(checker._workers[0], "_started", watched)
    try:
        results, _, summary = checker.check_records(records, out_of_memory=True)
    finally:
        checker.close()
    assert results == expected and summary.patients == 1_000
    assert len(set(started)) == 3  # 5 batches of 200: a fresh worker for the 1st, 3rd and 5th


def test_the_spool_gives_what_grouping_in_memory_gives_across_many_sorted_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from nicelogic.history import spool as module
    from nicelogic.history.patients import group_patients

    monkeypatch.setattr(module, "SPOOL_ROWS", 37)  # about 130 runs, merged into one every 4
    monkeypatch.setattr(module, "MAX_RUNS", 4)
    records = _records(1_000, seed=12)
    records += [records[n] for n in (5, 300, 5, 2_000)]  # episode keys held twice and three times, late in the extract
    expected = group_patients(records, max_episodes=6)
    spool = module.spooled(records)
    try:
        histories = list(spool.histories(max_episodes=6))
        assert [(h.patient, [r.line for r in h.episodes], h.spells) for h in histories] == [
            (h.patient, [r.line for r in h.episodes], h.spells) for h in expected.histories
        ]
        assert [(d.patient, d.episode, [r.line for r in d.records]) for d in spool.duplicates()] == [
            (d.patient, d.episode, [r.line for r in d.records]) for d in expected.duplicates
        ]
        assert len(spool.duplicates()) == 3 and len(histories) < 1_000  # some patients have more than 6 episodes
        assert spool.too_many(6) == len(expected.not_judged) > 0
    finally:
        spool.close()


def test_the_workers_are_forked_at_start_before_the_extract_is_read() -> None:
    checker = PatientChecker(["consistency"], jobs=2)
    idle = PatientChecker(["opcs4"], jobs=2)  # no pack reads whole patients: nothing to fork
    try:
        assert [worker.pid for worker in checker._workers] == [None, None]
        checker.start()
        idle.start()
        assert all(worker.pid is not None for worker in checker._workers)
        assert [worker.pid for worker in idle._workers] == [None, None]
    finally:
        checker.close()
        idle.close()


def test_the_generator_writes_hes_columns() -> None:
    text = io.StringIO()
    write_csv(patients(3), text)
    header = next(csv.reader(io.StringIO(text.getvalue())))
    assert {"EPIKEY", "PSEUDO_HESID", "ADMIDATE", "EPIEND", "DISMETH", "DIAG_4_01", "OPERTN_4_01"} <= set(header)


def test_study_hardy_prints_their_table_with_unit_window_and_exclusions(tmp_path: Path) -> None:
    expected = Expected()
    extract = tmp_path / "patients.csv"
    with extract.open("w", newline="", encoding="utf-8") as handle:
        write_csv(patients(2_000, seed=3, expected=expected), handle)
    done = CliRunner().invoke(main, ["study", "hardy", str(extract)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "unit: the spell" in lines[1] and "within 2013-04-01 to 2021-03-31" in lines[2]
    assert "R69" in lines[3] and "age under 18" in lines[3] and "X40, X43" in lines[3] and "N18.5" in lines[3]
    for title, condition in (("autism", "autism"), ("type 2 diabetes", "diabetes"), ("Parkinson's disease dementia", "pdd")):
        row = next(line for line in lines if line.startswith(title + " "))
        violating, applies = expected.counts()[f"consistency.persistence-{condition}"]
        assert f"{violating:,}" in row.split() and f"{applies:,}" in row.split()
    # a window before every discharge counts no subsequent spell
    early = CliRunner().invoke(main, ["study", "hardy", str(extract), "--window", "2000-01-01:2001-01-01"])
    assert "autism" in early.output and " - " in next(line for line in early.output.splitlines() if line.startswith("autism "))
    assert CliRunner().invoke(main, ["study", "hardy", str(extract), "--window", "soon"]).exit_code == 2


def test_grouping_through_the_disk_spool_gives_the_same_counts_and_reports_duplicates() -> None:
    expected = Expected()
    text = io.StringIO()
    write_csv(patients(2_000, seed=5, expected=expected), text)
    rows = text.getvalue().splitlines(keepends=True)
    rows.append(rows[-1].replace(rows[-1].split(",", 1)[0], "999999", 1))  # a record with a new key: no duplicate
    rows.append(rows[-1])  # the same episode key twice
    parser = RecordParser()
    records = [r for r in (to_record(item, parser) for item in table_lines(rows, "p.csv")) if isinstance(r, Record)]
    _, grouped, summary = PatientChecker(["consistency"]).check_records(records, out_of_memory=True)
    reported = {rate.rule: (rate.violating, rate.applies) for rate in summary.rates}
    persistence = {rule: counts for rule, counts in expected.counts().items() if "persistence" in rule}
    assert {rule: reported[rule] for rule in persistence} == persistence
    assert summary.patients == 2_000 and summary.duplicates == 1 and grouped.histories == ()
    assert [r.id for r in grouped.duplicates[0].records] == ["999999", "999999"]
