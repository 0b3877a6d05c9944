"""Each episode judged by the edition in force when it ended (issue 15, part 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nicelogic import Checker
from nicelogic.tables import TableConfig, load_tables, parse_table_option
from nicelogic.tables.editions import edition_named, icd10_edition_of, opcs_edition_of
from tests.conftest import UK_ICD10

from .test_cli import run

EDITIONS = Path(__file__).parent / "fixtures" / "editions"
OPCS42 = EDITIONS / "opcs4" / "OPCS42_stand_in.xml"
ICD_FIRST = EDITIONS / "icd10" / "ICD10_first_edition_stand_in.xml"


def rules_of(result: object) -> list[str]:
    return [v.rule for v in result.violations]  # type: ignore[attr-defined]


def test_editions_and_their_dates_come_from_the_table_and_the_files_names() -> None:
    assert edition_named("opcs4", "4.3").start == "2006-04-01" and edition_named("opcs4", "OPCS-4.3").end == "2007-03-31"
    assert opcs_edition_of("OPCS411_CodesAndTitles_Nov2025_V1.0.xml") == edition_named("opcs4", "4.11")
    assert opcs_edition_of("OPCS49_CodesAndTitles.xml") == edition_named("opcs4", "4.9")
    assert icd10_edition_of("ICD10_Edition5_GB_20160401.xsd") == edition_named("icd10", "5th Edition")
    assert opcs_edition_of("my_codes.xml") is None and icd10_edition_of("codes.xml") is None
    shipped = load_tables()
    assert shipped.opcs.dates is not None and shipped.opcs.dates.in_force("2026-04-01")
    assert not shipped.opcs.dates.in_force("2026-03-31")
    assert shipped.table_for("opcs", None) is shipped.opcs and shipped.table_for("opcs", "2001-09-27") is None


def test_a_2001_episode_with_i84_9_is_not_invalid_under_the_5th_edition_table() -> None:
    checker = Checker(["icd10"], tables=TableConfig(icd10_file=UK_ICD10))
    old = checker.check_record({"id": "old", "icd10": ["I84.9"], "EPIEND": "2001-09-27"})
    assert old.valid and rules_of(old) == ["table.not-in-force"]
    assert old.violations[0].message.startswith("not judged against ICD-10 5th Edition (in force from 2016-04-01)")
    assert old.not_judged_by == ("ICD-10 5th Edition",) and old.editions == ()
    # the episode's end decides, not the record's date (an admission in the 5th Edition's time, ended before it: no)
    new = checker.check_record({"id": "new", "icd10": ["I84.9"], "date": "2001-01-01", "EPIEND": "2020-05-01"})
    assert not new.valid and rules_of(new) == ["icd.valid-code"] and new.editions == ("ICD-10 5th Edition",)
    undated = checker.check_record({"id": "undated", "icd10": ["I84.9"]})
    assert rules_of(undated) == ["icd.valid-code"]


def test_with_two_opcs_tables_a_code_of_the_older_only_passes_on_an_old_episode_and_fails_on_a_new_one() -> None:
    checker = Checker(["opcs4"], tables=TableConfig(tables=(("opcs4", OPCS42, None),)))
    assert [t.edition for t in checker.tables.editions("opcs")] == ["OPCS-4.2", "OPCS-4.11"]
    old = checker.check_record({"id": "old", "opcs": ["X99.9"], "EPIEND": "2001-09-27"})
    assert old.valid and rules_of(old) == [] and old.editions == ("OPCS-4.2",)
    new = checker.check_record({"id": "new", "opcs": ["X99.9"], "EPIEND": "2026-09-27"})
    assert not new.valid and rules_of(new) == ["opcs.valid-code"] and new.editions == ("OPCS-4.11",)
    # a code of OPCS-4.11 that the older release lacks fails on the old episode
    v90 = checker.check_record({"id": "v", "opcs": ["X90.1"], "EPIEND": "2001-09-27"})
    assert rules_of(v90) == ["opcs.valid-code"]
    # between them (OPCS-4.5 was in force, and is not loaded): noticed, not judged
    between = checker.check_record({"id": "between", "opcs": ["X99.9"], "EPIEND": "2010-06-01"})
    assert between.valid and rules_of(between) == ["table.not-in-force"]
    assert between.violations[0].message.startswith("not judged against OPCS-4.11 (in force from 2026-04-01)")
    # judged in one batch, the same codes under different editions are different verdicts
    both = [{"id": "a", "opcs": ["X99.9"], "EPIEND": "2001-01-01"}, {"id": "b", "opcs": ["X99.9"], "EPIEND": "2026-12-01"}]
    report = checker.check(both)
    assert [r.valid for r in report] == [True, False]
    assert dict(report.summary.by_edition) == {"OPCS-4.11": 1, "OPCS-4.2": 1}


def test_two_icd10_editions_judge_haemorrhoids_by_the_episodes_date() -> None:
    tables = TableConfig(icd10_file=UK_ICD10, tables=(("icd10", ICD_FIRST, "ICD-10"),))
    checker = Checker(["icd10"], tables=tables)
    old = checker.check_record({"id": "old", "icd10": ["I84.9"], "EPIEND": "2001-09-27"})
    new = checker.check_record({"id": "new", "icd10": ["I84.9"], "EPIEND": "2019-09-27"})
    assert old.valid and rules_of(old) == [] and old.editions == ("ICD-10",)
    assert rules_of(new) == ["icd.valid-code"] and new.editions == ("ICD-10 5th Edition",)


def test_packs_dated_outside_are_counted_as_not_judging_the_record() -> None:
    checker = Checker(["nice.ipg12"])
    ipg12 = checker.ruleset.packs[0]
    assert ipg12.effective_from is not None
    report = checker.check([{"id": "a", "opcs": ["V44.4"], "date": "2001-01-01"}, {"id": "b", "opcs": ["V44.4"]}])
    assert report.records[0].not_judged_by == ("nice.ipg12",) and report.records[1].not_judged_by == ()
    assert dict(report.summary.not_judged) == {"nice.ipg12": 1}


def test_table_option_loads_a_folder_and_named_editions(tmp_path: Path) -> None:
    assert parse_table_option(f"opcs4={OPCS42}") == ("opcs4", OPCS42, None)
    assert parse_table_option(f"icd@ICD-10={ICD_FIRST}") == ("icd10", ICD_FIRST, "ICD-10")
    for bad in ("opcs4", f"cpt={OPCS42}", f"opcs4@4.99={OPCS42}", "opcs4=/no/such/file.xml"):
        with pytest.raises(ValueError):
            parse_table_option(bad)
    records = tmp_path / "episodes.jsonl"
    lines = [
        {"id": "old", "opcs": ["X99.9"], "icd10": ["I84.9"], "EPIEND": "2001-09-27"},
        {"id": "new", "opcs": ["X99.9"], "EPIEND": "2026-09-27"},
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = run(
        "check", str(records), "--rules", "opcs4,icd10", "--format", "json",
        "--table", f"opcs4={EDITIONS / 'opcs4'}", "--table", f"icd10@ICD-10={ICD_FIRST}", "--icd10-file", str(UK_ICD10),
    )  # fmt: skip
    document = json.loads(done.output)
    by_id = {r["id"]: r for r in document["records"]}
    assert by_id["old"]["valid"] and by_id["old"]["editions"] == ["OPCS-4.2", "ICD-10"]
    assert [v["rule"] for v in by_id["new"]["violations"]] == ["opcs.valid-code"]
    assert document["summary"]["by_edition"] == {"ICD-10": 1, "OPCS-4.11": 1, "OPCS-4.2": 1}
    text = run("check", str(records), "--rules", "opcs4", "--table", f"opcs4={OPCS42}")
    assert "judged by OPCS-4.11 1, OPCS-4.2 1" in text.output


def test_a_record_dated_when_no_loaded_edition_was_in_force_gets_a_notice_per_section_at_its_first_code(
    tmp_path: Path,
) -> None:
    from nicelogic.input.read import read_inputs

    extract = tmp_path / "episodes.csv"
    extract.write_text("EPIKEY,EPIEND,OPERTN_4_01,OPERTN_4_02,DIAG_4_01\ne1,2010-06-01,X999,X998,I849\n", encoding="utf-8")
    checker = Checker(["opcs4", "icd10"], tables=TableConfig(opcs_file=OPCS42))  # OPCS-4.2 by default: until 2006
    (result,) = checker.iter_check(read_inputs([str(extract)]))
    notices = [(v.rule, v.section, v.line, v.column, v.where) for v in result.violations]  # type: ignore[union-attr]
    assert notices == [
        ("table.not-in-force", "opcs", 2, 3, "OPERTN_4_01"),
        ("table.not-in-force", "icd10", 2, 5, "DIAG_4_01"),
    ]
    assert "2006-03-31" in result.violations[0].message  # type: ignore[union-attr]  # the end of OPCS-4.2, its only date


def test_tables_of_no_known_edition_are_named_by_their_release_and_judge_every_date(tmp_path: Path) -> None:
    opcs = tmp_path / "my_codes.xml"
    opcs.write_bytes(OPCS42.read_bytes())
    icd10 = tmp_path / "my_diagnoses.xml"  # the UK release format, its edition told nowhere
    icd10.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<DSV xmlns="urn:nhs-org:icd-10">\n'
        '  <CLASS CODE="I84" ALT_CODE="I84" USAGE="DEFAULT" USAGE_UK="3" DESCRIPTION="Haemorrhoids" />\n'
        '  <CLASS CODE="I84.9" ALT_CODE="I849" USAGE="DEFAULT" USAGE_UK="3" DESCRIPTION="Haemorrhoids, unspecified" />\n'
        "</DSV>\n",
        encoding="utf-8",
    )
    checker = Checker(["opcs4", "icd10"], tables=TableConfig(opcs_file=opcs, icd10_file=icd10))
    icd10_label = checker.tables.icd10.edition
    assert "my_diagnoses.xml" in icd10_label
    for day in ("2001-09-27", "2026-09-27"):
        result = checker.check_record({"id": day, "opcs": ["X99.9"], "icd10": ["I84.9"], "EPIEND": day})
        assert rules_of(result) == [] and result.editions == ("OPCS-4 (my_codes.xml)", icd10_label)  # the release, file and all


def test_the_edition_of_a_later_section_is_chosen_past_a_cpt_section() -> None:
    tables = TableConfig(icd10_file=UK_ICD10, tables=(("icd10", ICD_FIRST, "ICD-10"),))
    checker = Checker(["icd10"], tables=tables)
    old = checker.check_record("old: cpt 99213; icd10 I84.9 # date: 2001-09-27")  # CPT first: no table of its own
    assert old.valid and rules_of(old) == [] and old.editions == ("ICD-10",)


def test_an_icd10_release_is_dated_by_its_schema_not_by_a_comment_naming_another_edition(tmp_path: Path) -> None:
    """A comment may tell a file's history ("with the 4th Edition"); the edition is the one
    its schema names, and a file whose schema names none is undated."""
    body = '  <CLASS CODE="I84.9" ALT_CODE="I849" USAGE="DEFAULT" USAGE_UK="3" DESCRIPTION="Haemorrhoids, unspecified" />\n'
    comment = "<!-- codes moved with the 4th Edition (2012); see ICD10_Edition4_GB -->\n"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    labels = {}
    for name, schema in (("noted.xml", ""), ("schema.xml", ' schema="ICD10_Edition5_GB"')):
        path = tmp_path / name
        path.write_text(f'{head}{comment}<DSV xmlns="urn:nhs-org:icd-10"{schema}>\n{body}</DSV>\n', encoding="utf-8")
        labels[name] = Checker(["icd10"], tables=TableConfig(icd10_file=path)).tables.icd10.edition
    assert "noted.xml" in labels["noted.xml"] and "4th" not in labels["noted.xml"]
    assert "5th" in labels["schema.xml"]
