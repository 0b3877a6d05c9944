"""Relation tables: rules whose codes are rows of a table in their pack, judged by the
generic rules of logic/lib/relations.lp, and counted row by row by rule tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nicelogic import Checker, RuleError
from nicelogic.authoring.mutation_run import run_mutation
from nicelogic.authoring.testing import run_tests
from nicelogic.rules.relations import code_terms, relation_kinds


def relation_pack(
    folder: Path, kind: str, columns: dict[str, str], rows: list[str], message: str = "{codes} ({standard})"
) -> Path:
    """A pack of one relation rule, ``<folder name>.rule``, whose table holds the rows given
    (tab-separated cells in the kind's column order, then the standard)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(f'name = "{folder.name}"\n')
    sections = ", ".join(f'{column} = "{section}"' for column, section in columns.items())
    (folder / "rule.lp").write_text(
        f'%! id = "{folder.name}.rule"\n%! severity = "error"\n%! title = "t"\n%! message = "{message}"\n%! source = "s"\n'
        f'%! relation = {{ kind = "{kind}", table = "rule.tsv", {sections} }}\n'
    )
    (folder / "rule.tsv").write_text("\t".join([*columns, "standard"]) + "\n" + "".join(row + "\n" for row in rows))
    return folder


def findings(checker: Checker, text: str) -> set[tuple[str, str, tuple[int, ...], int | None]]:
    result = checker.check_record(text)
    assert not result.rejected, result.error
    return {(v.rule, v.section, v.positions, v.row) for v in result.violations}


def test_kinds_are_read_from_the_logic_library() -> None:
    kinds = relation_kinds()
    assert kinds["not-coded-with"].columns == ("code", "other")
    assert kinds["never-first"].columns == ("code",)
    assert kinds["needs-one-of"].columns == ("code", "with")


def test_a_table_code_applies_at_its_level_and_below(tmp_path: Path) -> None:
    pack = relation_pack(
        tmp_path / "p", "never-first", {"code": "icd10"},
        ["J44\tDCS one", "M80.0\tDCS two", "I10X\tDCS three", "S\tDCS four"],
    )  # fmt: skip
    checker = Checker([str(pack)])
    rule = "p.rule"
    assert findings(checker, "icd10 J44.0 M80.0") == {(rule, "icd10", (1,), 2)}  # J44 covers J44.0
    assert findings(checker, "icd10 M80.08") == {(rule, "icd10", (1,), 3)}  # M80.0 covers the UK M80.08
    assert findings(checker, "icd10 M80.18") == set()  # but not M80.1-
    assert findings(checker, "icd10 I10X") == {(rule, "icd10", (1,), 4)}  # a filler X is the category
    assert findings(checker, "icd10 S22.0") == {(rule, "icd10", (1,), 5)}  # a chapter
    assert findings(checker, "icd10 M81.0 J44.0") == set()  # never-first: only the first code


def test_ranges_span_categories_or_codes_of_one_level() -> None:
    assert code_terms("V37-V39", "opcs") == ('category("V37")', 'category("V38")', 'category("V39")')
    assert code_terms("M80.0-M80.2", "icd10") == ('sub("M80", 0)', 'sub("M80", 1)', 'sub("M80", 2)')
    for wrong in ("V39-V37", "V37-W01", "V37-V38.1", "M80.0-M81.2", "22510-22512"):
        with pytest.raises(ValueError):
            code_terms(wrong, "cpt" if wrong[0].isdigit() else "opcs")


def test_not_coded_with_blames_both_codes_and_names_the_row(tmp_path: Path) -> None:
    pack = relation_pack(tmp_path / "p", "not-coded-with", {"code": "opcs", "other": "opcs"}, ["V40.1\tV37-V39\tPCS.1"])
    checker = Checker([str(pack)])
    assert findings(checker, "opcs V38.2 V55.1 V40.1") == {("p.rule", "opcs", (1, 3), 2)}
    assert findings(checker, "opcs V40.1 V55.1 V36.1") == set()
    result = checker.check_record("opcs V40.1 V38.2")
    assert result.violations[0].standard == "PCS.1"
    assert result.violations[0].message == "V40.1, V38.2 (PCS.1)"


def test_needs_one_of_across_sections(tmp_path: Path) -> None:
    pack = relation_pack(
        tmp_path / "p", "needs-one-of", {"code": "opcs", "with": "icd10"}, ["W35.1 W35.5\tC40 C41 C79.5\tIPG179"]
    )  # fmt: skip
    checker = Checker([str(pack)])
    assert findings(checker, "opcs W35.5; icd10 M80.0") == {("p.rule", "opcs", (1,), 2)}
    assert findings(checker, "opcs W35.5; icd10 C79.5") == set()
    assert findings(checker, "opcs W35.1; icd10 C41.2") == set()
    assert findings(checker, "opcs W35.2; icd10 M80.0") == set()


@pytest.mark.parametrize(
    ("table", "line", "column", "reason"),
    [
        ("code\tstandard\nV4X.4\tS\n", 2, "1", "not a chapter"),
        ("code\tstandard\nV44.4\t\n", 2, "7", "cites no standard"),
        ("code\tother\nV44.4\tS\n", 1, None, "header must name"),
        ("code\tstandard\nV44.4\tS\textra\n", 2, None, "3 cells"),
        ("code\tstandard\nV39-V37\tS\n", 2, "1", "runs backwards"),
    ],
)
def test_a_bad_table_fails_loudly_with_file_line_and_column(
    tmp_path: Path, table: str, line: int, column: str | None, reason: str
) -> None:
    pack = relation_pack(tmp_path / "p", "never-first", {"code": "opcs"}, [])
    (pack / "rule.tsv").write_text(table)
    with pytest.raises(RuleError) as caught:
        Checker([str(pack)])
    assert caught.value.file == pack / "rule.tsv"
    assert (caught.value.line, caught.value.column) == (line, column)
    assert reason in caught.value.message


def test_a_table_must_be_a_file_of_the_pack(tmp_path: Path) -> None:
    pack = relation_pack(tmp_path / "p", "never-first", {"code": "opcs"}, ["Y\tS"])
    rule = (pack / "rule.lp").read_text()
    (pack / "rule.lp").write_text(rule.replace('table = "rule.tsv"', 'table = "../outside.tsv"'))
    with pytest.raises(RuleError, match="a .tsv file name in the rule's pack folder"):
        Checker([str(pack)])
    (tmp_path / "outside.tsv").write_text("code\tstandard\nY\tS\n")
    (pack / "rule.lp").write_text(rule)
    (pack / "rule.tsv").unlink()
    os.symlink(tmp_path / "outside.tsv", pack / "rule.tsv")
    with pytest.raises(RuleError, match="outside the pack"):
        Checker([str(pack)])
    (pack / "rule.tsv").unlink()
    with pytest.raises(RuleError, match="which the pack does not have"):
        Checker([str(pack)])


def test_relation_metadata_is_checked_against_the_kind(tmp_path: Path) -> None:
    pack = relation_pack(tmp_path / "p", "never-first", {"code": "opcs"}, ["Y\tS"])
    rule = (pack / "rule.lp").read_text()
    for wrong, reason in (
        ('kind = "never-first"', 'kind = "sometimes-first"'),
        ('code = "opcs"', 'code = "snomed"'),
        ('code = "opcs"', 'code = "opcs", other = "opcs"'),
    ):
        (pack / "rule.lp").write_text(rule.replace(wrong, reason))
        with pytest.raises(RuleError) as caught:
            Checker([str(pack)])
        assert caught.value.file == pack / "rule.lp" and caught.value.line == 1


def test_coverage_counts_each_row_fired_and_quiet(tmp_path: Path) -> None:
    pack = relation_pack(tmp_path / "p", "never-first", {"code": "opcs"}, ["Y\tPRule 7 Y", "Z\tPRule 7 Z"])
    tests = pack / "tests"
    tests.mkdir()
    (tests / "rule.txt").write_text(
        "# expect: p.rule @ opcs:1\nY53.4 V44.4\n\n# ok: p.rule\nV44.4 Y53.4\n\n"
        "# expect: p.rule @ opcs:1\nZ66.5 V44.4\n\n# ok\nV44.4\n"
    )
    run = run_tests([str(tests)])
    assert run.passed == 4 and run.failed == 0
    rows = {(r.line, r.fire_cases, r.quiet_cases) for r in run.rows}
    assert rows == {(2, 1, 1), (3, 1, 0)}  # the Z row was never shown quiet; the bare # ok credits no row
    assert run.coverage_percent == pytest.approx(100 * 2 / 3)  # the rule and row 2 of 3 things
    (tests / "rule.txt").write_text((tests / "rule.txt").read_text() + "\n# ok: p.rule\nV44.4 Z66.5\n")
    again = run_tests([str(tests)])
    assert again.coverage_percent == 100.0


def test_test_output_lists_uncovered_rows(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nicelogic.cli import main

    pack = relation_pack(tmp_path / "p", "never-first", {"code": "opcs"}, ["Y\tPRule 7 Y", "Z\tPRule 7 Z"])
    (pack / "tests").mkdir()
    (pack / "tests" / "rule.txt").write_text("# expect: p.rule @ opcs:1\nY53.4 V44.4\n\n# ok: p.rule\nV44.4 Y53.4\n")
    text = CliRunner().invoke(main, ["test", str(pack / "tests"), "--coverage-threshold", "100"])
    assert text.exit_code == 1
    assert "p.rule row rule.tsv:3 (PRule 7 Z): never fires in a case and never shown quiet" in text.output
    data = json.loads(CliRunner().invoke(main, ["test", str(pack / "tests"), "--format", "json"]).output)
    assert [(r["line"], r["fire_cases"], r["quiet_cases"]) for r in data["coverage"]["rows"]] == [(2, 1, 1), (3, 0, 0)]


def test_mutants_of_a_table_drop_rows_and_change_codes(tmp_path: Path) -> None:
    rows = ["V44.4\tV44.6\tS1", "Y53\tY78\tS2"]
    pack = relation_pack(tmp_path / "p", "not-coded-with", {"code": "opcs", "other": "opcs"}, rows)
    (pack / "tests").mkdir()
    (pack / "tests" / "rule.txt").write_text(
        "# expect: p.rule @ opcs:1,3\nV44.4 V55.1 V44.6\n\n# ok: p.rule\nV44.4 V55.1\n"
    )  # the second row is never exercised: its mutants survive
    run = run_mutation([str(pack / "tests")], jobs=1)
    table = [r for r in run.results if r.mutant.file == pack / "rule.tsv"]
    by_line = {(r.mutant.line, r.mutant.operator, r.status) for r in table}
    assert (2, "drop-row", "killed") in by_line
    assert (3, "drop-row", "survived") in by_line
    assert {r.status for r in table if r.mutant.line == 2 and r.mutant.operator == "sibling"} == {"killed"}
    dropped = next(r.mutant for r in table if r.mutant.line == 3 and r.mutant.operator == "drop-row")
    assert dropped.before == "Y53\tY78" and dropped.after == ""


def test_lint_checks_every_code_of_a_table_against_the_loaded_classification(tmp_path: Path) -> None:
    from nicelogic.authoring.lint import lint

    pack = relation_pack(
        tmp_path / "p", "not-coded-with", {"code": "icd10", "other": "icd10"},
        [
            "N87.0\tZ87.9\tDCS.XIV.10, with Z87.9 written for N87.9",
            "C00-C02\tC77\tDCS.II",
            "Z38\tZ38.2\tDChS.XVI.1",
            "J44\tJ22X\tDCS.X.5",
        ],
    )  # fmt: skip
    found = {(f.line, f.level, f.code) for f in lint([str(pack)]) if f.file.endswith("rule.tsv")}
    assert (2, "error", "table-code") in found  # Z87.9 does not exist: the row would judge nothing
    assert (3, "info", "range") in found  # C00-C02 spelled out
    assert (4, "warning", "self-relation") in found  # Z38.2 is inside Z38
    assert not {f for f in found if f[0] == 5}  # J44 and the filler J22X are codes of ICD-10


def test_generated_kinds_table_in_logic_readme_is_current() -> None:
    """Guards a generated file against going stale: regenerate the table between the kinds
    markers of logic/README.md with nicelogic.rules.relations.kinds_markdown()."""
    from nicelogic.resources import logic_dir
    from nicelogic.rules.relations import kinds_markdown

    readme = (logic_dir() / "README.md").read_text(encoding="utf-8")
    assert readme.split("<!-- kinds -->\n", 1)[1].split("<!-- /kinds -->", 1)[0] == kinds_markdown()


PERSISTS = {"index": "icd10", "consistent": "icd10", "sole_only": "icd10", "zero_length_only": "icd10", "excluding": "opcs"}
PERSISTS_HEADER = "condition\tindex\tconsistent\tsole_only\tzero_length_only\texcluding\tindex_spells\tmin_age\tstandard\n"


def test_a_patient_kind_reads_value_and_optional_columns_and_writes_its_codes_as_prefixes(tmp_path: Path) -> None:
    from nicelogic.rules.packs import load_pack

    pack = relation_pack(tmp_path / "p", "persists", PERSISTS, [])
    (pack / "pack.toml").write_text('name = "p"\nreads = "patient"\n')
    (pack / "rule.tsv").write_text(PERSISTS_HEADER + "heart failure\tI50 I42.5-I42.6\tI50\t-\t-\t-\t2\t-\tLloyd\n")
    (table,) = load_pack(pack)[0].relations
    (row,) = table.rows
    assert row.value("condition") == "heart failure" and row.value("index_spells") == "2" and row.value("min_age") is None
    assert row.codes("excluding") == () and row.codes("index") == ("I50", "I42.5-I42.6")
    facts = table.facts()
    for fact in (
        'relation_prefix("p.rule", 2, index, icd10, "I42.6").',
        'relation_value("p.rule", 2, condition, "heart failure").',
        'relation_value("p.rule", 2, index_spells, 2).',
    ):
        assert fact in facts
    assert "relation_code(" not in facts and "min_age" not in facts


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("autism\tF84.0\tF84.0\t-\t-\t-\tone\t-\tS\n", "index_spells", "not a whole number"),
        ("autism\tF84.0\tF84.0\t-\t-\t-\t-\t-\tS\n", "index_spells", "holds no value"),
        ("autism\t-\tF84.0\t-\t-\t-\t1\t-\tS\n", "index", "holds no code"),
    ],
)
def test_a_patient_kind_table_refuses_a_missing_or_malformed_cell(tmp_path: Path, row: str, column: str, reason: str) -> None:
    pack = relation_pack(tmp_path / "p", "persists", PERSISTS, [])
    (pack / "pack.toml").write_text('name = "p"\nreads = "patient"\n')
    (pack / "rule.tsv").write_text(PERSISTS_HEADER + row)
    with pytest.raises(RuleError, match=reason) as caught:
        from nicelogic.rules.packs import load_pack

        load_pack(pack)
    assert caught.value.line == 2 and column in caught.value.message


def test_a_patient_kind_belongs_to_a_pack_that_reads_patients_and_a_record_kind_to_one_that_does_not(tmp_path: Path) -> None:
    from nicelogic.rules.packs import load_pack

    pack = relation_pack(tmp_path / "p", "persists", PERSISTS, ["autism\tF84.0\tF84.0\t-\t-\t-\t1\t-\tS"])
    (pack / "rule.tsv").write_text(PERSISTS_HEADER + "autism\tF84.0\tF84.0\t-\t-\t-\t1\t-\tS\n")
    with pytest.raises(RuleError, match="only for packs that read whole patients"):
        load_pack(pack)
    other = relation_pack(tmp_path / "q", "never-first", {"code": "opcs"}, ["Y\tS"])
    (other / "pack.toml").write_text('name = "q"\nreads = "patient"\n')
    with pytest.raises(RuleError, match="only for packs that read one record at a time"):
        load_pack(other)
