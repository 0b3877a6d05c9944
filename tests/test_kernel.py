"""The columnar kernel gives, row for row and column for column, what the row path gives
(each record read, parsed and checked on its own, its result made into the results
batches), for HES columns and for the fields of JSON Lines records, including rows that
are rejected for a bad code, sex, age or date, waivers, and rows that repeat."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from benchmarks.synthetic import hes_rows
from nicelogic import Checker
from nicelogic.errors import InputError
from nicelogic.input.arrow import batch_items, json_texts_batch, text_lines_batch
from nicelogic.input.carry import CarrySpec
from nicelogic.input.episodes import EpisodeColumns
from nicelogic.input.items import InputLine
from nicelogic.input.jsonl import json_record
from nicelogic.input.parquet import text_column
from nicelogic.input.tabular import TableRow, layout_for
from nicelogic.research.batches import AttributeTap, to_batches
from nicelogic.research.kernel import Kernel, form_columns
from nicelogic.research.parallel import BatchTask, check_batches
from nicelogic.research.schema import VIOLATIONS, records_schema
from nicelogic.tables import TableConfig
from tests.conftest import one_rule_pack, running_children
from tests.test_limits import CROSS

ODD_ROWS = [  # each differs from a good row in one thing that changes its verdict
    {"EPIKEY": "odd1", "SEX": "7", "STARTAGE": "40", "ADMIDATE": "2024-01-02", "OPERTN_4_01": "V444", "OPERTN_4_02": "V551"},
    {"EPIKEY": "odd2", "SEX": "1", "STARTAGE": "forty", "ADMIDATE": "2024-01-02", "OPERTN_4_01": "V444", "OPERTN_4_02": "V551"},
    {"EPIKEY": "odd3", "SEX": "1", "STARTAGE": "41", "ADMIDATE": "2024-13-45", "OPERTN_4_01": "V444", "OPERTN_4_02": "V551"},
    {"EPIKEY": "odd4", "SEX": "2", "STARTAGE": "7002", "ADMIDATE": "", "OPERTN_4_01": "V4X4", "OPERTN_4_02": "V551"},
    {"EPIKEY": "  ", "SEX": "", "STARTAGE": "", "ADMIDATE": "02/01/2024", "OPERTN_4_01": "Y534", "OPERTN_4_02": "V444"},
    {"EPIKEY": "odd6", "SEX": "m", "STARTAGE": "50", "ADMIDATE": "2024-01-03", "OPERTN_4_01": "Y534", "OPERTN_4_02": "V444",
     "WAIVE": "opcs.subsidiary-not-first"},
    {"EPIKEY": "odd7", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2024-01-03", "OPERTN_4_01": "V444", "WAIVE": "no.such-rule"},
    {"EPIKEY": "odd8", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2024-01-03", "OPERTN_4_01": "H229", "WAIVE": "opcs4"},
    {"EPIKEY": "odd9", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "1999-01-01", "OPERTN_4_01": "V444", "OPERTN_4_02": "Y534"},
    {"EPIKEY": "odd10", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2024-01-03", "OPERTN_4_01": "-", "DIAG_4_01": "M800"},
    # the episode's end, not the admission, picks the edition that judges it: the same codes, judged and not
    {"EPIKEY": "odd11", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2026-03-30", "EPIEND": "2026-04-02", "OPERTN_4_01": "V444"},
    {"EPIKEY": "odd12", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2026-04-02", "EPIEND": "2026-04-03", "OPERTN_4_01": "V444"},
    {"EPIKEY": "odd13", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2026-04-02", "EPIEND": "2026-99-03", "OPERTN_4_01": "V444"},
    {"EPIKEY": "odd14", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2026-04-02", "EPISTART": "soon", "OPERTN_4_01": "V444"},
    {"EPIKEY": "odd15", "SEX": "1", "STARTAGE": "50", "ADMIDATE": "2026-04-02", "EPIORDER": "first", "OPERTN_4_01": "V444"},
]  # fmt: skip


def _hes_batch(count: int) -> pa.RecordBatch:
    """Synthetic episodes (repeating, as hospital data does) with the odd rows among them, as text cells."""
    rows: list[dict[str, object]] = []
    for n, row in enumerate(hes_rows(count, seed=11)):
        rows.append({key: None if value is None else str(value) for key, value in row.items()})
        if n % 97 == 0:
            odd = dict(ODD_ROWS[(n // 97) % len(ODD_ROWS)])
            if odd["EPIKEY"] != "  ":
                odd["EPIKEY"] = f"{odd['EPIKEY']}-{n}"
            rows.append(odd)
    names = sorted({key for row in rows for key in row}, key=lambda k: (not k.startswith("EPI"), k))
    return pa.RecordBatch.from_pylist([{name: row.get(name) for name in names} for row in rows])


def _row_path(
    checker: Checker, items: Sequence[InputLine | TableRow], spec: CarrySpec, first_seq: int = 0
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    tap = AttributeTap(spec)
    attributes = [tap.attributes(item) for item in items]
    results = list(checker.iter_check(items))
    rules = checker.rules

    def kept(rule: str) -> bool:
        return not checker.filter or (rule in rules and checker.filter.keeps(rule, rules[rule].pack))

    return to_batches("run", first_seq, results, attributes, tap.names, spec.carried_names, kept)


def _same(got: pa.RecordBatch, expected: pa.RecordBatch) -> None:
    assert got.schema.equals(expected.schema)
    assert got.num_rows == expected.num_rows
    for name in expected.schema.names:
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name


@pytest.fixture(scope="module")
def applying() -> Checker:
    return Checker(applicability=True)


def test_hes_columns_give_what_the_row_path_gives(applying: Checker) -> None:
    batch = _hes_batch(3000)
    spec = CarrySpec(carry=("ETHNOS",))
    kernel = Kernel(applying, spec)
    # two halves: the second reuses the first's verdicts, and numbers its rows on
    half = batch.num_rows // 2
    first = kernel.check_batch(batch.slice(0, half), run_id="run", source="x.parquet")
    second = kernel.check_batch(batch.slice(half), run_id="run", first_seq=half, first_line=half + 1, source="x.parquet")
    layout = layout_for(batch.schema.names, None)
    texts = [text_column(column).to_pylist() for column in batch.columns]
    items = [TableRow("x.parquet", n + 1, list(cells), layout) for n, cells in enumerate(zip(*texts, strict=True))]
    records, violations = _row_path(Checker(applicability=True), items, spec)
    _same(pa.Table.from_batches([first[0], second[0]]).combine_chunks().to_batches()[0], records)
    _same(pa.Table.from_batches([first[1], second[1]], schema=VIOLATIONS).combine_chunks().to_batches()[0], violations)
    # what the odd rows are there for
    ids = records.column("id").to_pylist()
    kinds = zip(records.column("reason_kind").to_pylist(), records.column("reason_field").to_pylist(), strict=True)
    reasons = dict(zip(ids, kinds, strict=True))
    assert reasons["odd1-0"] == ("attribute", "SEX") and reasons["odd2-97"] == ("attribute", "STARTAGE")
    assert reasons["odd3-194"] == ("attribute", "date") and reasons["odd4-291"] == ("opcs-code", "OPERTN_4_01")
    assert reasons["odd7-582"] == ("waiver", None)
    blank = batch.column("EPIKEY").to_pylist().index("  ")
    assert ids[blank] == str(blank + 1)  # a blank EPIKEY: the line stands in
    assert "waiver.unused" in violations.column("rule").to_pylist() and True in violations.column("waived").to_pylist()


JSON_RECORDS = [
    {"id": "j1", "opcs": ["V44.4", "V55.1", "Y53.4", "Z66.5"], "icd10": ["M80.0"], "sex": "female", "age": 80,
     "date": datetime.date(2024, 5, 1), "PROCODE3": "RA1", "ADMIDATE": "2024-05-01"},
    {"id": "j2", "opcs": ["Y53.4", "V44.4"], "icd10": None, "sex": "2", "age": 80, "date": datetime.date(2024, 5, 2),
     "PROCODE3": "RA2", "ADMIDATE": None},
    {"id": None, "opcs": ["V44.4", "V55.1"], "icd10": ["M80.0"], "sex": "x", "age": 7001, "date": None, "PROCODE3": None,
     "ADMIDATE": "-"},
    {"id": "j4", "opcs": ["V4X.4"], "icd10": [], "sex": None, "age": None, "date": None, "PROCODE3": "RA1", "ADMIDATE": None},
    {"id": "j5", "opcs": ["Y53.4", "V44.4"], "icd10": ["M80.0"], "sex": "alien", "age": 80, "date": None, "PROCODE3": "RA1",
     "ADMIDATE": None},
    {"id": "j6", "opcs": None, "icd10": ["M80.0", "G55.1*"], "sex": "1", "age": 200, "date": None, "PROCODE3": "RA1",
     "ADMIDATE": None},
    {"id": "j7", "opcs": ["Y53.4", "V44.4"], "icd10": None, "sex": "2", "age": 80, "date": datetime.date(2024, 5, 2),
     "PROCODE3": "RA2", "ADMIDATE": None, "waive": ["opcs.subsidiary-not-first"]},
]  # fmt: skip


def test_json_lines_fields_give_what_the_json_lines_reader_gives(applying: Checker) -> None:
    repeated = [dict(record, id=None if record["id"] is None else f"{record['id']}-{n}") for n in range(30)
                for record in JSON_RECORDS]  # fmt: skip
    for record in repeated:
        record.setdefault("waive", None)
    batch = pa.RecordBatch.from_pylist(repeated)
    spec = CarrySpec()
    records, violations = Kernel(applying, spec).check_batch(batch, run_id="run", source="x.jsonl")
    items = []
    for line, record in enumerate(repeated, start=1):
        shown = {key: value.isoformat() if isinstance(value, datetime.date) else value for key, value in record.items()}
        items.append(
            json_record({key: value for key, value in shown.items() if value is not None or key == "id"}, "x.jsonl", line)
        )
    expected_records, expected_violations = _row_path(Checker(applicability=True), items, spec)
    _same(records, expected_records)
    _same(violations, expected_violations)
    assert records.column("provider").to_pylist()[:3] == ["RA1", "RA2", None]


def test_a_batch_without_record_columns_is_a_clear_error(applying: Checker) -> None:
    with pytest.raises(InputError, match="neither HES code columns"):
        Kernel(applying).check_batch(pa.record_batch({"EPIKEY": ["1"], "PROCODE3": ["RA1"]}))


def test_form_columns_are_where_each_shape_of_batch_holds_its_codes() -> None:
    hes = ["EPIKEY", "PROCODE3", "OPERTN_4_01", "OPERTN_4_02", "DIAG_4_01", "SEX", "ADMIDATE"]
    assert form_columns(hes) == ["OPERTN_4_01", "OPERTN_4_02", "DIAG_4_01"]
    assert form_columns(["ID", "Opcs", "cpt", "sex", "date"]) == ["Opcs", "cpt"]
    assert form_columns(["line", "Record"]) == ["Record"]
    assert form_columns(["json_record"]) == ["json_record"]
    assert form_columns(["EPIKEY", "PROCODE3"]) == []


def test_the_kernel_needs_to_know_where_rules_apply() -> None:
    with pytest.raises(ValueError, match="applicability"):
        Kernel(Checker(["opcs4"]))


def test_schemas_are_the_results_tables(applying: Checker) -> None:
    records, violations = Kernel(applying, CarrySpec(carry=("ETHNOS",))).check_batch(_hes_batch(50))
    assert records.schema.equals(records_schema(("ethnos",))) and violations.schema.equals(VIOLATIONS)


def test_docs_results_schema_is_generated_and_current() -> None:
    from nicelogic.research.schema import markdown

    from .conftest import ROOT

    current = (ROOT / "docs" / "results-schema.md").read_text(encoding="utf-8")
    assert markdown() == current, "stale: run `python -m nicelogic.research.schema > docs/results-schema.md`"


def _tasks(batch: pa.RecordBatch, size: int = 400) -> list[BatchTask]:
    return [BatchTask(batch.slice(start, size), 1000 + start, 2 + start, "x.parquet") for start in range(0, batch.num_rows, size)]


Batches = list[tuple[pa.RecordBatch, pa.RecordBatch]]


def _same_batches(got: Batches, expected: Batches) -> None:
    assert len(got) == len(expected)
    for (records, violations), (expected_records, expected_violations) in zip(got, expected, strict=True):
        _same(records, expected_records)
        _same(violations, expected_violations)


class _Counting(Kernel):
    """A kernel whose workers say how many records each solve call had (forked, they
    share the queue)."""

    def __init__(self, checker: Checker, queue: object) -> None:
        super().__init__(checker)
        self._queue = queue

    def solve(self, items):  # type: ignore[no-untyped-def]
        self._queue.put(len(items))  # type: ignore[attr-defined]
        return super().solve(items)


def test_batches_checked_by_worker_processes_come_back_as_one_process_gives_them(applying: Checker) -> None:
    """Batches whose new keys are solved by forked workers come back in order, with the
    records and violations that one process gives; a key is solved once in the run,
    though the batches that hold it are read before its verdict is back."""
    import multiprocessing

    batch = _hes_batch(1500)
    alone = list(check_batches(Kernel(applying), iter(_tasks(batch)), "run", jobs=1))
    queue = multiprocessing.get_context("fork").SimpleQueue()
    spread = list(check_batches(_Counting(applying, queue), iter(_tasks(batch)), "run", jobs=2))
    _same_batches(spread, alone)
    assert sum(v.num_rows for _, v in alone) > 50  # the comparison is of something
    solved = 0
    while not queue.empty():
        solved += queue.get()
    distinct = len(Kernel(applying).plan(batch).keys)
    assert distinct > 100 and solved == distinct  # each distinct record solved once, by one worker


class _Told:
    """What the run's zygote tells this test, forked from it: one line for each thing it did."""

    def __init__(self) -> None:
        import multiprocessing

        self._queue = multiprocessing.get_context("fork").SimpleQueue()

    def tell(self, value: object) -> None:
        self._queue.put(value)

    def heard(self) -> list[object]:
        got = []
        while not self._queue.empty():
            got.append(self._queue.get())
        return got


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> _Told:
    """The pools of worker processes the kernel's runs start (in the zygote), as they
    start them: for each, the process that started it and its workers then running."""

    from nicelogic.research import workers

    told = _Told()
    executor = workers.ProcessPoolExecutor

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        told.tell((os.getpid(), len(running_children())))  # the zygote's children, said there
        return executor(*args, **kwargs)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", counted)
    return told


