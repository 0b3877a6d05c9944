"""The library API, and checking at scale: batches, cache, worker processes."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

import nicelogic
from nicelogic import Checker, Record, System, Violation

from .conftest import PACKS, ROOT, one_rule_pack


def _synthetic():
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def signature(results) -> list[tuple]:
    return [
        (
            r.id,
            r.line,
            r.valid,
            r.error.message if r.error else None,
            tuple((v.rule, v.positions, v.line, v.column) for v in r.violations),
        )
        for r in results
    ]


def test_check_text() -> None:
    report = nicelogic.check("ep1: V44.4 Y53.4\nep2: V44.4 V55.1 Y53.4", rules=["opcs4"])
    assert [r.id for r in report.records] == ["ep1", "ep2"]
    assert [r.valid for r in report.records] == [False, True]
    (violation,) = report.records[0].violations
    assert isinstance(violation, Violation)
    assert (violation.rule, violation.section, violation.positions, violation.codes) == (
        "opcs.spinal-levels-second", "opcs", (1,), ("V44.4",),
    )  # fmt: skip
    assert (violation.line, violation.column) == (1, 6)
    assert report.summary.records == 2 and report.summary.invalid == 1 and not report.valid


def test_results_are_frozen() -> None:
    report = nicelogic.check("V44.4")
    with pytest.raises(AttributeError):
        report.records[0].violations[0].rule = "x"  # type: ignore[misc]


def test_check_accepts_records_dicts_and_lines() -> None:
    checker = Checker(["opcs4"])
    parsed = checker.parser.parse("V44.4 V55.1")
    items = [
        Record("r1", parsed.sections),
        {"id": "d1", "opcs": ["Y53.4", "V44.4", "V55.1"]},
        "l1: V44.4",
    ]
    report = checker.check(items)
    assert [(r.id, sorted(v.rule for v in r.violations)) for r in report.records] == [
        ("r1", []),
        ("d1", ["opcs.subsidiary-not-first"]),
        ("l1", ["opcs.spinal-levels-second"]),
    ]


def test_check_record_and_default_system() -> None:
    checker = Checker(["opcs4"])
    assert checker.check_record("V44.4 V55.1").valid
    assert checker.check_record("icd M80.0; opcs Y53.4", system=System.ICD10).violations[0].rule == "opcs.subsidiary-not-first"
    with pytest.raises(ValueError):
        checker.check_record("V44.4\nV44.6")


def test_bad_records_among_good_ones_all_come_back() -> None:
    text = "\n".join(["a: V44.4 V55.1", "b: V4X.4", "c: Y53.4 V44.4 V55.1", "d ; V44.4", "e: V44.6 V55.9", "f: cpt 2251"])
    report = Checker(["opcs4"]).check(text)
    assert [(r.id, r.rejected, r.valid) for r in report.records] == [
        ("a", False, True), ("b", True, False), ("c", False, False),
        ("4", True, False), ("e", False, True), ("f", True, False),
    ]  # fmt: skip
    assert report.summary.rejected == 3 and report.summary.records == 6
    rejected = report.records[1].error
    assert rejected is not None and (rejected.line, rejected.column) == (2, 4)


def test_record_level_violations_details_and_warnings() -> None:
    checker = Checker([str(PACKS / "local-policy")])
    no_diagnosis = checker.check_record("V44.4 V55.1")
    (warning,) = no_diagnosis.violations
    assert (warning.rule, warning.severity, warning.positions, warning.section) == ("local.no-diagnosis", "warning", (), "icd10")
    assert no_diagnosis.valid  # warnings alone do not make a record invalid
    male = checker.check_record({"id": "m", "icd10": ["M80.0"], "sex": "male"})
    (error,) = male.violations
    assert error.rule == "local.female-only" and "male" in error.message
    assert checker.check_record({"id": "f", "icd10": ["M80.0"], "sex": "female"}).violations == ()
    pair = checker.check_record("V44.6 W35.1 V44.4; icd M80.0")
    assert [(v.rule, v.positions, v.codes) for v in pair.violations] == [("local.pair", (1, 3), ("V44.6", "V44.4"))]


def test_records_differing_only_in_unread_attributes_share_a_verdict() -> None:
    checker = Checker([str(PACKS / "local-policy")], time_limit=None, memory_limit=None)  # unbounded: in this process
    report = checker.check(
        [{"id": "a", "icd10": ["M80.0"], "sex": "male", "age": 50}, {"id": "b", "icd10": ["M80.0"], "sex": "male", "age": 90}]
    )
    assert len(checker._cache) == 1  # age is read by no rule
    assert [len(r.violations) for r in report.records] == [1, 1]


def test_cached_and_batched_results_equal_one_record_at_a_time() -> None:
    synthetic = _synthetic()
    text = io.StringIO()
    synthetic.write_text(600, text, seed=7)
    lines = text.getvalue()
    batched = Checker(batch_size=500).check(lines)
    alone = Checker(batch_size=1, cache_size=0).check(lines)
    assert signature(batched.records) == signature(alone.records)
    assert batched.summary.invalid > 0 and batched.summary.valid > 0  # the sample exercises both


def test_worker_processes_give_the_serial_result_in_order(tmp_path: Path) -> None:
    synthetic = _synthetic()
    path = tmp_path / "episodes.txt"
    with path.open("w") as out:
        synthetic.write_text(1500, out, seed=3)
    with path.open("a") as out:
        out.write("bad: V4X.4\n")
    serial = list(Checker(jobs=1).check_files([str(path)]))
    parallel = list(Checker(jobs=2).check_files([str(path)], chunk_size=200))
    assert signature(parallel) == signature(serial)
    assert len(serial) == 1501 and serial[-1].rejected


def test_records_dated_outside_a_packs_effective_range_are_not_judged_by_it() -> None:
    checker = Checker([str(PACKS / "local-policy")])  # effective 2020-01-01 to 2030-12-31
    record = {"icd10": ["M80.0"], "sex": "male"}
    assert [v.rule for v in checker.check_record({**record, "date": "2021-05-01"}).violations] == ["local.female-only"]
    assert checker.check_record({**record, "date": "2019-12-31"}).violations == ()
    assert checker.check_record({**record, "date": "2031-01-01"}).violations == ()
    assert [v.rule for v in checker.check_record(record).violations] == ["local.female-only"]  # undated: judged


def test_waivers_of_text_lines_reach_library_callers() -> None:
    record = "w: opcs V44.4 V55.1 Z66.5 Y53.4; icd M80.0  # waive: opcs.group-order"
    report = nicelogic.check(record, rules=["opcs4"])
    assert report.records[0].violations == ()
    assert [v.rule for v in report.records[0].waived] == ["opcs.group-order"]


def test_workers_check_with_the_rule_set_their_parent_validated(tmp_path) -> None:
    pack = one_rule_pack(tmp_path / "swap", 'violation("swap.rule", R, opcs, 1) :- code(R, opcs, 1, "V44.4").\n')
    checker = Checker([str(pack)], jobs=2, batch_size=50)
    (pack / "rule.lp").write_text("this is not ASP at all\n")  # changed after loading: ignored
    results = list(checker.check_items(_lines(400), chunk_size=100))
    assert len(results) == 400 and all([v.rule for v in r.violations] == ["swap.rule"] for r in results)


def _lines(count: int) -> list:
    from nicelogic.input.text import text_lines

    return list(text_lines([f"r{n}: V44.4\n" for n in range(count)], "swap.txt"))


def test_a_record_that_exceeds_the_limits_is_rejected_and_the_rest_are_checked(tmp_path, monkeypatch) -> None:
    """A pack whose grounding grows with the fourth power of a record's length: the long
    records exceed the worker's memory budget or time, are rejected with the reason, and
    every other record is checked."""
    from nicelogic.checking import parallel
    from nicelogic.input.text import text_lines

    monkeypatch.setattr(parallel, "_START_ALLOWANCE", 8.0)  # workers here fill the caches of a small pack
    pack = _boom_pack(tmp_path)
    long = "opcs " + " ".join(["V44.4"] * 60)
    lines = [f"n{n}: {long if n in (7, 130) else 'W37.1 Z94.1'}\n" for n in range(200)]
    checker = Checker([str(pack)], jobs=2, batch_size=20, time_limit=2.0, memory_limit=200 << 20)
    results = list(checker.check_items(list(text_lines(lines, "boom.txt")), chunk_size=40))
    assert [r.id for r in results] == [f"n{n}" for n in range(200)]
    rejected = {r.id: r.error.label for r in results if r.error is not None}
    assert rejected == {"n7": "limit", "n130": "limit"}
    assert all([v.rule for v in r.violations] == ["boom.rule"] for r in results if r.error is None)


def test_a_pack_from_elsewhere_runs_bounded_even_on_a_small_input(tmp_path) -> None:
    from click.testing import CliRunner

    from nicelogic.cli import main

    pack = _boom_pack(tmp_path)
    records = tmp_path / "r.txt"
    records.write_text("long: opcs " + " ".join(["V44.4"] * 60) + "\nshort: opcs W37.1 Z94.1\n")
    result = CliRunner().invoke(
        main, ["check", str(records), "--rules", str(pack), "-f", "jsonl", "--time-limit", "2", "--memory-limit", "200"]
    )
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], (r["error"] or {}).get("kind")) for r in found] == [("long", "limit"), ("short", None)]
    assert found[1]["violations"][0]["rule"] == "boom.rule" and result.exit_code == 1


def _boom_pack(folder: Path) -> Path:
    """A pack whose grounding grows with the fourth power of a record's length."""
    return one_rule_pack(
        folder / "boom",
        "boom(R, A, B, C, D) :- code(R, opcs, A, _), code(R, opcs, B, _), code(R, opcs, C, _), code(R, opcs, D, _).\n"
        'violation("boom.rule", R, opcs, 1) :- boom(R, _, _, _, _), code(R, opcs, 1, "W37.1").\n',
    )


