"""``GET /``: the playground page, and its script and style, served from the package (no CDN,
no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from nicelogic.service.problems import Problem

STATIC = Path(__file__).with_name("static")
_FILES = {"playground.js": "text/javascript", "playground.css": "text/css"}


def playground_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @router.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in _FILES:
            raise Problem(404, f"no file {name!r}")
        return FileResponse(STATIC / name, media_type=_FILES[name])

    return router
