"""Each answer's decision id, and what the access log records about it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from nicelogic.service.access_log import log_fields
from nicelogic.service.records import RecordObject
from nicelogic.service.settings import ServiceSettings

COUNTED = ("records", "valid", "invalid", "rejected", "violations", "warnings")


def new_decision(
    request: Request, revision: dict[str, Any], settings: ServiceSettings, records: Sequence[object],
    counts: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    """A new decision id, noted with the verdict counts (and the records themselves only
    with ``--log-records``) in this request's access log line."""
    decision = str(uuid.uuid4())
    fields = log_fields(request)
    fields.update({"decision_id": decision, "revision": revision["sha256"][:12]})
    if counts is not None:
        fields.update({key: counts[key] for key in COUNTED})
    if settings.log_records:
        fields["input"] = [r.as_json() if isinstance(r, RecordObject) else r for r in records]
    return decision
