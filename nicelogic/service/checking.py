"""``POST /v1/check``: records checked by the one loaded checker (in the batcher's thread),
each request waiting no longer than the time limit."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from nicelogic.checking.checker import Checker
from nicelogic.report.base import record_dict, summary_dict
from nicelogic.results import RecordResult, SummaryCounter
from nicelogic.service.batching import CheckBatcher
from nicelogic.service.decisions import new_decision
from nicelogic.service.problems import Problem, problem_responses
from nicelogic.service.records import CheckBody, RecordIn, body_records, check_items
from nicelogic.service.settings import ServiceSettings


class CheckService:
    """The loaded checker, driven by the batcher's one thread, and its variants (explanations,
    a choice of packs) that share its verdict cache."""

    def __init__(self, checker: Checker, settings: ServiceSettings, revision: dict[str, Any]) -> None:
        self.checker = checker
        self.settings = settings
        self.revision = revision
        self.batcher = CheckBatcher()
        self._variants: dict[tuple[tuple[str, ...], bool], Checker] = {}

    def variant(self, packs: Sequence[str], explain: bool) -> Checker:
        """The checker reporting only the violations of ``packs`` (all when empty), with
        explanations when asked; verdicts are cached by record form, shared by all."""
        key = (loaded_packs(self.checker, packs), explain)
        if key == ((), self.checker.explain):
            return self.checker
        if key not in self._variants:
            variant = copy.copy(self.checker.reporting(key[0]))  # shallow: the verdict cache stays shared
            variant.explain = explain
            self._variants[key] = variant
        return self._variants[key]

    def check(self, records: Mapping[int, RecordIn], packs: Sequence[str] = (), explain: bool = False) -> list[RecordResult]:
        """The results of ``records`` (by their numbers in the request), in order."""
        if len(records) > self.settings.max_records:
            limit = self.settings.max_records
            raise Problem(413, f"{len(records):,} records in one request, more than {limit:,} (nicelogic serve --max-records)")
        items = check_items(records)
        checker = self.variant(packs, explain)
        readable = [item for item in items if not isinstance(item, RecordResult)]
        results = self.batcher.check(checker, readable, self.settings.time_limit) if readable else []
        if results is None:
            raise Problem(
                503, f"the records were not checked within {self.settings.time_limit:g} s (nicelogic serve --time-limit); "
                "try again", "Busy", {"Retry-After": "1"},
            )  # fmt: skip
        checked = iter(results)
        return [item if isinstance(item, RecordResult) else next(checked) for item in items]


def loaded_packs(checker: Checker, packs: Sequence[str]) -> tuple[str, ...]:
    """A request's choice of packs, each one the service loaded (else a 422 naming it)."""
    try:
        return checker.chosen_packs(packs)
    except ValueError as error:
        raise Problem(422, str(error), "Unknown pack") from None


def verdict_counts(results: Sequence[RecordResult]) -> dict[str, Any]:
    counter = SummaryCounter()
    for result in results:
        counter.add(result)
    return summary_dict(counter.summary())


PacksQuery = Annotated[
    list[str] | None,
    Query(
        description="Only the rules of these loaded packs: the violations reported, the rules a completion or repair keeps "
        "(all packs when none is named)."
    ),
]
ExplainQuery = Annotated[bool, Query(description="Add to each violation the rule's file, the facts it read and its guidance.")]


def check_router(service: CheckService) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/check", response_class=JSONResponse, responses=problem_responses(413, 422, 503))
    def check(
        request: Request,
        body: Annotated[CheckBody, Body(description="One record or a list: text lines or JSON Lines objects.")],
        explain: ExplainQuery = False,
        packs: PacksQuery = None,
    ) -> JSONResponse:
        """Check records; a record that cannot be read is a rejected record in the result."""
        records = body_records(body)
        results = service.check(records, packs or (), explain)
        counts = verdict_counts(results)
        # already plain JSON values: answered as they are, without FastAPI's encoder walking them
        return JSONResponse({
            "decision_id": new_decision(request, service.revision, service.settings, list(records.values()), counts),
            "revision": service.revision,
            "records": [record_dict(result) for result in results],
            "summary": counts,
        })  # fmt: skip

    return router
