"""nicelogic: a declarative checker for clinical code sequences.

Coding guidance becomes rule packs of Answer Set Programming (``logic/``), run by clingo
over records parsed by a Lark grammar (``grammar/``)::

    import nicelogic

    report = nicelogic.check("ep7: opcs V44.4 Y53.4 Z66.5; icd M80.0")
    for record in report.records:
        for violation in record.violations:
            print(violation.rule, violation.positions, violation.message)

For many checks, build a :class:`Checker` once and reuse it.
"""

# The submodules the README documents, so that ``nicelogic.testing.run_tests(...)`` works
# after a plain ``import nicelogic``.
from nicelogic import complete, tables
from nicelogic._version import __version__
from nicelogic.authoring import lint, testing
from nicelogic.checking.checker import Checker, check
from nicelogic.errors import InputError, InputProblem, RuleError
from nicelogic.model import Code, Record, Sex, System
from nicelogic.results import RecordResult, Report, Summary, Violation, exit_code
from nicelogic.rules.metadata import Rule
from nicelogic.rules.packs import Pack, RuleSet, load_rules

__all__ = [
    "Checker",
    "Code",
    "InputError",
    "InputProblem",
    "Pack",
    "Record",
    "RecordResult",
    "Report",
    "Rule",
    "RuleError",
    "RuleSet",
    "Sex",
    "Summary",
    "System",
    "Violation",
    "__version__",
    "check",
    "complete",
    "exit_code",
    "lint",
    "load_rules",
    "tables",
    "testing",
]
