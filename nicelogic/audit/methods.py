"""The counting conventions a coding audit states: what counts as correct and what the
percentage is of. The full NHS England methodology is circulated to registered auditors
only and its rule for secondary codes was not found (``../shared`` facts, section 2), so
the published conventions are offered by name, and every output states the one used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    superfluous_in_denominator: bool
    rule: str  # the counting rule, as every output states it


_MATCHING = (
    "Primary diagnosis and primary procedure: correct when the original's first code is the auditor's first code. "
    "Secondary codes: matched as a multiset irrespective of order; a difference of order among matched codes is "
    "counted apart as sequencing (the codes to move to restore the auditor's order). An unmatched auditor code paired "
    "with an unmatched original code of the same 3-character category is wrong; the rest are omitted (the auditor has "
    "it, the original lacks it) or superfluous (the reverse). OPCS-4 site and laterality codes (chapter Z) count with "
    "the procedure they qualify: a procedure with a wrong or missing site code is wrong."
)

CODE_OVER_CODE = Method(
    "code-over-code",
    False,
    "code over code: the auditor's codes are the denominator and the original's correct codes the numerator; "
    "superfluous codes are counted apart. " + _MATCHING,
)
CODES_IN_EITHER = Method(
    "codes-in-either",
    True,
    "codes in either coding: the auditor's codes and the original's superfluous codes are the denominator, so "
    "over-recording (an ISD Scotland major error) counts against the percentage. " + _MATCHING,
)

METHODS = {method.name: method for method in (CODE_OVER_CODE, CODES_IN_EITHER)}
DEFAULT_METHOD = CODE_OVER_CODE.name
