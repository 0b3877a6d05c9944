"""A rule's metadata: the TOML in the ``%!`` lines that open its ``.lp`` file (see
``logic/README.md``), read and checked, so that a rule without an id, a severity, a title,
a message or a source never loads."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nicelogic.errors import RuleError
from nicelogic.rules.relations import RelationSpec, relation_spec
from nicelogic.rules.templates import template_problem

SEVERITIES = ("error", "warning")
CONFIDENCES = {"S": "stated in a source document", "V": "seen in a public source", "Q": "quoted second-hand", "H": "hypothesis"}
_REQUIRED = ("id", "severity", "title", "message", "source")
_OPTIONAL = ("confidence", "description", "needs", "equivalent-mutants", "relation", "restates")
# Examples once lived in the header; a rule's cases now live in its pack's tests/ folder.
_MOVED = {"fail": "tests/<rule>.txt as '# expect: RULE' cases", "pass": "tests/<rule>.txt as '# ok: RULE' cases"}
# What a rule may need beyond the shipped tables to be able to fire.
NEEDS = {"icd10-file": "a UK ICD-10 5th Edition release file (--icd10-file)"}
_ID = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class EquivalentMutant:
    """A mutant of a file's statements that cannot change any answer, as its author
    declared it (``nicelogic test --mutate`` names mutants by this key)."""

    mutant: str
    why: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule's metadata, read from the ``%!`` header of its ``.lp`` file."""

    id: str
    severity: str
    title: str
    message: str
    source: str
    pack: str
    file: Path
    line: int
    confidence: str | None = None
    description: str = ""
    needs: tuple[str, ...] = ()
    relation: RelationSpec | None = None  # a relation whose rows are a table (nicelogic.rules.relations)
    # rules that say the same of the same codes in other guidance: where both fire at the same
    # positions, one violation is reported, the restated rule's, naming this one too
    restates: tuple[str, ...] = ()


# --------------------------------------------------------------------------- metadata


def read_header(path: Path, text: str) -> tuple[dict[str, object], int] | None:
    """The ``%!`` metadata of a rule file and the line it starts on, or None for a helper."""
    lines: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("%!"):
            first = first or number
            lines.append(line[2:].removeprefix(" "))
        elif first:
            break  # the header is one block of %! lines
    if not first:
        return None
    try:
        return tomllib.loads("\n".join(lines)), first
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"the %! metadata is not valid TOML: {exc}", path, first) from None


def equivalent_mutants(header: dict[str, object] | None, path: Path, line: int) -> tuple[EquivalentMutant, ...]:
    """The ``equivalent-mutants`` declarations of a ``%!`` header, validated."""
    value = (header or {}).get("equivalent-mutants", [])
    shape = 'equivalent-mutants must be a list of { mutant = "...", why = "..." } tables'
    if not isinstance(value, list):
        raise RuleError(shape, path, line)
    declared: list[EquivalentMutant] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"mutant", "why"}:
            raise RuleError(shape, path, line)
        mutant, why = item["mutant"], item["why"]
        if not isinstance(mutant, str) or not isinstance(why, str) or not mutant.strip() or not why.strip():
            raise RuleError("every equivalent mutant needs a non-empty mutant and why", path, line)
        declared.append(EquivalentMutant(mutant.strip(), " ".join(why.split())))
    return tuple(declared)


def rule_from_header(header: dict[str, object], path: Path, line: int, pack: str) -> Rule:
    missing = [key for key in _REQUIRED if not header.get(key)]
    if missing:
        raise RuleError(f"rule metadata lacks {', '.join(missing)}", path, line)
    moved = sorted(set(header) & set(_MOVED))
    if moved:
        raise RuleError(f"{moved[0]} examples are cases now: move them to the pack's {_MOVED[moved[0]]}", path, line)
    unknown = sorted(set(header) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        known = ", ".join(_REQUIRED + _OPTIONAL)
        raise RuleError(f"unknown rule metadata key(s) {', '.join(unknown)} (known: {known})", path, line)
    for key in _REQUIRED + ("confidence", "description"):
        if key in header and not isinstance(header[key], str):
            raise RuleError(f"{key} must be a string", path, line)
    rule_id = str(header["id"])
    if not _ID.match(rule_id):
        raise RuleError(f"rule id {rule_id!r} must be lower case words joined by '.' or '-'", path, line)
    severity = str(header["severity"])
    if severity not in SEVERITIES:
        raise RuleError(f"severity {severity!r} must be one of {', '.join(SEVERITIES)}", path, line)
    title = str(header["title"])
    if "\n" in title.strip():
        raise RuleError("title must be one line", path, line)
    confidence = header.get("confidence")
    if confidence is not None and confidence not in CONFIDENCES:
        raise RuleError(f"confidence {confidence!r} must be one of {', '.join(CONFIDENCES)}", path, line)
    if confidence == "H" and severity == "error":
        raise RuleError("a hypothesis (confidence H) can only be a warning", path, line)
    message = str(header["message"])
    problem = template_problem(message)
    if problem is not None:
        raise RuleError(problem, path, line)
    needs = header.get("needs", [])
    if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
        raise RuleError(f"needs must be a list drawn from {', '.join(NEEDS)}", path, line)
    equivalent_mutants(header, path, line)
    relation = relation_spec(header["relation"], path, line) if "relation" in header else None
    restates = header.get("restates", [])
    if not isinstance(restates, list) or not all(isinstance(r, str) and _ID.match(r) and r != rule_id for r in restates):
        raise RuleError("restates must be a list of other rules' ids", path, line)
    return Rule(
        id=rule_id,
        severity=severity,
        title=title.strip(),
        message=message.strip(),
        source=str(header["source"]).strip(),
        pack=pack,
        file=path,
        line=line,
        confidence=str(confidence) if confidence else None,
        description=str(header.get("description", "")).strip(),
        needs=tuple(needs),
        relation=relation,
        restates=tuple(restates),
    )
