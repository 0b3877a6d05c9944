"""The text and JSON shapes `nicelogic complete` prints (nicelogic/report/completions.py),
each branch from reports built by hand: the layout of a text format is what a coder reads,
so these tests pin it line by line (tests/test_complete.py runs the real completer)."""

from __future__ import annotations

from nicelogic.complete.results import Completion, CompletionReport, Conflict, Consequences, Edit, Placed, Repair, RepairReport
from nicelogic.errors import InputProblem
from nicelogic.input.items import Rejected
from nicelogic.report.completions import consequences_text, rejected_dict, rejected_text, repair_text, report_dict, report_text

INPUT = "ep1: opcs V44.4"
LEVELS = Placed("opcs", 2, "V55.1")
CONFLICT = Conflict((Placed("opcs", 1, "V44.4"),), ("opcs.x",), False, "V44.4 rules out every completion")


def _completion(record: str, **options: object) -> Completion:
    return Completion(record, (LEVELS,), **options)  # type: ignore[arg-type]


def test_completions_are_numbered_under_their_count_without_the_record_id() -> None:
    report = CompletionReport(INPUT, (_completion("ep1: opcs V44.4 V55.1"), _completion("ep1: opcs V44.4 V55.2")), 2, True)
    assert report_text(report) == "ep1: opcs V44.4\n  2 completions:\n    1. opcs V44.4 V55.1\n    2. opcs V44.4 V55.2"


def test_one_completion_is_singular_and_minimal_ones_say_so() -> None:
    one = CompletionReport(INPUT, (_completion("ep1: opcs V44.4 V55.1"),), 1, True, minimal=True)
    assert report_text(one) == "ep1: opcs V44.4\n  1 minimal completion:\n    1. opcs V44.4 V55.1"


def test_a_count_past_those_shown_is_a_lower_bound_when_not_exhaustive_and_says_which_are_shown() -> None:
    report = CompletionReport(INPUT, (_completion("ep1: opcs V44.4 V55.1"),), 1234, False)
    assert report_text(report).splitlines()[1] == "  1,234+ completions, the first 1:"
    exact = CompletionReport(INPUT, (_completion("ep1: opcs V44.4 V55.1"),), 3, True)
    assert report_text(exact).splitlines()[1] == "  3 completions, the first 1:"


def test_templates_give_their_own_count_and_first_member_and_warnings_follow() -> None:
    template = _completion(
        "ep1: opcs V44.4 V55.*", template=True, count=12, exhaustive=False, example="ep1: opcs V44.4 V55.1",
        warnings=("opcs.w", "opcs.v"),
    )  # fmt: skip
    report = CompletionReport(INPUT, (template,), 1, True, grouped=True)
    assert report_text(report) == (
        "ep1: opcs V44.4\n  1 template of completions:\n"
        "    1. opcs V44.4 V55.*   12+ completions, first: opcs V44.4 V55.1  (warnings: opcs.w, opcs.v)"
    )
    two = CompletionReport(INPUT, (template, template), 2, True, grouped=True, minimal=True)
    assert report_text(two).splitlines()[1] == "  2 templates of minimal completions:"


def test_no_completion_gives_the_conflict_or_says_there_is_none() -> None:
    assert report_text(CompletionReport(INPUT, (), 0, True, conflict=CONFLICT)) == (
        "ep1: opcs V44.4\n  no valid completion: V44.4 rules out every completion"
    )
    assert report_text(CompletionReport(INPUT, (), 0, True)) == "ep1: opcs V44.4\n  no valid completion"


def test_a_search_that_gave_up_says_after_how_long_before_what_it_found() -> None:
    report = CompletionReport(INPUT, (_completion("ep1: opcs V44.4 V55.1"),), 1, False, gave_up=2.5)
    lines = report_text(report).splitlines()
    assert lines[1] == "  1+ completions:"  # one or more: plural
    assert lines[2].startswith("  (gave up after 2.5 s (--time-limit)")
    assert lines[3] == "    1. opcs V44.4 V55.1"


