"""Rules across a patient's history: the consistency pack, spells, bad input (issue 15, part 2)."""

from __future__ import annotations

import json
from pathlib import Path

from nicelogic.authoring.patient_cases import PatientCaseResult, run_patient_cases
from nicelogic.authoring.testing import run_tests
from nicelogic.history.checker import PatientChecker
from nicelogic.history.patients import NO_PATIENT, UNFINISHED, group_patients, history, too_many_episodes
from nicelogic.history.spells import hes_pipeline_spells, supplied_spells
from nicelogic.model import Episode, Record
from nicelogic.rules.packs import builtin_pack_dirs, load_rules, patient_pack_dirs

from .test_cli import run

PACK = Path(__file__).resolve().parents[1] / "logic" / "consistency"


def episode(id: str, **fields: object) -> Record:
    return Record(id, episode=Episode(**fields))  # type: ignore[arg-type]


def test_every_consistency_rule_fires_and_keeps_quiet_where_it_applies_including_the_traps() -> None:
    run_ = run_tests([str(PACK)])
    failures = [f"{r.case.name} {r.case.text}: {'; '.join(r.problems)}" for r in run_.results if not r.passed]
    assert not failures, "\n".join(failures)
    assert {c.rule for c in run_.coverage} == set(PatientChecker(["consistency"]).ruleset.rules)
    assert all(c.fire_cases >= 1 and c.quiet_cases >= 1 for c in run_.coverage), run_.coverage
    titles = {r.case.title for r in run_.results if isinstance(r, PatientCaseResult)}
    assert {
        "trap: J69.3 excision of an accessory spleen after J69.1",
        "a right and a left hip replacement (laterality after a subsidiary code still counts)",
    } <= titles


