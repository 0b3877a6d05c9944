"""Checking a Spark DataFrame of episodes where national data lives (Databricks, UK Biobank's
Research Analysis Platform, any Spark >= 3.3 cluster): ``mapInArrow`` over the columnar
kernel (:mod:`nicelogic.research.kernel`), so that Spark hands each Python worker Arrow
batches and takes Arrow batches back, with no row-by-row conversion.

>>> records, violations = check_dataframe(spark.read.parquet("hes/"))   # doctest: +SKIP
>>> records.groupBy("provider").agg(F.avg(F.col("valid").cast("int"))).show()  # doctest: +SKIP

The DataFrame holds HES columns (``EPIKEY``, ``OPERTN_nn``, ``DIAG_nn``, ``SEX``,
``STARTAGE``, ``ADMIDATE``, the attributes of :mod:`nicelogic.input.carry`...) or the
fields of a JSON Lines record (``id``, ``opcs``, ``icd10``, ``cpt`` as arrays of codes,
``sex``, ``age``, ``date``). The two DataFrames returned have the results tables' schemas
(:mod:`nicelogic.research.schema`), the same as a single-machine ``check --results``.

The rule packs are loaded and validated once, on the driver, and broadcast; each Python
worker builds its checker from them on its first batch and keeps it (Spark reuses Python
workers), with its verdicts by key, for every later batch and task. The code tables ship
inside the wheel. clingo's memory in a long-lived worker stays flat: each batch is
grounded in a fresh control, and the symbols clingo keeps for the life of a process are
the codes, rule ids and small record numbers, a bounded set.

Packs that read whole patients (``reads = "patient"``, such as ``consistency``) need each
patient's episodes together: :func:`check_patients` reads the rows on the executors into
records (dropping those that cannot be read, as one machine does), shuffles them by patient
with ``groupBy(...).applyInArrow`` (``applyInPandas`` before Spark 4), and judges each group
with the single-machine :class:`~nicelogic.history.checker.PatientChecker`
(:mod:`nicelogic.research.patient_kernel`). A group is not one patient but the patients whose
key hashes alike, about :data:`EPISODES_PER_GROUP` episodes: a solve has a fixed cost (the
pack's program is grounded anew), which one patient a solve would pay a hundred thousand
times over. A patient with more than ``max_episodes`` episodes is counted before the shuffle
and never gathered: not judged, with the limit as the reason, as on one machine; so a group
holds at most about ``EPISODES_PER_GROUP + max_episodes`` episodes, whatever the extract.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nicelogic.bounded import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from nicelogic.checking.checker import Checker
from nicelogic.errors import UsageError
from nicelogic.history.checker import DEFAULT_PATIENTS, PatientChecker, merged
from nicelogic.history.patients import MAX_EPISODES, too_many_episodes
from nicelogic.history.results import HistorySummary
from nicelogic.input.carry import CarrySpec
from nicelogic.input.episodes import DEFAULT_COLUMNS, EpisodeColumns
from nicelogic.input.read import detect_format
from nicelogic.input.records import MAX_CODES
from nicelogic.research.kernel import Kernel, form_columns
from nicelogic.research.patient_kernel import EPISODES, JUDGED, judge, read_episodes, summary_of
from nicelogic.research.patients import rules_table, write_part
from nicelogic.research.run import (
    ResultsOutcome,
    ResultsRequest,
    describe,
    fingerprint,
    new_run_id,
    run_row,
    run_status,
    run_summary,
)
from nicelogic.research.schema import PATIENT_RULES, VIOLATIONS, records_schema
from nicelogic.research.store import ParquetStore, open_store
from nicelogic.research.units import RunUnits, plan_units
from nicelogic.rules.packs import RuleSet, load_rules, resolve_selection
from nicelogic.tables import TableConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SEQ = "__nicelogic_seq"  # the position column added to the DataFrame for the run
_VIOLATIONS = "__nicelogic_violations"  # each record's violations, nested, until they are split off


@dataclass(frozen=True)
class SparkCheck:
    """What every executor needs to check as the driver asked: small, pickled with the task."""

    rules: tuple[str, ...] | None = None
    tables: TableConfig = field(default_factory=TableConfig)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    carry: tuple[str, ...] = ()
    patient_column: str | None = None
    id_column: str | None = None
    max_codes: int = MAX_CODES
    time_limit: float | None = DEFAULT_TIME_LIMIT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS  # where the episode's end is: it picks the judging edition

    def checker(self, ruleset: RuleSet | None = None) -> Checker:
        return Checker(
            self.rules, tables=self.tables, select=self.select, ignore=self.ignore, applicability=True, jobs=1,
            max_codes=self.max_codes, ruleset=ruleset, time_limit=self.time_limit, memory_limit=self.memory_limit,
        )  # fmt: skip


# One kernel per Python worker process and request, kept for its life: Spark reuses workers
# from task to task, so the packs are loaded once and the verdicts by key carry over.
_KERNELS: dict[SparkCheck, Kernel] = {}


def worker_kernel(request: SparkCheck, ruleset: RuleSet | None = None) -> Kernel:
    """This process's kernel for the request, made on first use."""
    kernel = _KERNELS.get(request)
    if kernel is None:
        checker = request.checker(ruleset)
        kernel = _KERNELS[request] = Kernel(
            checker, CarrySpec(request.carry, request.patient_column), id_column=request.id_column,
            episode_columns=request.episode_columns,
        )  # fmt: skip
    return kernel


