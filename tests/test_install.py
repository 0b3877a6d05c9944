"""A non-editable install carries logic/ and grammar/ inside the wheel and works on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
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
    assert "nicelogic/audit/thresholds.toml" in names  # the threshold profiles are data of the package
    assert "nicelogic/tables/data/editions/editions.tsv" in names  # the dates each edition was in force
    assert {f"nicelogic/service/static/{name}" for name in ("index.html", "playground.js", "playground.css")} <= names
    shipped = {path.relative_to(ROOT / "logic").as_posix() for path in (ROOT / "logic").rglob("*") if path.is_file()}
    assert {f"nicelogic/_logic/{name}" for name in shipped} <= names


def test_installed_wheel_checks_the_example(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    _see_running_dependencies(python)
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


def _see_running_dependencies(python: Path) -> None:
    """Let a new venv import this environment's dependencies (clingo, lark, ...) without
    installing them again, whether the tests run inside a virtual environment or not.

    ``--system-site-packages`` would expose the base interpreter's site-packages, which a
    virtual environment running the tests does not use. A path line in a ``.pth`` file adds
    the running environment's folders after the venv's own, so the wheel's nicelogic wins;
    ``.pth`` files found there (such as an editable install's) are not processed.
    """
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "running-environment.pth").write_text("\n".join(ours) + "\n")
