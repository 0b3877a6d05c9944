"""The FastAPI application over one loaded :class:`~nicelogic.Checker` (packs and tables load
once, when the app is made): health and readiness, the ``/v1`` API, the playground page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from nicelogic.checking.checker import Checker
from nicelogic.rules.catalogue import catalogue
from nicelogic.service.access_log import AccessLog
from nicelogic.service.api_docs import documented_app
from nicelogic.service.body_limit import BodyLimit
from nicelogic.service.checking import CheckService, check_router
from nicelogic.service.completing import CompleterPool, complete_router
from nicelogic.service.fhir import fhir_router
from nicelogic.service.playground import playground_router
from nicelogic.service.problems import Problem, install_problem_handlers, problem_responses
from nicelogic.service.revision import revision
from nicelogic.service.settings import ServiceSettings


def create_app(checker: Checker, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    rule_revision = revision(checker.ruleset, checker.tables.versions())
    rules = {row["id"]: row for row in catalogue(checker.ruleset)}
    service = CheckService(checker, settings, rule_revision)
    pool = CompleterPool(checker, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        service.batcher.close()
        checker.close()

    app = documented_app(
        title="nicelogic", version="1", lifespan=lifespan,
        description="Checks clinical code sequences (OPCS-4, ICD-10, CPT) against declarative rule packs.",
    )  # fmt: skip
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_body=settings.max_body)
    app.add_middleware(AccessLog)  # added last: outermost, so that a refused body is logged too

    @app.get("/health")
    def health() -> dict[str, str]:
        """The process answers."""
        return {"status": "alive"}

    @app.get("/ready")
    def ready() -> dict[str, Any]:
        """The packs and tables are loaded: which, in which versions."""
        return {"status": "ready", "revision": rule_revision}

    app.include_router(check_router(service))
    app.include_router(complete_router(pool, rule_revision))
    app.include_router(fhir_router(service))

    @app.get("/v1/rules")
    def list_rules() -> dict[str, Any]:
        """The catalogue of the loaded rules, with their metadata and source."""
        return {"revision": rule_revision, "rules": list(rules.values())}

    @app.get("/v1/rules/{rule_id}", responses=problem_responses(404))
    def one_rule(rule_id: str) -> dict[str, Any]:
        """One rule's metadata and source."""
        if rule_id not in rules:
            raise Problem(404, f"no rule {rule_id!r} in the loaded packs")
        return rules[rule_id]

    app.include_router(playground_router())
    return app
