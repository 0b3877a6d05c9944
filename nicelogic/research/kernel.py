"""The columnar kernel: a ``pyarrow.RecordBatch`` of records in, the results tables' batches
(:data:`~nicelogic.research.schema.RECORDS`, :data:`~nicelogic.research.schema.VIOLATIONS`)
out. It is the one path for bulk work: ``check --results`` on columnar inputs, Spark
(:mod:`nicelogic.spark`) and anything that holds Arrow batches (DuckDB, Polars) call it.

A batch holds records as HES columns (``OPERTN_nn``, ``DIAG_nn``, ``SEX``, ``STARTAGE``,
``OPDATE_01``, ``ADMIDATE``, ``WAIVE`` and the id column ``EPIKEY``), as the fields of a
JSON Lines record (``id``, ``opcs``, ``icd10``, ``cpt`` as lists of codes or strings of
codes, ``sex``, ``age``, ``date``, ``waive``), as lines of the text format in a column
``record`` (``ep7: opcs V44.4 V55.1; icd M80.0 # date: 2024-05-01``), or as JSON Lines
records as written in a column ``json_record`` (``{"id": "ep7", "opcs": ["V44.4"]}``);
column names in any case. The attributes researchers group by (:mod:`nicelogic.input.carry`) are carried from
their columns; other columns are not read.

Hospital data repeats itself, so a batch is checked by *key*: the cells a verdict can
depend on (the code cells, sex, waivers, and for age and date only whether they can be
read, unless a loaded rule reads them) joined into one string column, made distinct by
Arrow. Only the first row of a key not seen before is turned into a record and checked,
by the :class:`~nicelogic.checking.checker.Checker` as any record is (the grammar, the
attribute parsers, the solver, waivers, messages), so that the columnar path and the row
path cannot disagree; every row then takes its key's verdict by index. The row's own
columns (id, line, carried attributes, dates) stay columns throughout: no Python object is
made per row. A line of the text format is its own key but for its id, which the key holds
only as a length (the id shifts every column a problem is reported at); a line whose id the
key cannot stand for exactly (one the grammar might read otherwise) is a key of its own. A
JSON Lines record is keyed the same way, by its text with a plain string id written as its
first key kept as a length; its attributes, part of its text, come back with its verdict.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nicelogic.checking.checker import Checker
from nicelogic.errors import InputError
from nicelogic.input.arrow import JSON_TEXT_COLUMN, TEXT_COLUMN, json_value
from nicelogic.input.attributes import FILLERS, parse_age, parse_date, parse_sex
from nicelogic.input.carry import DATE_ATTRIBUTES, CarrySpec, attribute_value
from nicelogic.input.episodes import DEFAULT_COLUMNS, EPISODE_DATES, SHORT_NAMES, EpisodeColumns, episode_value, mapping_episode
from nicelogic.input.items import InputLine
from nicelogic.input.jsonl import json_line, json_record
from nicelogic.input.parquet import text_column
from nicelogic.input.tabular import TableRow, first_date, layout_for, wanted_column
from nicelogic.input.text import text_lines
from nicelogic.model import SYSTEM_KEYWORDS, System
from nicelogic.research.batches import AttributeTap, iso_date, to_batches
from nicelogic.research.schema import VIOLATIONS, records_schema
from nicelogic.results import RecordResult

# Verdicts kept by key, in two generations of half as many: the keys of the older one that
# come again move to the newer, and when the newer is full the older is dropped, so the
# common keys of data that repeats stay (clearing them all at the bound re-solved them). A
# verdict kept costs about 3 KB (its key, violations and messages); at ten million records,
# 30,000 kept this way peaked 105 MiB lower, and took 39% longer, than 100,000 cleared at
# once (one run each).
KEY_CACHE = 100_000
_SEP = "\x1f"  # between the cells of a key: no cell a record is read from can hold it and still be read alike
_NULL_LIST = "\x1e"  # a null list of codes (absent), apart from an empty one
_BAD_LIST = "\x1d"  # a list holding a null: rejected as the JSON reader rejects it
_HES_SECTIONS = frozenset({"opcs", "icd10"})  # what a HES row can hold
_DATED = EPISODE_DATES | {"order"}  # the episode fields a record is rejected for when they cannot be read
_JSON_FIELDS = ("id", *SYSTEM_KEYWORDS, "sex", "age", "date", "waive")
# A line's id that every line with the same rest reads alike: plain ASCII right before its
# colon (no space, so it can never be read as a section keyword), after spaces or tabs only.
_PLAIN_ID = r"^(?P<lead>[ \t]*)(?P<id>[A-Za-z0-9_./-]+):(?P<rest>(?s:.*))$"
# A JSON Lines record's id that every record with the same rest reads alike: a string of
# plain ASCII as its first key; the rest is then checked for another "id" key (the last of
# repeated keys wins) or an escape (which could spell one).
_PLAIN_JSON_ID = r'^(?P<lead>\{\s*"id"\s*:\s*")(?P<id>[A-Za-z0-9_./-]+)(?P<rest>"(?s:.*))$'


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """What every row of one key gets: the record's columns of the results, and its
    violations as rows (rule, severity, section, positions, codes, message, waived, column, field)."""

    valid: bool
    rejected: bool
    reason: str | None
    reason_kind: str | None
    reason_column: int | None
    reason_field: str | None
    errors: int
    warnings: int
    waived: int
    applies: tuple[str, ...]
    violations: tuple[tuple[object, ...], ...]
    # a record read from its line's text (the text format, JSON Lines): its id, its own
    # date (``# date:``, JSON ``date``) and its carried attributes (JSON Lines keys such as
    # PROCODE3, as :class:`AttributeTap` reads them; None when it has none); the records of
    # other batches have them in columns
    record_id: str | None = None
    own_date: str | None = None
    attributes: tuple[object, ...] | None = None
    # a JSON Lines record that is not JSON (or not an object) has no id: each row's line stands in
    unread: bool = False


_VERDICT_COLUMNS = {
    "valid": pa.bool_(), "rejected": pa.bool_(), "reason": pa.string(), "reason_kind": pa.string(),
    "reason_column": pa.int32(), "reason_field": pa.string(), "errors": pa.int32(), "warnings": pa.int32(),
    "waived": pa.int32(), "applies": pa.list_(pa.string()),
}  # fmt: skip
_VIOLATION_COLUMNS = ("rule", "severity", "section", "positions", "codes", "message", "waived", "column", "field")


def _verdict(result: RecordResult, kept: Callable[[str], bool], item: InputLine | TableRow, tap: AttributeTap) -> KeyVerdict:
    error = result.error
    line = isinstance(item, InputLine)  # read from a line's text; the id and date of a row are in its columns
    errors = sum(v.is_error for v in result.violations)
    found = [
        (v.rule, v.severity, v.section, tuple(v.positions), tuple(v.codes), v.message, waived, v.column, v.where)
        for waived, violations in ((False, result.violations), (True, result.waived))
        for v in violations
    ]
    return KeyVerdict(
        result.valid, error is not None, error.message if error else None, error.label if error else None,
        error.column if error else None, error.where if error else None, errors, len(result.violations) - errors,
        len(result.waived), tuple(rule for rule in result.applies if kept(rule)) if error is None else (),
        tuple(tuple(v) for v in found), result.id if line else None, item.date if isinstance(item, InputLine) else None,
        tap.attributes(item).values if isinstance(item, InputLine) and item.attributes else None,
        error is not None and error.label == "json" and error.where is None,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Checked:
    """A batch checked: its records and violations batches, and each record's number of
    violations (the violations are in record order)."""

    records: pa.RecordBatch
    violations: pa.RecordBatch
    per_row: np.ndarray


@dataclass
class _View:
    """A batch read as records: the key of each row, its id, and how to make the record of
    a row (for the rows whose key is new)."""

    key: pa.Array
    ids: pa.Array  # the id the row gives (null: none, its line stands in)
    items: Callable[[np.ndarray, np.ndarray, str], list[InputLine | TableRow]]  # rows, their lines, source
    own_date: pa.Array | None = None  # JSON: the record's own date, the last resort for ``date``
    text: bool = False  # records read from their lines' text: their own dates and attributes are their verdicts'
    ids_of_verdicts: pa.Array | None = None  # the rows whose id is their verdict's (a key of their own)


@dataclass(frozen=True, slots=True)
class Plan:
    """A batch read into keys (see :meth:`Kernel.plan`): each distinct key's verdict where
    it was known when the batch was read, and the record of each key that was not."""

    batch: pa.RecordBatch
    run_id: str
    source: str
    seqs: pa.Array
    lines: pa.Array
    view: _View
    keys: list[str]  # the distinct keys, in the order ``index`` numbers them
    index: np.ndarray  # each row's key
    known: list[KeyVerdict | None]
    new: dict[str, InputLine | TableRow]


def _json_date(value: object) -> str | None:
    """The record's date as the JSON Lines reader reads it (ValueError when it cannot)."""
    value = json_value(value)
    return None if value is None else parse_date(str(value))


