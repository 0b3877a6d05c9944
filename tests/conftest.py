from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A real PySpark in local mode on two cores, shared by the Spark tests (one JVM)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("nicelogic-tests")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g").getOrCreate()
    )  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def found(checker: Checker, text: str, system: str = "opcs") -> set[tuple[str, str, tuple[int, ...]]]:
    """(rule, section, positions) of every violation of a one-record text."""
    result = checker.check_record(text, system=system)
    assert result.error is None, result.error
    return {(v.rule, v.section, v.positions) for v in result.violations}


# Record ids that try to forge output: a line break, terminal control (clear screen, set
# the window title, ring the bell), NUL and vertical tab (which XML 1.0 forbids), a TAP
# directive, the separators of workflow-command properties and a spreadsheet formula.
HOSTILE_IDS = {
    "invalid": "x\ny\x1b[2J\x00\x0b # SKIP,:%=1",
    "rejected": "r\x01\u2028\u202e",
    "valid": "ok\x1b]0;title\x07",
}


def hostile_input(folder: Path, name: str = "my episodes #1, a:b %.jsonl") -> Path:
    """A JSON Lines file (JSON can carry any id) named as awkwardly as a file can be:
    one invalid record, one rejected, one valid, for ``--rules opcs4``."""
    codes = {"invalid": ["V44.4", "Y53.4"], "rejected": ["V4X.4"], "valid": ["V44.4", "V55.1"]}
    path = folder / name
    path.write_text("".join(json.dumps({"id": HOSTILE_IDS[k], "opcs": codes[k]}) + "\n" for k in codes), encoding="utf-8")
    return path


def rule_text(
    rule_id: str, body: str, *, severity: str = "error", title: str = "t", message: str = "m", source: str = "s"
) -> str:
    """A rule file: its metadata lines, then the statements given."""
    header = {"id": rule_id, "severity": severity, "title": title, "message": message, "source": source}
    return "".join(f'%! {key} = "{value}"\n' for key, value in header.items()) + body


def one_rule_pack(folder: Path, body: str, message: str = "m") -> Path:
    """A pack of one rule, ``<folder name>.rule``, with the statements given, for tests of
    how packs are loaded and run."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(f'name = "{folder.name}"\n')
    (folder / "rule.lp").write_text(rule_text(f"{folder.name}.rule", body, message=message))
    return folder


def alive(pid: int) -> bool:
    """Whether a process is running, by the process table: a zombie is dead too (it waits
    only for its parent to read its status). The state follows the command name, which may
    hold spaces and parentheses, in /proc/PID/stat."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> set[int]:
    """The child processes of ``pid``, by the process table (none once it is gone)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def running_children() -> set[int]:
    """This process's child processes that are running, by the process table: a child the
    executor's own thread has reaped can still look alive to multiprocessing for a moment,
    and a zombie is dead. Other tests' long-lived workers (a checker's bounded worker) may be
    among them: compare with what ran before."""
    import multiprocessing

    return {child.pid for child in multiprocessing.active_children() if child.pid is not None and alive(child.pid)}
