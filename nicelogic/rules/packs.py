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
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from nicelogic.asp.applicability import derive as derive_applies
from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from nicelogic.errors import RuleError
from nicelogic.resources import logic_dir
from nicelogic.rules.metadata import Rule, equivalent_mutants, read_header, rule_from_header
from nicelogic.rules.program import AttributeUse, Scan, check_heads, ground_check, include_problem, scan_file
from nicelogic.rules.relations import RelationTable, read_table, relation_kinds

_HELPER_KEYS = frozenset({"equivalent-mutants"})  # the one key a helper file's header may hold


@dataclass(frozen=True, slots=True)
class Pack:
    name: str
    title: str
    version: str
    description: str
    path: Path
    rules: tuple[Rule, ...]
    files: tuple[Path, ...]  # every .lp file of the pack, rule files and helpers
    texts: tuple[str, ...] = ()  # their texts, read once when the pack loaded
    classifications: tuple[tuple[str, str], ...] = ()  # e.g. (("opcs", "OPCS-4.11"),)
    effective_from: str | None = None  # ISO dates: records dated outside are not judged
    effective_to: str | None = None
    relations: tuple[RelationTable, ...] = ()  # the tables of its relation rules, read once
    reads: str = "record"  # "patient": its rules read a patient's whole history (nicelogic.history)
    opt_in: bool = False  # loaded only when named (pack.toml opt-in = true), never by default

    def in_force(self, day: str | None) -> bool:
        """Whether a record of this date is judged by the pack (undated records always are)."""
        if day is None:
            return True
        after_start = self.effective_from is None or day >= self.effective_from
        before_end = self.effective_to is None or day <= self.effective_to
        return after_start and before_end


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
    texts: tuple[str, ...] = ()  # each file's text, read once, in the order of files (a table: its facts)
    relations: dict[str, RelationTable] = field(default_factory=dict)  # rule id -> its table

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


# ------------------------------------------------------------------------- discovery


DEFAULT = "default"  # in a selection, the packs every check loads when none are named


def builtin_pack_dirs() -> dict[str, Path]:
    """The built-in packs that judge one record at a time: those every check loads by default."""
    return {name: folder for name, folder in _all_builtin().items() if not reads_patients(folder) and not opt_in(folder)}


def opt_in_pack_dirs() -> dict[str, Path]:
    """The built-in packs that judge records but are loaded only when named (``opt-in = true``)."""
    return {name: folder for name, folder in _all_builtin().items() if not reads_patients(folder) and opt_in(folder)}


def named_pack_dirs() -> dict[str, Path]:
    """Every built-in pack a selection can name, the default ones first."""
    return {**builtin_pack_dirs(), **opt_in_pack_dirs(), **patient_pack_dirs()}


def patient_pack_dirs() -> dict[str, Path]:
    """The built-in packs whose rules read a patient's whole history (loaded when named)."""
    return {name: folder for name, folder in _all_builtin().items() if reads_patients(folder)}


def _all_builtin() -> dict[str, Path]:
    root = logic_dir()
    found: dict[str, Path] = {}
    for folder in sorted(p for p in root.iterdir() if (p / "pack.toml").is_file()):
        found[_pack_name(folder)] = folder
    return found


def reads_patients(folder: Path) -> bool:
    """Whether a pack declares that its rules read whole patients (``reads = "patient"``)."""
    return _pack_toml(folder).get("reads") == "patient"


def opt_in(folder: Path) -> bool:
    """Whether a pack is left out of the default selection (``opt-in = true``): a local audit
    list, say, whose warnings a user asks for by naming the pack."""
    return _pack_toml(folder).get("opt-in") is True


def _pack_toml(folder: Path) -> dict[str, object]:
    path = folder / "pack.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"not valid TOML: {exc}", path) from None


def _pack_name(folder: Path) -> str:
    return str(_pack_toml(folder).get("name") or folder.name)


