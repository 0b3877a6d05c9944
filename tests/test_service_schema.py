"""schemathesis against the service's own OpenAPI schema: whatever the schema allows (and,
in the negative mode, what it does not) gets an answer, never a server error. Bounded: a
few examples per operation and mode, with the real packs, solver and completer workers.

The strategies are driven by Hypothesis directly (``APIOperation.as_strategy``): the
pytest plugin of schemathesis 4 does not run under pytest 9."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

import nicelogic
from nicelogic.service.app import create_app
from nicelogic.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    # a short completion time limit keeps every generated question short: beyond it is a 503, never a 500
    yield create_app(nicelogic.Checker(["opcs4", "nice.htg3"]), ServiceSettings(completion_time_limit=1.0, completers=1))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_makes_a_server_error(app: FastAPI, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "POST /v1/check", "POST /v1/complete", "POST /v1/repair", "POST /v1/$validate", "GET /v1/rules/{rule_id}",
    }  # fmt: skip
    answered: list[int] = []
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not any(map(len, (operation.body, operation.query, operation.path_parameters))):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def answers(case: schemathesis.Case) -> None:
            response = case.call_and_validate(checks=[not_a_server_error])
            answered.append(response.status_code)
            if response.status_code >= 400:  # every refusal is a problem document
                assert response.headers["content-type"] == ["application/problem+json"], response.text

        try:
            answers()
        except Unsatisfiable:
            # a body that takes any JSON string or object leaves schemathesis hardly anything
            # invalid to send; the operations that can be refused are still sent invalid requests
            assert mode is GenerationMode.NEGATIVE, operation.path
    assert answered and max(answered) < 500
    if mode is GenerationMode.NEGATIVE:
        assert 422 in answered
