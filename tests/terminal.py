"""Running the command line on a real pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyte

from .conftest import ROOT

COLUMNS, ROWS = 160, 60


@dataclass(frozen=True)
class TerminalRun:
    returncode: int
    terminal: bytes  # everything written to the terminal, escape sequences included
    piped: bytes  # standard output, when it went to a pipe instead

    def screen(self) -> list[str]:
        """The lines left on the screen at the end, as a terminal emulator renders them."""
        screen = pyte.Screen(COLUMNS, ROWS)
        pyte.ByteStream(screen).feed(self.terminal)
        return [line.rstrip() for line in screen.display if line.strip()]


def run_on_terminal(
    args: list[str], *, stdout_on_terminal: bool = True, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> TerminalRun:
    """``nicelogic ARGS`` with standard error (and output, unless piped) on a new terminal."""
    primary, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"}}
    environment.update({"TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}, **(env or {}))
    process = subprocess.Popen(
        [sys.executable, "-c", "from nicelogic.cli import main; main(prog_name='nicelogic')", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary if stdout_on_terminal else subprocess.PIPE,
        stderr=secondary,
        env=environment,
        cwd=cwd,
    )
    os.close(secondary)
    chunks: list[bytes] = []
    piped = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            process.kill()
            raise TimeoutError(f"nicelogic {' '.join(args)} wrote nothing for 120 s")
        try:
            data = os.read(primary, 65536)
        except OSError:  # the terminal closes when the last writer exits
            break
        if not data:
            break
        chunks.append(data)
    if process.stdout is not None:
        piped = process.stdout.read()
    os.close(primary)
    return TerminalRun(process.wait(timeout=60), b"".join(chunks), piped)