def resolve_selection(selection: Iterable[str] | None) -> list[Path]:
    """Pack folders for names and paths; ``None`` or empty means the default selection (every
    built-in pack but the opt-in ones and those that read patients), and so does the name
    ``default`` among others (``--rules default,icd10.local``). Items may be comma-separated
    (``--rules opcs4,nice.htg3``)."""
    names = [part.strip() for item in (selection or ()) for part in item.split(",") if part.strip()]
    if not names:
        return list(builtin_pack_dirs().values())
    builtin = _all_builtin()
    folders: list[Path] = []
    for name in names:
        if name == DEFAULT:
            folders += [folder for folder in builtin_pack_dirs().values() if folder not in folders]
            continue
        if name in builtin:
            folder = builtin[name]
        elif Path(name).is_dir() and (Path(name) / "pack.toml").is_file():
            folder = Path(name).resolve()
        elif Path(name).is_dir():
            raise RuleError(f"{name} is a folder but not a rule pack: it has no pack.toml")
        else:
            raise RuleError(f"unknown rule pack {name!r} (built-in: {', '.join(builtin)}; {DEFAULT}; or give a pack folder)")
        if folder not in folders:
            folders.append(folder)
    return folders


def load_pack(folder: Path) -> tuple[Pack, list[Scan]]:
    meta_path = folder / "pack.toml"
    meta = _pack_toml(folder)
    name = str(meta.get("name") or folder.name)
    classifications, effective_from, effective_to = _pack_metadata(meta, meta_path)
    files = tuple(sorted(folder.glob("*.lp")))
    if not files:
        raise RuleError("the pack has no .lp files", folder)
    rules: list[Rule] = []
    scans: list[Scan] = []
    for path in files:
        _refuse_link_out(folder, path)
    texts = tuple(path.read_text(encoding="utf-8") for path in files)
    for path, text in zip(files, texts, strict=True):
        include = include_problem(text)
        if include is not None:
            raise RuleError("#include is refused: a pack's program is the .lp files in its folder", path, include)
        header = read_header(path, text)
        rule = None
        if header and header[0] and set(header[0]) <= _HELPER_KEYS:
            equivalent_mutants(header[0], path, header[1])  # a helper's declarations only
        elif header:
            rule = rule_from_header(header[0], path, header[1], name)
        scan = scan_file(path, text)
        if scan.problems:
            message, line = scan.problems[0]
            raise RuleError(message, path, line)
        check_heads(path, scan, rule)
        scans.append(scan)
        if rule:
            rules.append(rule)
    reads = str(meta.get("reads", "record"))
    for rule in rules:  # a kind judged across a patient's history has its generic rule only where patients are read
        if rule.relation is not None and relation_kinds()[rule.relation.kind].patient != (reads == "patient"):
            where = "packs that read whole patients" if reads != "patient" else "packs that read one record at a time"
            raise RuleError(f"relation kind {rule.relation.kind} is only for {where}", rule.file, rule.line)
    relations = _relation_tables(folder, rules)
    pack = Pack(
        name=name,
        title=str(meta.get("title", name)),
        version=str(meta.get("version", "0")),
        description=str(meta.get("description", "")).strip(),
        path=folder,
        rules=tuple(rules),
        files=files,
        texts=texts,
        classifications=classifications,
        effective_from=effective_from,
        effective_to=effective_to,
        relations=relations,
        reads=reads,
        opt_in=meta.get("opt-in") is True,
    )
    return pack, scans


def _refuse_link_out(folder: Path, path: Path) -> None:
    """A pack reads only its own folder: a file of it that links elsewhere is refused."""
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        raise RuleError(f"{path.name} links to {path.resolve()}, outside the pack: a pack reads only its own folder", path)


def _relation_tables(folder: Path, rules: list[Rule]) -> tuple[RelationTable, ...]:
    """The relation tables of a pack's rules, each file read once for all rules naming it."""
    by_file: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.relation is not None:
            by_file.setdefault(rule.relation.table, []).append(rule)
    tables = []
    for name, readers in by_file.items():
        first = readers[0]
        assert first.relation is not None
        for other in readers[1:]:
            if other.relation is not None and other.relation.sections != first.relation.sections:
                columns = ", ".join(f"{c} = {s}" for c, s in first.relation.sections)
                shared = f"rules sharing {name} must read it with the same columns and sections ({columns})"
                raise RuleError(shared, other.file, other.line)
        path = folder / name
        _refuse_link_out(folder, path)
        if not path.is_file():
            missing = f"rule {first.id} names the relation table {name}, which the pack does not have"
            raise RuleError(missing, first.file, first.line)
        ids = tuple((rule.id, rule.relation.kind) for rule in readers if rule.relation is not None)
        tables.append(read_table(ids, first.relation, path, path.read_text(encoding="utf-8")))
    return tuple(tables)


