"""Rule packs: folders of ``.lp`` files under ``logic/``, each rule with its metadata.

A pack is a folder holding ``pack.toml`` and one ``.lp`` file per rule. A rule file opens
with its metadata as TOML in ``%!`` lines (see ``logic/README.md``). Files without a
header are helper definitions of the pack. ``logic/lib`` holds definitions shared by all
packs and is always loaded.

Everything that could silently break a rule set fails loudly here, with file and line:
TOML errors, missing or unknown metadata keys, duplicate ids, ASP syntax errors, a rule
deriving violations under another id, integrity constraints, ``#show`` and ``#script``.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import clingo
from clingo import ast

from nicelogic.asp.applicability import APPLIES
from nicelogic.asp.applicability import derive as derive_applies
from nicelogic.asp.facts import RECORD_ATTRIBUTES, SECTION_PREDICATES, TABLE_PREDICATES
from nicelogic.asp.syntax import atoms_of
from nicelogic.errors import RuleError
from nicelogic.resources import logic_dir

SEVERITIES = ("error", "warning")
CONFIDENCES = {"S": "stated in a source document", "V": "seen in a public source", "Q": "quoted second-hand", "H": "hypothesis"}
_REQUIRED = ("id", "severity", "title", "message", "source")
_OPTIONAL = ("confidence", "fail", "pass", "description", "needs", "equivalent-mutants")
# The one key a helper file (no rule) may have in a %! header: mutants declared equivalent.
_HELPER_KEYS = frozenset({"equivalent-mutants"})
# What a rule may need beyond the shipped tables to be able to fire.
NEEDS = {"icd10-file": "a UK ICD-10 5th Edition release file (--icd10-file)"}
_ID = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
MESSAGE_FIELDS = frozenset(
    {"code", "code_title", "codes", "position", "positions", "section", "system", "chapter", "category", "record", "detail"}
)
OUTPUT = ("violation", 4), ("violation", 5)


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
    fail: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pack:
    name: str
    title: str
    version: str
    description: str
    path: Path
    rules: tuple[Rule, ...]
    files: tuple[Path, ...]  # every .lp file of the pack, rule files and helpers
    classifications: tuple[tuple[str, str], ...] = ()  # e.g. (("opcs", "OPCS-4.11"),)
    effective_from: str | None = None  # ISO dates: records dated outside are not judged
    effective_to: str | None = None

    def in_force(self, day: str | None) -> bool:
        """Whether a record of this date is judged by the pack (undated records always are)."""
        if day is None:
            return True
        after_start = self.effective_from is None or day >= self.effective_from
        before_end = self.effective_to is None or day <= self.effective_to
        return after_start and before_end


@dataclass(frozen=True, slots=True)
class AttributeUse:
    """A rule statement that reads a record attribute: for records with which sections
    (None: any), and which table predicates it also needs."""

    attribute: str
    sections: frozenset[str] | None
    tables: frozenset[str]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The packs selected for a check, with the program text they make together."""

    packs: tuple[Pack, ...]
    rules: dict[str, Rule]
    program: str
    attribute_uses: tuple[AttributeUse, ...]
    files: tuple[Path, ...]
    # applies/4 statements derived for rules that declare none (nicelogic.asp.applicability),
    # and the rules that can never be shown to stay quiet for want of a trigger
    applies_program: str = ""
    never_quiet: frozenset[str] = frozenset()

    @property
    def attributes(self) -> frozenset[str]:
        """Record attributes some rule reads (sex, age, date)."""
        return frozenset(use.attribute for use in self.attribute_uses)

    def attribute_scope(self, empty_tables: frozenset[str] = frozenset()) -> dict[str, frozenset[str] | None]:
        """Which attributes matter for records with which sections, leaving out statements
        that need a table predicate the loaded tables cannot produce."""
        scope: dict[str, frozenset[str] | None] = {}
        for use in self.attribute_uses:
            if use.tables & empty_tables:
                continue
            if use.sections is None or (use.attribute in scope and scope[use.attribute] is None):
                scope[use.attribute] = None
            else:
                scope[use.attribute] = (scope.get(use.attribute) or frozenset()) | use.sections
        return scope

    @property
    def key(self) -> str:
        """Identifies the rule set, for caches of verdicts."""
        return "|".join(f"{p.name}@{p.version}" for p in self.packs)


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