def test_consequences_list_codes_by_slot_in_the_order_found_and_none_where_empty() -> None:
    may = (Placed("opcs", 2, "V55.1"), Placed("opcs", 3, "Y53.4"), Placed("opcs", 2, "V55.2"))
    result = Consequences(INPUT, may, (), (Placed("opcs", 2, "V55"),), ())
    assert consequences_text(result, may=True, must=True) == "\n".join(
        [
            "ep1: opcs V44.4",
            "  in every one of the valid completions (categories):",
            "    (none)",
            "  codes in every one:",
            "    (none)",
            "  may appear in valid completions (categories):",
            "    opcs:2  V55",
            "  codes that may appear:",
            "    opcs:2  V55.1 V55.2",
            "    opcs:3  Y53.4",
        ]
    )
    must_only = consequences_text(Consequences(INPUT, may, (LEVELS,), (), (), minimal=True), may=False, must=True)
    assert must_only.splitlines() == [
        "ep1: opcs V44.4",
        "  in every one of the minimal completions (categories):",
        "    (none)",
        "  codes in every one:",
        "    opcs:2  V55.1",
    ]
    assert consequences_text(Consequences(INPUT, may, (), (), ()), may=False, must=False) == "ep1: opcs V44.4"
    assert consequences_text(Consequences(INPUT, (), (), (), ()), may=True, must=False).splitlines()[1:] == [
        "  may appear in valid completions (categories):", "    (none)", "  codes that may appear:", "    (none)",
    ]  # fmt: skip


def test_a_record_text_is_shown_without_its_id_only_the_rest_kept_whole() -> None:
    dated = "ep1: opcs V44.4 V55.1 # date: 2024-05-01"  # a second ": " in the text, after the id's
    plain = CompletionReport(INPUT, (_completion(dated),), 1, True)
    assert report_text(plain).splitlines()[2] == "    1. opcs V44.4 V55.1 # date: 2024-05-01"
    template = _completion("ep1: opcs V44.4 V55.* # date: 2024-05-01", template=True, count=2, example=dated)
    grouped = CompletionReport(INPUT, (template,), 1, True, grouped=True)
    assert report_text(grouped).splitlines()[2] == (
        "    1. opcs V44.4 V55.* # date: 2024-05-01   2 completions, first: opcs V44.4 V55.1 # date: 2024-05-01"
    )
    no_example = _completion("ep1: opcs V44.4 V55.*", template=True, count=3)
    assert report_text(CompletionReport(INPUT, (no_example,), 1, True, grouped=True)).splitlines()[2] == (
        "    1. opcs V44.4 V55.*   3 completions, first: "
    )
    repair = Repair(dated, (Edit("insert", "opcs", "V55.1", position=2),), ("opcs.x",))
    repaired = repair_text(RepairReport(INPUT, (repair,), 1, True, violations=("opcs.x",))).splitlines()
    assert repaired[3] == "    1. opcs V44.4 V55.1 # date: 2024-05-01"


def test_consequences_of_a_record_without_completion_or_cut_short_say_so() -> None:
    conflicted = Consequences(INPUT, (), (), (), (), conflict=CONFLICT)
    assert consequences_text(conflicted, may=True, must=True) == (
        "ep1: opcs V44.4\n  no valid completion: V44.4 rules out every completion"
    )
    cut = consequences_text(Consequences(INPUT, (LEVELS,), (), (), (), gave_up=1.0), may=True, must=False).splitlines()
    assert cut[1] == (
        "  (gave up after 1 s (--time-limit): the codes that may appear are those found by then, "
        "and there may be more; which must appear is not known)"
    )
    assert cut[2:] == [
        "  may appear in valid completions (categories):", "    (none)", "  codes that may appear:", "    opcs:2  V55.1",
    ]  # fmt: skip


def _repair(*edits: Edit) -> Repair:
    return Repair("ep1: opcs V44.4 V55.1", edits, ("opcs.spinal-levels-second", "opcs.v55-orphan"))


