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
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._version import __version__
from .catalogue import catalogue, extended_categories_markdown, markdown, pack_line, packs_info
from .checker import Checker
from .model import System
from .packs import RuleError, load_rules
from .readers import INPUT_FORMATS, InputError
from .report import FORMATS, make_reporter
from .results import RecordResult, SummaryCounter, exit_code
from .tables import OPCS_ATTRIBUTION, TableConfig, load_tables

USAGE_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"nicelogic: {message}", err=True)
    sys.exit(USAGE_ERROR)


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
        help="Rule pack name or folder; repeat or comma-separate (default: every built-in pack).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__,
    "--version",
    "-V",
    prog_name="nicelogic",
    message=f"%(prog)s, version %(version)s\nOPCS-4.11 (NHS England, November 2025 release). {OPCS_ATTRIBUTION}",
)
def main() -> None:
    """Check clinical code sequences (OPCS-4, ICD-10, CPT) against coding guidance."""


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILES|-")
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to FILE instead of standard output.")
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
@click.option("--color/--no-color", default=None, help="Force or disable colour (default: when writing to a terminal).")
@click.option("--progress/--no-progress", default=None, help="Progress on standard error (default: when it is a terminal).")
@click.option("--explain", is_flag=True, help="With each violation: the rule, the facts it read and the guidance it encodes.")
def check(
    files: tuple[str, ...],
    rules: tuple[str, ...],
    fmt: str,
    output: str | None,
    system: str,
    input_format: str,
    id_column: str | None,
    jobs: int,
    opcs_file: Path | None,
    icd10_file: Path | None,
    ncci_dir: Path | None,
    ncci_setting: str,
    fail_on_warning: bool,
    color: bool | None,
    progress: bool | None,
    explain: bool,
) -> None:
    """Check every record in FILES (text, CSV/TSV extracts, JSON Lines; - for standard input)."""
    for path in files:
        if path != "-" and not os.path.isfile(path):
            _fail(f"cannot read {path}: no such file")
    if files.count("-") > 1:
        _fail("standard input (-) can be read only once")
    try:
        tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
        checker = Checker(rules or None, tables=tables, explain=explain, jobs=jobs or None)
    except RuleError as exc:
        _fail(f"rule pack error: {exc}")
        return
    except InputError as exc:
        _fail(str(exc))
        return
    counter = SummaryCounter()
    with ExitStack() as stack:
        out: IO[str] = sys.stdout
        if output:
            out = stack.enter_context(open(output, "w", encoding="utf-8", newline=""))
        reporter = make_reporter(fmt, out, dict(checker.rules), color)
        results = checker.check_files(
            list(files), input_format=input_format, system=System.from_name(system), id_column=id_column
        )
        show_progress = progress if progress is not None else sys.stderr.isatty()
        try:
            for result in _with_progress(results, show_progress):
                counter.add(result)
                reporter.add(result)
        except InputError as exc:
            _fail(str(exc))
        except RuleError as exc:
            _fail(f"rule pack error: {exc}")
        summary = counter.summary()
        reporter.finish(summary)
    if fmt != "text" and output is None and sys.stderr.isatty():
        click.echo(
            f"{summary.records} records: {summary.valid} valid, {summary.invalid} invalid, {summary.rejected} rejected", err=True
        )
    sys.exit(exit_code(summary, fail_on_warning))


