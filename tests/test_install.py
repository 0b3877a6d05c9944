"""A non-editable install carries logic/ and grammar/ inside the wheel and works on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("nicelogic-*.whl")
    return built


def test_wheel_contains_grammar_and_rule_packs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nicelogic/_grammar/records.lark" in names
    assert "nicelogic/_logic/README.md" in names
    assert "nicelogic/_logic/lib/vocabulary.lp" in names
    shipped = {path.relative_to(ROOT / "logic").as_posix() for path in (ROOT / "logic").rglob("*") if path.is_file()}
    assert {f"nicelogic/_logic/{name}" for name in shipped} <= names


def test_installed_wheel_checks_the_example(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # The venv sees this environment's dependencies (clingo, lark, ...) but gets its own
    # nicelogic from the wheel; the check below proves which copy ran.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    where = subprocess.run(
        [str(python), "-c", "import nicelogic, nicelogic.resources as r; print(nicelogic.__file__); print(r.logic_dir())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(str(venv) in path for path in where), where
    example = tmp_path / "episodes.txt"
    example.write_text((ROOT / "examples" / "episodes.txt").read_text())
    result = subprocess.run(
        [str(venv / "bin" / "nicelogic"), "check", str(example), "--format", "json"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert (summary["records"], summary["valid"], summary["rejected"]) == (7, 3, 1)
