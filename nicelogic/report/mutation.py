"""Output of ``nicelogic test --mutate``: text, json and junit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from nicelogic.authoring.mutation_run import EXCLUDED, MutantResult, MutationRun, Score
from nicelogic.resources import shown_path

# Outcomes each listed one by one in the text output (killed mutants are only counted).
_LISTED = ("survived", "timeout", "memory", "equivalent", "not-applicable")  # invalid: with --verbose


def _percent(score: Score) -> str:
    return "n/a" if score.percent is None else f"{score.percent:.1f}%"


def _where(result: MutantResult) -> str:
    return f"{shown_path(result.mutant.file)}:{result.mutant.line}"


def _counts(score: Score) -> str:
    excluded = ", ".join(f"{score.count(status)} {status}" for status in EXCLUDED if score.count(status))
    bounded = score.count("timeout", "memory")
    killed = f"{score.killed} of {score.scored} killed" + (f" ({bounded} by a time or memory bound)" if bounded else "")
    return killed + (f"; {excluded}" if excluded else "")


def _cases(cases: Sequence[str]) -> str:
    files = dict.fromkeys(name.rsplit(":", 1)[0] for name in cases)
    return f"{len(cases)} cases of {', '.join(files)}" if cases else "no case"


def text(run: MutationRun, verbose: bool = False) -> str:
    lines = [f"error: {error}" for error in run.errors]
    for status in _LISTED + (("invalid",) if verbose else ()):
        for result in (r for r in run.results if r.status == status):
            m = result.mutant
            lines.append(f"{status.upper()} {_where(result)} {m.rule} {m.key}")  # the key a declaration names
            if status == "survived" or verbose:
                lines.append(f"    before: {m.statement}")
                lines.append(f"    after:  {m.mutated or '(statement dropped)'}")
            if status == "survived":
                lines.append(f"    ran: {_cases(result.cases)}")
            elif result.detail:
                lines.append(f"    {'why' if status == 'equivalent' else 'detail'}: {result.detail}")
    lines.append("mutation score by pack and rule (killed among the mutants that can be killed):")
    for pack in run.pack_scores:
        lines.append(f"  {pack.name}: {_percent(pack)}, {_counts(pack)}")
        for rule in (r for r in run.rule_scores if r.pack == pack.name):
            if verbose or rule.count("survived"):
                lines.append(f"    {rule.name}: {_percent(rule)}, {_counts(rule)}")
    total = run.total
    lines.append(f"{len(run.results)} mutants, {_counts(total)}: {_percent(total)} in {run.seconds:.1f} s on {run.jobs} workers")
    return "\n".join(lines)


def _score_dict(score: Score) -> dict[str, Any]:
    percent = None if score.percent is None else round(score.percent, 1)
    return {"name": score.name, "pack": score.pack, "percent": percent, **dict(score.counts)}


def _mutant_dict(result: MutantResult) -> dict[str, Any]:
    m = result.mutant
    data: dict[str, Any] = {
        "pack": m.pack, "rule": m.rule, "file": shown_path(m.file), "line": m.line, "operator": m.operator,
        "before": m.before, "after": m.after, "statement": m.statement, "mutated": m.mutated, "key": m.key,
        "status": result.status, "killed_by": list(result.failed), "detail": result.detail,
    }  # fmt: skip
    if result.status == "equivalent":
        data["declared"] = m.declared
    if result.status == "survived":
        data["cases"] = list(result.cases)
    return data


def as_json(run: MutationRun) -> str:
    return json.dumps(
        {
            "mutants": [_mutant_dict(r) for r in run.results],
            "errors": list(run.errors),
            "scores": {
                "total": _score_dict(run.total),
                "packs": [_score_dict(s) for s in run.pack_scores],
                "rules": [_score_dict(s) for s in run.rule_scores],
            },
            "seconds": round(run.seconds, 1),
            "jobs": run.jobs,
        },
        indent=2,
    )


def junit(run: MutationRun) -> str:
    """One test case per mutant: a survivor fails, an excluded mutant is skipped."""
    root = ET.Element("testsuites", name="nicelogic test --mutate", tests=str(len(run.results)),
                      failures=str(run.total.count("survived")), errors=str(len(run.errors)))  # fmt: skip
    suites: dict[str, ET.Element] = {}
    for result in run.results:
        m = result.mutant
        suite = suites.get(m.pack)
        if suite is None:
            suite = suites[m.pack] = ET.SubElement(root, "testsuite", name=m.pack)
        case = ET.SubElement(suite, "testcase", classname=f"{m.pack}.{m.rule}", name=f"{_where(result)} {m.key}")
        if result.status in EXCLUDED:
            ET.SubElement(case, "skipped", message=f"{result.status}: {result.detail}")
        elif result.status == "survived":
            failure = ET.SubElement(case, "failure", message=f"mutant survived: {m.before} -> {m.after or '(nothing)'}")
            failure.text = f"before: {m.statement}\nafter:  {m.mutated or '(statement dropped)'}\nran: {_cases(result.cases)}"
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
        suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))
    for error in run.errors:
        ET.SubElement(root, "error", message=error)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def render(run: MutationRun, fmt: str, verbose: bool = False) -> str:
    if fmt == "json":
        return as_json(run)
    if fmt == "junit":
        return junit(run)
    if fmt == "text":
        return text(run, verbose)
    raise ValueError(f"--mutate writes text, json or junit, not {fmt}")