def _rule_from_header(header: dict[str, object], path: Path, line: int, pack: str) -> Rule:
    missing = [key for key in _REQUIRED if not header.get(key)]
    if missing:
        raise RuleError(f"rule metadata lacks {', '.join(missing)}", path, line)
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
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}
    except ValueError as exc:
        raise RuleError(f"message template is malformed: {exc}", path, line) from None
    unknown_fields = sorted({f.split(".")[0].split("[")[0] for f in fields} - MESSAGE_FIELDS)
    if unknown_fields:
        known = ", ".join(sorted(MESSAGE_FIELDS))
        raise RuleError(f"message uses unknown field(s) {', '.join(unknown_fields)} (known: {known})", path, line)
    examples = {}
    for key in ("fail", "pass"):
        value = header.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{key} must be a list of records in the text format", path, line)
        examples[key] = tuple(value)
    needs = header.get("needs", [])
    if not isinstance(needs, list) or any(n not in NEEDS for n in needs):
        raise RuleError(f"needs must be a list drawn from {', '.join(NEEDS)}", path, line)
    equivalent_mutants(header, path, line)
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
        fail=examples["fail"],
        passes=examples["pass"],
        needs=tuple(needs),
    )


# ------------------------------------------------------------------------- ASP checks


@dataclass
class _Scan:
    """What one file's statements do, from clingo's own parser."""

    heads: list[tuple[str, int, object, int]]  # (name, arity, first argument, line)
    used: set[tuple[str, int]]
    problems: list[tuple[str, int]]  # (message, line)
    attribute_uses: list[AttributeUse]


def _arguments(atom: ast.AST) -> tuple[str, list[ast.AST]] | None:
    symbol = atom.symbol
    if symbol.ast_type == ast.ASTType.Function:
        return symbol.name, list(symbol.arguments)
    return None


def _attribute_uses(body: list[ast.AST]) -> list[AttributeUse]:
    calls = [call for literal in body for atom in atoms_of(literal) if (call := _arguments(atom))]
    attributes = {name for name, args in calls if name in RECORD_ATTRIBUTES and len(args) == 2}
    if not attributes:
        return []
    sections: set[str] | None = set()
    for name, args in calls:
        if name in SECTION_PREDICATES and len(args) >= 2:
            term = args[1]
            if term.ast_type == ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
                if sections is not None:
                    sections.add(term.symbol.name)
            else:
                sections = None
    scope = frozenset(sections) if sections else None
    tables = frozenset(name for name, args in calls if TABLE_PREDICATES.get(name) == len(args))
    return [AttributeUse(attribute, scope, tables) for attribute in sorted(attributes)]


def _signature(atom: ast.AST) -> tuple[str, int, object] | None:
    symbol = atom.symbol
    if symbol.ast_type == ast.ASTType.Function:
        args = symbol.arguments
        return symbol.name, len(args), (args[0] if args else None)
    if symbol.ast_type == ast.ASTType.SymbolicTerm and symbol.symbol.type == clingo.SymbolType.Function:
        return symbol.symbol.name, len(symbol.symbol.arguments), None
    return None


def _scan(path: Path, text: str) -> _Scan:
    scan = _Scan([], set(), [], [])
    messages: list[str] = []

    def on_statement(stm: ast.AST) -> None:
        line = stm.location.begin.line
        kind = stm.ast_type
        if kind == ast.ASTType.Script:
            scan.problems.append(("#script blocks are refused: packs are data, not code", line))
        elif kind in (ast.ASTType.ShowSignature, ast.ASTType.ShowTerm):
            scan.problems.append(("#show is refused in packs: nicelogic shows the violation atoms itself", line))
        elif kind in (ast.ASTType.Minimize, ast.ASTType.External):
            scan.problems.append((f"{str(stm).split()[0]} has no place in a check pack", line))
        elif kind == ast.ASTType.Rule:
            head = stm.head
            if head.ast_type == ast.ASTType.Literal and head.atom.ast_type == ast.ASTType.BooleanConstant:
                scan.problems.append((
                    "integrity constraints are refused: derive violation(...) instead, "
                    "so that one record cannot make a whole batch unsatisfiable", line,
                ))  # fmt: skip
            elif head.ast_type != ast.ASTType.Literal:
                scan.problems.append(("choice rules and disjunctions are refused in check packs", line))
            for atom in atoms_of(head):
                sig = _signature(atom)
                if sig:
                    scan.heads.append((sig[0], sig[1], sig[2], line))
            for literal in stm.body:
                for atom in atoms_of(literal):
                    sig = _signature(atom)
                    if sig:
                        scan.used.add((sig[0], sig[1]))
            scan.attribute_uses.extend(_attribute_uses(list(stm.body)))

    try:
        ast.parse_string(text, on_statement, logger=lambda _code, msg: messages.append(msg), message_limit=5)
    except RuntimeError:
        raise _clingo_error(messages, path) from None
    return scan


