"""OPCS-4: the release shipped with the package (OPCS-4.11, November 2025) or another in
the NHS release XML format, and the facts about a batch's codes that rules read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nicelogic.asp.facts import quote
from nicelogic.errors import InputError
from nicelogic.tables.editions import Edition, opcs_edition_of, undated

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_OPCS = DATA_DIR / "opcs4" / "OPCS411_CodesAndTitles_Nov2025_V1.0.xml"
OPCS_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


@dataclass(frozen=True)
class OpcsTable:
    release: str
    titles: Mapping[str, str]  # codes and three-character categories -> title
    subdivided: frozenset[str]  # categories that have fourth-character codes
    extended: Mapping[str, str]  # extended category -> the principal category it continues
    dates: Edition | None = None  # its edition and the dates that edition was in force

    @property
    def edition(self) -> str:
        return self.dates.name if self.dates else self.release

    def is_code(self, code: str) -> bool:
        """A code that may stand in a record: a four-character code, or a category
        without subdivisions."""
        return code in self.titles and code not in self.subdivided

    def facts(self, codes: Iterable[str]) -> list[str]:
        out = []
        for code in codes:
            category = code[:3]
            if self.is_code(code):
                out.append(f"opcs_code({quote(code)}).")
            if category in self.subdivided:
                out.append(f"opcs_subdivided({quote(category)}).")
            if category in self.extended:
                out.append(f"opcs_extended({quote(category)},{quote(self.extended[category])}).")
        return out


def derive_extended_categories(titles: Mapping[str, str]) -> dict[str, str]:
    """Extended categories and the principal category each continues, from the titles:
    an extended category is titled "Other " + the principal's title (Y68 "Other approach to
    organ under image control" continues Y53 "Approach to organ under image control").

    Only pairs within one chapter count. Pairs with chapter O, the overflow chapter, are
    left out: there the titles do not tell which category continues which (W08 "Other
    excision of bone" is older than O29 "Excision of bone"), and a wrong guess would flag
    correct codes.
    """
    categories = {code: title.strip().lower() for code, title in titles.items() if len(code) == 3}
    by_title = {title: code for code, title in categories.items()}
    pairs = {}
    for code, title in sorted(categories.items()):
        principal = by_title.get(title[6:]) if title.startswith("other ") else None
        if principal and principal != code and principal[0] == code[0] and code[0] != "O":
            pairs[code] = principal
    return pairs


@cache
def load_opcs(path: Path = DEFAULT_OPCS) -> OpcsTable:
    """Read an OPCS-4 release file in the NHS XML format (``<code CODE=... TITLE=.../>``)."""
    titles: dict[str, str] = {}
    try:
        for _, element in ET.iterparse(path):
            if element.tag.rsplit("}", 1)[-1] == "code" and element.get("CODE"):
                code = element.get("CODE", "").strip().upper()
                if re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9])?", code):
                    titles[code] = element.get("TITLE", "").strip()
                element.clear()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read the OPCS-4 release file {path}: {exc}") from None
    if not titles:
        raise InputError(f"{path} holds no OPCS-4 <code CODE=... TITLE=...> entries: not an OPCS-4 release file")
    subdivided = frozenset(code[:3] for code in titles if len(code) == 5)
    match = re.search(r"OPCS-?4\.?(\d+)", path.name, re.IGNORECASE)
    version = f"OPCS-4.{match.group(1)}" if match else "OPCS-4"
    dates = opcs_edition_of(path.name) or undated("opcs4", version)
    return OpcsTable(f"{version} ({path.name})", titles, subdivided, derive_extended_categories(titles), dates)
