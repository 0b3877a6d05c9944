"""The ``nicelogic`` command line: options wired to the functions of ``nicelogic.commands``
and the packages below it. Long because each command's options are declared here, with
their help, and nothing else: what a command does lives in those functions.

Exit codes: 0 every record valid, 1 some record invalid or rejected, 2 usage error,
unreadable input or an unusable rule pack.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem, get_completion_class

from nicelogic._version import __version__
from nicelogic.audit.methods import DEFAULT_METHOD as DEFAULT_AUDIT_METHOD
from nicelogic.audit.methods import METHODS as AUDIT_METHODS
from nicelogic.checking.checker import DEFAULT_MEMORY_LIMIT, Checker
from nicelogic.checking.checker import DEFAULT_TIME_LIMIT as DEFAULT_BATCH_SECONDS
from nicelogic.commands.check import CheckRequest, patient_records, run_check, validate
from nicelogic.commands.complete import Answers, complete_records, partial_records, repair_records
from nicelogic.complete import Completer
from nicelogic.complete.solving import DEFAULT_TIME_LIMIT
from nicelogic.config import Config, find_config, load_config
from nicelogic.errors import CaseError, ConfigError, InputError, RuleError, UsageError
from nicelogic.history.checker import PatientChecker
from nicelogic.history.spells import SPELL_METHODS
from nicelogic.input.episodes import EpisodeColumns
from nicelogic.input.grammar import RecordParser
from nicelogic.input.read import INPUT_FORMATS, read_inputs
from nicelogic.input.records import MAX_CODES, to_record
from nicelogic.model import SYSTEM_KEYWORDS, Record, System
from nicelogic.report import FORMATS
from nicelogic.report.listings import info_text, lint_json, lint_text, print_rules, rules_json, rules_tsv
from nicelogic.report.terminal import COLOR_CHOICES, console
from nicelogic.report.text import summary_line
from nicelogic.research.units import UNIT_BYTES
from nicelogic.rules.catalogue import extended_categories_markdown, markdown, packs_info
from nicelogic.rules.packs import DEFAULT, load_rules, named_pack_dirs, opt_in_pack_dirs, patient_pack_dirs
from nicelogic.rules.selectors import split_selectors
from nicelogic.service import settings as service_defaults  # plain values: no need of the serve extra
from nicelogic.tables import TableConfig, load_tables, parse_table_option
from nicelogic.tables.opcs import OPCS_ATTRIBUTION

USAGE_ERROR = 2
INTERRUPTED = 128 + signal.SIGINT  # the shell's convention: 130
TERMINATED = 128 + signal.SIGTERM  # 143


class _Terminated(BaseException):
    """SIGTERM, raised where the run is, so that workers are stopped and files cleaned up."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def _leave(status: int) -> NoReturn:
    """Exit at once after an interruption. By then the workers are stopped, partial files
    removed and the results database closed; the interpreter's own exit would also join the
    process pools' manager threads, which a signal arriving mid-exchange with a worker that
    was then killed can leave waiting forever (seen under load: the process said it was
    terminated, and never ended)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _fail(message: str) -> NoReturn:
    click.echo(f"nicelogic: {message}", err=True)
    sys.exit(USAGE_ERROR)


def _warn(message: str) -> None:
    click.echo(f"nicelogic: warning: {message}", err=True)


_F = TypeVar("_F", bound=Callable[..., Any])


def _usage_errors(command: _F) -> _F:
    """Whatever stops a command before or while it runs is a message and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RuleError as exc:
            _fail(f"rule pack error: {exc}")
        except (UsageError, InputError, CaseError, ValueError) as exc:
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


