"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), whose
scripts and styles are files of the fastapi-offline package served under ``/static/docs`` by
the service itself: a service on a closed network has no CDN, and a page it serves should
send nobody elsewhere (as the playground does not)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline

ASSETS = "/static/docs"
# ReDoc's side menu shows its maker's logo from their CDN whatever its options say, so the
# browser is told to load images from this service only
REDOC_POLICY = "img-src 'self' data:"


def documented_app(**options: Any) -> FastAPI:
    """A FastAPI application (``options`` as FastAPI takes them) with both pages."""
    # Swagger UI's default validatorUrl would send the schema's address to swagger.io for a badge
    app = FastAPIOffline(static_url=ASSETS, redoc_url=None, swagger_ui_parameters={"validatorUrl": None}, **options)

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc", with_google_fonts=False,
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        )  # fmt: skip
        page.headers["Content-Security-Policy"] = REDOC_POLICY
        return page

    return app
