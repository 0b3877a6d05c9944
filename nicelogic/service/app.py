"""The FastAPI application: health, readiness and ``POST /v1/check`` over one loaded
:class:`~nicelogic.Checker` (packs and tables load once, when the app is made)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from nicelogic.checking.checker import Checker
from nicelogic.report.base import record_dict, summary_dict
from nicelogic.results import SummaryCounter
from nicelogic.rules.catalogue import catalogue
from nicelogic.service.revision import revision

MAX_RECORDS = 1000


class CheckRequest(BaseModel):
    """Records as text lines (the text record format) or JSON Lines objects."""

    records: list[str | dict[str, Any]] = Field(min_length=1, max_length=MAX_RECORDS)


def create_app(checker: Checker) -> FastAPI:
    app = FastAPI(title="nicelogic", version="1")
    lock = threading.Lock()  # a Checker's verdict cache is not shared between threads
    rule_revision = revision(checker.ruleset, checker.tables.versions())
    rules = {row["id"]: row for row in catalogue(checker.ruleset)}

    @app.exception_handler(HTTPException)
    def http_problem(request: Request, error: HTTPException) -> JSONResponse:
        return _problem(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    def invalid_problem(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _problem(422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/ready")
    def ready() -> dict[str, Any]:
        return {"status": "ready", "revision": rule_revision}

    @app.post("/v1/check")
    def check(request: CheckRequest) -> dict[str, Any]:
        with lock:
            report = checker.check(request.records, source="<request>")
        counter = SummaryCounter()
        for result in report.records:
            counter.add(result)
        return {
            "decision_id": str(uuid.uuid4()),
            "revision": rule_revision,
            "records": [record_dict(result) for result in report.records],
            "summary": summary_dict(counter.summary()),
        }

    @app.get("/v1/rules")
    def list_rules() -> dict[str, Any]:
        return {"revision": rule_revision, "rules": list(rules.values())}

    @app.get("/v1/rules/{rule_id}")
    def one_rule(rule_id: str) -> dict[str, Any]:
        if rule_id not in rules:
            raise HTTPException(404, f"no rule {rule_id!r} in the loaded packs")
        return rules[rule_id]

    return app


_TITLES = {404: "Not found", 422: "Invalid request"}


def _problem(status: int, detail: str) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