def _complete_packs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of --rules: built-in pack names (those loaded only when named too) and
    ``default``, after any comma-separated ones."""
    done, _, partial = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    names = [*named_pack_dirs(), DEFAULT]
    return [CompletionItem(prefix + name) for name in names if name.startswith(partial)]


def _table_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.option("--opcs-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="OPCS-4 release file (NHS XML format) instead of the shipped OPCS-4.11."),
        click.option("--icd10-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Your UK ICD-10 5th Edition release file (adds UK codes, usage, sex and age limits)."),
        click.option("--table", "table", multiple=True, metavar="SYSTEM[@EDITION]=PATH", expose_value=False,
                     callback=_remember_tables,
                     help="Another OPCS-4 or UK ICD-10 release file, or a folder of them (opcs4=OPCS49.xml, "
                          "icd10@4th=ICD10_4th.xml); repeat. Each record is judged by the edition in force when its "
                          "episode ended."),
        click.option("--ncci-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="NCCI tables converted by `nicelogic tables import-ncci`, or a folder of CMS NCCI quarterly "
                          "files (AOC, PTP, MUE), instead of the shipped 2024 tables."),
        click.option("--ncci-setting", type=click.Choice(["practitioner", "outpatient"]), default="practitioner",
                     show_default=True, help="Practitioner or outpatient hospital NCCI tables (outpatient PTP comes "
                                             "from your own import)."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def _limit_options(function):  # type: ignore[no-untyped-def]
    """--time-limit and --memory-limit of the commands that ground rule packs over records."""
    function = click.option(
        "--memory-limit", "memory_mib", type=click.IntRange(min=64), default=DEFAULT_MEMORY_LIMIT >> 20, show_default=True,
        help="MiB a worker process may take over what it holds loaded.",
    )(function)  # fmt: skip
    return click.option(
        "--time-limit", "batch_seconds", type=click.FloatRange(min=0.1), default=DEFAULT_BATCH_SECONDS, show_default=True,
        help="Seconds for grounding and solving a batch of records; past it they are checked one by one, and a record "
        "that still takes longer is rejected.",
    )(function)  # fmt: skip


def _encoding_option(function):  # type: ignore[no-untyped-def]
    return click.option(
        "--encoding", default="utf-8", show_default=True, metavar="NAME",
        help="Encoding of the input files (latin-1, cp1252, ...); a record with bytes that are not text in it is rejected.",
    )(function)  # fmt: skip


def _remember_tables(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> None:
    """--table values, kept on the context so that every command's tables read them."""
    try:
        ctx.meta["nicelogic.tables"] = tuple(parse_table_option(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _table_config(opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str) -> TableConfig:
    context = click.get_current_context(silent=True)
    more = context.meta.get("nicelogic.tables", ()) if context is not None else ()
    return TableConfig(opcs_file, icd10_file, ncci_dir, ncci_setting, tuple(more))


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


def _configured_defaults(
    commands: Mapping[str, click.Command], options: dict[str, dict[str, str]], config: Config
) -> dict[str, dict[str, Any]]:
    defaults: dict[str, dict[str, Any]] = {}
    for name, command in commands.items():
        params = {p.name: p for p in command.params if p.name}
        chosen = config.for_command(name, options[name])
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
        options = {name: _long_options(command) for name, command in main.commands.items()}
        for key in config.unknown_keys(options):
            _warn(f"{config.path}: unknown option {key!r} (ignored)")
        ctx.default_map = _configured_defaults(main.commands, options, config)
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
    type=click.Choice(list(SYSTEM_KEYWORDS)),
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
@_encoding_option
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes for large inputs (0: one per core).")
@click.option("--max-codes", type=click.IntRange(min=1), default=MAX_CODES, show_default=True,
              help="Reject a record with more codes than this in one section.")  # fmt: skip
@_limit_options
@_table_options
@click.option("--fail-on-warning", is_flag=True, help="Exit 1 when any warning is reported, too.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when records are invalid or rejected (2 still means unusable).")
@click.option("--statistics", is_flag=True, help="A count of violations per rule, most frequent first, instead of each one.")
@click.option("--quiet", "-q", is_flag=True, help="Violations only: no summary, progress or notes.")
@_color_option
@click.option("--progress/--no-progress", default=None, help="Progress on standard error (default: when it is a terminal).")
@click.option("--explain", is_flag=True, help="With each violation: the rule, the facts it read and the guidance it encodes.")
@click.option(
    "--results",
    metavar="FILE.duckdb|DIR/",
    help="Write every record's result into a results database (DuckDB file, or a folder of Parquet); resumable.",
)
@click.option("--carry", multiple=True, metavar="COL", help="With --results: carry this input column beside each record.")
@click.option(
    "--patient-column",
    metavar="NAME",
    help="The patient key column (default PSEUDO_HESID, HESID, ENCRYPTED_HESID, TOKEN_PERSON_ID, PERSON_ID_DEID).",
)
@click.option(
    "--episode-column",
    "episode_column",
    multiple=True,
    metavar="FIELD=COLUMN",
    expose_value=False,
    callback=lambda ctx, param, values: ctx.meta.__setitem__("nicelogic.episode_columns", values),
    help="The column of an episode field, where the extract names it otherwise than HES: patient, episode, "
    "spell, order, admitted, started, ended, discharged, discharge_method, status, provider; repeat.",
)
@click.option(
    "--spells",
    type=click.Choice(["auto", *SPELL_METHODS]),
    default="auto",
    show_default=True,
    help="Spells for the packs that read whole patients: the extract's spell keys (supplied), derived by the "
    "HES_pipeline rule (hes-pipeline), or supplied where every episode of a patient has one (auto).",
)
@click.option("--commit-every", type=click.IntRange(min=1), default=5000, show_default=True,
              help="With --results: records committed together (an interrupted run resumes after the last commit).")  # fmt: skip
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="With --results: check on this machine, or on Spark (the spark extra; results in DIR/).")  # fmt: skip
@click.option(
    "--master", metavar="URL", help="With --engine spark: the Spark master (local[2], spark://HOST:7077; default: Spark's own)."
)
@click.option("--spark-unit", "spark_unit_mib", type=click.IntRange(min=0), metavar="MIB",
              help=f"With --engine spark: input files are checked and written in units of about this many MiB of "
              f"whole files (0: a file each; default {UNIT_BYTES >> 20}); an interrupted run resumes after the last "
              "unit written.")  # fmt: skip
@_usage_errors
def check(
    files: tuple[str, ...], records: tuple[str, ...], rules: tuple[str, ...], select: tuple[str, ...],
    ignore: tuple[str, ...], fmt: str, output: str | None, system: str, input_format: str, id_column: str | None,
    encoding: str, jobs: int, max_codes: int, batch_seconds: float, memory_mib: int, opcs_file: Path | None,
    icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    fail_on_warning: bool, exit_zero: bool, statistics: bool, quiet: bool, color: str, progress: bool | None,
    explain: bool, results: str | None, carry: tuple[str, ...], patient_column: str | None, spells: str, commit_every: int,
    engine: str, master: str | None, spark_unit_mib: int | None,
) -> None:  # fmt: skip
    """Check every record in FILES (text, CSV/TSV extracts, JSON Lines, Parquet; - for standard input)."""
    if results is not None:
        _check_into_results(
            files, records, rules, select, ignore, fmt, output, statistics, explain, system, input_format, id_column, jobs,
            max_codes, batch_seconds, memory_mib, _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting), results,
            carry, patient_column, quiet, color, progress, exit_zero, commit_every, encoding, spells, engine, master,
            spark_unit_mib,
        )  # fmt: skip
    elif engine != "local" or master or spark_unit_mib is not None:
        raise UsageError("--engine spark, --master and --spark-unit check into a results folder: give --results DIR/")
    elif carry:
        raise UsageError("--carry chooses what --results keeps beside each record: give --results")
    request = CheckRequest(
        files, records, fmt, output, System.from_name(system), input_format, id_column, statistics, quiet, color,
        progress, fail_on_warning, exit_zero, encoding, _episode_columns(patient_column),
    )  # fmt: skip
    validate(request)
    signal.signal(signal.SIGTERM, _terminated)
    tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
    checker = Checker(
        _selected_packs(rules), tables=tables, explain=explain, jobs=jobs or None, select=select, ignore=ignore,
        max_codes=max_codes, time_limit=batch_seconds, memory_limit=memory_mib << 20,
    )  # fmt: skip
    patients = PatientChecker(_selected_packs(rules), time_limit=batch_seconds, memory_limit=memory_mib << 20, jobs=checker.jobs)
    patients.start()
    unwritten = f" and {output} was not written" if output else ""
    try:
        outcome = run_check(dataclasses.replace(request, spells=spells), checker, patients)
    except KeyboardInterrupt:
        click.echo(f"nicelogic: interrupted: the results are incomplete{unwritten}", err=True)
        _leave(INTERRUPTED)
    except _Terminated:
        click.echo(f"nicelogic: terminated: the results are incomplete{unwritten}", err=True)
        _leave(TERMINATED)
    if not quiet:
        for warning in outcome.warnings:
            _warn(warning)
        if output is not None or (fmt != "text" and sys.stderr.isatty()):
            click.echo(summary_line(outcome.summary), err=True)
    sys.exit(outcome.exit_code)