def result_schema(carried: Iterable[str] = ()) -> pa.Schema:
    """The Arrow schema of what the executors return: a records row with its violations nested."""
    violation = pa.struct(list(VIOLATIONS))
    return records_schema(tuple(carried)).append(pa.field(_VIOLATIONS, pa.list_(violation)))


def _nested(records: pa.RecordBatch, violations: pa.RecordBatch, per_row: np.ndarray, schema: pa.Schema) -> pa.RecordBatch:
    offsets = pa.array(np.concatenate([[0], np.cumsum(per_row)]).astype(np.int32))
    structs = pa.StructArray.from_arrays(violations.columns, fields=list(VIOLATIONS))
    nested = pa.ListArray.from_arrays(offsets, structs, type=schema.field(_VIOLATIONS).type)
    return pa.RecordBatch.from_arrays([*records.columns, nested], schema=schema)


def _check_partition(
    request: SparkCheck, ruleset: Any, run_id: str, source: str, batches: Iterable[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """What ``mapInArrow`` runs in each Python worker: the kernel over each batch."""
    loaded = ruleset.value if hasattr(ruleset, "value") else ruleset  # a broadcast, or the rule set itself
    kernel = worker_kernel(request, loaded)
    schema = result_schema(kernel.spec.carried_names)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        seq = batch.column(SEQ)
        lines = pc.add(seq, 1)
        checked = kernel.check(batch.drop_columns([SEQ]), run_id=run_id, source=source, seq=seq, lines=lines)
        yield _nested(checked.records, checked.violations, checked.per_row, schema)


def _broadcast(df: DataFrame, ruleset: RuleSet) -> Any:
    """The rule set as a broadcast variable, shipped to each executor once; Spark Connect
    (Databricks shared clusters) has no SparkContext: there it travels with the task."""
    try:
        return df.sparkSession.sparkContext.broadcast(ruleset)
    except Exception:
        return ruleset


def _persisted(df: DataFrame) -> DataFrame:
    """The DataFrame kept on the executors' disks once computed, so that the tables read from
    it compute it once. Not in memory first: Spark builds a partition's cached batches on the
    heap before it decides where they go, and with the default 1 GiB of a ``local[2]`` driver
    the nested violations of 1,000,000 episodes in two partitions ran out of heap in some runs
    (``OutOfMemoryError`` in the columnar cache builder, the run lost)."""
    from pyspark import StorageLevel

    return df.persist(StorageLevel.DISK_ONLY)


def checked_dataframe(
    df: DataFrame,
    request: SparkCheck | None = None,
    *,
    run_id: str | None = None,
    source: str = "<dataframe>",
    seq_column: str | None = None,
    first_seq: int = 0,
) -> DataFrame:
    """One pass of the kernel over a DataFrame: a records row per episode, its violations
    nested in a last column (split by :func:`split`). Persisted (on disk) when
    first computed, so that records and violations are checked once: ``unpersist()`` it
    when both are written. Without ``seq_column``, positions start at ``first_seq``."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    request = request or SparkCheck()
    run_id = run_id or uuid.uuid4().hex[:12]
    ruleset = load_rules([str(folder) for folder in resolve_selection(request.rules)], time_limit=request.time_limit,
                         memory_limit=request.memory_limit)  # fmt: skip
    request.checker(ruleset)  # options that name no rule fail here, on the driver, not in every task
    shipped = _broadcast(df, ruleset)
    position = F.col(seq_column).cast("long") if seq_column else F.monotonically_increasing_id() + F.lit(first_seq)
    carried = CarrySpec(request.carry, request.patient_column).carried_names
    spark_schema = from_arrow_schema(result_schema(carried))

    def check(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _check_partition(request, shipped, run_id, source, batches)

    return _persisted(_by_form(df.withColumn(SEQ, position), request).mapInArrow(check, spark_schema))


def _by_form(df: DataFrame, request: SparkCheck) -> DataFrame:
    """The rows hash-partitioned by the columns their codes are read from, so that each
    record form is solved by one Python worker, not by each that meets it (each keeps its own
    verdicts); as many parts as were read, and at least one per core (Spark Connect has no
    SparkContext to say: there the shuffle's own number)."""
    columns = form_columns(df.columns, request.id_column, request.episode_columns)
    if not columns:
        return df  # no records: the kernel says so in the task
    try:
        parts = max(df.sparkSession.sparkContext.defaultParallelism, df.rdd.getNumPartitions())
    except Exception:  # Spark Connect raises its own kinds of error for a SparkContext
        return df.repartition(*columns)
    return df.repartition(parts, *columns)


def split(checked: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The records and violations DataFrames of a :func:`checked_dataframe`."""
    from pyspark.sql import functions as F

    return checked.drop(_VIOLATIONS), checked.select(F.explode(_VIOLATIONS).alias("v")).select("v.*")


def check_dataframe(
    df: DataFrame,
    rules: Iterable[str] | None = None,
    *,
    request: SparkCheck | None = None,
    run_id: str | None = None,
    source: str = "<dataframe>",
    seq_column: str | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Check every episode of a DataFrame: ``(records, violations)``, DataFrames with the
    results tables' columns (:mod:`nicelogic.research.schema`), from one persisted pass of
    the kernel (:func:`checked_dataframe`; ``spark.catalog.clearCache()`` releases it, or
    use :func:`checked_dataframe` and :func:`split` to hold it yourself).

    ``rules`` are pack names (every built-in pack by default; a pack folder must be at the
    same path on the executors); ``request`` holds the other options. ``seq_column`` names
    a column giving each record's position (``seq``; ``line`` is seq + 1); without it,
    ``seq`` is Spark's ``monotonically_increasing_id()``: unique and increasing, not
    consecutive."""
    request = request or SparkCheck()
    if rules is not None:
        request = dataclasses.replace(request, rules=tuple(rules))
    return split(checked_dataframe(df, request, run_id=run_id, source=source, seq_column=seq_column))


EPISODES_PER_GROUP = 20_000  # episodes a group of patients holds, on average: a few dozen MB in a Python worker
_BUCKET = "__nicelogic_group"


@dataclass(frozen=True)
class SparkPatients:
    """What every executor needs to judge whole patients as the driver asked: small, pickled
    with the task. ``rules`` are pack names or folders (those that read whole patients are
    used); ``configuration`` is a study's facts (:func:`nicelogic.history.study.window_facts`)."""

    rules: tuple[str, ...] | None = ("consistency",)
    spells: str = "auto"
    configuration: str = ""
    id_column: str | None = None
    episode_columns: EpisodeColumns = DEFAULT_COLUMNS
    max_codes: int = MAX_CODES
    max_episodes: int = MAX_EPISODES
    batch_patients: int = DEFAULT_PATIENTS
    time_limit: float | None = DEFAULT_TIME_LIMIT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT

    def checker(self, ruleset: RuleSet | None = None) -> PatientChecker:
        return PatientChecker(
            self.rules, configuration=self.configuration, batch_patients=self.batch_patients, time_limit=self.time_limit,
            memory_limit=self.memory_limit, max_episodes=self.max_episodes, ruleset=ruleset,
        )  # fmt: skip


@dataclass(frozen=True)
class PatientFindings:
    """What :func:`check_patients` found: DataFrames with the columns of the results tables
    ``patient_violations``, ``patient_rules`` and ``patient_units`` (:mod:`nicelogic.research.patients`),
    and the run's counts (patients, records not judged and why, spells, each rule's rate)."""

    violations: DataFrame
    rules: DataFrame
    summary: HistorySummary
    units: DataFrame
    titles: Mapping[str, str]  # each patient-level rule's title


# One patient checker per Python worker process and request, kept for its life (as kernels are).
_PATIENT_CHECKERS: dict[SparkPatients, PatientChecker] = {}


def worker_patient_checker(request: SparkPatients, ruleset: RuleSet | None = None) -> PatientChecker:
    """This process's patient checker for the request, made on first use."""
    checker = _PATIENT_CHECKERS.get(request)
    if checker is None:
        checker = _PATIENT_CHECKERS[request] = request.checker(ruleset)
    return checker


def _shuffle_partitions(spark: SparkSession) -> int:
    """At least as many groups as a shuffle has partitions, so that every core has work."""
    try:
        return max(int(spark.conf.get("spark.sql.shuffle.partitions") or 1), 1)
    except ValueError:  # Databricks may say "auto"
        return 200


def _grouped_apply(grouped: Any, func: Any, schema: Any) -> DataFrame:
    """``applyInArrow`` (Spark 4), else ``applyInPandas`` (Spark 3.3+) with the same function."""
    if hasattr(grouped, "applyInArrow"):
        return grouped.applyInArrow(func, schema)  # type: ignore[no-any-return]

    def in_pandas(frame: Any) -> Any:
        return func(pa.Table.from_pandas(frame, preserve_index=False)).to_pandas()

    return grouped.applyInPandas(in_pandas, schema)  # type: ignore[no-any-return]


def check_patients(
    df: DataFrame,
    rules: Iterable[str] | None = None,
    *,
    request: SparkPatients | None = None,
    run_id: str | None = None,
    source: str = "<dataframe>",
    seq_column: str | None = None,
) -> PatientFindings:
    """Check every patient of a DataFrame of episodes with the packs that read whole patients
    (``consistency`` by default): the ``patient_violations`` and ``patient_rules`` tables as
    DataFrames, and the counts. The DataFrame is read as :func:`check_dataframe` reads it (HES
    columns or JSON Lines fields, with the patient, episode and spell keys and dates of
    :mod:`nicelogic.input.episodes`); ``seq_column`` names a column of each record's position,
    which orders episodes that tie on their dates and keys as the input does. The judged
    groups stay persisted while ``violations`` is written (``spark.catalog.clearCache()``
    releases them)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    request = request or SparkPatients()
    if rules is not None:
        request = dataclasses.replace(request, rules=tuple(rules))
    run_id = run_id or uuid.uuid4().hex[:12]
    loaded = request.checker()  # the packs loaded and validated once, here, and shipped
    if not loaded.active:
        raise UsageError(f"no pack of {', '.join(request.rules or ('the default selection',))} reads whole patients")
    loaded.close()
    shipped = _broadcast(df, loaded.ruleset)
    position = F.col(seq_column).cast("long") if seq_column else F.monotonically_increasing_id()

    def read(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                seq = batch.column(SEQ).to_pylist()
                yield read_episodes(batch.drop_columns([SEQ]), seq, source, request.id_column, request.episode_columns,
                                    request.max_codes)  # fmt: skip

    def judged_group(group: pa.Table) -> pa.Table:
        ruleset = shipped.value if hasattr(shipped, "value") else shipped
        checker = worker_patient_checker(request, ruleset)
        return pa.Table.from_batches([judge(group.drop_columns([_BUCKET]), checker, request.spells, run_id)])

    episodes = df.withColumn(SEQ, position).mapInArrow(read, from_arrow_schema(EPISODES))
    episodes = _persisted(episodes)
    not_judged = {row["reason"]: int(row["count"]) for row in episodes.where(F.col("reason").isNotNull())
                  .groupBy("reason").count().collect()}  # fmt: skip
    per_patient = episodes.where(F.col("reason").isNull()).groupBy("patient").agg(F.count(F.lit(1)).alias("n"))
    too_long = per_patient.where(F.col("n") > request.max_episodes)
    sizes = per_patient.agg(
        F.sum(F.when(F.col("n") > request.max_episodes, F.col("n"))).alias("too_long"),
        F.sum(F.when(F.col("n") <= request.max_episodes, F.col("n"))).alias("within"),
    ).collect()[0]  # fmt: skip
    if sizes["too_long"]:
        not_judged[too_many_episodes(request.max_episodes)] = int(sizes["too_long"])
    spark = df.sparkSession
    groups = max(-(-int(sizes["within"] or 0) // EPISODES_PER_GROUP), _shuffle_partitions(spark))
    judged_rows = (
        episodes.where(F.col("reason").isNull())
        .join(F.broadcast(too_long.select("patient")), "patient", "left_anti")
        .withColumn(_BUCKET, F.pmod(F.xxhash64("patient"), F.lit(groups)))
    )
    judged = _grouped_apply(judged_rows.groupBy(_BUCKET), judged_group, from_arrow_schema(JUDGED))
    judged = _persisted(judged)
    parts = [summary_of(row.asDict(recursive=True)) for row in judged.drop("violations", "units").collect()]
    episodes.unpersist()
    summary = merged([*parts, HistorySummary(not_judged=not_judged)])
    violations = judged.select(F.explode("violations").alias("v")).select("v.*")
    units = judged.select(F.explode("units").alias("u")).select("u.*")
    titles = {rule.id: rule.title for rule in loaded.ruleset.rules.values()}
    rules_df = spark.createDataFrame(rules_table(run_id, summary, titles).to_pandas(), from_arrow_schema(PATIENT_RULES))
    return PatientFindings(violations, rules_df, summary, units, titles)


def _source(files: Sequence[str]) -> str:
    """The ``source`` of records read from ``files`` together (Spark does not say which file a row came from)."""
    return files[0] if len(files) == 1 else "<files>"


def _one_format(files: Sequence[str], input_format: str) -> str:
    formats = {input_format if input_format != "auto" else detect_format(path) for path in files}
    if len(formats) != 1:
        raise UsageError(f"--engine spark reads files of one format at a time (got {', '.join(sorted(formats))})")
    return formats.pop()


def read_extract(spark: SparkSession, files: Sequence[str], input_format: str = "auto") -> DataFrame:
    """Extract files as a DataFrame: Parquet as it is, CSV/TSV as text cells (as the
    single-machine reader reads them), JSON Lines with Spark's schema inference."""
    fmt = _one_format(files, input_format)
    if fmt == "parquet":
        return spark.read.parquet(*files)
    if fmt in ("csv", "tsv"):
        reader = spark.read.option("header", True).option("inferSchema", False).option("sep", "\t" if fmt == "tsv" else ",")
        return reader.csv(list(files))
    if fmt == "jsonl":
        return spark.read.json(list(files))
    raise UsageError(f"--engine spark reads Parquet, CSV/TSV and JSON Lines extracts, not {fmt}")


def run_results_spark(
    request: ResultsRequest, checker: Checker, master: str | None = None, patients: SparkPatients | None = None
) -> ResultsOutcome:
    """``nicelogic check --engine spark FILES --results DIR/``: the files read by Spark,
    checked by the kernel on its executors, and written by them as the Parquet parts of a
    results folder, which ``nicelogic query`` and ``report`` read as any other; with
    ``patients``, the patient-level tables too (:func:`check_patients`).

    The files are checked in units of about ``request.unit_bytes`` of whole files, each
    written whole (:mod:`nicelogic.research.units`; Spark retries a failed task itself): run
    again after an interruption, the run goes on after the last unit written. The patient
    pass, over every file, is done again if the run stopped in it."""
    from pyspark.sql import SparkSession

    store = open_store(request.results)
    if not isinstance(store, ParquetStore):
        raise UsageError("--engine spark writes the results as Parquet parts: give --results a folder (DIR/)")
    spec = CarrySpec(request.carry, request.patient_column)
    judging = PatientChecker(patients.rules).ruleset.packs if patients is not None else ()
    description = describe(request, checker, spec, judging, patients.spells if patients is not None else None)
    run_fingerprint = fingerprint(description)
    stored = store.find(run_fingerprint)
    if stored is not None and stored.complete:
        summary = run_summary(store.run_row(stored.run_id))
        return ResultsOutcome(stored.run_id, summary, stored.records, True, run_status(request, summary))
    fmt = _one_format(request.files, request.input_format)
    if stored is not None:
        run_id = stored.run_id
        store.reopen(run_id)
    else:
        run_id = new_run_id()
        store.start(run_row(run_id, run_fingerprint, request, description))
    units = RunUnits(store.folder, run_id)
    done = units.done()
    resumed_from = units.records_done(done)
    builder = SparkSession.builder.appName("nicelogic")
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    options = SparkCheck(
        tuple(str(folder) for folder in checker.folders), checker.table_config, checker.filter.select, checker.filter.ignore,
        request.carry, request.patient_column, request.id_column, checker.max_codes, checker.time_limit, checker.memory_limit,
        request.episode_columns,
    )  # fmt: skip
    try:
        first_seq = 0
        for unit in plan_units(request.files, request.unit_bytes):
            if unit.index in done:
                first_seq = done[unit.index].next_seq
                continue
            units.discard(unit)
            source = _source(unit.files)
            checked = checked_dataframe(
                read_extract(spark, unit.files, fmt), options, run_id=run_id, source=source, first_seq=first_seq
            )
            records, violations = split(checked)
            records.write.parquet(str(units.staging(unit) / "records"))
            violations.write.parquet(str(units.staging(unit) / "violations"))
            checked.unpersist()
            first_seq = units.take_in(unit, first_seq).next_seq
        store.count(run_id, store.folder / "records" / run_id)
        if patients is not None:
            source = _source(request.files)
            found = check_patients(read_extract(spark, request.files, fmt), request=patients, run_id=run_id, source=source)
            found.violations.write.mode("overwrite").parquet(str(store.folder / "patient_violations" / run_id))
            found.units.write.mode("overwrite").parquet(str(store.folder / "patient_units" / run_id))
            write_part(store.folder / "patient_rules" / run_id, rules_table(run_id, found.summary, found.titles))
            spark.catalog.clearCache()
    except UsageError as exc:
        store.finish(run_id, "failed", str(exc))
        raise
    except BaseException as exc:
        store.finish(
            run_id, "failed" if isinstance(exc, Exception) else "interrupted", str(exc).splitlines()[0] if str(exc) else None
        )
        raise
    store.finish(run_id, "complete")
    units.clear()
    summary = run_summary(store.run_row(run_id))
    return ResultsOutcome(run_id, summary, resumed_from, False, run_status(request, summary))


__all__ = [
    "EPISODES_PER_GROUP",
    "PatientFindings",
    "SparkCheck",
    "SparkPatients",
    "check_dataframe",
    "check_patients",
    "checked_dataframe",
    "split",
    "read_extract",
    "result_schema",
    "run_results_spark",
    "worker_kernel",
    "worker_patient_checker",
]