def test_check_files_reads_with_the_id_column_and_follows_the_position(checker: Checker, tmp_path: Path) -> None:
    from nicelogic.input.read import ReadPosition

    path = tmp_path / "spells.tsv"
    path.write_text("SPELL\tOPERTN_01\tOPERTN_02\ns1\tV444\tV551\ns2\tV444\tY534\n", encoding="utf-8")
    position = ReadPosition([str(path)])
    results = list(checker.check_files([str(path)], id_column="SPELL", position=position))
    assert [(r.id, r.source, r.line) for r in results] == [("s1", str(path), 2), ("s2", str(path), 3)]
    assert position.total == path.stat().st_size and position.checked() == position.total
    named = checker.check("V44.4 Y53.4", source="batch-7")
    assert [r.source for r in named.records] == ["batch-7"]
    assert [r.source for r in checker.check("V44.4 Y53.4").records] == ["<input>"]


def test_text_given_to_the_library_keeps_each_line_as_written_but_its_line_break() -> None:
    """Lines end at \\n, a \\r before it goes with the break; a \\r that starts a line is
    part of it, so the columns of its problems count it, as a file's reader does."""
    results = Checker(["opcs4"]).check("ep1: opcs V44.4 ZZZ\r\n\rep2: opcs V44.4 ZZZ")
    assert [(r.id, r.error.line, r.error.column) for r in results if r.error] == [("ep1", 1, 17), ("ep2", 2, 18)]