def _episode_columns(patient_column: str | None) -> EpisodeColumns:
    """--episode-column (kept on the context) and --patient-column, as the readers take them."""
    context = click.get_current_context(silent=True)
    named = list(context.meta.get("nicelogic.episode_columns", ())) if context is not None else []
    if patient_column:
        named.append(f"patient={patient_column}")
    return EpisodeColumns.parse(named)


def _patients_into_results(request: Any, patients: PatientChecker, spells: str, run_id: str, max_codes: int) -> None:
    """The patient pass of a results run: the inputs read again, grouped by patient on disk."""
    from nicelogic.research.patients import write_patient_tables

    check_request = CheckRequest(
        request.files, (), input_format=request.input_format, system=request.system, id_column=request.id_column,
        encoding=request.encoding, episode_columns=request.episode_columns, spells=spells,
    )  # fmt: skip
    judged = patients.judge_records(patient_records(check_request, max_codes), spells, out_of_memory=True)
    titles = {rule.id: rule.title for rule in patients.ruleset.rules.values()}
    write_patient_tables(request.results, run_id, judged, titles)


def _needs_research_extra() -> None:
    """The research commands need pyarrow and plotly, which a plain install leaves out."""
    import importlib.util

    missing = [name for name in ("pyarrow", "plotly") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f'this needs {" and ".join(missing)}: pip install "nicelogic[research]"')


def _spark_run(request: Any, checker: Checker, master: str | None, patients: PatientChecker, spells: str) -> Any:
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        raise UsageError('--engine spark needs pyspark: pip install "nicelogic[spark]"')
    from nicelogic.spark import SparkPatients, run_results_spark

    whole = None
    if patients.active:  # the same packs and limits as on one machine, shipped to the executors
        whole = SparkPatients(
            tuple(str(folder) for folder in patients.folders), spells, patients.configuration, request.id_column,
            request.episode_columns, max_codes=checker.max_codes, max_episodes=patients.max_episodes,
            batch_patients=patients.batch_patients,
            time_limit=patients.time_limit, memory_limit=patients.memory_limit,
        )  # fmt: skip
    return run_results_spark(request, checker, master, whole)


