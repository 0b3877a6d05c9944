from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker
from nicelogic.tables import TableConfig

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PACKS = FIXTURES / "packs"
# The 20-row format sample of the UK ICD-10 5th Edition file: enough to test the loader and
# the rules that need it (the real file is licensed to NHS users and never shipped).
UK_ICD10 = FIXTURES / "icd10" / "uk5_format_sample.xml"


@pytest.fixture(scope="session")
def checker() -> Checker:
    """Every built-in pack, loaded once for the session."""
    return Checker()


@pytest.fixture(scope="session")
def uk_checker() -> Checker:
    """Every built-in pack, with the UK ICD-10 format sample loaded."""
    return Checker(tables=TableConfig(icd10_file=UK_ICD10))


def found(checker: Checker, text: str, system: str = "opcs") -> set[tuple[str, str, tuple[int, ...]]]:
    """(rule, section, positions) of every violation of a one-record text."""
    result = checker.check_record(text, system=system)
    assert result.error is None, result.error
    return {(v.rule, v.section, v.positions) for v in result.violations}
