"""What the engine itself reports about a record, beside the rules of the packs.

These ids appear in results like rule ids, so that every output format carries them,
and are described here once for catalogues (SARIF's rule list, docs/output.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from nicelogic.model import Record
from nicelogic.results import Violation


@dataclass(frozen=True, slots=True)
class EngineRule:
    id: str
    severity: str
    title: str
    source: str

    def violation(
        self,
        record: Record,
        message: str,
        *,
        section: str = "",
        positions: tuple[int, ...] = (),
        codes: tuple[str, ...] = (),
        column: int = 0,
        where: str | None = None,
    ) -> Violation:
        """This engine rule's finding on a record, as a pack rule's would be reported."""
        return Violation(
            rule=self.id, severity=self.severity, section=section, positions=positions, codes=codes, message=message,
            source=self.source, line=record.line, column=column, title=self.title, where=where,
        )  # fmt: skip


INPUT_REJECTED = EngineRule(
    "input.rejected", "error", "A record could not be read", "nicelogic: records that cannot be read are rejected, never dropped"
)
UNUSED_WAIVER = EngineRule(
    "waiver.unused",
    "warning",
    "A waiver names rules that report nothing on its record",
    "nicelogic: a waiver that waives nothing is reported, as ruff's RUF100 reports an unused noqa, "
    "so that waivers do not outlive the mistakes they were written for",
)
UNKNOWN_CODE = EngineRule(
    "table.unknown-code",
    "warning",
    "A code that no loaded edit table knows",
    "nicelogic: the CMS NCCI edits can judge only the codes their tables name; a claim line whose code no loaded "
    "add-on, PTP or MUE table knows is reported, never passed as valid in silence",
)
NOT_IN_FORCE = EngineRule(
    "table.not-in-force",
    "warning",
    "A record dated when no loaded edition of its classification was in force",
    "nicelogic: a record is coded with the edition in force when its episode ended; where no loaded table was in "
    "force then, its codes are not judged valid or invalid by today's table (load the edition it was coded with)",
)
ENGINE_RULES = {rule.id: rule for rule in (INPUT_REJECTED, UNUSED_WAIVER, UNKNOWN_CODE, NOT_IN_FORCE)}
