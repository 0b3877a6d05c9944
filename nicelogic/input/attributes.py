"""Record attributes as extracts write them: sex, age, dates and waivers.

A value that cannot be read raises ``ValueError(column, field, message)``, which the reader
of each format turns into a rejection naming the field.
"""

from __future__ import annotations

import re
from datetime import date

from nicelogic.model import Sex

FILLERS = {"", "-", "&"}  # HES writes these for "no value"


_WAIVE_SPLIT = re.compile(r"[\s,;]+")


def waivers_of(text: str) -> tuple[str, ...]:
    return tuple(rule for rule in _WAIVE_SPLIT.split(text.strip()) if rule)


_SEX_VALUES = {
    "1": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE,
    "2": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE,
    "0": Sex.UNKNOWN, "9": Sex.UNKNOWN, "x": Sex.UNKNOWN, "u": Sex.UNKNOWN, "unknown": Sex.UNKNOWN,
}  # fmt: skip


def parse_sex(value: str | int | None) -> Sex | None:
    if value is None or value == "":
        return None
    key = str(value).strip().lower()
    if key not in _SEX_VALUES:
        raise ValueError(0, "SEX", f"sex {value!r} is not one of 1/2/9, M/F, male/female/unknown")
    return _SEX_VALUES[key]


def parse_age(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):  # "²" is a digit to str.isdigit, not to int()
        raise ValueError(0, "STARTAGE", f"age {value!r} is not a whole number of years")
    years = int(text)
    if 7001 <= years <= 7007:  # HES codes for ages under one year
        return 0
    if years > 150:
        raise ValueError(0, "STARTAGE", f"age {value!r} is not a plausible age in years")
    return years


_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII),
)
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$", re.ASCII)


def parse_date(value: str | None) -> str | None:
    if value is None or value in FILLERS:
        return None
    text = value.strip()
    parts: tuple[str, ...] | None = None
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            parts = match.groups()
    match = _DMY.match(text)
    if match:
        parts = (match.group(3), match.group(2), match.group(1))
    if parts is None:
        raise ValueError(0, "date", f"date {value!r} is not YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY")
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        raise ValueError(0, "date", f"date {value!r} is not a calendar date") from None