_CLINGO_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+(?:-\d+(?::\d+)?)?): (?P<message>.*)$", re.DOTALL)


def _clingo_error(messages: list[str], path: Path | None = None) -> RuleError:
    """clingo's own error messages as one RuleError at the first one's file and line."""
    if not messages:
        return RuleError("the rule program cannot be parsed or grounded", path)
    first = _CLINGO_LOCATION.match(messages[0].strip())
    rest = "; ".join(m.strip() for m in messages[1:])
    if first is None:
        return RuleError("; ".join(m.strip() for m in messages), path)
    file = path if path is not None and first.group("file") == "<string>" else first.group("file")
    message = first.group("message").replace("\n", " ") + (f"; {rest}" if rest else "")
    return RuleError(message, file, int(first.group("line")), first.group("column"))


def _check_heads(path: Path, scan: _Scan, rule: Rule | None) -> None:
    for name, arity, first, line in scan.heads:
        if (name, arity) not in OUTPUT and (name, arity) != APPLIES:
            continue
        if rule is None:
            raise RuleError(f"derives {name}/{arity} but has no %! rule metadata", path, line)
        literal = str(first) if first is not None else ""
        if not (literal.startswith('"') and literal.endswith('"')):
            raise RuleError(f"the rule id in {name}(...) must be a string literal, not {literal}", path, line)
        if literal[1:-1] != rule.id:
            raise RuleError(f"derives {name} under {literal} but the file declares id {rule.id!r}", path, line)
    if rule is not None and not any((name, arity) in OUTPUT for name, arity, _, _ in scan.heads):
        raise RuleError(f'rule {rule.id} never derives violation("{rule.id}", ...)', path, rule.line)


def _ground_check(files: Sequence[Path]) -> None:
    """Ground the program once without records, so unsafe variables and the like
    are reported with their file and line before any record is checked."""
    messages: list[str] = []
    ctl = clingo.Control(["--warn=none"], logger=lambda _code, msg: messages.append(msg), message_limit=10)
    try:
        for file in files:
            ctl.load(str(file))
        ctl.ground([("base", [])])
    except RuntimeError:
        raise _clingo_error(messages) from None


# ------------------------------------------------------------------------- discovery


def builtin_pack_dirs() -> dict[str, Path]:
    root = logic_dir()
    found: dict[str, Path] = {}
    for folder in sorted(p for p in root.iterdir() if (p / "pack.toml").is_file()):
        found[_pack_name(folder)] = folder
    return found


def _pack_toml(folder: Path) -> dict[str, object]:
    path = folder / "pack.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"not valid TOML: {exc}", path) from None


def _pack_name(folder: Path) -> str:
    return str(_pack_toml(folder).get("name") or folder.name)


def resolve_selection(selection: Iterable[str] | None) -> list[Path]:
    """Pack folders for names and paths; ``None`` or empty means every built-in pack.
    Items may be comma-separated (``--rules opcs4,nice.htg3``)."""
    builtin = builtin_pack_dirs()
    names = [part.strip() for item in (selection or ()) for part in item.split(",") if part.strip()]
    if not names:
        return list(builtin.values())
    folders: list[Path] = []
    for name in names:
        if name in builtin:
            folder = builtin[name]
        elif Path(name).is_dir() and (Path(name) / "pack.toml").is_file():
            folder = Path(name).resolve()
        elif Path(name).is_dir():
            raise RuleError(f"{name} is a folder but not a rule pack: it has no pack.toml")
        else:
            raise RuleError(f"unknown rule pack {name!r} (built-in: {', '.join(builtin)}; or give a pack folder)")
        if folder not in folders:
            folders.append(folder)
    return folders


