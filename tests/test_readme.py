"""The README says what users will see: every transcript in it (``$ nicelogic ...``
followed by its output) is run and must print exactly that, and every Python block runs
as written and type-checks under ``mypy --strict`` as a user's script would."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nicelogic.cli import main

from .conftest import FIXTURES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def transcripts() -> list[tuple[str, str]]:
    """(command, output) pairs of every fenced block written as a terminal session."""
    pairs = []
    for block in FENCE.finditer(README):
        command: str | None = None
        output: list[str] = []
        for line in block.group("body").splitlines():
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(output).rstrip("\n")))
                command, output = line[2:], []
            elif command is not None:
                output.append(line)
        if command is not None:
            pairs.append((command, "\n".join(output).rstrip("\n")))
    return pairs


def python_blocks() -> list[str]:
    return [block.group("body") for block in FENCE.finditer(README) if block.group("lang") == "python"]


def test_the_readme_has_transcripts_and_python() -> None:
    commands = [command for command, _ in transcripts()]
    assert any(c.startswith("nicelogic check examples/episodes.txt") for c in commands)
    assert sum(c.startswith("nicelogic complete") for c in commands) >= 4
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize(("command", "expected"), transcripts(), ids=[c for c, _ in transcripts()])
def test_transcript_prints_what_the_readme_shows(command: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    words = shlex.split(command, comments=True)
    assert words[0] == "nicelogic"
    result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
    assert result.stdout.rstrip("\n") == expected


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding what the README's Python refers to: an extract and a pack."""
    shutil.copy(FIXTURES / "inputs" / "hes_extract.csv", tmp_path / "extract.csv")
    assert CliRunner().invoke(main, ["new-pack", str(tmp_path / "my-pack")]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_python_blocks_run_as_written(user_folder: Path) -> None:
    namespace: dict[str, object] = {}
    for block in python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples


def test_python_blocks_pass_mypy_strict(user_folder: Path) -> None:
    script = user_folder / "readme_example.py"
    script.write_text("\n".join(python_blocks()), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent", str(script)],
        capture_output=True, text=True, cwd=user_folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_configuration_example_uses_known_options(tmp_path: Path) -> None:
    from nicelogic.cli import _long_options
    from nicelogic.config import load_config

    (block,) = [b.group("body") for b in FENCE.finditer(README) if b.group("lang") == "toml"]
    (tmp_path / "nicelogic.toml").write_text(block, encoding="utf-8")
    config = load_config(tmp_path / "nicelogic.toml")
    assert config.unknown_keys({name: list(_long_options(command)) for name, command in main.commands.items()}) == []
    assert config.for_command("check", _long_options(main.commands["check"]))["ignore"] == ["opcs.group-order"]


def _rewrite() -> None:
    """``python -m tests.test_readme``: print every transcript anew into README.md, for a
    maintainer whose change moved an output on purpose (review the diff)."""
    text = README
    for command, expected in transcripts():
        result = CliRunner().invoke(main, shlex.split(command, comments=True)[1:], catch_exceptions=False)
        text = text.replace(f"$ {command}\n{expected}", f"$ {command}\n{result.stdout.rstrip()}", 1)
    (ROOT / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _rewrite()
