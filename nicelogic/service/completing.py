"""``POST /v1/complete`` and ``POST /v1/repair``: each question answered by one of a few
completers, each in its own bounded worker process (time and memory limits, as
``nicelogic complete`` and ``repair`` run them), forked warm when the service starts."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from nicelogic.checking.checker import Checker
from nicelogic.complete import Completer
from nicelogic.complete.repair import DEFAULT_LIMIT
from nicelogic.errors import GaveUp, LimitExceeded
from nicelogic.input.items import Rejected
from nicelogic.model import Record
from nicelogic.report.completions import report_dict
from nicelogic.service.checking import PacksQuery, loaded_packs
from nicelogic.service.decisions import new_decision
from nicelogic.service.problems import Problem, problem_responses
from nicelogic.service.records import RecordIn, one_record
from nicelogic.service.settings import ServiceSettings

WARM_UP = "opcs V44.4"


class CompleteRequest(BaseModel):
    # a misspelt option ("minmal") is refused rather than answered as if it were not asked;
    # and no field takes rules: only the packs loaded at start run
    model_config = ConfigDict(extra="forbid")
    record: RecordIn = Field(description="One partial record: a text line or a JSON Lines object.")
    minimal: bool = Field(False, description="Only the completions that add the fewest codes.")
    grouped: bool = Field(False, description="Category templates (V55.-) instead of concrete codes.")
    may: bool = Field(False, description="The codes that appear in some valid completion (brave consequences).")
    must: bool = Field(False, description="The codes that appear in every valid completion (cautious consequences).")
    limit: Annotated[int, Field(ge=1, le=100, description="How many completions to return.")] = 10


class RepairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: RecordIn = Field(description="One record: a text line or a JSON Lines object.")
    limit: Annotated[int, Field(ge=1, le=100, description="How many repairs to return.")] = DEFAULT_LIMIT


class CompleterPool:
    """Completers taken one request at a time; a request waits for one no longer than the
    completion time limit."""

    def __init__(self, checker: Checker, settings: ServiceSettings) -> None:
        self.settings = settings
        self.checker = checker
        self._idle: queue.Queue[Completer] = queue.Queue()
        self._all: list[Completer] = []
        for _ in range(settings.completers):
            completer = Completer(
                checker, max_add=settings.max_add, time_limit=settings.completion_time_limit, memory_limit=settings.memory_limit
            )
            # a warm-up over a short --completion-time-limit (a busy machine) does not stop the
            # service starting: the worker (forked again if it was stopped) answers what it can in time
            with contextlib.suppress(GaveUp, LimitExceeded):
                completer.consequences(WARM_UP)  # forks its worker now, before the server's threads start
            self._idle.put(completer)
            self._all.append(completer)

    @contextmanager
    def completer(self) -> Iterator[Completer]:
        try:
            completer = self._idle.get(timeout=self.settings.completion_time_limit)
        except queue.Empty:
            raise Problem(
                503, f"every completion worker stayed busy for {self.settings.completion_time_limit:g} s; try again",
                "Busy", {"Retry-After": "1"},
            ) from None  # fmt: skip
        try:
            yield completer
        finally:
            self._idle.put(completer)

    def close(self) -> None:
        """Stop the worker processes; a completer forks its worker again when next asked."""
        for completer in self._all:
            completer.close()

    def record(self, entry: RecordIn) -> Record:
        parsed = one_record(entry, self.checker.parser, self.checker.max_codes)
        if isinstance(parsed, Rejected):
            error = parsed.error
            field = f" [{error.where}]" if error.where else ""
            raise Problem(
                422, f"record {parsed.id}, line {error.line}, column {error.column}{field}: {error.message}", "Unreadable record"
            )
        return parsed

    def answer(self, question: str, record: Record, **options: Any) -> Any:
        """Ask one completer; a limit exceeded is a problem with its reason: 503 for time
        (nothing was found in time), 422 for memory (this record needs more than allowed)."""
        with self.completer() as completer:
            try:
                return getattr(completer, question)(record, **options)
            except GaveUp as error:
                raise Problem(
                    503, f"nothing was found within the time limit: {error} (nicelogic serve --completion-time-limit); "
                    "a shorter record may help", "Time limit exceeded", {"Retry-After": "1"},
                ) from None  # fmt: skip
            except LimitExceeded as error:
                raise Problem(
                    422, f"{error} (nicelogic serve --memory-limit); a shorter record may help", "Memory limit exceeded"
                ) from None


def complete_router(pool: CompleterPool, revision: dict[str, Any]) -> APIRouter:
    router = APIRouter()

    def answered(request: Request, document: dict[str, Any], entry: RecordIn) -> dict[str, Any]:
        return {"decision_id": new_decision(request, revision, pool.settings, [entry]), "revision": revision, **document}

    @router.post("/v1/complete", responses=problem_responses(413, 422, 503))
    def complete(request: Request, body: CompleteRequest, packs: PacksQuery = None) -> dict[str, Any]:
        """Valid completions of a partial record (all, minimal, grouped), or with ``may`` /
        ``must`` the codes that appear in some / every valid completion."""
        chosen = loaded_packs(pool.checker, packs or ())
        record = pool.record(body.record)
        if body.may or body.must:
            result = pool.answer("consequences", record, minimal=body.minimal, packs=chosen)
        else:
            result = pool.answer("complete", record, minimal=body.minimal, grouped=body.grouped, limit=body.limit, packs=chosen)
        return answered(request, report_dict(result), body.record)

    @router.post("/v1/repair", responses=problem_responses(413, 422, 503))
    def repair(request: Request, body: RepairRequest, packs: PacksQuery = None) -> dict[str, Any]:
        """The smallest edits (insert, delete, move, replace by a sibling code) that make a record valid."""
        chosen = loaded_packs(pool.checker, packs or ())
        record = pool.record(body.record)
        return answered(request, report_dict(pool.answer("repair", record, limit=body.limit, packs=chosen)), body.record)

    return router