_PACK_KEYS = {"name", "title", "version", "description", "classifications", "effective", "reads", "opt-in"}


def _pack_metadata(meta: dict[str, object], path: Path) -> tuple[tuple[tuple[str, str], ...], str | None, str | None]:
    unknown = sorted(set(meta) - _PACK_KEYS)
    if unknown:
        raise RuleError(f"unknown pack metadata key(s) {', '.join(unknown)} (known: {', '.join(sorted(_PACK_KEYS))})", path, 1)
    if not isinstance(meta.get("opt-in", False), bool):
        raise RuleError("opt-in must be true (loaded only when named) or false (the default)", path, 1)
    if meta.get("reads", "record") not in ("record", "patient"):
        raise RuleError('reads must be "record" (the default) or "patient" (rules across a patient\'s history)', path, 1)
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


PATIENT_LIBRARY = "history.lp"  # the generic rules across a patient's history: loaded only with packs that read patients


def library_files(patients: bool = True) -> tuple[Path, ...]:
    """The shared definitions of ``logic/lib``; without ``patients``, those of one record only
    (so that record checks do not ground, nor completions draw candidates from, rules that
    judge whole patients)."""
    return tuple(sorted(p for p in (logic_dir() / "lib").glob("*.lp") if patients or p.name != PATIENT_LIBRARY))


@cache
def _load_cached(folders: tuple[Path, ...], time_limit: float | None, memory_limit: int | None) -> RuleSet:
    packs: list[Pack] = []
    uses: list[AttributeUse] = []
    rules: dict[str, Rule] = {}
    lib = library_files(patients=any(reads_patients(folder) for folder in folders))
    texts = {path: path.read_text(encoding="utf-8") for path in lib}
    for path, text in texts.items():
        uses += scan_file(path, text).attribute_uses
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
        texts.update(zip(pack.files, pack.texts, strict=True))
        texts.update((table.path, table.facts()) for table in pack.relations)
    files = lib + tuple(f for pack in packs for f in (*pack.files, *(table.path for table in pack.relations)))
    # a pack from elsewhere may ground without end even without records: in a bounded worker
    shipped = logic_dir().resolve()
    vetted = all(folder.resolve().is_relative_to(shipped) for folder in folders)
    limits = None if vetted else (time_limit, memory_limit)
    ground_check([(f, texts[f]) for f in files], library=len(lib), limits=limits)
    program = program_text(texts.items())
    applies_program, never_quiet = derive_applies(text for pack in packs for text in pack.texts)
    relations = {rule: table for pack in packs for table in pack.relations for rule, _ in table.rules}
    return RuleSet(
        tuple(packs), rules, program, tuple(dict.fromkeys(uses)), files, applies_program, never_quiet,
        tuple(texts[f] for f in files), relations,
    )  # fmt: skip


def program_text(parts: Iterable[tuple[Path, str]]) -> str:
    """The program of a rule set: its files' texts in order, each under its path."""
    return "\n".join(f"% --- {path}\n{text}" for path, text in parts)


def load_folders(
    folders: Iterable[Path], *, time_limit: float | None = DEFAULT_TIME_LIMIT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT
) -> RuleSet:
    """Load exactly these pack folders (none: the shared library alone), once per process."""
    return _load_cached(tuple(folders), time_limit, memory_limit)


def load_rules(
    selection: Iterable[str] | None = None,
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> RuleSet:
    """Load and validate the selected packs (all built-in packs by default), once per
    process. Packs other than the built-in ones are grounded once without records within
    the limits (seconds, bytes), in a worker process."""
    return _load_cached(tuple(resolve_selection(selection)), time_limit, memory_limit)