def test_workers_are_replaced_as_they_go_and_none_outlives_the_run(
    applying: Checker, monkeypatch: pytest.MonkeyPatch, pools: _Told
) -> None:
    """Fresh workers take over after RECYCLE_AFTER records (clingo's memory is held for the
    life of a process), each set only once the old set is gone; they are forked by the
    run's zygote, not by the run's process; the verdicts stay with the run, and no worker
    is left behind."""
    from nicelogic.research import workers

    before = running_children()  # other tests' long-lived workers
    batch = _hes_batch(1500)
    alone = list(check_batches(Kernel(applying), iter(_tasks(batch)), "run", jobs=1))
    monkeypatch.setattr(workers, "RECYCLE_AFTER", 40)
    spread = list(check_batches(Kernel(applying), iter(_tasks(batch)), "run", jobs=2))
    _same_batches(spread, alone)
    started = pools.heard()
    assert len(started) >= 3
    assert [alive for _, alive in started] == [0] * len(started)  # the workers running as each pool starts
    starters = {pid for pid, _ in started}
    assert len(starters) == 1 and os.getpid() not in starters  # one zygote started them all
    assert running_children() <= before


class _SolvedBy(Kernel):
    """A kernel that tells, for each solve call, the process it was made in and whether
    that process is a kernel worker."""

    def __init__(self, checker: Checker, told: _Told) -> None:
        super().__init__(checker)
        self._told = told

    def solve(self, items):  # type: ignore[no-untyped-def]
        from nicelogic.bounded import in_worker

        self._told.tell((os.getpid(), in_worker()))
        return super().solve(items)


