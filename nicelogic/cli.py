"""The ``nicelogic`` command line.

Exit codes: 0 every record valid, 1 some record invalid or rejected, 2 usage error,
unreadable input or an unusable rule pack.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import chain
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from click.shell_completion import CompletionItem, get_completion_class
from rich.table import Table

from nicelogic._version import __version__
from nicelogic.check.checker import Checker
from nicelogic.config import Config, find_config, load_config
from nicelogic.errors import ConfigError, InputError, RuleError
from nicelogic.input.grammar import RecordParser
from nicelogic.input.items import InputLine, Rejected
from nicelogic.input.read import INPUT_FORMATS, ReadPosition, read_lines
from nicelogic.input.records import to_record
from nicelogic.input.tabular import TableRow
from nicelogic.input.text import line_item
from nicelogic.model import Record, System
from nicelogic.report import FORMATS, Reporter, make_reporter
from nicelogic.report.completions import consequences_text, rejected_dict, rejected_text, repair_text, report_dict, report_text
from nicelogic.report.statistics import StatisticsReporter
from nicelogic.report.terminal import COLOR_CHOICES, check_progress, console, force_color
from nicelogic.report.text import TextReporter, summary_line
from nicelogic.results import RecordResult, SummaryCounter, exit_code
from nicelogic.rules.catalogue import catalogue, extended_categories_markdown, markdown, pack_line, packs_info
from nicelogic.rules.packs import builtin_pack_dirs, load_rules
from nicelogic.rules.selectors import split_selectors
from nicelogic.tables import TableConfig, load_tables
from nicelogic.tables.opcs import OPCS_ATTRIBUTION

USAGE_ERROR = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"nicelogic: {message}", err=True)
    sys.exit(USAGE_ERROR)


def _warn(message: str) -> None:
    click.echo(f"nicelogic: warning: {message}", err=True)


def _complete_packs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of --rules: built-in pack names, after any comma-separated ones."""
    done, _, partial = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [CompletionItem(prefix + name) for name in builtin_pack_dirs() if name.startswith(partial)]