def _check_into_results(
    files: tuple[str, ...], records: tuple[str, ...], rules: tuple[str, ...], select: tuple[str, ...],
    ignore: tuple[str, ...], fmt: str, output: str | None, statistics: bool, explain: bool, system: str, input_format: str,
    id_column: str | None, jobs: int, max_codes: int, batch_seconds: float, memory_mib: int, tables: TableConfig,
    results: str, carry: tuple[str, ...], patient_column: str | None, quiet: bool, color: str, progress: bool | None,
    exit_zero: bool, commit_every: int, encoding: str, spells: str = "auto", engine: str = "local", master: str | None = None,
    spark_unit_mib: int | None = None,
) -> NoReturn:  # fmt: skip
    _needs_research_extra()
    if master and engine != "spark":
        raise UsageError("--master names a Spark master: give --engine spark")
    if spark_unit_mib is not None and engine != "spark":
        raise UsageError("--spark-unit sizes the units of a Spark run: give --engine spark")
    from nicelogic.research.run import ResultsRequest, run_results

    if records or output or fmt != "text" or statistics or explain:
        raise UsageError("--results writes every result into the results database: --record, --output, --format, "
                         "--statistics and --explain do not go with it (query the database instead)")  # fmt: skip
    request = ResultsRequest(
        files, results, input_format, System.from_name(system), id_column, carry, patient_column,
        progress=not quiet and (progress if progress is not None else sys.stderr.isatty()), color=color,
        command=" ".join(["nicelogic", *sys.argv[1:]]), exit_zero=exit_zero, commit_every=commit_every,
        encoding=encoding, engine=engine, episode_columns=_episode_columns(patient_column),
        unit_bytes=UNIT_BYTES if spark_unit_mib is None else spark_unit_mib << 20,
    )  # fmt: skip
    signal.signal(signal.SIGTERM, _terminated)
    checker = Checker(
        _selected_packs(rules), tables=tables, jobs=jobs or None, select=select, ignore=ignore, max_codes=max_codes,
        time_limit=batch_seconds, memory_limit=memory_mib << 20, applicability=True,
    )  # fmt: skip
    patients = PatientChecker(_selected_packs(rules), time_limit=batch_seconds, memory_limit=memory_mib << 20, jobs=checker.jobs)
    if engine == "local":
        import pyarrow as pa

        patients.start()

        # Arrow's own allocator keeps what a batch freed for the next: at a million records
        # the run peaked 53 MiB higher with it than with the system's, at the same speed
        pa.set_memory_pool(pa.system_memory_pool())
    try:
        if engine == "local":
            outcome = run_results(request, checker, patients.ruleset.packs if patients.active else (), spells)
            if patients.active:
                _patients_into_results(request, patients, spells, outcome.run_id, max_codes)
        else:
            outcome = _spark_run(request, checker, master, patients, spells)
    except KeyboardInterrupt:
        click.echo(f"nicelogic: interrupted: {results} holds the batches committed so far; run the same command to continue",
                   err=True)  # fmt: skip
        _leave(INTERRUPTED)
    except _Terminated:
        click.echo(f"nicelogic: terminated: {results} holds the batches committed so far; run the same command to continue",
                   err=True)  # fmt: skip
        _leave(TERMINATED)
    if not quiet:
        if outcome.already_complete:
            click.echo(f"nicelogic: run {outcome.run_id} of this command is already complete in {results}", err=True)
        elif outcome.resumed_from:
            click.echo(f"nicelogic: resumed run {outcome.run_id} after {outcome.resumed_from:,} committed records", err=True)
        click.echo(f"{summary_line(outcome.summary)} (run {outcome.run_id}, {results})", err=True)
    sys.exit(outcome.exit_code)


@main.command(name="query")
@click.argument("results", metavar="RESULTS")
@click.argument("sql")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@_color_option
@_usage_errors
def query_command(results: str, sql: str, fmt: str, color: str) -> None:
    """Run SQL on the tables records, violations and runs of a results database (check --results)."""
    _needs_research_extra()
    from nicelogic.research.query import as_csv, as_json, connect, run_query
    from nicelogic.research.report_terminal import print_rows

    names, rows = run_query(connect(results), sql)
    if fmt == "csv":
        click.echo(as_csv(names, rows), nl=False)
    elif fmt == "json":
        click.echo(as_json(names, rows))
    else:
        print_rows(names, rows, console(color=color))


@main.command(name="report")
@click.argument("results", metavar="RESULTS")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the HTML report to FILE.")
@click.option("--run", "run_id", metavar="RUN", help="The run to report (default: the latest complete run).")
@click.option("--suppression/--no-suppression", default=True, show_default=True,
              help="Show counts of 1-7 records as * and withhold rates from them (off only for local use).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No terminal summary.")
@_color_option
@_usage_errors
def report_command(results: str, output: str | None, run_id: str | None, suppression: bool, quiet: bool, color: str) -> None:
    """A report of a results database: rates per rule, by provider, by month and by specialty; for a compare run,
    the audit figures; for a run with patient-level rules, their consistency figures."""
    _needs_research_extra()
    from nicelogic.audit.report import audit_section, print_section, render_section
    from nicelogic.research.consistency import consistency_figures
    from nicelogic.research.figures import compute
    from nicelogic.research.query import connect
    from nicelogic.research.report_terminal import print_consistency, print_summary

    db = connect(results)
    figures = compute(db, run_id, suppression)
    audit = audit_section(db, figures.run, suppression)
    consistency = consistency_figures(db, figures.run, suppression)
    records = audit is None or bool(figures.checked or figures.rejected)
    if output:
        from nicelogic.research.report_html import consistency_section, render

        sections = [render_section(audit)] if audit is not None else []
        sections += [consistency_section(consistency)] if consistency is not None else []
        Path(output).write_text(render(figures, sections, records), encoding="utf-8")
    if not quiet:
        terminal = console(color=color)
        print_summary(figures, terminal, records)
        if audit is not None:
            print_section(audit, terminal)
        if consistency is not None:
            print_consistency(consistency, terminal)
    if output:
        click.echo(f"wrote {output}", err=True)


@main.command(name="compare")
@click.argument("original", metavar="ORIGINAL", type=click.Path(dir_okay=True, allow_dash=True))
@click.argument("audited", metavar="AUDITED", type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--method", type=click.Choice(list(AUDIT_METHODS)), default=DEFAULT_AUDIT_METHOD, show_default=True,
              help="Counting method: code-over-code (the auditor's codes are the denominator; superfluous codes counted "
                   "apart) or codes-in-either (superfluous codes count against).")  # fmt: skip