def test_a_chunk_whose_worker_runs_out_of_memory_is_checked_apart_and_the_run_goes_on(tmp_path: Path, pools: _Told) -> None:
    """A worker that runs out of memory on one record loses its chunk: the chunk is checked
    again by the zygote under the limits (once, though three batches wait for it), that
    record is rejected naming the limit, the others are checked, and the run goes on."""
    pack = one_rule_pack(tmp_path / "cross", CROSS)
    checker = Checker([str(pack)], applicability=True, time_limit=20, memory_limit=256 << 20)
    rows = [{"EPIKEY": f"e{n}", "OPERTN_4_01": "V444" if n == 7 else ["W371", "W372", "W373"][n % 3]} for n in range(60)]
    batch = pa.RecordBatch.from_pylist(rows)
    tasks = _tasks(batch, 20)
    alone = list(check_batches(Kernel(checker), iter(tasks), "run", jobs=1))
    solves = _Told()
    spread = list(check_batches(_SolvedBy(checker, solves), iter(tasks), "run", jobs=2))
    _same_batches(spread, alone)
    records = pa.Table.from_batches([r for r, _ in spread])
    kinds = zip(records.column("id").to_pylist(), records.column("reason_kind").to_pylist(), strict=True)
    rejected = [(record, kind) for record, kind in kinds if kind]
    assert rejected == [("e7", "limit")]
    ((zygote, _),) = pools.heard()  # one pool: nothing was left for fresh workers
    apart = [pid for pid, worker in solves.heard() if not worker]
    assert apart == [zygote] and zygote != os.getpid()  # checked once, by the zygote
    assert sum(v.num_rows for _, v in spread) == 20  # cross.rule on each W37.1


