"""What the service allows one request, because a service meets hostile input: each limit is
an option of ``nicelogic serve`` with the default written here once."""

from __future__ import annotations

from dataclasses import dataclass

from nicelogic.bounded import DEFAULT_MEMORY_LIMIT
from nicelogic.input.records import MAX_CODES

DEFAULT_MAX_BODY = 1 << 20  # bytes: a thousand long records in JSON fit in well under this
DEFAULT_MAX_RECORDS = 1000
DEFAULT_TIME_LIMIT = 10.0  # seconds a request may wait for and use the checker or a completer
DEFAULT_COMPLETION_TIME_LIMIT = 10.0
DEFAULT_MAX_ADD = 4
DEFAULT_COMPLETERS = 2  # completion worker processes, each answering one question at a time


@dataclass(frozen=True)
class ServiceSettings:
    max_body: int = DEFAULT_MAX_BODY
    max_records: int = DEFAULT_MAX_RECORDS
    max_codes: int = MAX_CODES
    time_limit: float = DEFAULT_TIME_LIMIT
    completion_time_limit: float = DEFAULT_COMPLETION_TIME_LIMIT
    memory_limit: int = DEFAULT_MEMORY_LIMIT  # bytes over what a completion worker holds loaded
    max_add: int = DEFAULT_MAX_ADD
    completers: int = DEFAULT_COMPLETERS
    log_records: bool = False
