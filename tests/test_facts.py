"""Facts follow the vocabulary documented in logic/README.md."""

from __future__ import annotations

import re

from nicelogic.asp.facts import record_facts, record_form
from nicelogic.input.grammar import RecordParser
from nicelogic.model import Record, Sex
from nicelogic.resources import logic_dir


def parse(text: str) -> Record:
    parsed = RecordParser().parse(text)
    return Record(parsed.id or "x", parsed.sections, sex=Sex.FEMALE, age=81, date="2024-07-01")


def test_facts_of_a_record() -> None:
    facts = set(record_facts(parse("ep7: opcs V44.4 V55.-; icd M80.08 G55.1*; cpt 77003-59x2"), r=3).splitlines())
    assert facts == {
        "record(3).",
        "section(3,opcs,2).",
        'code(3,opcs,1,"V44.4").', 'category(3,opcs,1,"V44").', 'chapter(3,opcs,1,"V").',
        "catnum(3,opcs,1,44).", "subdivision(3,opcs,1,4).",
        'code(3,opcs,2,"V55").', 'category(3,opcs,2,"V55").', 'chapter(3,opcs,2,"V").',
        "catnum(3,opcs,2,55).", "wildcard(3,opcs,2).",
        "section(3,icd10,2).",
        'code(3,icd10,1,"M80.08").', 'category(3,icd10,1,"M80").', 'chapter(3,icd10,1,"M").',
        "catnum(3,icd10,1,80).", "subdivision(3,icd10,1,0).", "extension(3,icd10,1,8).",
        'code(3,icd10,2,"G55.1").', 'category(3,icd10,2,"G55").', 'chapter(3,icd10,2,"G").',
        "catnum(3,icd10,2,55).", "subdivision(3,icd10,2,1).", "mark(3,icd10,2,asterisk).",
        "section(3,cpt,1).",
        'code(3,cpt,1,"77003").', 'category(3,cpt,1,"77003").', "units(3,cpt,1,2).", 'modifier(3,cpt,1,"59").',
        "sex(3,female).", "age(3,81).", "date(3,20240701).",
    }  # fmt: skip


def test_attributes_only_when_rules_read_them() -> None:
    record = parse("V44.4")
    assert "sex(" not in record_form(record, attributes=())
    assert "age(" in record_form(record, attributes={"age"}) and "sex(" not in record_form(record, attributes={"age"})


def test_form_is_independent_of_id_and_position_in_file() -> None:
    a = RecordParser().parse("ep1: V44.4 V55.1")
    b = RecordParser().parse("another-id:    V444,V551")
    assert record_form(Record("a", a.sections)) == record_form(Record("b", b.sections, line=99))


def test_every_fact_predicate_is_documented_and_declared() -> None:
    facts = record_facts(parse("ep7: opcs V44.4 V55.-; icd M80.08 G55.1*; cpt 77003-59x2"))
    predicates = {(m.group(1), m.group(2).count(",") + 1) for m in re.finditer(r"^(\w+)\((.*)\)\.$", facts, re.M)}
    readme = (logic_dir() / "README.md").read_text()
    declared = (logic_dir() / "lib" / "vocabulary.lp").read_text()
    for name, arity in predicates:
        assert f"`{name}(" in readme, name
        assert f"#defined {name}/{arity}." in declared, (name, arity)


def test_generated_vocabulary_table_in_logic_readme_is_current() -> None:
    """Guards a generated file against going stale: regenerate the table between the
    vocabulary markers of logic/README.md with nicelogic.asp.vocabulary.markdown()."""
    from nicelogic.asp.vocabulary import markdown

    readme = (logic_dir() / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- vocabulary -->\n", 1)[1].split("<!-- /vocabulary -->", 1)[0]
    assert shown == markdown()


def test_table_facts_written_are_the_declared_ones() -> None:
    from nicelogic.asp.vocabulary import table_predicates
    from nicelogic.model import System
    from nicelogic.tables import TableConfig, load_tables

    from .conftest import UK_ICD10

    tables = load_tables(TableConfig(icd10_file=UK_ICD10))
    codes = {System.OPCS: {"V44.4", "O13.1", "V44"}, System.ICD10: {"M80.0", "G55.1", "M51.1", "W19", "N40"},
             System.CPT: {"22510", "22512", "77003"}}  # fmt: skip
    written = {(m.group(1), m.group(2).count(",") + 1) for m in re.finditer(r"^(\w+)\((.*)\)\.$", tables.facts(codes), re.M)}
    assert written <= set(table_predicates().items())
    assert {name for name, _ in written} >= {"opcs_code", "icd_code", "icd_sex", "ncci_addon", "ncci_mue"}
