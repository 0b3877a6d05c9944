"""Every record in examples/ gives exactly the result its annotations document."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicelogic import Checker
from nicelogic.authoring.cases import run_cases
from nicelogic.rules.cases import load_cases

from .conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.txt"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_file(checker: Checker, path: Path) -> None:
    cases = load_cases(path)
    assert cases, f"{path.name} holds no annotated records"
    assert all(case.expect or case.ok is not None for case in cases), f"{path.name} has an unannotated record"
    failures = [
        f"{r.case.source}:{r.case.line}: {'; '.join(r.problems)}" for r in run_cases(checker, cases, strict=True) if not r.passed
    ]
    assert not failures, "\n".join(failures)


def test_there_is_an_example_file_per_seed_document() -> None:
    names = {p.name for p in EXAMPLES}
    assert {
        "nice-htg3-vertebroplasty.txt",
        "nice-ipg12-vertebroplasty.txt",
        "nice-ipg366-non-rigid-stabilisation.txt",
        "nice-ipg319-intradiscal-electrothermal.txt",
        "cpt-22512-vertebroplasty.txt",
    } <= names