def test_repairs_list_each_edit_and_the_rules_whose_violations_it_removes() -> None:
    edits = (
        Edit("insert", "opcs", "V55.1", position=2),
        Edit("delete", "opcs", "Y53.4", original=3),
        Edit("move", "opcs", "Z67.6", position=4, original=2),
        Edit("replace", "opcs", "V44.4", original=1, replacement="V44.5"),
    )
    report = RepairReport(INPUT, (_repair(*edits),), 1, True, violations=("opcs.spinal-levels-second",))
    assert repair_text(report).splitlines() == [
        "ep1: opcs V44.4",
        "  errors: opcs.spinal-levels-second",
        "  1 minimal repair:",
        "    1. opcs V44.4 V55.1",
        "       insert V55.1 at opcs:2; delete Y53.4 (opcs:3); move Z67.6 from opcs:2 to opcs:4; "
        "replace V44.4 (opcs:1) by V44.5  (removes opcs.spinal-levels-second, opcs.v55-orphan)",
    ]


def test_repairs_count_in_plural_say_which_are_shown_and_a_valid_record_needs_none() -> None:
    repair = _repair(Edit("insert", "opcs", "V55.1", position=2))
    many = RepairReport(INPUT, (repair,), 5, False, violations=("a", "b"))
    assert repair_text(many).splitlines()[1:3] == ["  errors: a, b", "  5+ minimal repairs, the first 1:"]
    assert repair_text(RepairReport(INPUT, (), 0, True)) == "ep1: opcs V44.4\n  valid: nothing to repair"
    assert repair_text(RepairReport(INPUT, (), 0, True, violations=("a",), conflict=CONFLICT)) == (
        "ep1: opcs V44.4\n  no valid completion: V44.4 rules out every completion"
    )


def test_repairs_cut_short_are_not_called_minimal_unless_proven() -> None:
    repair = _repair(Edit("insert", "opcs", "V55.1", position=2))
    unproven = RepairReport(INPUT, (repair,), 1, False, violations=("a",), gave_up=3.0, proven_minimal=False)
    lines = repair_text(unproven).splitlines()
    assert lines[2] == "  1+ repairs:"  # one or more: plural, as for completions
    assert lines[3].startswith("  (gave up after 3 s (--time-limit): these were found by then, valid but not proven the smallest")
    proven = repair_text(RepairReport(INPUT, (repair,), 1, False, violations=("a",), gave_up=3.0)).splitlines()
    assert proven[2] == "  1+ minimal repairs:"
    assert proven[3] == "  (gave up after 3 s (--time-limit): these were found by then, and there may be more)"


def test_a_rejected_record_gives_where_and_why_in_text_and_json() -> None:
    with_field = Rejected("ep9", 4, "in.csv", InputProblem("bad sex 'Q'", 4, 12, "attribute", "SEX"))
    assert rejected_text(with_field) == "ep9: rejected\n  in.csv:4:12: input error: bad sex 'Q' [SEX]"
    assert rejected_dict(with_field) == {
        "id": "ep9", "source": "in.csv", "line": 4,
        "error": {"message": "bad sex 'Q'", "line": 4, "column": 12, "kind": "attribute", "field": "SEX"},
    }  # fmt: skip
    bare = Rejected("ep8", 3, "in.txt", InputProblem("no codes", 3, 0, "syntax"))
    assert rejected_text(bare) == "ep8: rejected\n  in.txt:3: input error: no codes"
    assert "field" not in rejected_dict(bare)["error"]


def test_json_completions_carry_template_fields_only_for_templates() -> None:
    plain = _completion("ep1: opcs V44.4 V55.1")
    template = _completion("ep1: opcs V44.4 V55.*", template=True, count=2, example="ep1: opcs V44.4 V55.1")
    data = report_dict(CompletionReport(INPUT, (plain, template), 2, True, grouped=True))
    first, second = data["completions"]
    assert first["record"] == "ep1: opcs V44.4 V55.1"
    assert list(first["added"]) == [{"section": "opcs", "position": 2, "code": "V55.1"}]
    assert not {"template", "count", "exhaustive", "example"} & set(first)
    template_fields = (second["template"], second["count"], second["exhaustive"], second["example"])
    assert template_fields == (True, 2, True, "ep1: opcs V44.4 V55.1")
    assert data["count"] == 2 and data["grouped"] is True
    repair = report_dict(RepairReport(INPUT, (_repair(Edit("insert", "opcs", "V55.1", position=2)),), 1, True))
    assert repair["count"] == 1 and repair["repairs"][0]["edits"][0] == {
        "kind": "insert", "section": "opcs", "code": "V55.1", "position": 2, "original": None, "replacement": None,
    }  # fmt: skip