def _table_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.option("--opcs-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="OPCS-4 release file (NHS XML format) instead of the shipped OPCS-4.11."),
        click.option("--icd10-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Your UK ICD-10 5th Edition release file (adds UK codes, usage, sex and age limits)."),
        click.option("--ncci-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Folder of CMS NCCI quarterly files (AOC, PTP, MUE) instead of the shipped subsets."),
        click.option("--ncci-setting", type=click.Choice(["practitioner", "outpatient"]), default="practitioner",
                     show_default=True, help="Which NCCI files to use when the folder holds both."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def _table_config(opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str) -> TableConfig:
    return TableConfig(opcs_file, icd10_file, ncci_dir, ncci_setting)


def _rules_option(function):  # type: ignore[no-untyped-def]
    return click.option(
        "--rules",
        "-r",
        "rules",
        multiple=True,
        metavar="PACK",
        shell_complete=_complete_packs,
        help="Rule pack name or folder; repeat or comma-separate (default: every built-in pack).",
    )(function)


def _color_option(function):  # type: ignore[no-untyped-def]
    function = click.option(
        "--color",
        type=click.Choice(COLOR_CHOICES),
        default="auto",
        show_default=True,
        is_flag=False,
        flag_value="always",
        help="Colour: auto follows the terminal and NO_COLOR / FORCE_COLOR.",
    )(function)
    return click.option("--no-color", "color", flag_value="never", hidden=True)(function)


def _selected_packs(rules: tuple[str, ...]) -> list[str] | None:
    """--rules as given; an empty value is almost always a shell variable that was unset."""
    if rules and not split_selectors(rules):
        _warn(f"--rules {' '.join(repr(r) for r in rules)} names no pack: every built-in pack is used")
    return list(rules) or None


def _long_options(command: click.Command) -> dict[str, str]:
    """Each option's long name without dashes (``opcs-file``) to its parameter name."""
    names: dict[str, str] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name and not param.hidden:
            for opt in param.opts:
                if opt.startswith("--"):
                    names[opt[2:]] = param.name
    return names


def _configured_defaults(commands: dict[str, click.Command], config: Config) -> dict[str, dict[str, Any]]:
    defaults: dict[str, dict[str, Any]] = {}
    for name, command in commands.items():
        params = {p.name: p for p in command.params if p.name}
        chosen = config.for_command(name, _long_options(command))
        for key, value in chosen.items():
            if params[key].multiple and isinstance(value, str):
                chosen[key] = [value]
        defaults[name] = chosen
    return defaults


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__,
    "--version",
    "-V",
    prog_name="nicelogic",
    message=f"%(prog)s, version %(version)s\nOPCS-4.11 (NHS England, November 2025 release). {OPCS_ATTRIBUTION}",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Configuration file (default: nicelogic.toml or [tool.nicelogic] in pyproject.toml, found upwards from here).",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, isolated: bool) -> None:
    """Check clinical code sequences (OPCS-4, ICD-10, CPT) against coding guidance."""
    try:
        config = Config() if isolated else (load_config(config_path) if config_path else find_config())
        options = {name: list(_long_options(command)) for name, command in main.commands.items()}
        for key in config.unknown_keys(options):
            _warn(f"{config.path}: unknown option {key!r} (ignored)")
        ctx.default_map = _configured_defaults(main.commands, config)
    except ConfigError as exc:
        _fail(str(exc))
    ctx.obj = config


@main.command()
@click.argument("files", nargs=-1, metavar="FILES|-", type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--record", "records", multiple=True, metavar="RECORD",
              help='A record to check, written as one line ("ep1: opcs V44.4 V55.1"); repeatable.')  # fmt: skip
@_rules_option
@click.option("--select", multiple=True, metavar="RULE",
              help="Report only these rules (ids, packs or id prefixes; comma-separate).")  # fmt: skip
@click.option("--ignore", multiple=True, metavar="RULE",
              help="Do not report these rules (ids, packs or id prefixes, e.g. nice.).")  # fmt: skip
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option(
    "--system",
    type=click.Choice(["opcs", "opcs4", "icd", "icd10", "cpt"]),
    default="opcs",
    show_default=True,
    help="Coding system of text sections written without a keyword.",
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="Input format (auto: by file extension).",
)
@click.option("--id-column", metavar="NAME", help="Record id column of CSV/TSV input (default EPIKEY, else the line number).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes for large inputs (0: one per core).")
@_table_options
@click.option("--fail-on-warning", is_flag=True, help="Exit 1 when any warning is reported, too.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when records are invalid or rejected (2 still means unusable).")
@click.option("--statistics", is_flag=True, help="A count of violations per rule, most frequent first, instead of each one.")
@click.option("--quiet", "-q", is_flag=True, help="Violations only: no summary, progress or notes.")
@_color_option
@click.option("--progress/--no-progress", default=None, help="Progress on standard error (default: when it is a terminal).")
@click.option("--explain", is_flag=True, help="With each violation: the rule, the facts it read and the guidance it encodes.")
def check(
    files: tuple[str, ...], records: tuple[str, ...], rules: tuple[str, ...], select: tuple[str, ...],
    ignore: tuple[str, ...], fmt: str, output: str | None, system: str, input_format: str, id_column: str | None,
    jobs: int, opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    fail_on_warning: bool, exit_zero: bool, statistics: bool, quiet: bool, color: str, progress: bool | None,
    explain: bool,
) -> None:  # fmt: skip
    """Check every record in FILES (text, CSV/TSV extracts, JSON Lines; - for standard input)."""
    _check_inputs(files, records, output)
    if statistics and fmt != "text":
        _fail("--statistics is a text summary; the other formats carry the count per rule in their summary")
    try:
        tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
        checker = Checker(_selected_packs(rules), tables=tables, explain=explain, jobs=jobs or None, select=select, ignore=ignore)
    except RuleError as exc:
        _fail(f"rule pack error: {exc}")
    except (InputError, ValueError) as exc:
        _fail(str(exc))
    position = ReadPosition(files)
    show_progress = not quiet and (progress if progress is not None else sys.stderr.isatty())
    counter = SummaryCounter()
    ids = _IdWatch(id_column)
    items = chain(_record_items(records, System.from_name(system)), position.track(
        line for path in files
        for line in read_lines(path, input_format, System.from_name(system), id_column, position)
    ))  # fmt: skip
    with ExitStack() as stack:
        bar = stack.enter_context(check_progress(show_progress, position, color, results_here=output is None))
        out: IO[str] = bar.out or sys.stdout
        if output:
            out = stack.enter_context(_open_output(output))
        if statistics:
            reporter: Reporter = StatisticsReporter(out, dict(checker.rules), force_color(color), quiet=quiet)
        elif fmt == "text":
            reporter = TextReporter(out, dict(checker.rules), force_color(color), quiet=quiet)
        else:
            reporter = make_reporter(fmt, out, dict(checker.rules), force_color(color))
        try:
            for result in bar.follow(checker.check_items(items)):
                counter.add(result)
                ids.add(result)
                reporter.add(result)
        except InputError as exc:
            _fail(str(exc))
        except RuleError as exc:
            _fail(f"rule pack error: {exc}")
        summary = counter.summary()
        reporter.finish(summary)
    if not quiet:
        for warning in ids.warnings():
            _warn(warning)
        if output is not None or (fmt != "text" and sys.stderr.isatty()):
            click.echo(summary_line(summary), err=True)
    sys.exit(0 if exit_zero else exit_code(summary, fail_on_warning))


def _check_inputs(files: tuple[str, ...], records: tuple[str, ...], output: str | None) -> None:
    if not files and not records:
        _fail("give FILES to check (- for standard input) or --record RECORD")
    for path in files:
        if path != "-" and os.path.isdir(path):
            _fail(f"cannot read {path}: it is a folder (give the files in it)")
        if path != "-" and not os.path.isfile(path):
            _fail(f"cannot read {path}: no such file")
    if files.count("-") > 1:
        _fail("standard input (-) can be read only once")
    if output is not None:
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            _fail(f"cannot write {output}: the folder {folder} does not exist")
        for path in files:
            if path != "-" and os.path.exists(output) and os.path.samefile(path, output):
                _fail(f"--output {output} is also an input: it would be overwritten before it is read")


def _open_output(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")


def _record_items(records: tuple[str, ...], system: System) -> Iterator[InputLine]:
    for number, text in enumerate(records, start=1):
        item = line_item(text, "<record>", number, system)
        if item is None:
            _fail(f"--record {text!r} holds no record (it is blank or a comment)")
        yield item


class _IdWatch:
    """Notices record ids given to more than one record of an input: results are ambiguous.

    Only a hash of each id is kept, so that a national extract's ids fit in memory.
    """

    _SHOWN = 5

    def __init__(self, id_column: str | None) -> None:
        self.id_column = id_column
        self._seen: set[int] = set()
        self._repeats: list[str] = []
        self._count = 0

    def add(self, result: RecordResult) -> None:
        key = hash((result.source, result.id))
        if key in self._seen:
            self._count += 1
            if len(self._repeats) < self._SHOWN:
                self._repeats.append(f"{result.id!r} ({result.source}:{result.line})")
        else:
            self._seen.add(key)

    def warnings(self) -> list[str]:
        if not self._count:
            return []
        what = f"the id column {self.id_column!r} does not hold unique ids" if self.id_column else "record ids repeat"
        more = f" and {self._count - len(self._repeats)} more" if self._count > len(self._repeats) else ""
        return [f"{what}: {self._count} record(s) reuse an earlier id, e.g. {', '.join(self._repeats)}{more}"]


@main.command(name="rules")
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "tsv", "json", "markdown"]), default="text", show_default=True,
              help="text: a table on a terminal, tab-separated rows into a pipe or file.")  # fmt: skip