def test_every_kind_of_record_given_to_the_library_names_the_same_source() -> None:
    results = Checker(["opcs4"]).check([{"id": "a", "opcs": ["V44.4"]}, "ep2: opcs V44.4"])
    assert [(r.id, r.source, r.line) for r in results] == [("a", "<input>", 1), ("ep2", "<input>", 2)]


def test_a_message_gets_every_template_field_of_its_violation(tmp_path: Path) -> None:
    """Each field a message template may name, filled for the violation it reports: the
    record, the section and its system, the blamed code's title, its category (a CPT code
    is its own), and no standard for a rule that reads no relation table."""
    fields = "{record}|{section}|{system}|{code_title}|{category}|{code}|[{standard}]"
    pack = one_rule_pack(tmp_path / "fields", 'violation("fields.rule", R, S, 1) :- code(R, S, 1, _).', fields)
    opcs, cpt = Checker([str(pack)]).check("ep1: opcs V44.4\nclaim2: cpt 22512")
    assert [v.message for v in opcs.violations] == ["ep1|opcs|OPCS-4|V44.4 Vertebroplasty of fracture of spine NEC|V44|V44.4|[]"]
    assert [v.message for v in cpt.violations] == ["claim2|cpt|CPT|22512|22512|22512|[]"]


def test_a_value_that_is_no_record_is_refused_naming_its_type() -> None:
    with pytest.raises(TypeError, match="cannot check a int: give Records, text lines or dicts"):
        Checker(["opcs4"]).check([7])


def test_a_relation_rule_message_names_the_standard_its_table_row_cites() -> None:
    found = Checker(["opcs4.standards"]).check_record("ep1: opcs A57.3").violations
    assert [(v.rule, v.message.endswith("(PCSA2)")) for v in found] == [("opcs4.standards.needs-one-of", True)]


def test_an_engine_notice_names_its_field_and_says_why() -> None:
    """A notice of the engine's own (not of a pack's rule) carries its message and, for a
    JSON-shaped record, the field that holds the code it names."""
    (result,) = Checker(["ncci"]).check([{"id": "a", "cpt": ["22511", "12345"]}])
    (notice,) = [v for v in result.violations if v.rule == "table.unknown-code"]
    assert notice.where == "cpt[2]" and notice.positions == (2,)
    assert notice.message.startswith("12345 is in no loaded NCCI table")


def test_an_unknown_coding_system_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown coding system 'snomed' \(expected one of cpt, icd, icd10, opcs, opcs4\)$"):
        System.from_name("snomed")


def test_a_choice_of_packs_reports_the_rules_both_choices_keep(checker: Checker) -> None:
    record = "ep: opcs V44.4 Y53.4; icd Z66.5"  # no spinal level; an ICD-10 code that does not exist
    everything = {v.rule for v in checker.check_record(record).violations}
    assert {checker.rules[rule].pack for rule in everything} >= {"opcs4", "icd10", "nice.htg3"}
    assert checker.chosen_packs(["opcs4", "icd10", "opcs4"]) == ("icd10", "opcs4")
    assert checker.reporting([]) is checker and checker.chosen_packs([]) == ()
    assert {v.rule for v in checker.reporting(["opcs4"]).check_record(record).violations} == {
        rule for rule in everything if checker.rules[rule].pack == "opcs4"
    }
    with pytest.raises(ValueError, match="'nope' is not loaded"):
        checker.chosen_packs(["opcs4", "nope"])

    narrow = Checker(["opcs4", "icd10"], select=["opcs.spinal-levels-second"])
    assert [v.rule for v in narrow.reporting(["opcs4"]).check_record(record).violations] == ["opcs.spinal-levels-second"]
    with pytest.raises(ValueError, match="no rule of icd10 is among the rules this checker reports"):
        narrow.chosen_packs(["icd10"])
