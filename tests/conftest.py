from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PACKS = FIXTURES / "packs"


@pytest.fixture(scope="session")
def checker() -> Checker:
    """Every built-in pack, loaded once for the session."""
    return Checker()


def found(checker: Checker, text: str, system: str = "opcs") -> set[tuple[str, str, tuple[int, ...]]]:
    """(rule, section, positions) of every violation of a one-record text."""
    result = checker.check_record(text, system=system)
    assert result.error is None, result.error
    return {(v.rule, v.section, v.positions) for v in result.violations}
