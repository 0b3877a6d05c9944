"""Run every mutant of one module against named test files: a maintainer's command, for
modules whose functions so many tests call that ``mutmut run`` does not finish them.

Works in the ``mutants/`` folder that ``mutmut run`` (3.x) writes (a copy of the project
with each function behind a trampoline). Each mutant runs in a child forked from a warm
parent (nicelogic imported, tables loaded, test files collected once), with
``MUTANT_UNDER_TEST`` naming it, as mutmut itself runs them; first the tests run once
without a mutant, and nothing is measured unless they pass. A figure therefore counts what
the named files kill: a lower bound of the module's score.

    python tools/mutants_against.py mutants nicelogic/input/text.py tests/test_readers.py tests/test_grammar.py

With ``--sample N --seed S`` it runs N mutants drawn at random (the same N for the same
seed) instead of all, for a module whose full run would take hours: the figure is then an
estimate of the module's score, printed with its 95% (Wilson) interval.

Prints one line per mutant (0: survived; 124: stopped at the time bound, counted killed;
else killed) into ``RESULTS`` (default ``mutants/against/<module>.txt``; mutants already in
it are skipped, so a stopped run goes on) and the score at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import sys
import time
from pathlib import Path

TIME_BOUND = 180.0  # seconds a mutant's tests may take


def _in_child(tests: list[str], mutant: str | None, devnull: int, bound: float) -> int:
    """The tests' exit status, run in a forked child (whatever a test raises or forks)."""
    import pytest

    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.setpgid(0, 0)
            if mutant is not None:
                os.environ["MUTANT_UNDER_TEST"] = mutant
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests]))
        finally:
            os._exit(code)
    started = time.monotonic()
    while time.monotonic() - started < bound:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.05)
    else:
        code = 124
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the child's own workers, and the child if over its bound
    if code == 124:
        os.waitpid(pid, 0)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mutants", type=Path, help="the mutants/ folder mutmut wrote")
    parser.add_argument("module", help="the module's path in it, e.g. nicelogic/input/text.py")
    parser.add_argument("tests", nargs="+", help="test files, fastest first (-x stops at the first failure)")
    parser.add_argument("--results", type=Path)
    parser.add_argument("--sample", type=int, help="run this many mutants drawn at random, not all")
    parser.add_argument("--seed", type=int, default=17, help="of the random draw (default 17)")
    parser.add_argument(
        "--deselect", action="append", default=[], metavar="NODEID", help="a test not to run, e.g. one bound by wall time"
    )
    parser.add_argument("--time-bound", type=float, default=TIME_BOUND, help=f"seconds per mutant (default {TIME_BOUND:g})")
    args = parser.parse_args()
    folder = args.mutants.resolve()
    results = (args.results or folder / "against" / (args.module.replace("/", "_") + ".txt")).resolve()
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    os.environ.pop("MUTANT_UNDER_TEST", None)
    module = args.module.removesuffix(".py").replace("/", ".")
    names = re.findall(r"^\s*def (x\S+__mutmut_\d+)\(", Path(args.module).read_text(encoding="utf-8"), re.M)
    total = len(names)
    if args.sample is not None and args.sample < total:
        names = sorted(random.Random(args.seed).sample(names, args.sample), key=names.index)
    found: dict[str, int] = {}
    if results.exists():
        for line in results.read_text().splitlines():
            code, name = line.split()
            found[name] = int(code)
    import pytest

    import nicelogic.cli  # noqa: F401  (imported once, in the parent)
    from nicelogic import Checker
    from nicelogic.research.statistics import wilson_interval

    Checker()  # the tables into their caches, shared by every child
    devnull = os.open(os.devnull, os.O_WRONLY)
    tests = [*args.tests, *(f"--deselect={node}" for node in args.deselect)]
    pytest.main(["-qq", "-p", "no:cacheprovider", "--collect-only", *tests])
    baseline = _in_child(tests, None, devnull, args.time_bound)  # under the same bound as each mutant
    if baseline != 0:
        raise SystemExit(f"the tests fail without a mutant (exit {baseline}): no mutant is measured")
    results.parent.mkdir(parents=True, exist_ok=True)
    with results.open("a") as out:
        for name in names:
            qualified = f"{module}.{name}"
            if qualified not in found:
                found[qualified] = _in_child(tests, qualified, devnull, args.time_bound)
                out.write(f"{found[qualified]} {qualified}\n")
                out.flush()
    measured = [found[f"{module}.{name}"] for name in names]
    killed = sum(code != 0 for code in measured)
    survivors = [name for name in names if found[f"{module}.{name}"] == 0]
    share = f"{100 * killed / max(len(measured), 1):.1f}%"
    if len(measured) < total:
        low, high = wilson_interval(killed, len(measured))
        share += f" of a sample of {total}, seed {args.seed}: the module's score 95% within {100 * low:.1f}-{100 * high:.1f}%"
    print(f"{module}: {killed} of {len(measured)} killed ({share}) by {' '.join(args.tests)}")
    print("survived:", " ".join(survivors) or "none")


if __name__ == "__main__":  # a test that spawns a process imports this module again
    main()