def test_a_case_that_should_fail_does(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.patients"
    wrong.write_text(
        "# case: M02.6 is a trap, so this expectation is wrong\n# expect: consistency.once-only-repeated\n"
        '{"id": "k1", "opcs": ["M02.1", "Z94.2"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
        '{"id": "k2", "opcs": ["M02.6", "Z94.2"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}\n',
        encoding="utf-8",
    )
    (result,) = run_patient_cases([wrong], ["consistency"])
    assert result.problems == ("expected consistency.once-only-repeated, not found",)


def test_patient_packs_are_loaded_when_named_not_by_default() -> None:
    assert "consistency" in patient_pack_dirs() and "consistency" not in builtin_pack_dirs()
    assert "consistency" not in {p.name for p in load_rules().packs}
    assert not PatientChecker(None).active and PatientChecker(["opcs4", "consistency"]).active


def test_spells_supplied_or_derived_by_the_hes_pipeline_rule() -> None:
    same_admission = [
        episode("e1", provider="R1", admitted="2020-01-01", started="2020-01-01", ended="2020-01-02"),
        episode("e2", provider="R1", admitted="2020-01-01", started="2020-01-02", ended="2020-01-05"),
        episode("e3", provider="R2", admitted="2020-01-01", started="2020-01-05", ended="2020-01-06"),  # another provider
        episode("e4", provider="R1", admitted="2020-02-01", started="2020-02-01", ended="2020-02-03", discharge_method="9"),
        # DISMETH 9 and starting when the previous ended: the same spell, with no ADMIDATE shared
        episode("e5", provider="R1", admitted="2020-02-03", started="2020-02-03", ended="2020-02-04"),
        episode("e6", provider="R1", admitted="2020-03-01", started="2020-03-01", ended="2020-03-02"),
    ]
    assert sorted(hes_pipeline_spells(same_admission)) == [[0, 1], [2], [3, 4], [5]]
    keyed = [episode("a", spell="S1"), episode("b", spell="S1"), episode("c"), episode("d", spell="S1", provider="R2")]
    assert supplied_spells(keyed) == [[0, 1], [2], [3]]
    assert history("P", keyed[:2], "auto").method == "supplied"
    assert history("P", same_admission, "auto").method == "hes-pipeline"


def test_records_without_a_patient_key_and_unfinished_episodes_are_not_judged_and_duplicate_keys_reported() -> None:
    records = [
        episode("a", patient="P1", episode="K1", ended="2020-01-01"),
        episode("b", patient="P1", episode="K1", ended="2020-02-01"),
        episode("c", episode="K3"),
        Record("d"),
        episode("e", patient="P2", status="1"),
    ]
    grouped = group_patients(records)
    assert [h.patient for h in grouped.histories] == ["P1"] and len(grouped.histories[0].episodes) == 2
    assert [(n.record.id, n.reason) for n in grouped.not_judged] == [("c", NO_PATIENT), ("d", NO_PATIENT), ("e", UNFINISHED)]
    assert [(d.episode, [r.id for r in d.records]) for d in grouped.duplicates] == [("K1", ["a", "b"])]


def test_a_patient_with_more_episodes_than_the_limit_is_not_judged_and_counted_in_memory_and_on_disk() -> None:
    long = [episode(f"l{n}", patient="LONG", episode=f"L{n}", ended=f"2020-01-{n + 1:02d}") for n in range(5)]
    short = [episode(f"s{n}", patient="SHORT", episode=f"S{n}", ended=f"2020-01-{n + 1:02d}") for n in range(4)]
    grouped = group_patients([*long, *short], max_episodes=4)
    assert [h.patient for h in grouped.histories] == ["SHORT"]
    assert [(n.record.id, n.reason) for n in grouped.not_judged] == [(r.id, too_many_episodes(4)) for r in long]
    for out_of_memory in (False, True):
        checker = PatientChecker(["consistency"], max_episodes=4)
        try:
            results, _, summary = checker.check_records([*long, *short], out_of_memory=out_of_memory)
        finally:
            checker.close()
        assert [r.patient for r in results] == ["SHORT"] and summary.patients == 1
        assert dict(summary.not_judged) == {"more than 4 episodes for one patient (the limit of one history)": 5}


def test_check_reports_patients_blamed_spells_and_rates(tmp_path: Path) -> None:
    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,PSEUDO_HESID,PROCODE3,ADMIDATE,EPISTART,EPIEND,DISMETH,DIAG_4_01\n"
        "1,P1,RX1,2015-01-01,2015-01-01,2015-01-03,1,F840\n"
        "2,P1,RX1,2016-01-01,2016-01-01,2016-01-02,1,J459\n"
        "3,P1,RX1,2016-01-01,2016-01-02,2016-01-04,1,I10X\n"
        "4,P2,RX1,2016-01-01,2016-01-01,2016-01-04,4,I219\n"
        "5,P2,RX1,2016-03-01,2016-03-01,2016-03-04,1,I10X\n"
        "6,,RX1,2016-03-01,2016-03-01,2016-03-04,1,I10X\n"
        "6,P3,RX1,2016-03-01,2016-03-01,2016-03-04,1,I10X\n",
        encoding="utf-8",
    )
    done = run("check", str(extract), "--rules", "icd10,consistency", "-f", "json")
    document = json.loads(done.stdout)  # standard error says that the id 6 repeats
    found = {(v["patient"], v["rule"], tuple(b["number"] for b in v["blamed"])) for v in document["patients"]}
    assert found == {("P1", "consistency.persistence-autism", (2,)), ("P2", "consistency.admission-after-death", (1, 2))}
    persistence = next(v for v in document["patients"] if v["rule"] == "consistency.persistence-autism")
    assert persistence["blamed"][0]["records"] == ["2", "3"]  # one spell, two episodes
    summary = document["patient_summary"]
    assert summary["patients"] == 3 and summary["not_judged"] == {"no patient key": 1}
    rates = {r["rule"]: (r["violating"], r["applies"]) for r in summary["rules"]}
    assert rates["consistency.persistence-autism"] == (1, 1) and rates["consistency.admission-after-death"] == (1, 1)
    text = run("check", str(extract), "--rules", "consistency").output
    assert "consistency.admission-after-death warning" in text and "(patient P2)" in text
    assert "1 records not judged by patient rules (no patient key)" in text


