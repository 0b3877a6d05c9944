"""Properties of the audit comparison over generated codings: a coding compared with itself
is all correct with kappa 1; swapping the inputs swaps omitted and superfluous (and nothing
else); reordering the secondary codes changes only the sequencing count. The codings are
generated as text records and read by the real grammar, as the command reads them."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nicelogic.audit.compare import CodeType, EpisodeComparison, Outcome, compare_episode
from nicelogic.audit.kappa import Kappa
from nicelogic.audit.methods import CODE_OVER_CODE
from nicelogic.audit.tally import Tally
from nicelogic.audit.units import Coding, coding_of
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine
from nicelogic.input.records import to_record
from nicelogic.model import Record

# few categories and characters, so that generated codings often share codes and categories
DIAGNOSES = st.builds(
    lambda letter, number, fourth, fifth, mark: f"{letter}{number:02d}" + (f".{fourth}{fifth}" if fourth else "") + mark,
    st.sampled_from("AEIJM"), st.integers(10, 12), st.sampled_from(["", "0", "1", "9"]), st.sampled_from(["", "", "5"]),
    st.sampled_from(["", "", "", "\u2020", "*"]),
)  # fmt: skip
OPERATIONS = st.builds(lambda letter, number, fourth: f"{letter}{number:02d}.{fourth}", st.sampled_from("HKW"),
                       st.integers(20, 22), st.sampled_from("12"))  # fmt: skip
SUBSIDIARY = st.sampled_from(["Z94.1", "Z94.2", "Z66.5", "Y53.4"])
# a procedure group: an operation and the subsidiary codes that follow it
GROUPS = st.builds(lambda op, subs: [op, *subs], OPERATIONS, st.lists(SUBSIDIARY, max_size=2))
CODINGS = st.tuples(st.lists(DIAGNOSES, max_size=6), st.lists(GROUPS, max_size=5))

_PARSER = RecordParser()


def _record(diagnoses: list[str], groups: list[list[str]]) -> Record:
    sections = []
    if diagnoses:
        sections.append("icd10 " + " ".join(code for code in diagnoses))
    if groups:
        sections.append("opcs " + " ".join(code for group in groups for code in group))
    text = "x: " + "; ".join(sections) if sections else "x: icd10"
    parsed = to_record(InputLine("<test>", 1, text), _PARSER)
    assert isinstance(parsed, Record), (text, parsed)
    return parsed


def _coding(coding: tuple[list[str], list[list[str]]]) -> Coding:
    return coding_of(_record(*coding))


def _totals(comparison: EpisodeComparison) -> dict[CodeType, tuple[int, int, int, int, int]]:
    found = {}
    for code_type in CodeType:
        c = comparison.counts(code_type)
        found[code_type] = (c.correct, c.wrong, c.omitted, c.superfluous, c.sequencing)
    return found


def _levels(comparison: EpisodeComparison) -> list[tuple[str, str, str]]:
    return sorted((c.code_type.value, c.outcome.value, str(c.level)) for c in comparison.codes)


@settings(max_examples=150, deadline=None)
@given(st.lists(CODINGS, min_size=1, max_size=8))
def test_a_coding_compared_with_itself_is_all_correct_with_kappa_one(episodes: list) -> None:
    tally = Tally(CODE_OVER_CODE)
    for episode in episodes:
        coding = _coding(episode)
        comparison = compare_episode(coding, coding)
        assert all(code.outcome is Outcome.CORRECT for code in comparison.codes)
        assert all(moved == 0 for _, moved in comparison.sequencing)
        tally.add(comparison)
    figures = tally.figures()
    for figure in figures.types:
        assert figure.counts.wrong == figure.counts.omitted == figure.counts.superfluous == 0
        assert figure.rate.denominator == 0 or figure.percent == 100.0
    for k in figures.kappas:
        kappa: Kappa = k.kappa
        # kappa is 1, or undefined when every episode has the same one label (0/0)
        assert kappa.kappa == 1.0 or (kappa.kappa is None and (kappa.episodes == 0 or kappa.expected == 1.0))
        if kappa.episodes:
            assert kappa.observed == 1.0


@settings(max_examples=300, deadline=None)
@given(CODINGS, CODINGS)
def test_swapping_the_inputs_swaps_omitted_and_superfluous(first: tuple, second: tuple) -> None:
    original, audited = _coding(first), _coding(second)
    forward, backward = compare_episode(original, audited), compare_episode(audited, original)
    there, back = _totals(forward), _totals(backward)
    for code_type in CodeType:
        correct, wrong, omitted, superfluous, sequencing = there[code_type]
        assert back[code_type][:4] == (correct, wrong, superfluous, omitted)
    swapped_outcome = {"omitted": "superfluous", "superfluous": "omitted"}
    swapped_level = {"omitted": "superfluous", "superfluous": "omitted"}
    mirrored = sorted(
        (t, swapped_outcome.get(outcome, outcome), swapped_level.get(level, level)) for t, outcome, level in _levels(forward)
    )
    assert mirrored == _levels(backward)


@settings(max_examples=300, deadline=None)
@given(CODINGS, CODINGS, st.randoms(use_true_random=False))
def test_reordering_secondary_codes_changes_only_the_sequencing_count(
    first: tuple, second: tuple, shuffler: random.Random
) -> None:
    diagnoses, groups = first
    reordered_diagnoses = diagnoses[:1] + shuffler.sample(diagnoses[1:], len(diagnoses[1:]))
    reordered_groups = groups[:1] + shuffler.sample(groups[1:], len(groups[1:]))
    audited = _coding(second)
    before = compare_episode(_coding(first), audited)
    after = compare_episode(_coding((reordered_diagnoses, reordered_groups)), audited)
    assert _levels(before) == _levels(after)
    for code_type in CodeType:
        assert _totals(before)[code_type][:4] == _totals(after)[code_type][:4]
    # and against itself, a reordering is sequencing only
    itself = compare_episode(_coding((reordered_diagnoses, reordered_groups)), _coding(first))
    assert all(code.outcome is Outcome.CORRECT for code in itself.codes)
    moved_diagnoses = sum(1 for a, b in zip(diagnoses[1:], reordered_diagnoses[1:], strict=True) if a != b)
    sequencing = dict(itself.sequencing)
    assert (sequencing[CodeType.SECONDARY_DIAGNOSES] == 0) == (moved_diagnoses == 0)
