"""One JSON line per request: method, path, status, latency, and what the routes add (the
decision id and verdict counts; the records themselves only with ``--log-records``)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG = "nicelogic.service.access"


def log_fields(request: Request) -> dict[str, Any]:
    """The fields a route adds to its request's access log line."""
    fields = getattr(request.state, "log", None)
    if fields is None:
        fields = request.state.log = {}
    return fields


class AccessLog:
    """ASGI middleware writing each request's line to the ``nicelogic.service.access`` logger."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOG)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            line = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "status": status[0],
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                **scope.get("state", {}).get("log", {}),
            }
            self.log.info(json.dumps(line, ensure_ascii=False))


def configure_access_log() -> None:
    """Access lines to standard error, as bare JSON (one object a line)."""
    log = logging.getLogger(ACCESS_LOG)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
