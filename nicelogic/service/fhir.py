"""A FHIR-style ``$validate`` for callers that already speak FHIR: the record in, an
``OperationOutcome`` out, one ``issue`` per violation (or per reason a record was rejected).

``expression`` is FHIRPath over the record's sections, so positions count from 0 there
(``opcs[1]`` is the second OPCS-4 code) where the rest of the API counts them from 1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from nicelogic.checking.diagnostics import UNKNOWN_CODE
from nicelogic.results import RecordResult, Violation
from nicelogic.service.checking import CheckService, PacksQuery, verdict_counts
from nicelogic.service.decisions import new_decision
from nicelogic.service.problems import Problem, problem_responses
from nicelogic.service.records import RecordIn

FHIR_JSON = "application/fhir+json"
RULE_SYSTEM = "urn:nicelogic:rule"  # the code system of the rule ids in ``details``
NO_VIOLATION = "the record breaks no rule of the loaded packs"
_CODE_LABELS = {"opcs-code", "icd10-code", "cpt-code"}  # input errors that name a code no system has


class Parameter(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    valueString: str | None = None  # noqa: N815 - FHIR's name


class Parameters(BaseModel):
    """A FHIR ``Parameters`` resource whose ``record`` parameter holds the record as text
    (a line of the text format, or a JSON Lines object written as a string)."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["Parameters"]  # noqa: N815 - FHIR's name
    parameter: list[Parameter] = Field(min_length=1)


ValidateBody = Parameters | RecordIn


def the_record(body: ValidateBody) -> RecordIn:
    if not isinstance(body, Parameters):
        return body
    for parameter in body.parameter:
        if parameter.name == "record" and parameter.valueString is not None:
            return parameter.valueString
    raise Problem(422, 'the Parameters resource holds no "record" parameter with a valueString', "No record")


def outcome(result: RecordResult, decision: str) -> dict[str, Any]:
    """The OperationOutcome of one record's verdict."""
    if result.error is not None:
        error = result.error
        issues = [{
            "severity": "error",
            "code": "code-invalid" if error.label in _CODE_LABELS else "structure",
            "details": {"text": f"input error ({error.label})" if error.label else "input error"},
            "diagnostics": f"record {result.id}, line {error.line}, column {error.column}: {error.message}",
            **({"expression": [error.where]} if error.where else {}),
        }]  # fmt: skip
    else:
        issues = [_issue(violation) for violation in result.violations]
    if not issues:
        issues = [{"severity": "information", "code": "informational", "diagnostics": NO_VIOLATION}]
    return {"resourceType": "OperationOutcome", "id": decision, "issue": issues}


def _issue(violation: Violation) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "error" if violation.is_error else "warning",
        "code": "code-invalid" if violation.rule == UNKNOWN_CODE.id else "business-rule",
        "details": {
            "coding": [{"system": RULE_SYSTEM, "code": violation.rule, "display": violation.title}],
            "text": violation.title,
        },
        "diagnostics": violation.message,
    }
    if violation.section:
        issue["expression"] = [f"{violation.section}[{p - 1}]" for p in violation.positions] or [violation.section]
    return issue


def fhir_router(service: CheckService) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/$validate",
        response_class=JSONResponse,
        responses={200: {"content": {FHIR_JSON: {}}, "description": "An OperationOutcome"}, **problem_responses(413, 422, 503)},
    )
    def validate(
        request: Request,
        body: Annotated[ValidateBody, Body(description="A Parameters resource with a 'record' parameter, or the record itself.")],
        packs: PacksQuery = None,
    ) -> JSONResponse:
        """Check one record; the verdict as a FHIR OperationOutcome."""
        record = the_record(body)
        results = service.check({1: record}, packs or ())
        decision = new_decision(request, service.revision, service.settings, [record], verdict_counts(results))
        return JSONResponse(outcome(results[0], decision), media_type=FHIR_JSON)

    return router
