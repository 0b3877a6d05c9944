"""Seeded inconsistencies are reported at exactly the seeded counts (issue 15, tests)."""

from __future__ import annotations

import csv
import io

from benchmarks.synthetic_patients import Expected, patients, write_csv
from nicelogic.history.checker import PatientChecker
from nicelogic.input.grammar import RecordParser
from nicelogic.input.records import to_record
from nicelogic.input.tabular import table_lines
from nicelogic.model import Record


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


def test_the_generator_writes_hes_columns() -> None:
    text = io.StringIO()
    write_csv(patients(3), text)
    header = next(csv.reader(io.StringIO(text.getvalue())))
    assert {"EPIKEY", "PSEUDO_HESID", "ADMIDATE", "EPIEND", "DISMETH", "DIAG_4_01", "OPERTN_4_01"} <= set(header)