def test_a_results_run_writes_the_patient_level_tables(tmp_path: Path) -> None:
    from nicelogic.research.query import connect, run_query

    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,PSEUDO_HESID,PROCODE3,ADMIDATE,EPISTART,EPIEND,DISMETH,DIAG_4_01\n"
        "1,P1,RX1,2015-01-01,2015-01-01,2015-01-03,1,F840\n2,P1,RX1,2016-01-01,2016-01-01,2016-01-02,1,J459\n"
        "4,P2,RX1,2016-01-01,2016-01-01,2016-01-04,4,I219\n5,P2,RX1,2016-03-01,2016-03-01,2016-03-04,1,I10X\n"
        "7,,RX1,2016-03-01,2016-03-01,2016-03-04,1,I10X\n",
        encoding="utf-8",
    )
    for target in (str(tmp_path / "run.duckdb"), str(tmp_path / "parts") + "/"):
        for _ in range(2):  # the same command again replaces, never doubles, the run's rows
            done = run("check", str(extract), "--results", target, "--rules", "icd10,consistency")
            assert done.exit_code == 0, done.output
        db = connect(target)
        _, found = run_query(db, "SELECT patient, rule, units, records FROM patient_violations ORDER BY patient")
        _, rules = run_query(db, "SELECT rule, applies, violating, patients, not_judged FROM patient_rules ORDER BY rule")
        _, units = run_query(
            db,
            "SELECT unit, violating, provider, CAST(ended AS VARCHAR), reference, reference_provider, days_since_reference, "
            "provider_changed FROM patient_units WHERE rule = 'consistency.persistence-autism'",
        )
        db.close()  # a DuckDB connection left to the collector would be finalised in a forked worker later
        assert found == [
            ("P1", "consistency.persistence-autism", ["spell 2"], ["2"]),
            ("P2", "consistency.admission-after-death", ["spell 1", "spell 2"], ["4", "5"]),
        ]
        assert ("consistency.admission-after-death", 1, 1, 2, 1) in rules and len(rules) == 3
        assert units == [("spell 2", True, "RX1", "2016-01-02", "spell 1", "RX1", 364, False)]


def _patient_pack(folder: Path, name: str, title: str, rule: str, message: str, program: str) -> Path:
    """A pack that reads whole patients, of one warning rule ``name.rule``."""
    pack = folder / name
    pack.mkdir()
    (pack / "pack.toml").write_text(f'name = "{name}"\ntitle = "{title}"\nversion = "0.1.0"\nreads = "patient"\n')
    (pack / f"{rule}.lp").write_text(
        f'%! id = "{name}.{rule}"\n%! severity = "warning"\n%! title = "{title}"\n'
        f'%! message = "{message}"\n%! source = "a test"\n\n{program}'
    )
    return pack


def test_a_patient_pack_that_grounds_without_end_is_bounded_and_its_patients_not_judged(tmp_path: Path) -> None:
    pack = _patient_pack(
        tmp_path, "hostile", "Grounds without end", "blowup", "never",
        "hostile_n(1..2000) :- patient(_).\n"
        "hostile_triple(A, B, C) :- hostile_n(A), hostile_n(B), hostile_n(C).\n"
        'patient_violation("hostile.blowup", P, patient) :- patient(P), hostile_triple(1, 1, 1).\n',
    )  # fmt: skip
    # one worker, and two solving a batch each at once: every batch over the limit, split on its own worker
    for jobs, batch in ((1, 500), (2, 2)):
        patients = PatientChecker([str(pack)], time_limit=2.0, memory_limit=256 << 20, jobs=jobs, batch_patients=batch)
        try:
            dated = {"admitted": "2015-01-01", "ended": "2015-01-02", "status": "3"}
            records = [episode(f"r{n}", patient=f"p{n // 2}", episode=f"e{n}", **dated) for n in range(8)]
            results, grouped, summary = patients.check_records(records)
        finally:
            patients.close()
        assert results == []
        assert sorted(n.record.id for n in grouped.not_judged) == [f"r{n}" for n in range(8)]
        assert all(n.reason.startswith("limit exceeded") for n in grouped.not_judged)
        assert sum(summary.not_judged.values()) == 8


