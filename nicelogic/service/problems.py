"""Every error as an RFC 9457 problem document (``application/problem+json``): the
framework's (404, 405, 422), the service's own (413, 422, 503) and any unexpected one (500)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"

log = logging.getLogger("nicelogic.service")


class Problem(Exception):
    """An answer that is not the one asked for, with the reason a caller can act on."""

    def __init__(self, status: int, detail: str, title: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}


def problem_response(status: int, detail: str, title: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


# the schema of a problem document, for the OpenAPI description of every error answer
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` entries for the problems a route may answer."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_TYPE: {"schema": PROBLEM_SCHEMA}}}
        for status in statuses
    }


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    def own_problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(error.status, error.detail, error.title, error.headers)

    @app.exception_handler(HTTPException)
    def http_problem(request: Request, error: HTTPException) -> JSONResponse:
        return problem_response(error.status_code, str(error.detail), headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    def invalid_problem(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return problem_response(422, f"{where}: {first.get('msg', 'invalid request')}{more}", "Invalid request")

    @app.exception_handler(Exception)
    def unexpected_problem(request: Request, error: Exception) -> JSONResponse:
        # the caller learns that it was not its fault; the details go to the log, not to it
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(500, "an unexpected error stopped this request; it has been logged")