def test_a_csv_extract_goes_through_the_kernel_as_the_row_path_checks_it(applying: Checker, tmp_path: Path) -> None:
    """CSV rows gathered into columns for the kernel (on two workers) give what the row
    path gives each row, in order: the rows columns cannot hold (a short row, a long one,
    a byte that is not UTF-8, a quote left open) are checked one by one in their place."""
    from nicelogic.input.read import read_inputs
    from nicelogic.research.run import ResultsRequest, _tasks

    batch = _hes_batch(700)
    names = batch.schema.names
    good = [[("" if v is None else str(v)) for v in row.values()] for row in batch.to_pylist()]
    lines = [",".join(names).encode()]
    for n, cells in enumerate(good):
        if n == 100:
            lines.append(",".join(cells[: len(names) // 2]).encode())  # short
        elif n == 200:
            lines.append((",".join(cells) + ",extra").encode())  # long
        elif n == 300:
            lines.append(",".join(cells).encode().replace(b"V", b"\xff", 1))  # not UTF-8
        elif n == 690:
            lines.append(b'"open,' + ",".join(cells).encode())  # a quote that never closes
        else:
            lines.append(",".join(cells).encode())
    path = tmp_path / "extract.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    spec = CarrySpec(carry=("ETHNOS",))
    request = ResultsRequest(files=(str(path),), results=str(tmp_path / "r.duckdb"), carry=("ETHNOS",), commit_every=50)
    tasks = list(_tasks(request, spec, 0))
    assert {type(task).__name__ for task in tasks} == {"BatchTask", "RowsTask"}
    got = list(check_batches(Kernel(applying, spec), iter(tasks), "run", jobs=2))
    records = pa.Table.from_batches([r for r, _ in got]).combine_chunks().to_batches()[0]
    violations = pa.Table.from_batches([v for _, v in got], schema=VIOLATIONS).combine_chunks().to_batches()
    expected_records, expected_violations = _row_path(applying, list(read_inputs([str(path)], carried=spec.keys())), spec)
    _same(records, expected_records)
    _same(violations[0] if violations else pa.RecordBatch.from_pylist([], schema=VIOLATIONS), expected_violations)
    # the open quote swallows the rows after it, said in one rejected record
    assert records.num_rows == 691 and records.column("reason_kind")[-1].as_py() == "table-row"
    # resumed after 250 committed records: the rest, numbered on
    rest = list(check_batches(Kernel(applying, spec), _tasks(request, spec, 250), "run", jobs=1))
    assert [s for r, _ in rest for s in r.column("seq").to_pylist()] == list(range(250, records.num_rows))


EDITIONS = Path(__file__).parent / "fixtures" / "editions"


def test_the_kernel_and_the_row_path_judge_by_the_episode_end_column_the_user_names() -> None:
    """--episode-column ended=MY_END: the date that picks the edition is read from it by the
    kernel as by the row path (the decoy EPIEND and the record's date are not the episode's end)."""
    tables = TableConfig(tables=(("opcs4", EDITIONS / "opcs4" / "OPCS42_stand_in.xml", None),))
    checker = Checker(["opcs4"], tables=tables, applicability=True)
    named = EpisodeColumns.parse(["ended=MY_END"])
    hes = pa.RecordBatch.from_pylist([
        {"EPIKEY": "old", "OPERTN_4_01": "X999", "MY_END": "2001-09-27", "ADMIDATE": "2026-09-20"},
        {"EPIKEY": "new", "OPERTN_4_01": "X999", "MY_END": "2026-09-27", "ADMIDATE": "2001-09-20"},
        {"EPIKEY": "bad", "OPERTN_4_01": "X999", "MY_END": "soon", "ADMIDATE": "2001-09-20"},
    ])  # fmt: skip
    json = pa.RecordBatch.from_pylist([
        {"id": "old", "opcs": ["X99.9"], "MY_END": "2001-09-27", "date": "2026-09-20"},
        {"id": "new", "opcs": ["X99.9"], "MY_END": "2026-09-27", "date": "2001-09-20"},
        {"id": "bad", "opcs": ["X99.9"], "MY_END": "soon", "date": "2001-09-20"},
    ])  # fmt: skip
    spec = CarrySpec()
    for batch in (hes, json):
        kernel = Kernel(checker, spec, episode_columns=named)
        records, violations = kernel.check_batch(batch, run_id="run", source="x.parquet")
        items = batch_items(batch, [1, 2, 3], "x.parquet", None, named)
        expected_records, expected_violations = _row_path(checker, items, spec)
        _same(records, expected_records)
        _same(violations, expected_violations)
        assert records.column("valid").to_pylist() == [True, False, False]
        assert records.column("rejected").to_pylist() == [False, False, True]
        assert violations.column("rule").to_pylist() == ["opcs.valid-code"]
        # without the option, the same rows are judged by another date: the option is what made them agree
        default, _ = Kernel(checker, spec).check_batch(batch, run_id="run", source="x.parquet")
        assert default.column("valid").to_pylist() != [True, False, False]


def test_a_results_run_of_parquet_honours_the_episode_column_as_a_csv_check_does(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from nicelogic.cli import main
    from nicelogic.research.query import connect, run_query

    rows = [
        {"EPIKEY": "old", "OPERTN_4_01": "X999", "MY_END": "2001-09-27", "ADMIDATE": "2026-09-20"},
        {"EPIKEY": "new", "OPERTN_4_01": "X999", "MY_END": "2026-09-27", "ADMIDATE": "2001-09-20"},
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "x.parquet")
    (tmp_path / "x.csv").write_text(
        "EPIKEY,OPERTN_4_01,MY_END,ADMIDATE\n" + "".join(",".join(row.values()) + "\n" for row in rows), encoding="utf-8"
    )
    options = ["--rules", "opcs4", "--table", f"opcs4={EDITIONS / 'opcs4' / 'OPCS42_stand_in.xml'}", "--episode-column",
               "ended=MY_END"]  # fmt: skip
    runner = CliRunner()
    rowwise = runner.invoke(main, ["check", str(tmp_path / "x.csv"), "-f", "json", *options])
    expected = [(r["id"], r["valid"]) for r in json.loads(rowwise.output)["records"]]
    found = {}
    for extract in ("x.parquet", "x.csv"):  # a CSV's rows reach the kernel as columns too
        target = str(tmp_path / f"{extract}.duckdb")
        done = runner.invoke(main, ["check", str(tmp_path / extract), "--results", target, *options])
        assert done.exit_code == 1, done.output
        db = connect(target)
        _, found[extract] = run_query(db, "SELECT id, valid FROM records ORDER BY seq")
        db.close()
    assert found["x.parquet"] == found["x.csv"] == expected == [("old", True), ("new", False)]


TEXT_LINES = [  # each beside plain lines whose rest it shares, with ids of other lengths
    "ep1: opcs V44.4 V55.1 Y53.4; icd M80.0",
    "ep22: opcs V44.4 V55.1 Y53.4; icd M80.0",
    "x: opcs V44.4 V55.1 Y53.4; icd M80.0",
    "opcs V44.4 V55.1 Y53.4; icd M80.0",  # no id: its line number stands in
    "opcs V44.4 Y53.4",
    "ep3: opcs Y53.4 V44.4 # waive: opcs.subsidiary-not-first",
    "ep4: opcs Y53.4 V44.4",
    "ab12: opcs V44.4 Y53.4 # date: 2001-09-27",
    "ab13: opcs V44.4 Y53.4 # date: 2024-05-01 # patient: P1 # spell: S1",
    "ab14: opcs V44.4 Y53.4 # date: 2024-13-01",  # a date that is no date: rejected
    "opcs: V44.4 V55.1",  # a keyword as the id
    "opcs : V44.4 V55.1",  # and with a space before its colon
    "abcd : V44.4 V55.1",
    "épisode1: opcs V44.4 V55.1",  # an id the key cannot stand for
    "épisode2: opcs V44.4 V55.1",
    "ep5 opcs V44.4",  # not a record: no colon after the id
    "ep6: opcs V44.4 ZZZ",
    "ep77: opcs V44.4 ZZZ",
    "ep8: opcs V44.4,, V55.1",
    "  \tep9: opcs V44.4 V55.1",
    "\ufeffep10: opcs V44.4 V55.1",
    "ep11:",
    "ep12: " + " ".join(["W37.1"] * 70),  # over --max-codes
    "ep13: M80.0 K40.9",  # a bare section: the default system's
    "ep14: cpt 22511 22512",
    "ep15: icd E11.9 # date: 2001-09-27",
]


def test_a_text_file_goes_through_the_kernel_as_the_row_path_checks_it(applying: Checker, tmp_path: Path) -> None:
    """Text-format lines gathered into a column for the kernel (on two workers) give what
    the row path gives each line, in order: lines that differ only in their ids share a
    verdict without sharing ids or columns, and the lines a reader rejects (a byte that is
    not UTF-8) are checked one by one in their place."""
    from nicelogic.input.read import read_inputs
    from nicelogic.model import System
    from nicelogic.research.run import ResultsRequest, _tasks

    lines = [b"# a comment, then a blank line", b""]
    for n in range(400):
        text = TEXT_LINES[n % len(TEXT_LINES)].replace("ep", f"ep{n}-", 1) if n % 3 else TEXT_LINES[n % len(TEXT_LINES)]
        lines.append(text.encode() + (b"\r" if n % 5 == 0 else b""))
        if n == 123:
            lines.append(b"ep-bad: opcs \xff44.4")
    path = tmp_path / "records.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    spec = CarrySpec()
    for system in (System.OPCS, System.ICD10):
        request = ResultsRequest(files=(str(path),), results=str(tmp_path / "r.duckdb"), commit_every=50, system=system)
        tasks = list(_tasks(request, spec, 0))
        assert {type(task).__name__ for task in tasks} == {"BatchTask", "RowsTask"}
        kernel = Kernel(applying, spec, system=system)
        got = list(check_batches(kernel, iter(tasks), "run", jobs=2))
        records = pa.Table.from_batches([r for r, _ in got]).combine_chunks().to_batches()[0]
        violations = pa.Table.from_batches([v for _, v in got], schema=VIOLATIONS).combine_chunks().to_batches()[0]
        expected_records, expected_violations = _row_path(applying, list(read_inputs([str(path)], default_system=system)), spec)
        _same(records, expected_records)
        _same(violations, expected_violations)
        assert records.num_rows == 401
    reasons = dict(zip(records.column("id").to_pylist(), records.column("reason_kind").to_pylist(), strict=True))
    assert reasons["ep-bad"] == "encoding" and reasons["ab14"] == "attribute" and reasons["ep12"] == "too-long"
    # lines that differ only in ids of one length are one key; an id of another length shifts every column
    texts = ["ep1: opcs V44.4 V55.1", "xy2: opcs V44.4 V55.1", "ep33: opcs V44.4 V55.1", "épisode1: opcs V44.4 V55.1"]
    planned = Kernel(applying).plan(text_lines_batch([InputLine("x", 1, text) for text in texts]))
    assert len(planned.keys) == 3 and len(planned.new) == 3


JSON_LINES = [
    '{"id": "ep1", "opcs": ["V44.4", "V55.1", "Y53.4"], "icd10": ["M80.0"]}',
    '{"id": "ep22", "opcs": ["V44.4", "V55.1", "Y53.4"], "icd10": ["M80.0"]}',
    '{"id":"x","opcs":["V44.4","V55.1","Y53.4"],"icd10":["M80.0"]}',
    '{"opcs": ["V44.4", "V55.1", "Y53.4"], "icd10": ["M80.0"]}',  # no id: its line number stands in
    '{"icd10": ["M80.0"], "id": "late", "opcs": ["V44.4", "Y53.4"]}',  # the id not first
    '{"id": "ep3", "opcs": ["Y53.4", "V44.4"], "waive": ["opcs.subsidiary-not-first"]}',
    '{"id": "ep4", "opcs": "Y53.4 V44.4"}',  # codes as one string
    '{"id": "ab12", "opcs": ["V44.4", "Y53.4"], "date": "2001-09-27"}',
    '{"id": "ab13", "opcs": ["V44.4", "Y53.4"], "date": "2024-05-01", "PROCODE3": "RX1", "ADMIDATE": "2024-04-30"}',
    '{"id": "ab14", "opcs": ["V44.4", "Y53.4"], "date": "2024-13-01"}',  # a date that is no date: rejected
    '{"id": "ab15", "opcs": ["V44.4"], "sex": "9", "age": 200}',
    '{"id": 7, "opcs": ["V44.4", "V55.1"]}',  # a number as the id
    '{"id": "épisode1", "opcs": ["V44.4", "V55.1"]}',  # an id the key cannot stand for
    '{"id": "twice", "opcs": ["V44.4", "V55.1"], "id": "second"}',  # the last of repeated keys wins
    '{"id": "esc", "opcs": ["V44.4", "V55.1"], "\\u0069d": "escaped"}',  # a key spelled with an escape
    '{"id": "ep6", "opcs": ["V44.4", "ZZZ"]}',
    '{"id": "ep7", "opcs": ["V44.4", 5]}',  # codes that are not strings
    '{"id": "ep8", "opcs": ["V44.4"], "colour": "red"}',  # an unknown key
    '{"id": "ep9", "opcs": ["V44.4"]',  # not JSON
    '["ep10", "V44.4"]',  # not an object
    '{"id": "ep11"}',
    '{"id": "ep12", "opcs": [' + ", ".join(['"W37.1"'] * 70) + "]}",  # over --max-codes
    '{"id": "ep14", "cpt": ["22511", "22512"]}',
    '{"id": "ep15", "icd10": ["E11.9"], "date": "2001-09-27", "PROCODE3": "RY2"}',
    '  {"id": "ep16", "opcs": ["V44.4", "V55.1"]}  ',
    '{"id": "ag1", "opcs": ["V44.4", "Y53.4"], "age": 45, "date": "2024-05-01"}',  # age and date out of the key
    '{"id": "ag2", "opcs": ["V44.4", "Y53.4"], "age": 46, "date": "2024-05-02"}',
    '{"id": "ag3", "opcs": ["V44.4", "Y53.4"], "age": 7, "date": "2001-09-27"}',  # another edition
    '{"id": "ag4", "opcs": ["V44.4", "Y53.4"], "age": 045}',  # not JSON: a leading zero
    '{"id": "ag5", "opcs": ["V44.4"], "age": "45", "date": "20240501"}',
    '{"id": "ag6", "opcs": ["V44.4"], "age": 45, "age": 9999}',  # the last of repeated keys wins
    '{"id": "ag7", "opcs": ["V44.4"], "date": "2024-05-01", "EPIEND": "2001-01-01"}',  # the episode's end judges
    '{"id": "ag8", "date": "2024-02-30", "opcs": ["V44.4"]}',  # no such day
    '{"id": "ag9", "opcs": ["V44.4"], "date": "2024-05-01", "date": "2001-09-27"}',  # the last date is the record's
    '{"id": "cp1", "cpt": ["22511", "22512"], "date": "2024-05-01"}',  # a rule reads the date of a claim
    '{"id": "cp2", "cpt": ["22511", "22512"], "date": "2024-05-02"}',
    '{"id": "ep17", "opcs": ["V44.4", "\\udcff"]}',  # a lone surrogate written as an escape
]


def test_a_json_lines_file_goes_through_the_kernel_as_the_row_path_checks_it(applying: Checker, tmp_path: Path) -> None:
    """JSON Lines records gathered, as written, into a column for the kernel (on two
    workers) give what the row path gives each, in order: records that differ only in plain
    ids share a verdict without sharing ids or columns, attributes (PROCODE3, ADMIDATE) are
    carried, and a record holding a byte that is not UTF-8 is checked alone in its place."""
    from nicelogic.input.read import read_inputs
    from nicelogic.research.run import ResultsRequest, _tasks

    lines = [b"# a comment, then a blank line", b""]
    for n in range(400):
        text = JSON_LINES[n % len(JSON_LINES)]
        if n % 3:
            text = text.replace('"ep', f'"ep{n}-', 1)
        lines.append(text.encode() + (b"\r" if n % 5 == 0 else b""))
        if n == 123:
            lines.append(b'{"id": "ep-bad", "opcs": ["\xff44.4"]}')
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    spec = CarrySpec(carry=("PROCODE3",))
    request = ResultsRequest(files=(str(path),), results=str(tmp_path / "r.duckdb"), commit_every=50)
    tasks = list(_tasks(request, spec, 0))
    assert {type(task).__name__ for task in tasks} == {"BatchTask", "RowsTask"}
    kernel = Kernel(applying, spec)
    got = list(check_batches(kernel, iter(tasks), "run", jobs=2))
    records = pa.Table.from_batches([r for r, _ in got]).combine_chunks().to_batches()[0]
    violations = pa.Table.from_batches([v for _, v in got], schema=VIOLATIONS).combine_chunks().to_batches()[0]
    expected_records, expected_violations = _row_path(applying, list(read_inputs([str(path)], carried=spec.keys())), spec)
    _same(records, expected_records)
    _same(violations, expected_violations)
    assert records.num_rows == 401
    reasons = dict(zip(records.column("id").to_pylist(), records.column("reason_kind").to_pylist(), strict=True))
    assert reasons["ab14"] == "json" and reasons["ep12"] == "too-long"
    # a record the reader cannot read (not JSON, a byte that is not UTF-8) has no id: its line stands in
    unread = [row for row in records.to_pylist() if row["reason"] and row["reason"].startswith(("not a JSON", "byte 0xFF"))]
    unreadable = {n for n, line in enumerate(JSON_LINES) if '"ep9"' in line or '"ag4"' in line or "\\udcff" in line}
    expected = sum(n % len(JSON_LINES) in unreadable for n in range(400)) + 1
    assert len(unread) == expected and all(row["id"] == str(row["line"]) for row in unread)
    assert set(records.column("provider").to_pylist()) == {None, "RX1", "RY2"}
    assert {"second", "7", "escaped"} <= set(records.column("id").to_pylist())
    # records that differ only in plain ids of one length are one key; another length shifts every column
    texts = [JSON_LINES[0], JSON_LINES[0].replace("ep1", "xy2"), JSON_LINES[1], JSON_LINES[12], JSON_LINES[13]]
    planned = Kernel(applying).plan(json_texts_batch(texts))
    assert len(planned.keys) == 4 and len(planned.new) == 4
    # nor do ages and dates of one length and edition: a date of another edition is another key
    aged = [line for line in JSON_LINES if '"ag1"' in line or '"ag2"' in line or '"ag3"' in line]
    assert len(Kernel(applying).plan(json_texts_batch(aged)).keys) == 2
    claims = [line for line in JSON_LINES if '"cp1"' in line or '"cp2"' in line]
    assert len(Kernel(applying).plan(json_texts_batch(claims)).keys) == 2


def test_the_kernel_keeps_the_verdicts_of_keys_that_come_again_and_drops_the_rest(applying: Checker) -> None:
    """The verdicts kept are bounded (two generations of half the cache each): a key that
    comes in every batch is solved once; one seen once, long ago, is solved again."""
    kernel = Kernel(applying, cache_size=6)
    common = {"EPIKEY": "c", "OPERTN_4_01": "W371"}

    def rows(n: int) -> pa.RecordBatch:
        return pa.RecordBatch.from_pylist([common, {"EPIKEY": f"r{n}", "OPERTN_4_01": f"W{n:02d}1"},
                                           {"EPIKEY": f"s{n}", "OPERTN_4_01": f"H{n:02d}9"}])  # fmt: skip

    solved_common = 0
    for n in range(12):
        plan = kernel.plan(rows(n))
        solved_common += plan.keys[plan.index[0]] in plan.new  # the common row is the batch's first
        kernel.finish(plan, dict(zip(plan.new, kernel.solve(list(plan.new.values())), strict=True)))
    first = kernel.plan(rows(0))
    assert solved_common == 1
    assert len(first.new) == 2  # the keys of batch 0 other than the common one were dropped, the common one kept