@_color_option
def rules_command(rules: tuple[str, ...], fmt: str, color: str) -> None:
    """List the rule catalogue: id, severity, title and source of every rule."""
    try:
        ruleset = load_rules(_selected_packs(rules))
    except RuleError as exc:
        _fail(f"rule pack error: {exc}")
    terminal = console(color=color)
    if fmt == "json":
        click.echo(json.dumps({"packs": packs_info(ruleset), "rules": catalogue(ruleset)}, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(markdown(ruleset), nl=False)
    elif fmt == "tsv" or not terminal.is_terminal:
        # a pipe gets whole rows, never a table wrapped to a width it does not have
        click.echo("id\tseverity\tpack\ttitle\tsource")
        for row in catalogue(ruleset):
            click.echo("\t".join(" ".join(str(row[key]).split()) for key in ("id", "severity", "pack", "title", "source")))
    else:
        packs = Table(show_lines=False, header_style="bold")
        for column in ("pack", "title", "metadata"):
            packs.add_column(column, overflow="fold")
        for pack in ruleset.packs:
            packs.add_row(pack.name, pack.title, pack_line(pack))
        terminal.print(packs)
        table = Table(show_lines=False, header_style="bold")
        for column in ("id", "severity", "title", "source"):
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for row in catalogue(ruleset):
            table.add_row(row["id"], row["severity"], row["title"], row["source"])
        terminal.print(table)


@main.command()
@_table_options
@click.option("--extended-categories", is_flag=True, help="Print the OPCS-4 extended/principal category pairs (markdown).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def info(
    config: Config, opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    extended_categories: bool, fmt: str,
) -> None:  # fmt: skip
    """Versions, built-in packs, loaded code tables, configuration file and attributions."""
    import clingo
    import lark

    ruleset = load_rules()
    try:
        tables = load_tables(_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    except InputError as exc:
        _fail(str(exc))
    if extended_categories:
        click.echo(extended_categories_markdown(tables.opcs), nl=False)
        return
    config_file = str(config.path) if config.path else None
    if fmt == "json":
        document = {
            "nicelogic": __version__, "clingo": clingo.__version__, "lark": lark.__version__,
            "config": config_file, "packs": packs_info(ruleset), "tables": tables.versions(),
        }  # fmt: skip
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"nicelogic {__version__} (clingo {clingo.__version__}, lark {lark.__version__})")
    click.echo(f"configuration: {config_file or 'none found (defaults)'}")
    click.echo("built-in packs: " + ", ".join(f"{p.name} {p.version} ({len(p.rules)} rules)" for p in ruleset.packs))
    for line in tables.describe():
        click.echo(line)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL (e.g. eval "$(nicelogic completion bash)")."""
    completer = get_completion_class(shell)
    assert completer is not None
    click.echo(completer(main, {}, "nicelogic", "_NICELOGIC_COMPLETE").source())


# ----------------------------------------------------------------------- completions


def _partial_records(records: tuple[str, ...], file: str | None, system: str) -> list[Record | Rejected]:
    """Records given as arguments and in --file, each read as ``check`` reads it (keeping
    its id, sex, age, date and waivers), or rejected with its reason."""
    default = System.from_name(system)
    items: list[InputLine | TableRow] = []
    for number, text in enumerate(records, start=1):
        item = line_item(text, "<record>", number, default)
        if item is None:
            _fail(f"{text!r} holds no record (it is blank or a comment)")
        items.append(item)
    if file:
        try:
            items += read_lines(file, "auto", default)
        except InputError as exc:
            _fail(str(exc))
    if not items:
        _fail('give a record ("opcs V44.4") or --file FILE')
    parser = RecordParser()
    return [to_record(item, parser) for item in items]


def _completer(rules: tuple[str, ...], max_add: int, candidates: tuple[str, ...], tables: TableConfig):  # type: ignore[no-untyped-def]
    from nicelogic.complete.completer import Completer

    try:
        return Completer(Checker(_selected_packs(rules), tables=tables), max_add=max_add, extra_candidates=candidates)
    except RuleError as exc:
        _fail(f"rule pack error: {exc}")
    except InputError as exc:
        _fail(str(exc))


def _completion_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.argument("records", nargs=-1, metavar="RECORD..."),
        click.option("--file", type=click.Path(exists=True, dir_okay=False),
                     help="Partial records, one per line (text or JSON Lines)."),
        click.option("--max-add", type=click.IntRange(0, 12), default=4, show_default=True,
                     help="At most this many codes are added."),
        click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many to print."),
        click.option("--count-limit", type=click.IntRange(min=1), default=2000, show_default=True,
                     help="Stop counting there and report N+."),
        click.option("--candidates", multiple=True, metavar="CODES",
                     help="Extra categories, codes or OPCS-4 chapter letters that may be added (comma-separated)."),
        click.option("--system", type=click.Choice(["opcs", "opcs4", "icd", "icd10", "cpt"]), default="opcs", show_default=True),
        click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return _rules_option(_table_options(function))


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@main.command()
@_completion_options
@click.option("--minimal", is_flag=True, help="Only the completions that add the fewest codes.")
@click.option(
    "--grouped/--concrete",
    default=None,
    help="Templates (V55.-) or concrete codes (default: grouped for text, concrete for json).",
)
@click.option("--may", is_flag=True, help="The codes that appear in some valid completion.")
@click.option("--must", is_flag=True, help="The codes that appear in every valid completion.")
def complete(
    records: tuple[str, ...], file: str | None, max_add: int, limit: int, count_limit: int, candidates: tuple[str, ...],
    system: str, fmt: str, rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str, minimal: bool, grouped: bool | None, may: bool, must: bool,
) -> None:  # fmt: skip
    """Valid completions of partial records (RECORD like "opcs V44.4" or "ep1: V44.4; icd M80.0")."""

    completer = _completer(rules, max_add, _split(candidates), _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    found_all = True
    outputs: list[tuple[Any, str]] = []
    for record in _partial_records(records, file, system):
        if isinstance(record, Rejected):
            found_all = False
            outputs.append((record, rejected_text(record)))
        elif may or must:
            result = completer.consequences(record, minimal=minimal)
            found_all &= result.conflict is None
            outputs.append((result, consequences_text(result, may, must)))
        else:
            view = grouped if grouped is not None else fmt == "text"
            report = completer.complete(record, minimal=minimal, grouped=view, limit=limit, count_limit=count_limit)
            found_all &= report.count > 0
            outputs.append((report, report_text(report)))
    _emit(outputs, fmt)
    sys.exit(0 if found_all else 1)


@main.command()
@_completion_options
def repair(
    records: tuple[str, ...], file: str | None, max_add: int, limit: int, count_limit: int, candidates: tuple[str, ...],
    system: str, fmt: str, rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str,
) -> None:  # fmt: skip
    """The smallest edits (insert, delete, move, replace by a sibling code) that make records valid."""
    completer = _completer(rules, max_add, _split(candidates), _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    outputs: list[tuple[Any, str]] = []
    repaired_all = True
    for record in _partial_records(records, file, system):
        if isinstance(record, Rejected):
            repaired_all = False
            outputs.append((record, rejected_text(record)))
            continue
        report = completer.repair(record, limit=limit, count_limit=count_limit)
        repaired_all &= report.count > 0 or not report.violations
        outputs.append((report, repair_text(report)))
    _emit(outputs, fmt)
    sys.exit(0 if repaired_all else 1)


def _emit(outputs: list[tuple[Any, str]], fmt: str) -> None:
    if fmt == "json":
        documents = [rejected_dict(result) if isinstance(result, Rejected) else report_dict(result) for result, _ in outputs]
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(text for _, text in outputs))


# ----------------------------------------------------------------------- rule authors


@main.command(name="test")
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@_rules_option
@_table_options
@click.option("-k", "pattern", metavar="TEXT", help="Only cases whose file:line or record contains TEXT.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "junit", "tap"]), default="text", show_default=True)
@click.option("--coverage", is_flag=True, help="Report which rules fire and stay quiet in some case.")
@click.option("--coverage-threshold", type=click.FloatRange(0, 100), help="Fail below this rule coverage (percent).")
@click.option("--strict", is_flag=True, help="Fail on any violation a case does not expect.")
@click.option("--verbose", "-v", is_flag=True, help="List passing cases too.")
@click.option("--mutate", is_flag=True, help="Run the cases against mutants of the packs' rules and list the survivors.")
@click.option("--mutation-threshold", type=click.FloatRange(0, 100),
              help="Fail when a pack's mutation score is below this (percent); implies --mutate.")  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(1), help="Worker processes for --mutate (default: one per core).")
def test_command(
    paths: tuple[str, ...], rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str, pattern: str | None, fmt: str, coverage: bool, coverage_threshold: float | None, strict: bool,
    verbose: bool, mutate: bool, mutation_threshold: float | None, jobs: int | None,
) -> None:  # fmt: skip
    """Run annotated record files (default: the tests/ folders of the packs)."""
    from nicelogic.authoring.testing import run_tests
    from nicelogic.errors import CaseError
    from nicelogic.report import tests as report

    if mutate or mutation_threshold is not None:
        from nicelogic.authoring.mutation_run import run_mutation
        from nicelogic.report.mutation import render

        if fmt == "tap":
            _fail("--mutate writes text, json or junit")
        try:
            tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
            mutation = run_mutation(paths, rules=rules or None, pattern=pattern, tables=tables, jobs=jobs, strict=strict)
        except (CaseError, RuleError, InputError) as exc:
            _fail(str(exc))
            return
        click.echo(render(mutation, fmt, verbose))
        sys.exit(0 if mutation.ok(mutation_threshold) else 1)

    try:
        run = run_tests(
            paths,
            rules=rules or None,
            pattern=pattern,
            tables=_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting),
            strict=strict,
        )
    except (CaseError, RuleError, InputError) as exc:
        _fail(str(exc))
        return
    output = {"json": report.as_json, "junit": report.junit, "tap": report.tap}.get(fmt)
    click.echo(output(run) if output else report.text(run, verbose, coverage or coverage_threshold is not None))
    sys.exit(0 if run.ok(coverage_threshold) else 1)


@main.command(name="lint")
@click.argument("packs", nargs=-1, metavar="[PACK]...")
@_table_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Errors only, without the information on ranges.")
def lint_command(
    packs: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    fmt: str, quiet: bool,
) -> None:  # fmt: skip
    """Find what silently breaks rule packs (default: every built-in pack)."""
    from nicelogic.authoring.lint import lint

    try:
        findings = lint(packs or None, _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    except (RuleError, InputError) as exc:
        _fail(str(exc))
        return
    shown = [f for f in findings if not (quiet and f.level != "error")]
    errors = sum(f.level == "error" for f in findings)
    if fmt == "json":
        click.echo(json.dumps([dataclasses.asdict(f) for f in shown], indent=2))
    else:
        for finding in shown:
            click.echo(str(finding))
        notes = len(findings) - errors
        click.echo(f"{errors} error{'s' if errors != 1 else ''}, {notes} note{'s' if notes != 1 else ''}")
    sys.exit(1 if errors else 0)


@main.command(name="new-pack")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def new_pack_command(folder: Path) -> None:
    """Scaffold a rule pack in FOLDER (its name is the pack's): metadata, a rule, its tests."""
    from nicelogic.rules.scaffold import new_pack

    try:
        written = new_pack(folder)
    except RuleError as exc:
        _fail(str(exc))
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: nicelogic test {folder} --coverage && nicelogic lint {folder}")


if __name__ == "__main__":  # pragma: no cover
    main()
