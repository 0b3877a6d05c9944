"""SARIF 2.1.0, for code-scanning dashboards and CI systems."""

from __future__ import annotations

import json
from typing import Any

from nicelogic._version import __version__
from nicelogic.checking.diagnostics import ENGINE_RULES, INPUT_REJECTED
from nicelogic.report.base import ReporterBase, explanation_dict
from nicelogic.report.escape import uri_reference
from nicelogic.results import RecordResult, Summary, Violation

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INPUT_RULE = INPUT_REJECTED.id


class SarifReporter(ReporterBase):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.results: list[dict[str, Any]] = []
        # the packs' rules, then what the engine reports itself (rejected records, unused waivers)
        self.rule_index = {rule_id: n for n, rule_id in enumerate([*sorted(self.rules), *ENGINE_RULES])}

    def _location(self, source: str, line: int, column: int) -> dict[str, Any]:
        region: dict[str, int] = {"startLine": max(line, 1)}
        if column > 0:
            region["startColumn"] = column
        return {"physicalLocation": {"artifactLocation": {"uri": uri_reference(source)}, "region": region}}

    def add(self, result: RecordResult) -> None:
        if result.error is not None:
            self.results.append({
                "ruleId": INPUT_RULE,
                "ruleIndex": self.rule_index[INPUT_RULE],
                "level": "error",
                "message": {"text": f"{result.error.message} (record {result.id})"},
                "locations": [self._location(result.source, result.error.line, result.error.column)],
                "properties": {"record": result.id},
            })  # fmt: skip
        for v in result.violations:
            self.results.append(self._result(result, v))
        for v in result.waived:
            item = self._result(result, v)
            item["suppressions"] = [{"kind": "external", "justification": "waived by the record"}]
            self.results.append(item)

    def _result(self, result: RecordResult, v: Violation) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "record": result.id, "section": v.section, "positions": list(v.positions), "codes": list(v.codes),
        }  # fmt: skip
        if v.explanation is not None:
            properties["explanation"] = explanation_dict(v.explanation)
        if v.also:
            properties["also"] = [{"rule": r.rule, "source": r.source} for r in v.also]
        return {
            "ruleId": v.rule,
            "ruleIndex": self.rule_index[v.rule],
            "level": "error" if v.is_error else "warning",
            "message": {"text": f"{v.message} (record {result.id})"},
            "locations": [self._location(result.source, v.line, v.column)],
            "properties": properties,
        }

    def finish(self, summary: Summary) -> None:
        rules = [
            {
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.description or rule.title},
                "defaultConfiguration": {"level": "error" if rule.severity == "error" else "warning"},
                "properties": {"source": rule.source, "pack": rule.pack},
            }
            for rule in (self.rules[rule_id] for rule_id in sorted(self.rules))
        ]
        rules += [
            {
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": rule.title},
                "defaultConfiguration": {"level": rule.severity},
                "properties": {"source": rule.source},
            }
            for rule in ENGINE_RULES.values()
        ]
        document = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "nicelogic", "version": __version__,
                    "informationUri": "https://pypi.org/project/nicelogic/", "rules": rules,
                }},
                "results": self.results,
                "properties": {"summary": {
                    "records": summary.records, "valid": summary.valid,
                    "invalid": summary.invalid, "rejected": summary.rejected,
                }, "tables": self.tables},
            }],
        }  # fmt: skip
        json.dump(document, self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")