def test_batches_over_a_limit_on_two_workers_are_split_on_their_own(tmp_path: Path) -> None:
    """Two workers solve a batch each at once; both batches exceed the time limit (a patient
    of each grounds without end), and each is split on its own worker: the others are judged."""
    pack = _patient_pack(
        tmp_path, "half", "Half hostile", "seen", "seen",
        'half_n(1..2000) :- spell_provider(_, _, "BAD").\n'
        "half_triple(A, B, C) :- half_n(A), half_n(B), half_n(C).\n"
        'patient_violation("half.seen", P, patient) :- spell_provider(P, _, "OK").\n'
        'patient_violation("half.seen", P, patient) :- patient(P), half_triple(1, 1, 1).\n',
    )  # fmt: skip
    dated = {"admitted": "2015-01-01", "ended": "2015-01-02", "status": "3"}
    providers = ["OK", "BAD", "OK", "BAD", "OK", "OK"]
    records = [episode(f"r{n}", patient=f"p{n}", episode=f"e{n}", provider=providers[n], **dated) for n in range(6)]
    patients = PatientChecker([str(pack)], time_limit=2.0, memory_limit=256 << 20, jobs=2, batch_patients=2)
    try:
        results, grouped, _ = patients.check_records(records)
    finally:
        patients.close()
    assert sorted(n.record.id for n in grouped.not_judged) == ["r1", "r3"]
    assert sorted(result.patient for result in results if result.violations) == ["p0", "p2", "p4", "p5"]