def _trimmed(column: pa.Array) -> pa.Array:
    """Text as carried: trimmed, null when empty or a HES filler."""
    text = pc.utf8_trim_whitespace(text_column(column))
    return pc.if_else(pc.is_in(text, value_set=pa.array(sorted(FILLERS))), pa.scalar(None, pa.string()), text)


def _numbers(first: int, count: int) -> pa.Array:
    return pa.array(np.arange(first, first + count, dtype=np.int64))


def _combined(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


class Kernel:
    """Checks Arrow batches of records with one :class:`Checker` (made with
    ``applicability=True``: rates need to know where rules apply), keeping verdicts by key
    from batch to batch.

    >>> import pyarrow as pa
    >>> from nicelogic import Checker
    >>> kernel = Kernel(Checker(["opcs4"], applicability=True))
    >>> batch = pa.record_batch({"EPIKEY": ["1", "2"], "OPERTN_01": ["V444", "V444"], "OPERTN_02": ["V551", "Y534"]})
    >>> records, violations = kernel.check_batch(batch)
    >>> records.column("valid").to_pylist(), violations.column("rule").to_pylist()
    ([True, False], ['opcs.spinal-levels-second'])
    """

    def __init__(
        self,
        checker: Checker,
        spec: CarrySpec | None = None,
        *,
        id_column: str | None = None,
        cache_size: int = KEY_CACHE,
        episode_columns: EpisodeColumns = DEFAULT_COLUMNS,
        system: System = System.OPCS,
    ) -> None:
        if not checker.applicability:
            raise ValueError("the kernel needs a Checker(applicability=True): rates need to know where rules apply")
        self.checker = checker.without_cache()  # verdicts are kept here, by key
        self._applies: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple for each set of rules that apply
        self._found: dict[tuple[tuple[object, ...], ...], tuple[tuple[object, ...], ...]] = {}  # and for each set of violations
        self.spec = spec or CarrySpec()
        self.id_column = id_column
        # where the episode fields are (--episode-column), as the row path reads them: the
        # episode's end picks the edition a record is judged by
        self.episode_columns = episode_columns
        self.system = system  # of a text-format line's section that names none
        self.schema = records_schema(self.spec.carried_names)
        self.cache_size = cache_size
        self._recent: dict[str, KeyVerdict] = {}
        self._older: dict[str, KeyVerdict] = {}
        self._tokens: dict[tuple[str, object], str] = {}
        rules = checker.rules
        # a message naming the record makes each record's verdict its own
        self._by_id = any("{record" in rule.message for rule in rules.values())
        self._dated = [pack for pack in checker.ruleset.packs if pack.effective_from or pack.effective_to]
        self._scope = checker.ruleset.attribute_scope(checker.tables.empty_predicates())

    # ------------------------------------------------------------------ the batch

    def check_batch(
        self,
        batch: pa.RecordBatch,
        *,
        run_id: str = "",
        first_seq: int = 0,
        first_line: int = 1,
        source: str = "<batch>",
        seq: pa.Array | None = None,
        lines: pa.Array | None = None,
    ) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """The records and violations batches of one batch of records, in its row order.
        Rows are numbered ``first_seq``, ``first_line`` onwards, unless ``seq`` and
        ``lines`` give each row's own (Spark has no global order)."""
        checked = self.check(
            batch, run_id=run_id, first_seq=first_seq, first_line=first_line, source=source, seq=seq, lines=lines
        )
        return checked.records, checked.violations

    def check(
        self,
        batch: pa.RecordBatch,
        *,
        run_id: str = "",
        first_seq: int = 0,
        first_line: int = 1,
        source: str = "<batch>",
        seq: pa.Array | None = None,
        lines: pa.Array | None = None,
    ) -> Checked:
        """As :meth:`check_batch`, with how many violations each record has (the violations
        are in record order), for callers that nest them under their record."""
        return self.solved(
            self.plan(batch, run_id=run_id, first_seq=first_seq, first_line=first_line, source=source, seq=seq, lines=lines)
        )

    def solved(self, plan: Plan) -> Checked:
        """A planned batch finished with its new keys solved in this process."""
        return self.finish(plan, dict(zip(plan.new, self.solve(list(plan.new.values())), strict=True)))

    def check_items(self, items: Sequence[InputLine | TableRow], *, run_id: str = "", first_seq: int = 0) -> Checked:
        """Records that are not columns (a row that could not be read, or that columns
        cannot hold) checked one by one as the row path checks them, into the same batches."""
        tap = AttributeTap(self.spec)
        attributes = [tap.attributes(item) for item in items]
        results = list(self.checker.iter_check(iter(items)))
        records, violations = to_batches(
            run_id, first_seq, results, attributes, tap.names, self.spec.carried_names, self.checker.keeps_rule
        )
        seqs = violations.column("seq").to_numpy() - first_seq
        return Checked(records, violations, np.bincount(seqs, minlength=records.num_rows).astype(np.int64))

    def plan(
        self,
        batch: pa.RecordBatch,
        *,
        run_id: str = "",
        first_seq: int = 0,
        first_line: int = 1,
        source: str = "<batch>",
        seq: pa.Array | None = None,
        lines: pa.Array | None = None,
    ) -> Plan:
        """A batch read into keys, with the verdicts known now and the record of each key
        that is new; :meth:`solve` gives the new keys' verdicts, here or in another
        process, and :meth:`finish` makes the batch's results."""
        n = batch.num_rows
        seqs = _numbers(first_seq, n) if seq is None else _combined(seq).cast(pa.int64())
        line_numbers = _numbers(first_line, n) if lines is None else _combined(lines).cast(pa.int64())
        view = self._view(batch, line_numbers)
        encoded = pc.dictionary_encode(view.key)
        index = encoded.indices.to_numpy(zero_copy_only=False)
        keys = encoded.dictionary.to_pylist()
        known = [self._known(key) for key in keys]
        missing = [position for position, verdict in enumerate(known) if verdict is None]
        new: dict[str, InputLine | TableRow] = {}
        if missing:
            _, first = np.unique(index, return_index=True)  # the first row of each key, in dictionary order
            rows = first[missing]
            items = view.items(rows, pc.take(line_numbers, pa.array(rows)).to_numpy(), source)
            new = {keys[position]: item for position, item in zip(missing, items, strict=True)}
        return Plan(batch, run_id, source, seqs, line_numbers, view, keys, index, known, new)

    def solve(self, items: Sequence[InputLine | TableRow]) -> list[KeyVerdict]:
        """The verdict of each record, checked now (all of them: nothing is looked up)."""
        results = self.checker.iter_check(iter(items))
        tap = AttributeTap(self.spec)
        return [_verdict(result, self.checker.keeps_rule, item, tap) for result, item in zip(results, items, strict=True)]

    def finish(self, plan: Plan, found: Mapping[str, KeyVerdict]) -> Checked:
        """The results of a planned batch, given the verdicts of its new keys (which are
        kept for the batches to come)."""
        found = {key: self._shared(found[key]) for key in plan.new}
        verdicts = [found[key] if verdict is None else verdict for key, verdict in zip(plan.keys, plan.known, strict=True)]
        self._keep(found)

        n, view, index, line_numbers, seqs = plan.batch.num_rows, plan.view, plan.index, plan.lines, plan.seqs
        picked = pa.array(index, pa.int32())
        ids = view.ids
        if view.ids_of_verdicts is not None:
            from_verdicts = pc.take(pa.array([v.record_id for v in verdicts], pa.string()), picked)
            ids = pc.if_else(view.ids_of_verdicts, from_verdicts, ids)
        if view.text:
            unread = pc.take(pa.array([v.unread for v in verdicts], pa.bool_()), picked)
            ids = pc.if_else(unread, pa.scalar(None, pa.string()), ids)
        ids = pc.coalesce(ids, pc.cast(line_numbers, pa.string()))
        columns: dict[str, pa.Array] = {
            "run_id": pa.repeat(pa.scalar(plan.run_id, pa.string()), n),
            "seq": seqs,
            "id": ids,
            "source": pa.repeat(pa.scalar(plan.source, pa.string()), n),
            "line": line_numbers,
        }
        columns.update(self._attributes_of_verdicts(verdicts, picked) if view.text else self._attributes(plan.batch))
        for name, kind in _VERDICT_COLUMNS.items():
            distinct = pa.array([getattr(v, name) for v in verdicts], kind)
            columns[name] = pc.take(distinct, picked)
        if view.text:
            days = [datetime.date.fromisoformat(v.own_date) if v.own_date else None for v in verdicts]
            own = pc.take(pa.array(days, pa.date32()), picked)
            if view.own_date is not None:  # a JSON record's date taken out of its key: the row's own
                own = pc.if_else(pc.is_valid(view.own_date), view.own_date, own)
        else:
            own = view.own_date if view.own_date is not None else pa.nulls(n, pa.date32())
        # a JSON-shaped record its reader rejects (an unreadable field) has no date of its own, as on the row path
        unread = pc.fill_null(pc.equal(columns["reason_kind"], "json"), False)
        own = pc.if_else(unread, pa.scalar(None, pa.date32()), own)
        columns["date"] = pc.coalesce(columns["admission_date"], columns["episode_start"], own)
        records = pa.RecordBatch.from_arrays([columns[name] for name in self.schema.names], schema=self.schema)
        per_key = np.array([len(v.violations) for v in verdicts], dtype=np.int64)
        per_row = per_key[index] if len(index) else per_key[:0]
        violations = self._violations(verdicts, per_key, per_row, index, plan.run_id, seqs, ids, line_numbers)
        return Checked(records, violations, per_row)

    def _known(self, key: str) -> KeyVerdict | None:
        verdict = self._recent.get(key)
        if verdict is None:
            verdict = self._older.get(key)
            if verdict is not None:
                self._recent[key] = verdict
        return verdict

    def _keep(self, found: Mapping[str, KeyVerdict]) -> None:
        self._recent.update(found)
        if len(self._recent) >= self.cache_size // 2:
            self._older, self._recent = self._recent, {}
            for shared in (self._applies, self._found):
                if len(shared) > self.cache_size:
                    shared.clear()

    def _shared(self, verdict: KeyVerdict) -> KeyVerdict:
        """The verdict holding the one copy of its tuple of applying rules and of its
        violations (thousands of keys share a few hundred: most differ only in codes no rule
        names), so that memory grows slowly with the keys kept. Violations were two thirds
        of a kept verdict before they were shared."""
        applies = self._applies.setdefault(verdict.applies, verdict.applies)
        found = self._found.setdefault(verdict.violations, verdict.violations)
        if applies is verdict.applies and found is verdict.violations:
            return verdict
        return dataclasses.replace(verdict, applies=applies, violations=found)

    def _violations(
        self, verdicts: Sequence[KeyVerdict], per_key: np.ndarray, per_row: np.ndarray, index: np.ndarray, run_id: str,
        seqs: pa.Array, ids: pa.Array, lines: pa.Array,
    ) -> pa.RecordBatch:  # fmt: skip
        total = int(per_row.sum())
        if total == 0:
            return pa.RecordBatch.from_pylist([], schema=VIOLATIONS)
        starts = np.cumsum(per_key) - per_key  # where each key's violations begin in the flat list
        row_of = np.repeat(np.arange(len(index)), per_row)
        within = np.arange(total) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        flat = pa.array(np.repeat(starts[index], per_row) + within)
        rows = pa.array(row_of)
        flat_columns = list(zip(*(v for verdict in verdicts for v in verdict.violations), strict=True))
        columns = {
            "run_id": pa.repeat(pa.scalar(run_id, pa.string()), total),
            "seq": pc.take(seqs, rows),
            "id": pc.take(ids, rows),
            "line": pc.take(lines, rows),
        }
        for name, values in zip(_VIOLATION_COLUMNS, flat_columns, strict=True):
            columns[name] = pc.take(pa.array(values, VIOLATIONS.field(name).type), flat)
        return pa.RecordBatch.from_arrays([columns[name] for name in VIOLATIONS.names], schema=VIOLATIONS)

    # ------------------------------------------------------------------ reading a batch

    def _view(self, batch: pa.RecordBatch, lines: pa.Array) -> _View:
        names = batch.schema.names
        shape = _shape(names, self.id_column, self.episode_columns)
        lower = _lower(names)
        if shape == "hes":
            record_columns = [i for i, name in enumerate(names) if wanted_column(name, self.id_column, self.episode_columns)]
            return self._hes_view(batch, record_columns)
        if shape == "json":
            return self._json_view(batch, lower)
        if shape == TEXT_COLUMN:
            return self._text_view(_combined(batch.column(lower[TEXT_COLUMN])), lines)
        if shape == JSON_TEXT_COLUMN:
            return self._json_text_view(_combined(batch.column(lower[JSON_TEXT_COLUMN])), lines)
        raise InputError(
            "the batch has neither HES code columns (OPERTN_nn, DIAG_nn), nor the fields of a JSON Lines record "
            f"(opcs, icd10, cpt), nor text-format lines ({TEXT_COLUMN}), nor JSON Lines records as text "
            f"({JSON_TEXT_COLUMN}); its columns: {', '.join(names)}"
        )

    def _token(self, kind: str, column: pa.Array, token: Callable[[object], str]) -> pa.Array:
        """A key part per row from each distinct value of a column, worked out once."""
        values = pc.unique(column)
        tokens = []
        for value in values.to_pylist():
            known = self._tokens.get((kind, value))
            if known is None:
                if len(self._tokens) > self.cache_size:
                    self._tokens.clear()
                known = self._tokens[(kind, value)] = token(value)
            tokens.append(known)
        return pc.take(pa.array(tokens, pa.string()), pc.index_in(column, value_set=values))

    def _era(self, day: str | None) -> str:
        """Which dated packs judge a record of this date, and which loaded edition of each
        classification (``-``: none was in force, the validity rules give way to a notice)."""
        packs = "".join("1" if pack.in_force(day) else "0" for pack in self._dated)
        if day is None:
            return packs + "/undated"
        tables = self.checker.tables
        chosen = []
        for system in (System.OPCS, System.ICD10):
            table = tables.table_for(system, day)
            index = next((n for n, loaded in enumerate(tables.editions(system)) if loaded is table), "d")
            chosen.append("-" if table is None else str(index))
        return packs + "/" + ",".join(chosen)

    def _read_token(self, name: str, parse: Callable[[object], object], sections: frozenset[str]) -> Callable[[object], str]:
        """A value's key part: unreadable values each their own (the record is rejected
        naming it), readable ones alike unless a loaded rule reads the attribute of records
        with these sections."""
        scope = self._scope.get(name, frozenset())
        read = name in self._scope and (scope is None or bool(scope & sections))

        def token(value: object) -> str:
            try:
                parsed = parse(value)
            except ValueError:
                return f"!{value!r}"
            era = self._era(parsed) if name == "date" and isinstance(parsed, str | None) else ""
            return era + (f"={parsed}" if read else "")

        return token

    def _judged_token(self, ended: tuple[int, str] | None, sections: frozenset[str]) -> Callable[[object], str]:
        """The key part of a HES row's dates: ``ended`` is EPIEND's column (index, name), then
        the record's date cells; the era of the judging date, and the date itself where a
        loaded rule reads it."""
        scope = self._scope.get("date", frozenset())
        read = "date" in self._scope and (scope is None or bool(scope & sections))

        def token(value: object) -> str:
            cells = str(value).split(_SEP)
            try:
                end = episode_value("ended", cells[0].strip(), ended[1], ended[0] + 1) if ended else None
                day = first_date(cells[1:] if ended else cells)
            except ValueError:
                return f"!{value!r}"
            return self._era(str(end) if end else day) + (f"={day}" if read else "")

        return token

    def _episode_field(self, column: str) -> str | None:
        """The episode field a JSON-shaped record's column holds, as mapping_episode reads it."""
        upper = column.strip().upper()
        shorts = {short.upper(): name for short, name in SHORT_NAMES.items()}
        found = next((name for name, keys in self.episode_columns.sources().items() if upper in keys), None)
        return found or shorts.get(upper)

    def _json_dates_token(self, names: list[str], sections: frozenset[str]) -> Callable[[object], str]:
        """The key part of a JSON-shaped record's dates (its ``date`` and episode dates and
        order, joined): unreadable ones each their own (the record is rejected naming them);
        else the era of the judging date (the episode's end, else the date), and the date
        itself where a loaded rule reads it."""
        scope = self._scope.get("date", frozenset())
        read = "date" in self._scope and (scope is None or bool(scope & sections))

        def token(value: object) -> str:
            cells = [None if cell == _NULL_LIST else cell for cell in str(value).split(_SEP)]
            fields = dict(zip(names, cells, strict=True))
            try:
                day = _json_date(fields.pop("date", None))
                episode = mapping_episode(fields, self.episode_columns)
            except ValueError:
                return f"!{value!r}"
            judged = (episode.ended if episode is not None else None) or day
            return self._era(judged) + (f"={day}" if read else "")

        return token

    @staticmethod
    def _readable_token(name: str, column: str, index: int) -> Callable[[object], str]:
        def token(value: object) -> str:
            try:
                episode_value(name, str(value).strip(), column, index + 1)
            except ValueError:
                return f"!{value!r}"
            return ""

        return token

    def _hes_view(self, batch: pa.RecordBatch, record_columns: list[int]) -> _View:
        # the layout of the whole batch, so that a problem's column is the batch's (for a
        # Parquet file read by check --results, its position among the columns read)
        layout = layout_for(batch.schema.names, self.id_column, self.episode_columns)
        texts = {i: _combined(text_column(batch.column(i))) for i in record_columns}
        width = batch.num_columns
        parts = [texts[i] for i, _ in (*layout.opcs, *layout.diag)]
        if layout.sex is not None:
            parts.append(self._token("sex", texts[layout.sex], self._read_token("sex", parse_sex, _HES_SECTIONS)))  # type: ignore[arg-type]
        if layout.waive is not None:
            parts.append(texts[layout.waive])
        if layout.age is not None:
            parts.append(self._token("age", texts[layout.age], self._read_token("age", parse_age, _HES_SECTIONS)))  # type: ignore[arg-type]
        episode = {name: (index, column) for name, index, column in layout.episode.indices}
        ended = episode.get("ended")
        if layout.date or ended:
            # the judging date is the episode's end (EPIEND), else the record's date: both in one key part
            cells = [texts[i] for i in ((ended[0],) if ended else ())] + [texts[i] for i in layout.date]
            joined = pc.binary_join_element_wise(*cells, _SEP) if len(cells) > 1 else cells[0]
            parts.append(self._token("date", joined, self._judged_token(ended, _HES_SECTIONS)))
        for name, (index, column) in episode.items():  # a field that cannot be read rejects its record
            if name != "ended" and name in _DATED:
                parts.append(self._token(f"episode:{name}", texts[index], self._readable_token(name, column, index)))
        if layout.id_index is not None:
            trimmed = pc.utf8_trim_whitespace(texts[layout.id_index])
            ids = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        else:
            ids = pa.nulls(batch.num_rows, pa.string())
        if self._by_id:
            parts.append(pc.fill_null(ids, ""))
        key = pc.binary_join_element_wise(*parts, _SEP)

        def items(rows: np.ndarray, lines: np.ndarray, source: str) -> list[InputLine | TableRow]:
            picked = pa.array(rows)
            cells = {i: pc.take(text, picked).to_pylist() for i, text in texts.items()}
            out: list[InputLine | TableRow] = []
            for n, line in enumerate(lines):
                row = [""] * width  # the columns no record reads stay empty
                for i, column in cells.items():
                    row[i] = column[n]
                out.append(TableRow(source, int(line), row, layout))
            return out

        return _View(key, ids, items)

    def _json_view(self, batch: pa.RecordBatch, lower: dict[str, int]) -> _View:
        present = {name: _combined(batch.column(lower[name])) for name in _JSON_FIELDS if name in lower}
        sections = frozenset(SYSTEM_KEYWORDS[name].value for name in present if name in SYSTEM_KEYWORDS)
        parts = []
        for name, column in present.items():
            if name in ("id", "sex", "age", "date"):
                continue
            if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
                joined = pc.fill_null(pc.binary_join(column, _SEP), _BAD_LIST)
                parts.append(pc.if_else(pc.is_null(column), _NULL_LIST, joined))
            else:
                parts.append(pc.if_else(pc.is_null(column), _NULL_LIST, text_column(column)))
        for name, parse in (("sex", parse_sex), ("age", parse_age)):
            if name in present:
                parts.append(self._token(name, present[name], self._read_token(name, parse, sections)))  # type: ignore[arg-type]
        # the episode fields, as the row path reads them (mapping_episode): its dates and order
        # can reject the record, and its end, else the record's date, picks the judging edition
        episode_keys = self.episode_columns.column_keys() | {name.upper() for name in SHORT_NAMES}
        episode = {name: _combined(batch.column(i)) for i, name in enumerate(batch.schema.names)
                   if name.strip().upper() in episode_keys and name.strip().lower() not in _JSON_FIELDS}  # fmt: skip
        own_date = None
        if "date" in present:
            own_date = self._dates(present["date"], _json_date)
        if episode:
            dated = {"date": present["date"]} if "date" in present else {}
            dated.update({name: column for name, column in episode.items() if self._episode_field(name) in _DATED})
            if dated:
                cells = [pc.fill_null(text_column(column), _NULL_LIST) for column in dated.values()]
                joined = pc.binary_join_element_wise(*cells, _SEP) if len(cells) > 1 else cells[0]
                parts.append(self._token("json-dates:" + _SEP.join(dated), joined, self._json_dates_token(list(dated), sections)))
        elif "date" in present:
            parts.append(self._token("date", present["date"], self._read_token("date", _json_date, sections)))
        ids = text_column(present["id"]) if "id" in present else pa.nulls(batch.num_rows, pa.string())
        if "id" in present:
            ids = pc.if_else(pc.is_null(present["id"]), pa.scalar(None, pa.string()), ids)
        if self._by_id:
            parts.append(pc.fill_null(ids, _NULL_LIST))
        key = pc.binary_join_element_wise(*parts, _SEP)
        carried = self.spec.keys()

        def items(rows: np.ndarray, lines: np.ndarray, source: str) -> list[InputLine | TableRow]:
            picked = pa.array(rows)
            values = {name: pc.take(column, picked).to_pylist() for name, column in (*present.items(), *episode.items())}
            out: list[InputLine | TableRow] = []
            for n, line in enumerate(lines):
                record = {name: json_value(column[n]) for name, column in values.items()}
                out.append(json_record(record, source, int(line), "", carried, self.episode_columns))
            return out

        return _View(key, ids, items, own_date)

    def _text_view(self, column: pa.Array, lines: pa.Array) -> _View:
        texts = pc.fill_null(text_column(column), "")
        parts = pc.extract_regex(texts, _PLAIN_ID)
        lead, ids, rest = (pc.struct_field(parts, name) for name in ("lead", "id", "rest"))
        plain = pc.is_valid(ids)
        masked = pc.binary_join_element_wise("m", lead, pc.cast(pc.utf8_length(ids), pa.string()), rest, _SEP)
        # a line without a colon has no id (its line number stands in): it is its own key as it is
        unnamed = pc.binary_join_element_wise("n", texts, _SEP)
        if self._by_id:  # a message names the record: every line a key of its own
            own_key = pa.repeat(pa.scalar(True), len(texts))
        else:
            own_key = pc.invert(pc.or_(plain, pc.invert(pc.match_substring(texts, ":"))))
        # any other line: a key of its own, with its line number (which may be its id), its id the one its verdict found
        numbered = pc.binary_join_element_wise("w", texts, pc.cast(lines, pa.string()), _SEP)
        key = pc.if_else(own_key, numbered, pc.if_else(plain, masked, unnamed))
        system = self.system

        def items(rows: np.ndarray, lines: np.ndarray, source: str) -> list[InputLine | TableRow]:
            picked = pc.take(texts, pa.array(rows)).to_pylist()
            return [_text_item(text, source, int(line), system) for text, line in zip(picked, lines, strict=True)]

        ids = pc.if_else(own_key, pa.scalar(None, pa.string()), ids)
        return _View(key, ids, items, text=True, ids_of_verdicts=own_key)

    def _json_text_view(self, column: pa.Array, lines: pa.Array) -> _View:
        """JSON Lines records as written: a record is keyed by its text with a plain id
        (:data:`_PLAIN_JSON_ID`) kept only as its length, which shifts the column of every
        code after it; any other record is a key of its own, with its line number."""
        texts = pc.fill_null(text_column(column), "")
        parts = pc.extract_regex(texts, _PLAIN_JSON_ID)
        lead, ids, rest = (pc.struct_field(parts, name) for name in ("lead", "id", "rest"))
        plain = pc.and_kleene(
            pc.is_valid(ids), pc.invert(pc.or_(pc.match_substring(rest, '"id"'), pc.match_substring(rest, "\\")))
        )
        plain = pc.fill_null(plain, False)
        if self._by_id:  # a message names the record: every record a key of its own
            plain = pa.repeat(pa.scalar(False), len(texts))
        rest, tokens, own_date = self._json_age_and_date(pc.fill_null(rest, ""))
        masked = pc.binary_join_element_wise("J", lead, pc.cast(pc.utf8_length(ids), pa.string()), rest, *tokens, _SEP)
        numbered = pc.binary_join_element_wise("K", texts, pc.cast(lines, pa.string()), _SEP)
        key = pc.if_else(plain, masked, numbered)
        own_date = pc.if_else(plain, own_date, pa.scalar(None, pa.date32()))
        carried, episode_columns = self.spec.keys(), self.episode_columns

        def items(rows: np.ndarray, lines: np.ndarray, source: str) -> list[InputLine | TableRow]:
            picked = pc.take(texts, pa.array(rows)).to_pylist()
            return [
                json_line(text, source, int(line), carried=carried, episode_columns=episode_columns)
                for text, line in zip(picked, lines, strict=True)
            ]

        own_key = pc.invert(plain)
        ids = pc.if_else(own_key, pa.scalar(None, pa.string()), ids)
        return _View(key, ids, items, own_date, text=True, ids_of_verdicts=own_key)

    def _json_age_and_date(self, rest: pa.Array) -> tuple[pa.Array, list[pa.Array], pa.Array]:
        """A JSON record's ``age`` (a whole number) and ``date`` (a string) taken out of the
        rest of its text, each key once in it, as the row path reads them: each value's
        length (it shifts the column of every code after it) and its key part (unreadable
        values each their own; the date's era; the value itself where a loaded rule reads
        it), and the record's own date. Episode fields stay in the text: where the episode's
        end picks the edition, rows of one key share it."""
        # the sections a record may have, for whether a loaded rule reads its date: a key of
        # a section anywhere in the text counts (more sections only make the key more exact)
        keywords = sorted(SYSTEM_KEYWORDS)
        present = [pc.if_else(pc.match_substring(rest, f'"{word}"'), "1", "0") for word in keywords]
        signature = pc.binary_join_element_wise(*present, "")

        def sections_of(flags: str) -> frozenset[str]:
            return frozenset(SYSTEM_KEYWORDS[word].value for word, flag in zip(keywords, flags, strict=True) if flag == "1")

        def read_with_sections(name: str, parse: Callable[[object], object]) -> Callable[[object], str]:
            def token(value: object) -> str:
                flags, _, text = str(value).partition(_SEP)
                return self._read_token(name, parse, sections_of(flags))(text)

            return token

        tokens: list[pa.Array] = []
        own_date = pa.nulls(len(rest), pa.date32())
        readers: tuple[tuple[str, str, Callable[[object], object]], ...] = (
            ("age", r"[1-9][0-9]{0,3}|0", lambda text: parse_age(str(text))),
            ("date", r'"[0-9/.-]{1,20}"', _json_date),
        )
        for name, value, parse in readers:
            pattern = rf'("{name}"\s*:\s*)({value})([\s,}}])'
            found = pc.struct_field(pc.extract_regex(rest, rf'"{name}"\s*:\s*(?P<v>{value})[\s,}}]'), "v")
            once = pc.equal(pc.count_substring(rest, f'"{name}"'), 1)
            # a repeated key is left in the text (the last one wins, and the row's own date would be the wrong one)
            taken = pc.fill_null(pc.and_kleene(pc.is_valid(found), once), False)
            value_text = pc.if_else(taken, pc.utf8_trim(found, '"'), pa.scalar(None, pa.string()))
            rest = pc.if_else(taken, pc.replace_substring_regex(rest, pattern, r"\1\3", max_replacements=1), rest)
            cells = pc.binary_join_element_wise(signature, pc.fill_null(value_text, ""), _SEP)
            token = self._token("json-text-" + name, cells, read_with_sections(name, parse))
            length = pc.cast(pc.utf8_length(pc.fill_null(value_text, "")), pa.string())
            tokens.append(pc.if_else(taken, pc.binary_join_element_wise(name, length, token, "="), ""))
            if name == "date":
                own_date = self._dates(value_text, _json_date)
        return rest, tokens, own_date

    def _attributes_of_verdicts(self, verdicts: Sequence[KeyVerdict], picked: pa.Array) -> dict[str, pa.Array]:
        """The carried attributes of records read from their lines' text, from their
        verdicts (a line's attributes are part of its key), typed as :meth:`_attributes` types them."""
        names = list(self.spec.sources())
        out: dict[str, pa.Array] = {}
        for index, name in enumerate(names):
            values = [None if v.attributes is None else v.attributes[index] for v in verdicts]
            if name in DATE_ATTRIBUTES:
                distinct = pa.array([iso_date(x) for x in values], pa.date32())
            else:
                distinct = pa.array([None if x is None else str(x) for x in values], pa.string())
            out[name] = pc.take(distinct, picked)
        return out

    def _dates(self, column: pa.Array, parse: Callable[[object], str | None]) -> pa.Array:
        """A column of dates (date32) from each distinct value, read once; null when unreadable."""
        values = pc.unique(column)
        days = []
        for value in values.to_pylist():
            try:
                text = parse(value)
            except ValueError:
                text = None
            days.append(datetime.date.fromisoformat(text) if text else None)
        return pc.take(pa.array(days, pa.date32()), pc.index_in(column, value_set=values))

    def _attributes(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        """The carried attributes, as columns: the first column of its keys the batch has."""
        upper: dict[str, int] = {}
        for i, name in enumerate(batch.schema.names):
            upper.setdefault(name.strip().upper(), i)
        out: dict[str, pa.Array] = {}
        for name, keys in self.spec.sources().items():
            found = next((upper[key] for key in keys if key in upper), None)
            if found is None:
                out[name] = pa.nulls(batch.num_rows, pa.date32() if name in DATE_ATTRIBUTES else pa.string())
                continue
            text = _trimmed(_combined(batch.column(found)))
            if name in DATE_ATTRIBUTES:
                out[name] = self._dates(text, lambda v: attribute_value(v, True))  # type: ignore[arg-type,return-value]
            else:
                out[name] = text
        return out


def _lower(names: Sequence[str]) -> dict[str, int]:
    """Each column's name in lower case and its index (the first column of a name)."""
    return {name.strip().lower(): i for i, name in reversed(list(enumerate(names)))}


def _shape(names: Sequence[str], id_column: str | None, episode_columns: EpisodeColumns) -> str | None:
    """How a batch with these columns holds its records: ``"hes"``, ``"json"`` (the fields of a
    JSON Lines record), the text column or the JSON text column; None if none of them."""
    wanted = [name.strip().upper() for name in names if wanted_column(name, id_column, episode_columns)]
    if any(name.startswith(("OPERTN_", "DIAG_")) for name in wanted):
        return "hes"
    lower = _lower(names)
    if any(keyword in lower for keyword in SYSTEM_KEYWORDS):
        return "json"
    return next((column for column in (TEXT_COLUMN, JSON_TEXT_COLUMN) if column in lower), None)


def form_columns(
    names: Sequence[str], id_column: str | None = None, episode_columns: EpisodeColumns = DEFAULT_COLUMNS
) -> list[str]:
    """The columns a record's codes are read from, in a batch with these columns: two rows with
    the same key agree in them, so rows split by their values put each record form in one
    part, solved by one worker (Spark partitions by them). Empty if the batch holds no records."""
    shape = _shape(names, id_column, episode_columns)
    if shape == "hes":
        layout = layout_for(list(names), id_column, episode_columns)
        return [names[i] for i, _ in (*layout.opcs, *layout.diag)]
    lower = _lower(names)
    if shape == "json":
        return [names[lower[keyword]] for keyword in SYSTEM_KEYWORDS if keyword in lower]
    return [names[lower[shape]]] if shape is not None else []


def _text_item(text: str, source: str, line: int, system: System) -> InputLine:
    """A text-format line as its reader makes it (a blank one, which the reader skips, an
    empty record)."""
    for item in text_lines([text], source, system):
        return dataclasses.replace(item, line=line, error=item.error and dataclasses.replace(item.error, line=line))
    return InputLine(source, line, text, system)


__all__ = ["Checked", "Kernel", "KEY_CACHE", "KeyVerdict", "Plan", "form_columns"]
