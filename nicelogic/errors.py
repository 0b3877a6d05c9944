"""Everything that can go wrong, in one place.

Exceptions stop a run (an input that cannot be opened, a rule pack that cannot be used, a
case file or configuration that cannot be read): the command line turns them into exit
status 2. A record that cannot be read stops nothing: it becomes an :class:`InputProblem`
and is reported as rejected, and every other record is still checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why one record was rejected before it could be checked, and where: 1-based line and
    column, a label naming the kind of problem, and for tabular and JSON inputs the field."""

    message: str
    line: int
    column: int
    label: str = ""
    where: str | None = None


class InputError(Exception):
    """An input that cannot be read at all (missing file, unknown format, bad header)."""


class RecordSyntaxIssue(Exception):
    """One record that the grammar cannot read; carries the :class:`InputProblem`."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class RuleError(Exception):
    """A rule pack that cannot be used as it stands, with the file and line of the problem
    where there is one."""

    def __init__(self, message: str, file: Path | str | None = None, line: int | None = None, column: str | None = None) -> None:
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.column = column  # as clingo reports it: "5" or "5-9"
        where = str(self.file) if self.file is not None else ""
        for part in (line, column):
            where += f":{part}" if where and part is not None else ""
        super().__init__(f"{where}: {message}" if where else message)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:  # across a worker's pipe, whole
        return (RuleError, (self.message, self.file, self.line, self.column))


class CaseError(Exception):
    """An annotation in a case file that cannot be read, with file and line."""


class ConfigError(Exception):
    """A configuration file that cannot be used, naming the file and the key."""


class UsageError(Exception):
    """A command asked for something it cannot do as asked (exit status 2)."""


class GaveUp(Exception):
    """A completion or repair that did not finish within its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"gave up after {seconds:g} s (--time-limit)")
        self.seconds = seconds

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (GaveUp, (self.seconds,))


class LimitExceeded(Exception):
    """Work that ran out of its time (``kind`` "time", ``limit`` in seconds) or memory
    (``kind`` "memory", ``limit`` in bytes) in a bounded worker process, which was stopped."""

    def __init__(self, kind: str, limit: float) -> None:
        if kind == "time":
            shown = f"took more than {limit:g} s (--time-limit)"
        else:
            shown = f"took more than {int(limit) >> 20:,} MiB (--memory-limit)" if limit else "ran out of memory"
        super().__init__(f"limit exceeded: {shown}")
        self.what = shown
        self.kind = kind
        self.limit = limit

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (LimitExceeded, (self.kind, self.limit))