def load_pack(folder: Path) -> tuple[Pack, list[_Scan]]:
    meta_path = folder / "pack.toml"
    meta = _pack_toml(folder)
    name = str(meta.get("name") or folder.name)
    classifications, effective_from, effective_to = _pack_metadata(meta, meta_path)
    files = tuple(sorted(folder.glob("*.lp")))
    if not files:
        raise RuleError("the pack has no .lp files", folder)
    rules: list[Rule] = []
    scans: list[_Scan] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        header = read_header(path, text)
        rule = None
        if header and header[0] and set(header[0]) <= _HELPER_KEYS:
            equivalent_mutants(header[0], path, header[1])  # a helper's declarations only
        elif header:
            rule = _rule_from_header(header[0], path, header[1], name)
        scan = _scan(path, text)
        if scan.problems:
            message, line = scan.problems[0]
            raise RuleError(message, path, line)
        _check_heads(path, scan, rule)
        scans.append(scan)
        if rule:
            rules.append(rule)
    pack = Pack(
        name=name,
        title=str(meta.get("title", name)),
        version=str(meta.get("version", "0")),
        description=str(meta.get("description", "")).strip(),
        path=folder,
        rules=tuple(rules),
        files=files,
        classifications=classifications,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    return pack, scans


_PACK_KEYS = {"name", "title", "version", "description", "classifications", "effective"}


def _pack_metadata(meta: dict[str, object], path: Path) -> tuple[tuple[tuple[str, str], ...], str | None, str | None]:
    unknown = sorted(set(meta) - _PACK_KEYS)
    if unknown:
        raise RuleError(f"unknown pack metadata key(s) {', '.join(unknown)} (known: {', '.join(sorted(_PACK_KEYS))})", path, 1)
    classifications = meta.get("classifications", {})
    if not isinstance(classifications, dict) or not all(isinstance(v, str) for v in classifications.values()):
        raise RuleError('classifications must be a table of strings, e.g. {opcs = "OPCS-4.11"}', path, 1)
    effective = meta.get("effective", {})
    if not isinstance(effective, dict) or set(effective) - {"from", "to"}:
        raise RuleError("effective must be a table with from and/or to dates", path, 1)
    dates = []
    for key in ("from", "to"):
        value = effective.get(key)
        if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            raise RuleError(f"effective.{key} must be a date written YYYY-MM-DD, not {value!r}", path, 1)
        dates.append(str(value) if value is not None else None)
    return tuple(sorted((str(k), str(v)) for k, v in classifications.items())), dates[0], dates[1]


def library_files() -> tuple[Path, ...]:
    return tuple(sorted((logic_dir() / "lib").glob("*.lp")))


@cache
def _load_cached(folders: tuple[Path, ...]) -> RuleSet:
    packs: list[Pack] = []
    uses: list[AttributeUse] = []
    rules: dict[str, Rule] = {}
    lib = library_files()
    for path in lib:
        uses += _scan(path, path.read_text(encoding="utf-8")).attribute_uses
    for folder in folders:
        pack, scans = load_pack(folder)
        for rule in pack.rules:
            if rule.id in rules:
                first = rules[rule.id]
                where = f"{first.file}:{first.line}"
                raise RuleError(f"duplicate rule id {rule.id!r} (first declared at {where})", rule.file, rule.line)
            rules[rule.id] = rule
        for scan in scans:
            uses += scan.attribute_uses
        packs.append(pack)
    files = lib + tuple(f for pack in packs for f in pack.files)
    _ground_check(files)
    texts = {f: f.read_text(encoding="utf-8") for f in files}
    program = program_text(texts.items())
    applies_program, never_quiet = derive_applies(texts[f] for pack in packs for f in pack.files)
    return RuleSet(tuple(packs), rules, program, tuple(dict.fromkeys(uses)), files, applies_program, never_quiet)


def program_text(parts: Iterable[tuple[Path, str]]) -> str:
    """The program of a rule set: its files' texts in order, each under its path."""
    return "\n".join(f"% --- {path}\n{text}" for path, text in parts)


def load_rules(selection: Iterable[str] | None = None) -> RuleSet:
    """Load and validate the selected packs (all built-in packs by default), once per process."""
    return _load_cached(tuple(resolve_selection(selection)))
