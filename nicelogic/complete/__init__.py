"""Completions and repairs: the check rules run backwards (``logic/complete/``).

from nicelogic.complete import Completer
"""

from nicelogic.complete.completer import Completer
from nicelogic.complete.results import (
    Completion,
    CompletionReport,
    Conflict,
    Consequences,
    Edit,
    Placed,
    Repair,
    RepairReport,
)

__all__ = [
    "Completer", "Completion", "CompletionReport", "Conflict", "Consequences", "Edit", "Placed", "Repair", "RepairReport",
]  # fmt: skip
