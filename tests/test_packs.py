"""Rule packs fail loudly, with file and line, on anything that would silently break them."""

from __future__ import annotations

import pytest

from nicelogic import Checker, RuleError, load_rules
from nicelogic.rules.catalogue import examples
from nicelogic.rules.packs import builtin_pack_dirs, resolve_selection

from .conftest import PACKS, one_rule_pack

BROKEN = {
    "duplicate-id": r"second\.lp:1: duplicate rule id 'fixture\.same' \(first declared at .*first\.lp:1\)",
    "script-block": r"rule\.lp:6: #script blocks are refused",
    "constraint": r"rule\.lp:7: integrity constraints are refused",
    "wrong-id": r"rule\.lp:6: derives violation under \"fixture\.other\" but the file declares id 'fixture\.declared'",
    "missing-metadata": r"rule\.lp:1: rule metadata lacks source",
    "hypothesis-error": r"rule\.lp:1: a hypothesis \(confidence H\) can only be a warning",
    "syntax-error": r"rule\.lp:6:\d+(-\d+)?: error: syntax error",
    "unsafe": r"rule\.lp:6:\d+-\d+: error: unsafe variables",
    "bad-toml": r"rule\.lp:1: the %! metadata is not valid TOML",
    "unknown-field": r"rule\.lp:1: message uses unknown field\(s\) expected",
    "unattributed": r"helper\.lp:2: derives violation/4 but has no %! rule metadata",
    "show-statement": r"rule\.lp:7: #show is refused",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_pack_fails_loudly(name: str) -> None:
    with pytest.raises(RuleError, match=BROKEN[name]):
        load_rules([str(PACKS / name)])


def test_builtin_packs_load_and_have_unique_ids() -> None:
    ruleset = load_rules()
    ids = [rule.id for pack in ruleset.packs for rule in pack.rules]
    assert len(ids) == len(set(ids)) and ids
    assert {p.name for p in ruleset.packs} == set(builtin_pack_dirs())


def test_selection_by_name_comma_list_and_path() -> None:
    assert [p.name for p in load_rules(["opcs4"]).packs] == ["opcs4"]
    both = load_rules([f"opcs4,{PACKS / 'local-policy'}"])
    assert [p.name for p in both.packs] == ["opcs4", "local-policy"]


def test_unknown_pack_is_named() -> None:
    with pytest.raises(RuleError, match="unknown rule pack 'opcs5'"):
        resolve_selection(["opcs5"])


def test_folder_without_pack_toml(tmp_path) -> None:
    with pytest.raises(RuleError, match="has no pack.toml"):
        resolve_selection([str(tmp_path)])


def test_attributes_read_by_rules_are_detected() -> None:
    assert load_rules([str(PACKS / "local-policy")]).attribute_scope() == {"sex": frozenset({"icd10"})}
    assert load_rules(["opcs4"]).attributes == frozenset()


def test_every_rule_has_complete_metadata() -> None:
    for rule in load_rules().rules.values():
        assert rule.severity in {"error", "warning"}
        assert rule.title and "\n" not in rule.title
        assert rule.message and rule.source
        fires, quiet = examples(rule)  # the rule's own case file, beside it in tests/
        assert fires, f"{rule.id} has no case in tests/{rule.file.stem}.txt that makes it fire"
        assert quiet, f"{rule.id} has no case in tests/{rule.file.stem}.txt that keeps it quiet"
        if rule.confidence == "H":
            assert rule.severity == "warning"


def test_rule_blaming_a_position_outside_its_section_is_reported(tmp_path) -> None:
    pack = tmp_path / "oob"
    pack.mkdir()
    (pack / "pack.toml").write_text('name = "oob"\n')
    (pack / "rule.lp").write_text((PACKS / "local-policy" / "pair.lp").read_text().replace("(P, Q)", "(P, Q + 5)"))
    checker = Checker([str(pack)])
    with pytest.raises(
        RuleError, match=r"rule local\.pair blamed position\(s\) \(1, 7\) of a opcs section holding 2 code"
    ) as caught:
        checker.check_record("V44.4 V44.6")
    assert (caught.value.file, caught.value.line) == (pack / "rule.lp", checker.rules["local.pair"].line)


def test_coverage_document_names_every_rule_and_only_real_ones() -> None:
    import re

    from .conftest import ROOT

    text = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:opcs4|icd10|opcs|icd|ncci|cpt|nice|consistency)\.[a-z0-9.-]+)`", text))
    # the opt-in local packs and the patient-level pack are covered too
    ruleset = load_rules(["default,icd10.local,opcs4.local,consistency"])
    rules = set(ruleset.rules)
    packs = {pack.name for pack in ruleset.packs}
    assert named - rules - packs == set(), "docs/coverage.md names rules that do not exist"
    assert rules - named == set(), "docs/coverage.md does not say what these rules cover"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('name = "x"\nversoin = "1"\n', "unknown pack metadata key"),
        ('name = "x"\neffective = { from = "2020-13" }\n', "effective.from must be a date"),
        ('name = "x"\nclassifications = ["OPCS-4.11"]\n', "classifications must be a table"),
        ('name = "x"\nopt-in = "yes"\n', "opt-in must be true"),
    ],
)
def test_pack_metadata_is_validated(tmp_path, toml: str, message: str) -> None:
    pack = tmp_path / "x"
    pack.mkdir()
    (pack / "pack.toml").write_text(toml)
    (pack / "rule.lp").write_text((PACKS / "local-policy" / "pair.lp").read_text())
    with pytest.raises(RuleError, match=message):
        load_rules([str(pack)])


def test_pack_metadata_is_read() -> None:
    ipg12 = next(p for p in load_rules(["nice.ipg12"]).packs)
    assert dict(ipg12.classifications) == {"opcs": "OPCS-4.6"} and ipg12.effective_from == "2003-09-01"
    assert ipg12.in_force("2010-01-01") and not ipg12.in_force("2001-01-01") and ipg12.in_force(None)


def test_examples_in_a_header_are_refused_with_where_they_go(tmp_path) -> None:
    pack = one_rule_pack(
        tmp_path / "old", '%! fail = ["V44.4"]\nviolation("old.rule", R, opcs, P) :- code(R, opcs, P, "V44.4").\n'
    )
    with pytest.raises(RuleError) as caught:
        load_rules([str(pack)])
    assert (caught.value.file, caught.value.line) == (pack / "rule.lp", 1) and "tests/<rule>.txt" in caught.value.message


@pytest.mark.parametrize(
    "message",
    [
        "{detail.__class__.__format__.__globals__[os].environ[HOME]}",
        "{code.__class__}",
        "{code.nosuchattr}",
        "{code[0]}",
        "{0}",
        "{}",
        "{code:{detail}}",
        "{codes!r:>{position}}",
    ],
)
def test_message_templates_read_only_their_fields(tmp_path, message: str) -> None:
    """A pack is data: a template that reaches past the documented fields is refused when
    the pack loads, before any record could print what it finds."""
    pack = one_rule_pack(tmp_path / "leak", 'violation("leak.rule", R, opcs, P) :- code(R, opcs, P, "V44.4").\n', message)
    with pytest.raises(RuleError) as caught:
        load_rules([str(pack)])
    assert caught.value.line == 1 and "message" in caught.value.message


def test_message_templates_keep_their_fields_and_detail_indexes(tmp_path) -> None:
    pack = one_rule_pack(
        tmp_path / "fine",
        'violation("fine.rule", R, opcs, P, ("a", "b")) :- code(R, opcs, P, "V44.4").\n',
        "{code!r:>8} at {position} of {section}: {detail[1]} {detail}",
    )
    (violation,) = Checker([str(pack)]).check_record("V44.4").violations
    assert violation.message == " 'V44.4' at 1 of opcs: b a, b"


def test_a_pack_cannot_include_files(tmp_path) -> None:
    secret = tmp_path / "secret.lp"
    secret.write_text('leak("the secret").\n')
    one_rule_pack(tmp_path / "inc", f'#include "{secret}".\nviolation("inc.rule", R, opcs, 1) :- code(R, opcs, 1, _), leak(_).\n')
    with pytest.raises(RuleError) as caught:
        load_rules([str(tmp_path / "inc")])
    assert (caught.value.file.name, caught.value.line) == ("rule.lp", 6) and "#include" in caught.value.message


def test_a_pack_file_linking_outside_its_folder_is_refused(tmp_path) -> None:
    outside = tmp_path / "elsewhere.lp"
    outside.write_text('violation("link.rule", R, opcs, 1) :- code(R, opcs, 1, _).\n')
    one_rule_pack(tmp_path / "link", 'violation("link.rule", R, opcs, 1) :- code(R, opcs, 1, "V44.4").\n')
    (tmp_path / "link" / "extra.lp").symlink_to(outside)
    with pytest.raises(RuleError) as caught:
        load_rules([str(tmp_path / "link")])
    assert caught.value.file == tmp_path / "link" / "extra.lp" and "outside the pack" in caught.value.message


def test_the_program_solved_is_the_text_validated(tmp_path) -> None:
    """A file changed on disk after its pack loaded changes nothing: the loaded text is solved."""
    one_rule_pack(tmp_path / "swap", 'violation("swap.rule", R, opcs, 1) :- code(R, opcs, 1, "V44.4").\n')
    checker = Checker([str(tmp_path / "swap")])
    (tmp_path / "swap" / "rule.lp").write_text("this is not ASP at all\n")
    assert [v.rule for v in checker.check_record("V44.4").violations] == ["swap.rule"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            'big(R, X) :- record(R), X = 1..100000000.\nviolation("grow.rule", R, opcs, 1) :- big(R, 5), code(R, opcs, 1, _).\n',
            "interval of 100,000,000 values",
        ),
        (
            'p(X + 1) :- p(X), X < 100000000.\np(0).\nviolation("grow.rule", R, opcs, 1) :- p(7), code(R, opcs, 1, _).\n',
            "p/1 is defined from itself with arithmetic",
        ),
    ],
)
def test_a_pack_that_would_ground_without_bound_is_refused_before_grounding(tmp_path, body: str, why: str) -> None:
    one_rule_pack(tmp_path / "grow", body)
    with pytest.raises(RuleError) as caught:
        load_rules([str(tmp_path / "grow")])
    assert why in caught.value.message and caught.value.line == 6


def test_ranges_of_categories_and_positions_are_fine(tmp_path) -> None:
    one_rule_pack(tmp_path / "ranges", 'violation("ranges.rule", R, opcs, P) :- catnum(R, opcs, P, N), N = 22..54, P = 1..24.\n')
    assert [v.rule for v in Checker([str(tmp_path / "ranges")]).check_record("V44.4").violations] == ["ranges.rule"]