def test_study_hardy_counts_spells_by_default_or_episodes_and_says_which(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nicelogic.cli import main

    extract = tmp_path / "extract.csv"
    rows = [  # autism in the index spell; the later spell has two episodes, one without it
        "EPIKEY,PSEUDO_HESID,ADMIDATE,EPISTART,EPIEND,DIAG_4_01",
        "k1,P1,2015-01-01,2015-01-01,2015-01-03,F840",
        "k2,P1,2016-01-01,2016-01-01,2016-01-02,S720",
        "k3,P1,2016-01-01,2016-01-02,2016-01-05,F840",
    ]
    extract.write_text("\n".join(rows) + "\n", encoding="utf-8")

    def autism_row(*options: str) -> tuple[str, list[str]]:
        done = CliRunner().invoke(main, ["study", "hardy", str(extract), "--no-suppression", *options], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        lines = done.output.splitlines()
        return lines[1], next(line for line in lines if line.startswith("autism ")).split()

    unit, row = autism_row()
    assert unit.startswith("unit: the spell") and row[1:3] == ["0", "1"]
    unit, row = autism_row("--unit", "episode")
    assert unit.startswith("unit: the episode") and row[1:3] == ["1", "2"]


def test_the_runs_row_names_the_patient_packs_that_judged_the_run_with_version_and_hash(tmp_path: Path) -> None:
    from nicelogic.research.query import connect, run_query
    from nicelogic.research.run import _pack_digest

    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,PSEUDO_HESID,ADMIDATE,EPISTART,EPIEND,DIAG_4_01\n"
        "1,P1,2015-01-01,2015-01-01,2015-01-03,F840\n2,P1,2016-01-01,2016-01-01,2016-01-02,J459\n",
        encoding="utf-8",
    )
    target = str(tmp_path / "run.duckdb")
    assert run("check", str(extract), "--results", target, "--rules", "icd10,consistency").exit_code == 0
    (pack,) = PatientChecker(["consistency"]).ruleset.packs
    digest = _pack_digest(pack.texts, [table.facts() for table in pack.relations])
    db = connect(target)
    _, packs = run_query(db, "SELECT p.name, p.version, p.sha256 FROM (SELECT unnest(packs) AS p FROM runs) ORDER BY p.name")
    _, options = run_query(db, "SELECT options FROM runs")
    _, rules = run_query(db, "SELECT r.id FROM (SELECT unnest(rules) AS r FROM runs) WHERE r.pack = 'consistency'")
    db.close()
    assert [name for name, _, _ in packs] == ["consistency", "icd10"]
    assert packs[0] == ("consistency", pack.version, digest)
    assert json.loads(options[0][0])["spells"] == "auto"
    assert {rule for (rule,) in rules} == set(PatientChecker(["consistency"]).ruleset.rules)
    # another spell method is another run, not the same one read again
    again = run("check", str(extract), "--results", target, "--rules", "icd10,consistency", "--spells", "hes-pipeline")
    assert again.exit_code == 0
    db = connect(target)
    _, count = run_query(db, "SELECT count(*) FROM runs")
    db.close()
    assert count == [(2,)]


def test_a_record_over_max_codes_is_rejected_and_not_judged_by_patient_rules_with_its_reason(tmp_path: Path) -> None:
    """The record pass rejects an episode with more codes than --max-codes; the patient pass
    must not judge it either (here it would be the later spell without autism), and counts it."""
    from nicelogic.history.patients import too_many_codes
    from nicelogic.research.query import connect, run_query

    extract = tmp_path / "hes.csv"
    extract.write_text(
        "EPIKEY,PSEUDO_HESID,ADMIDATE,EPISTART,EPIEND,DIAG_4_01,DIAG_4_02,DIAG_4_03\n"
        "1,P1,2015-01-01,2015-01-01,2015-01-03,F840,,\n"
        "2,P1,2016-01-01,2016-01-01,2016-01-02,J459,I10X,E119\n"
        "3,P2,2015-01-01,2015-01-01,2015-01-03,F840,,\n4,P2,2016-01-01,2016-01-01,2016-01-02,F840,,\n",
        encoding="utf-8",
    )
    judged = json.loads(run("check", str(extract), "--rules", "icd10,consistency", "-f", "json").stdout)
    assert [v["rule"] for v in judged["patients"]] == ["consistency.persistence-autism"]  # within the default limit
    done = run("check", str(extract), "--rules", "icd10,consistency", "-f", "json", "--max-codes", "2")
    document = json.loads(done.stdout)
    assert [(r["id"], r["error"]["kind"]) for r in document["records"] if r.get("error")] == [("2", "too-long")]
    assert document["patients"] == []
    assert document["patient_summary"]["not_judged"] == {too_many_codes(2): 1}
    text = run("check", str(extract), "--rules", "consistency", "--max-codes", "2").output
    assert f"1 records not judged by patient rules ({too_many_codes(2)})" in text
    target = str(tmp_path / "run.duckdb")
    assert run("check", str(extract), "--results", target, "--rules", "icd10,consistency", "--max-codes", "2").exit_code == 1
    db = connect(target)
    _, found = run_query(db, "SELECT count(*) FROM patient_violations")
    _, not_judged = run_query(db, "SELECT DISTINCT rule, not_judged FROM patient_rules")
    db.close()
    assert found == [(0,)] and not_judged == [("consistency.persistence-autism", 1)]  # P2's spell judged, P1's episode 2 not


def test_the_patient_kernel_counts_a_record_over_max_codes_as_not_judged() -> None:
    """The reader of Spark's patient pass: the same reason as on one machine."""
    import pyarrow as pa

    from nicelogic.history.patients import too_many_codes
    from nicelogic.research.patient_kernel import read_episodes

    batch = pa.table({
        "EPIKEY": ["1", "2"], "PSEUDO_HESID": ["P1", "P1"], "EPIEND": ["2015-01-03", "2016-01-02"],
        "DIAG_4_01": ["F840", "J459"], "DIAG_4_02": [None, "I10X"], "DIAG_4_03": [None, "E119"],
    })  # fmt: skip
    rows = read_episodes(batch, [0, 1], "hes.parquet", max_codes=2).to_pylist()
    assert [(r["seq"], r["patient"], r["reason"]) for r in rows] == [(0, "P1", None), (1, None, too_many_codes(2))]


def test_patient_findings_in_json_and_text_carry_every_field() -> None:
    import re
    from types import MappingProxyType

    from nicelogic.history.results import Blamed, HistorySummary, PatientViolation, RuleRate
    from nicelogic.report.history import (
        blamed_dict,
        history_summary_dict,
        history_summary_line,
        patient_line,
        patient_violation_dict,
        rate_lines,
    )

    spell = Blamed("spell", 2, ("e2", "e3"), (("hes.csv", 3), ("hes.csv", 4)))
    whole = Blamed("patient", 0, ("e1",))
    violation = PatientViolation("consistency.x", "warning", "P1", (whole, spell), "said twice", "a standard", "X")
    assert blamed_dict(spell) == {
        "kind": "spell",
        "number": 2,
        "records": ["e2", "e3"],
        "lines": [{"source": "hes.csv", "line": 3}, {"source": "hes.csv", "line": 4}],
    }
    assert patient_violation_dict(violation) == {
        "patient": "P1",
        "rule": "consistency.x",
        "severity": "warning",
        "title": "X",
        "blamed": [blamed_dict(whole), blamed_dict(spell)],
        "message": "said twice",
        "source": "a standard",
    }
    # the line points at the first record of the first blamed part that has lines
    assert patient_line(violation) == "hes.csv:3: consistency.x warning: said twice (patient P1)"
    assert patient_line(PatientViolation("r", "error", "P2", (whole,), "m", "s")) == "r error: m (patient P2)"
    summary = HistorySummary(
        patients=3,
        violations=2,
        not_judged=MappingProxyType({"no patient key": 1, "too many episodes": 4}),
        duplicates=5,
        spell_methods=MappingProxyType({"supplied": 1, "HES_pipeline": 2}),
        rates=(RuleRate("consistency.x", 4, 1), RuleRate("consistency.y", 0, 0)),
    )
    assert history_summary_dict(summary) == {
        "patients": 3,
        "violations": 2,
        "not_judged": {"no patient key": 1, "too many episodes": 4},
        "duplicate_episode_keys": 5,
        "spell_methods": {"supplied": 1, "HES_pipeline": 2},
        "rules": [
            {"rule": "consistency.x", "applies": 4, "violating": 1, "rate": 0.25},
            {"rule": "consistency.y", "applies": 0, "violating": 0, "rate": None},
        ],
    }
    numbers = [int(n) for n in re.findall(r"\b\d+\b", history_summary_line(summary))]
    assert numbers == [3, 2, 1, 4, 5, 1, 2]  # patients, findings, each reason not judged, duplicates, each spell method
    assert history_summary_line(summary).split(", ")[-2:] == ["spells supplied for 1", "HES_pipeline for 2"]
    assert "episode keys" not in history_summary_line(HistorySummary())
    assert rate_lines(summary) == ["  consistency.x: 1 of 4 (25.0%)", "  consistency.y: 0 of 0"]


def test_every_record_the_record_pass_rejects_is_counted_as_not_judged_with_its_reason(tmp_path: Path) -> None:
    """A record that cannot be read (a date that is no date, a code of no known shape, a
    line that is not JSON) is in no history: the patient pass counts it, by its reason, in
    the JSON summary, the text line and the results database, on one machine and in the
    reader of Spark's patient pass."""
    import pyarrow as pa

    from nicelogic.history.patients import rejected
    from nicelogic.research.patient_kernel import read_episodes
    from nicelogic.research.query import connect, run_query

    extract = tmp_path / "episodes.jsonl"
    extract.write_text(
        '{"id": "1", "PSEUDO_HESID": "P1", "EPIEND": "2015-01-03", "icd10": ["F84.0"]}\n'
        '{"id": "2", "PSEUDO_HESID": "P1", "EPIEND": "2016-13-45", "icd10": ["J45.9"]}\n'
        '{"id": "3", "PSEUDO_HESID": "P1", "EPIEND": "2017-01-02", "icd10": ["J4"]}\n'
        '{"id": "4", "PSEUDO_HESID": "P1", "EPIEND": "2018-01-02", "icd10": ["J45.9"]\n'
        '{"id": "5", "PSEUDO_HESID": "P1", "EPIEND": "2019-01-02", "icd10": ["J45.9"]}\n',
        encoding="utf-8",
    )
    document = json.loads(run("check", str(extract), "--rules", "icd10,consistency", "-f", "json").stdout)
    kinds = [r["error"]["kind"] for r in document["records"] if r.get("error")]
    assert sorted(kinds) == ["icd10-code", "json", "json"]  # the date that is no date, the code, the line that is not JSON
    assert document["patient_summary"]["not_judged"] == {rejected("json", 64): 2, rejected("icd10-code", 64): 1}
    assert [(v["rule"], v["blamed"][0]["records"]) for v in document["patients"]] == [("consistency.persistence-autism", ["5"])]
    text = run("check", str(extract), "--rules", "consistency").output
    assert f"2 records not judged by patient rules ({rejected('json', 64)})" in text
    assert f"1 records not judged by patient rules ({rejected('icd10-code', 64)})" in text
    target = str(tmp_path / "run.duckdb")
    assert run("check", str(extract), "--results", target, "--rules", "icd10,consistency").exit_code == 1
    db = connect(target)
    _, not_judged = run_query(db, "SELECT DISTINCT rule, not_judged FROM patient_rules")
    db.close()
    assert not_judged == [("consistency.persistence-autism", 3)]
    batch = pa.table({"EPIKEY": ["1", "2"], "PSEUDO_HESID": ["P1", "P1"], "EPIEND": ["2015-01-03", "2016-13-45"],
                      "DIAG_4_01": ["F840", "J459"]})  # fmt: skip
    rows = read_episodes(batch, [0, 1], "hes.parquet").to_pylist()
    assert [(r["seq"], r["patient"], r["reason"]) for r in rows] == [(0, "P1", None), (1, None, rejected("attribute", 64))]


def test_a_patient_pack_with_several_answers_is_a_rule_error(tmp_path: Path) -> None:
    import pytest

    from nicelogic.errors import RuleError

    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "pack.toml").write_text('name = "loop"\nreads = "patient"\n', encoding="utf-8")
    (folder / "loop.lp").write_text(
        '%! id = "loop.either"\n%! severity = "warning"\n%! title = "t"\n%! message = "m"\n%! source = "s"\n'
        "either(P, S) :- spell_start(P, S, _), not other(P, S).\n"
        "other(P, S) :- spell_start(P, S, _), not either(P, S).\n"
        'patient_violation("loop.either", P, spell(S)) :- either(P, S).\n'
        'patient_applies("loop.either", P, spell(S)) :- spell_start(P, S, _).\n',
        encoding="utf-8",
    )
    records = [episode("e1", patient="P1", admitted="2020-01-01", started="2020-01-01", ended="2020-01-02")]
    checker = PatientChecker([str(folder)])
    try:
        with pytest.raises(RuleError, match="exactly one answer"):
            checker.check_records(records)
    finally:
        checker.close()