@click.option("--key", "key_column", metavar="NAME",
              help="Column (CSV/TSV/Parquet) episodes are matched by (default EPIKEY, else the record id).")  # fmt: skip
@click.option("--threshold", "thresholds", multiple=True, metavar="PROFILE|FILE",
              help="Threshold profile (dspt, igt505-level2, igt505-level3) or a TOML file of your own; repeatable "
                   "(default: every built-in profile). A named profile not met exits 1.")  # fmt: skip
@click.option("--coder-column", default="CODER", show_default=True, metavar="NAME",
              help="Column naming the original's coder, for figures by coder (by specialty: MAINSPEF).")  # fmt: skip
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text: a summary on the terminal; json: the figures and every record not compared; csv: one row "
                   "per episode.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the JSON or CSV to FILE.")
@click.option(
    "--results",
    metavar="FILE.duckdb",
    help="Also write the episode- and code-level comparison into a results database (see nicelogic report).",
)
@click.option(
    "--standards/--no-standards",
    default=True,
    show_default=True,
    help="Check both codings with the rule packs and report the violations removed, introduced and shared.",
)
@_rules_option
@click.option(
    "--system", type=click.Choice(list(SYSTEM_KEYWORDS)), default="opcs", show_default=True,
    help="Coding system of text sections written without a keyword.",
)  # fmt: skip
@click.option("--input-format", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="Input format of both inputs (auto: by file extension).")  # fmt: skip
@_encoding_option
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Processes that check the codings with the rule packs (0: one per core). The records are parsed in this "
                   "one for the comparison, so one was the fastest in benchmarks/compare_speed.py.")  # fmt: skip
@click.option("--max-codes", type=click.IntRange(min=1), default=MAX_CODES, show_default=True,
              help="Reject a record with more codes than this in one section.")  # fmt: skip
@_limit_options
@_table_options
@click.option("--quiet", "-q", is_flag=True, help="No terminal summary with --format json or csv.")
@_color_option
@_usage_errors
def compare_command(
    original: str, audited: str, method: str, key_column: str | None, thresholds: tuple[str, ...], coder_column: str,
    fmt: str, output: str | None, results: str | None, standards: bool, rules: tuple[str, ...], system: str,
    input_format: str, encoding: str, jobs: int, max_codes: int, batch_seconds: float, memory_mib: int,
    opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str, quiet: bool, color: str,
) -> None:  # fmt: skip
    """Compare the ORIGINAL coding of episodes with an AUDITED recoding, as a clinical coding audit does."""
    from nicelogic.audit.formats import write_json
    from nicelogic.audit.matching import ReadOptions
    from nicelogic.audit.terminal import print_figures
    from nicelogic.commands.check import _atomic_output
    from nicelogic.commands.compare import CompareRequest, run_compare
    from nicelogic.commands.compare import validate as validate_compare

    options = ReadOptions(input_format, System.from_name(system), key_column, encoding, coder_column or None, max_codes)
    request = CompareRequest(
        original, audited, method, options, thresholds, fmt, output, results, standards,
        " ".join(["nicelogic", *sys.argv[1:]]),
    )  # fmt: skip
    validate_compare(request)
    signal.signal(signal.SIGTERM, _terminated)
    checker = None
    if standards:
        checker = Checker(
            _selected_packs(rules), tables=_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting), jobs=jobs or None,
            max_codes=max_codes, time_limit=batch_seconds, memory_limit=memory_mib << 20,
        )  # fmt: skip
    sink = None
    store = None
    if results is not None:
        _needs_research_extra()
        from nicelogic.audit.results import AuditResults

        shaping = {"method": method, "key": key_column, "input_format": input_format, "system": system,
                   "coder_column": coder_column, "standards": standards, "max_codes": max_codes}  # fmt: skip
        store = AuditResults(results, [original, audited], shaping, request.command, checker)
        sink = store.add
    try:
        outcome = run_compare(request, checker, results_sink=sink)
    except KeyboardInterrupt:
        if store is not None:
            store.finish("interrupted")
        click.echo("nicelogic: interrupted: the comparison is incomplete", err=True)
        _leave(INTERRUPTED)
    except _Terminated:
        if store is not None:
            store.finish("interrupted")
        click.echo("nicelogic: terminated: the comparison is incomplete", err=True)
        _leave(TERMINATED)
    except BaseException as exc:
        if store is not None:
            store.finish("failed", str(exc))
        raise
    finally:
        if checker is not None:
            checker.close()
    if store is not None:
        store.finish("complete")
        store.close()
    if fmt == "json":
        if output:
            with _atomic_output(output) as handle:
                write_json(outcome.figures, outcome.layouts, outcome.problems, handle)
        else:
            write_json(outcome.figures, outcome.layouts, outcome.problems, sys.stdout)
    if fmt == "text" or (not quiet and output):
        print_figures(outcome.figures, outcome.problems, console(color=color, stderr=fmt != "text"))
    if store is not None and not quiet:
        click.echo(f"nicelogic: comparison written to {results} (run {store.run_id})", err=True)
    sys.exit(outcome.exit_code)


@main.command(name="rules")
@_rules_option
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "tsv", "json", "markdown"]), default="text", show_default=True,
              help="text: a table on a terminal, tab-separated rows into a pipe or file.")  # fmt: skip
