"""The columnar kernel on every core: this process reads each batch into keys, keeps the
verdicts by key and makes the results; worker processes solve the keys no batch has had
before, each exactly once in the run, and hold nothing but the packs and tables. They are
forked from the run's zygote (:mod:`nicelogic.research.zygote`), not from this process,
and bounded and replaced as :mod:`nicelogic.research.workers` says.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from nicelogic.research.kernel import Kernel, Plan
from nicelogic.research.workers import Item
from nicelogic.research.zygote import Zygote

AHEAD = 2  # batches read ahead of the one being finished, so that the workers always have work

Results = tuple[pa.RecordBatch, pa.RecordBatch]


@dataclass(frozen=True, slots=True)
class BatchTask:
    """A batch of records and where it stands in the run: its rows numbered from
    ``first_line``, or each row's own line (a CSV row's line in its file)."""

    batch: pa.RecordBatch
    first_seq: int
    first_line: int
    source: str
    lines: pa.Array | None = None

    def plan(self, kernel: Kernel, run_id: str) -> Plan:
        return kernel.plan(
            self.batch, run_id=run_id, first_seq=self.first_seq, first_line=self.first_line, source=self.source,
            lines=self.lines,
        )  # fmt: skip

    def check(self, kernel: Kernel, run_id: str) -> Results:
        checked = kernel.solved(self.plan(kernel, run_id))
        return checked.records, checked.violations


@dataclass(frozen=True, slots=True)
class RowsTask:
    """Records that are not columns (see :meth:`Kernel.check_items`): checked in this
    process, in their place in the run."""

    items: Sequence[Item]
    first_seq: int

    def check(self, kernel: Kernel, run_id: str) -> Results:
        checked = kernel.check_items(self.items, run_id=run_id, first_seq=self.first_seq)
        return checked.records, checked.violations


Task = BatchTask | RowsTask


def check_batches(kernel: Kernel, tasks: Iterator[Task], run_id: str, jobs: int) -> Iterator[Results]:
    """The results of every batch, in order: in this process with ``jobs`` 1, else with
    the new keys solved in ``jobs`` worker processes while this one reads ahead."""
    if jobs <= 1:
        for task in tasks:
            yield task.check(kernel, run_id)
        return
    zygote = Zygote(kernel, jobs)  # before the first batch is read: see its module
    planned: deque[Plan | Results] = deque()
    try:
        for task in tasks:
            if isinstance(task, RowsTask):
                planned.append(task.check(kernel, run_id))
            else:
                plan = task.plan(kernel, run_id)
                zygote.submit(plan.new)
                planned.append(plan)
            while len(planned) > AHEAD:
                yield _finished(kernel, zygote, planned.popleft())
        while planned:
            yield _finished(kernel, zygote, planned.popleft())
    finally:
        zygote.stop()  # no worker may outlive the run, whether it finished or was interrupted


def _finished(kernel: Kernel, zygote: Zygote, plan: Plan | Results) -> Results:
    if not isinstance(plan, Plan):
        return plan
    checked = kernel.finish(plan, zygote.verdicts(plan.new))
    return checked.records, checked.violations