def _with_progress(results: Iterator[RecordResult], show: bool) -> Iterator[RecordResult]:
    if not show:
        yield from results
        return
    columns = (
        SpinnerColumn(),
        TextColumn("checking"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("check", total=None)
        for count, result in enumerate(results, start=1):
            if count % 1000 == 0:
                bar.update(task, completed=count)
            yield result


@main.command(name="rules")
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules_command(rules: tuple[str, ...], fmt: str) -> None:
    """List the rule catalogue: id, severity, title and source of every rule."""
    try:
        ruleset = load_rules(rules or None)
    except RuleError as exc:
        _fail(f"rule pack error: {exc}")
        return
    if fmt == "json":
        click.echo(json.dumps({"packs": packs_info(ruleset), "rules": catalogue(ruleset)}, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(markdown(ruleset), nl=False)
    else:
        packs = Table(show_lines=False, header_style="bold")
        for column in ("pack", "title", "metadata"):
            packs.add_column(column, overflow="fold")
        for pack in ruleset.packs:
            packs.add_row(pack.name, pack.title, pack_line(pack))
        Console(soft_wrap=False).print(packs)
        table = Table(show_lines=False, header_style="bold")
        for column in ("id", "severity", "title", "source"):
            table.add_column(column, overflow="fold")
        for row in catalogue(ruleset):
            table.add_row(row["id"], row["severity"], row["title"], row["source"])
        Console(soft_wrap=False).print(table)


@main.command()
@_table_options
@click.option("--extended-categories", is_flag=True, help="Print the OPCS-4 extended/principal category pairs (markdown).")
def info(
    opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str, extended_categories: bool
) -> None:
    """Versions, built-in packs, loaded code tables and their attributions."""
    import clingo
    import lark

    ruleset = load_rules()
    try:
        tables = load_tables(_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    except InputError as exc:
        _fail(str(exc))
        return
    if extended_categories:
        click.echo(extended_categories_markdown(tables.opcs), nl=False)
        return
    click.echo(f"nicelogic {__version__} (clingo {clingo.__version__}, lark {lark.__version__})")
    click.echo("built-in packs: " + ", ".join(f"{p.name} {p.version} ({len(p.rules)} rules)" for p in ruleset.packs))
    for line in tables.describe():
        click.echo(line)


# ----------------------------------------------------------------------- completions


def _records_arg(records: tuple[str, ...], file: str | None, system: str) -> list[str]:
    from .readers import read_lines

    items = list(records)
    if file:
        for line in read_lines(file, "auto", System.from_name(system)):
            text = getattr(line, "text", None)
            if text is None:  # a CSV row: rewrite it as text
                text = line.input_line().text  # type: ignore[union-attr]
            record_id = getattr(line, "id", None)
            items.append(text if not record_id or ":" in text.split(";")[0] else f"{record_id}: {text}")
    if not items:
        _fail('give a record ("opcs V44.4") or --file FILE')
    return items


def _completer(rules: tuple[str, ...], max_add: int, candidates: tuple[str, ...], tables: TableConfig):  # type: ignore[no-untyped-def]
    from .complete import Completer

    try:
        return Completer(Checker(rules or None, tables=tables), max_add=max_add, extra_candidates=candidates)
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
    from .report.completions import consequences_text, report_text

    completer = _completer(rules, max_add, _split(candidates), _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    found_all = True
    outputs = []
    for text in _records_arg(records, file, system):
        record = _parse_or_fail(completer, text, system)
        if may or must:
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
    from .report.completions import repair_text

    completer = _completer(rules, max_add, _split(candidates), _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    outputs = []
    repaired_all = True
    for text in _records_arg(records, file, system):
        report = completer.repair(_parse_or_fail(completer, text, system), limit=limit, count_limit=count_limit)
        repaired_all &= report.count > 0 or not report.violations
        outputs.append((report, repair_text(report)))
    _emit(outputs, fmt)
    sys.exit(0 if repaired_all else 1)


def _parse_or_fail(completer, text: str, system: str):  # type: ignore[no-untyped-def]
    try:
        return completer.parse(text, System.from_name(system))
    except ValueError as exc:
        _fail(f"{text!r}: {exc}")


def _emit(outputs: list, fmt: str) -> None:  # type: ignore[type-arg]
    from .report.completions import report_dict

    if fmt == "json":
        documents = [report_dict(result) for result, _ in outputs]
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
    from .cases import CaseError
    from .report import tests as report
    from .testing import run_tests

    if mutate or mutation_threshold is not None:
        from .mutation_run import run_mutation
        from .report.mutation import render

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
    from .lint import lint

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
    from .scaffold import new_pack

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