@_color_option
@_usage_errors
def rules_command(rules: tuple[str, ...], fmt: str, color: str) -> None:
    """List the rule catalogue: id, severity, title and source of every rule."""
    ruleset = load_rules(_selected_packs(rules))
    terminal = console(color=color)
    if fmt == "json":
        click.echo(rules_json(ruleset))
    elif fmt == "markdown":
        named = f" --rules {','.join(split_selectors(rules))}" if split_selectors(rules) else ""
        from nicelogic.authoring.patient_cases import case_examples

        click.echo(markdown(ruleset, f"nicelogic rules{named} --format markdown", case_examples), nl=False)
    elif fmt == "tsv" or not terminal.is_terminal:
        click.echo(rules_tsv(ruleset))
    else:
        print_rules(ruleset, terminal)


@main.command()
@_table_options
@click.option("--extended-categories", is_flag=True, help="Print the OPCS-4 extended/principal category pairs (markdown).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@_usage_errors
def info(
    config: Config, opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    extended_categories: bool, fmt: str,
) -> None:  # fmt: skip
    """Versions, built-in packs, loaded code tables, configuration file and attributions."""
    import clingo
    import lark

    ruleset = load_rules()
    tables = load_tables(_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting))
    if extended_categories:
        click.echo(extended_categories_markdown(tables.opcs), nl=False)
        return
    document = {
        "nicelogic": __version__, "clingo": clingo.__version__, "lark": lark.__version__,
        "config": str(config.path) if config.path else None, "packs": packs_info(ruleset), "tables": tables.versions(),
        "packs_when_named": sorted({*opt_in_pack_dirs(), *patient_pack_dirs()}),
    }  # fmt: skip
    shown = (
        json.dumps(document, indent=2, ensure_ascii=False) if fmt == "json" else info_text(document, ruleset, tables.describe())
    )
    click.echo(shown)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL (e.g. eval "$(nicelogic completion bash)")."""
    completer = get_completion_class(shell)
    assert completer is not None
    click.echo(completer(main, {}, "nicelogic", "_NICELOGIC_COMPLETE").source())


# ----------------------------------------------------------------------- completions


def _completer(
    rules: tuple[str, ...], max_add: int, candidates: tuple[str, ...], tables: TableConfig, time_limit: float, memory_mib: int
) -> Completer:
    checker = Checker(_selected_packs(rules), tables=tables)
    return Completer(checker, max_add=max_add, extra_candidates=candidates, time_limit=time_limit, memory_limit=memory_mib << 20)


def _completion_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.argument("records", nargs=-1, metavar="RECORD..."),
        click.option("--file", type=click.Path(exists=True, dir_okay=False),
                     help="Partial records, one per line (text or JSON Lines)."),
        click.option("--max-add", type=click.IntRange(0, 12), default=4, show_default=True,
                     help="At most this many codes are added."),
        click.option("--time-limit", type=click.FloatRange(min=0.1), default=DEFAULT_TIME_LIMIT, show_default=True,
                     help="Seconds of grounding and solving for one record before giving up with what was found."),
        click.option("--memory-limit", "memory_mib", type=click.IntRange(min=64), default=DEFAULT_MEMORY_LIMIT >> 20,
                     show_default=True, help="MiB the worker process answering a record may take over what it holds loaded."),
        click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many to print."),
        click.option("--count-limit", type=click.IntRange(min=1), default=2000, show_default=True,
                     help="Stop counting there and report N+."),
        click.option("--candidates", multiple=True, metavar="CODES",
                     help="Extra categories, codes or OPCS-4 chapter letters that may be added (comma-separated)."),
        click.option("--system", type=click.Choice(list(SYSTEM_KEYWORDS)), default="opcs", show_default=True),
        _encoding_option,
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
@_usage_errors
def complete(
    records: tuple[str, ...], file: str | None, max_add: int, time_limit: float, memory_mib: int, limit: int, count_limit: int,
    candidates: tuple[str, ...], encoding: str,
    system: str, fmt: str, rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str, minimal: bool, grouped: bool | None, may: bool, must: bool,
) -> None:  # fmt: skip
    """Valid completions of partial records (RECORD like "opcs V44.4" or "ep1: V44.4; icd M80.0")."""
    tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
    completer = _completer(rules, max_add, _split(candidates), tables, time_limit, memory_mib)
    view = grouped if grouped is not None else fmt == "text"
    answers = complete_records(
        completer, partial_records(records, file, System.from_name(system), encoding),
        minimal=minimal, grouped=view, may=may, must=must, limit=limit, count_limit=count_limit,
    )  # fmt: skip
    _emit(answers, fmt)


@main.command()
@_completion_options
@_usage_errors
def repair(
    records: tuple[str, ...], file: str | None, max_add: int, time_limit: float, memory_mib: int, limit: int, count_limit: int,
    candidates: tuple[str, ...], encoding: str,
    system: str, fmt: str, rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str,
) -> None:  # fmt: skip
    """The smallest edits (insert, delete, move, replace by a sibling code) that make records valid."""
    tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
    completer = _completer(rules, max_add, _split(candidates), tables, time_limit, memory_mib)
    partial = partial_records(records, file, System.from_name(system), encoding)
    _emit(repair_records(completer, partial, limit=limit, count_limit=count_limit), fmt)


def _emit(answers: Answers, fmt: str) -> None:
    if fmt == "json":
        documents = answers.documents()
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False))
    else:
        click.echo(answers.text())
    sys.exit(answers.exit_code)


# ----------------------------------------------------------------------- the service


@main.command()
@_rules_option
@_table_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=service_defaults.DEFAULT_MAX_BODY,
    show_default=True,
    help="Bytes a request body may hold (413 beyond).",
)
@click.option(
    "--max-records",
    type=click.IntRange(min=1),
    default=service_defaults.DEFAULT_MAX_RECORDS,
    show_default=True,
    help="Records one request may check (413 beyond).",
)
@click.option(
    "--max-codes",
    type=click.IntRange(min=1),
    default=MAX_CODES,
    show_default=True,
    help="Codes one section of a record may hold (the record is rejected beyond).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=service_defaults.DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Seconds a check request may wait for and use the checker (503 beyond; a record over it is rejected).",
)
@click.option(
    "--completion-time-limit",
    type=click.FloatRange(min=0.1),
    show_default=True,
    default=service_defaults.DEFAULT_COMPLETION_TIME_LIMIT,
    help="Seconds a completion or repair may take, grounding included (503 when nothing was found).",
)
@click.option(
    "--memory-limit",
    "memory_mib",
    type=click.IntRange(min=64),
    default=DEFAULT_MEMORY_LIMIT >> 20,
    show_default=True,
    help="MiB a completion worker may take over what it holds loaded (422 beyond).",
)
@click.option(
    "--max-add",
    type=click.IntRange(0, 12),
    default=service_defaults.DEFAULT_MAX_ADD,
    show_default=True,
    help="At most this many codes are added by a completion.",
)
@click.option(
    "--completers",
    type=click.IntRange(1, 64),
    default=service_defaults.DEFAULT_COMPLETERS,
    show_default=True,
    help="Completion worker processes (each answers one request at a time).",
)
@click.option("--log-records", is_flag=True, help="Write the records themselves into the access log (not by default).")
@_usage_errors
def serve(
    rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    host: str, port: int, max_body: int, max_records: int, max_codes: int, time_limit: float, completion_time_limit: float,
    memory_mib: int, max_add: int, completers: int, log_records: bool,
) -> None:  # fmt: skip
    """Serve the JSON API (/v1/check, /v1/complete, /v1/repair, /v1/$validate, /v1/rules) and
    the playground page (/) over HTTP; needs the serve extra."""
    try:
        import uvicorn

        from nicelogic.service.access_log import configure_access_log
        from nicelogic.service.app import create_app
        from nicelogic.service.settings import ServiceSettings
    except ImportError:
        raise UsageError('this needs fastapi and uvicorn: pip install "nicelogic[serve]"') from None
    checker = Checker(
        _selected_packs(rules), tables=_table_config(opcs_file, icd10_file, ncci_dir, ncci_setting), max_codes=max_codes,
        time_limit=time_limit, memory_limit=memory_mib << 20,
    )  # fmt: skip
    settings = ServiceSettings(
        max_body=max_body, max_records=max_records, time_limit=time_limit, completion_time_limit=completion_time_limit,
        memory_limit=memory_mib << 20, max_add=max_add, completers=completers, log_records=log_records,
    )  # fmt: skip
    configure_access_log()
    # the service writes its own access lines (JSON, with decision ids); uvicorn's would repeat them
    uvicorn.run(create_app(checker, settings), host=host, port=port, access_log=False)


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
@click.option(
    "--mutate", is_flag=True,
    help="Run the cases against mutants of the packs' rules and list the survivors. Each mutant's cases run within "
    "--time-limit seconds and --memory-limit MiB when given (otherwise within a time worked out from the unmutated run "
    "and the mutation runner's memory bound); a mutant stopped by either counts as killed.",
)  # fmt: skip
@click.option("--mutation-threshold", type=click.FloatRange(0, 100),
              help="Fail when a pack's mutation score is below this (percent); implies --mutate.")  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(1), help="Worker processes for --mutate (default: one per core).")
@_limit_options
@_usage_errors
def test_command(
    paths: tuple[str, ...], rules: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None,
    ncci_setting: str, pattern: str | None, fmt: str, coverage: bool, coverage_threshold: float | None, strict: bool,
    verbose: bool, mutate: bool, mutation_threshold: float | None, jobs: int | None, batch_seconds: float, memory_mib: int,
) -> None:  # fmt: skip
    """Run annotated record files (default: the tests/ folders of the packs)."""
    from nicelogic.authoring.testing import run_tests
    from nicelogic.report import tests as report

    if mutate or mutation_threshold is not None:
        from nicelogic.authoring.mutation_run import run_mutation
        from nicelogic.report.mutation import render

        if fmt == "tap":
            raise UsageError("--mutate writes text, json or junit")
        tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
        # a mutant's bounds are the limits given; the defaults fit one batch, not a pack's every case
        given = click.get_current_context().get_parameter_source
        bounds: dict[str, Any] = {}
        if given("batch_seconds") not in (None, ParameterSource.DEFAULT):
            bounds["timeout"] = batch_seconds
        if given("memory_mib") not in (None, ParameterSource.DEFAULT):
            bounds["memory_mb"] = memory_mib
        mutation = run_mutation(
            paths, rules=rules or None, pattern=pattern, tables=tables, jobs=jobs, strict=strict, **bounds
        )  # fmt: skip
        click.echo(render(mutation, fmt, verbose))
        sys.exit(0 if mutation.ok(mutation_threshold) else 1)

    tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
    run = run_tests(
        paths, rules=rules or None, pattern=pattern, tables=tables, strict=strict, time_limit=batch_seconds,
        memory_limit=memory_mib << 20,
    )  # fmt: skip
    output = {"json": report.as_json, "junit": report.junit, "tap": report.tap}.get(fmt)
    click.echo(output(run) if output else report.text(run, verbose, coverage or coverage_threshold is not None))
    sys.exit(0 if run.ok(coverage_threshold) else 1)


@main.command(name="lint")
@click.argument("packs", nargs=-1, metavar="[PACK]...")
@_table_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Errors only, without the information on ranges.")
@_limit_options
@_usage_errors
def lint_command(
    packs: tuple[str, ...], opcs_file: Path | None, icd10_file: Path | None, ncci_dir: Path | None, ncci_setting: str,
    fmt: str, quiet: bool, batch_seconds: float, memory_mib: int,
) -> None:  # fmt: skip
    """Find what silently breaks rule packs (default: every built-in pack)."""
    from nicelogic.authoring.lint import lint

    tables = _table_config(opcs_file, icd10_file, ncci_dir, ncci_setting)
    findings = lint(packs or None, tables, time_limit=batch_seconds, memory_limit=memory_mib << 20)
    shown = [f for f in findings if not (quiet and f.level != "error")]
    click.echo(lint_json(shown) if fmt == "json" else lint_text(findings, shown))
    sys.exit(1 if any(f.level == "error" for f in findings) else 0)


@main.group(name="study")
def study_group() -> None:
    """Documented configurations that rerun a published method on your extract."""


@study_group.command(name="hardy")
@click.argument("files", nargs=-1, required=True, metavar="FILES", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="Input format (auto: by file extension).",
)
@click.option("--id-column", metavar="NAME", help="Record id column of CSV/TSV input (default EPIKEY).")
@_encoding_option
@click.option("--patient-column", metavar="NAME", help="The patient key column (default: the HES names).")
@click.option(
    "--episode-column",
    "episode_column",
    multiple=True,
    metavar="FIELD=COLUMN",
    expose_value=False,
    callback=lambda ctx, param, values: ctx.meta.__setitem__("nicelogic.episode_columns", values),
    help="The column of an episode field, where the extract names it otherwise than HES; repeat.",
)
@click.option(
    "--window",
    default="2013-04-01:2021-03-31",
    show_default=True,
    metavar="FROM:TO|all",
    help="Discharges of the subsequent spells counted (Hardy et al.'s study window by default).",
)
@click.option(
    "--unit",
    type=click.Choice(["spell", "episode"]),
    default="spell",
    show_default=True,
    help="What is counted: Hardy et al.'s spell (its episodes' diagnoses pooled), or each episode of the subsequent spells.",
)
@click.option(
    "--spells",
    type=click.Choice(["auto", *SPELL_METHODS]),
    default="auto",
    show_default=True,
    help="The extract's spell keys (supplied), derived by the HES_pipeline rule, or supplied where complete.",
)
@click.option("--no-suppression", is_flag=True, help="Show counts of 1 to 7 (local use only).")
@_usage_errors
def study_hardy(
    files: tuple[str, ...], input_format: str, id_column: str | None, encoding: str, patient_column: str | None,
    window: str, unit: str, spells: str, no_suppression: bool,
) -> None:  # fmt: skip
    """Hardy et al. 2022: chronic conditions coded once and missing from later spells, as their table."""
    from nicelogic.history.study import hardy

    chosen = None
    if window != "all":
        start, sep, end = window.partition(":")
        try:
            chosen = (datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)) if sep else None
        except ValueError:
            chosen = None
        if chosen is None:
            raise UsageError(f"--window {window!r}: expected FROM:TO as ISO dates (2013-04-01:2021-03-31), or all")
    parser = RecordParser()
    items = read_inputs(list(files), input_format, System.OPCS, id_column, None, encoding,
                        episode_columns=_episode_columns(patient_column))  # fmt: skip
    rejected = 0

    def records() -> Iterator[Record]:
        nonlocal rejected
        for item in items:
            parsed = to_record(item, parser)
            if isinstance(parsed, Record):
                yield parsed
            else:
                rejected += 1

    study = hardy(records(), chosen, spells, unit)
    for line in study.lines(suppress=not no_suppression):
        click.echo(line)
    if rejected:
        click.echo(f"{rejected:,} records could not be read (nicelogic check names each and why)")


@main.group(name="tables")
def tables_group() -> None:
    """Code tables: convert a new quarter's CMS NCCI release."""


@tables_group.command(name="import-ncci")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ncci-tables"),
    show_default=True,
    help="Folder to write the converted tables to (load it with --ncci-dir).",
)
@_usage_errors
def import_ncci_command(source: Path, output: Path) -> None:
    """Convert the CMS NCCI release files in SOURCE (add-on, PTP and MUE CSV files, optionally
    gzipped; practitioner and outpatient hospital) into the compact form nicelogic ships."""
    from nicelogic.tables.ncci_import import import_ncci

    manifest = import_ncci(source, output)
    for table, entry in manifest.items():
        click.echo(f"{table}: {entry['rows']:,} rows, release {entry['release']} ({', '.join(entry['source'])})")  # type: ignore[arg-type]
    click.echo(f"wrote {output}; use it with --ncci-dir {output}")


@main.command(name="new-pack")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_usage_errors
def new_pack_command(folder: Path) -> None:
    """Scaffold a rule pack in FOLDER (its name is the pack's): metadata, a rule, its tests."""
    from nicelogic.rules.scaffold import new_pack

    written = new_pack(folder)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: nicelogic test {folder} --coverage && nicelogic lint {folder}")


if __name__ == "__main__":  # pragma: no cover
    main()
