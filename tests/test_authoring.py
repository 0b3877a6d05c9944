"""The rule-author toolkit: lint, test, new-pack, and the README walkthrough."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import JUnitXml

from nicelogic.authoring.lint import lint
from nicelogic.cli import main

from .conftest import PACKS, ROOT
from .consumers import tap_results


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_builtin_packs_lint_clean_and_ranges_are_spelled_out() -> None:
    findings = lint()
    assert [str(f) for f in findings if f.level == "error"] == []
    spinal = [f for f in findings if f.code == "range" and f.message.startswith("V22-V54")]
    assert spinal and "V55" not in spinal[0].message and "V64" not in spinal[0].message
    assert run("lint").exit_code == 0


def test_patient_packs_count_their_patient_cases_as_tests() -> None:
    """A pack that reads whole patients is tested by its .patients cases: lint finds every
    consistency rule made to fire there, and still names a rule no case makes fire."""
    findings = lint(["consistency"])
    assert [str(f) for f in findings if f.level == "error"] == []
    assert run("lint", "consistency").exit_code == 0


def test_a_patient_rule_no_patient_case_makes_fire_is_untested(tmp_path: Path) -> None:
    pack = tmp_path / "consistency"
    shutil.copytree(ROOT / "logic" / "consistency", pack)
    cases = pack / "tests" / "persistence.patients"
    blocks = cases.read_text(encoding="utf-8").split("\n\n")
    kept = [block for block in blocks if "expect: consistency.persistence-pdd" not in block]
    cases.write_text("\n\n".join(kept), encoding="utf-8")
    untested = [f for f in lint([str(pack)]) if f.code == "untested"]
    assert [f.message.split()[1] for f in untested] == ["consistency.persistence-pdd"]


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("duplicate-id", [("second.lp", 1, "pack", "duplicate rule id 'fixture.same'")]),
        (
            "typo-code",
            [("rule.lp", 6, "code-literal", "'Z00:Z99' is not a code"), ("rule.lp", 7, "code-literal", "'V5.1' is no code")],
        ),
        (
            "undefined-predicate",
            [("rule.lp", 6, "undefined", "fixture_has_levls/2"), ("rule.lp", 7, "unused", "fixture_has_levels/2")],
        ),
        ("script-block", [("rule.lp", 6, "pack", "#script blocks are refused")]),
        ("never-fires", [("rule.lp", 1, "never-fires", "can never fire with the loaded tables")]),
        ("local-policy", [("no-diagnosis.lp", 1, "untested", "no test case")]),
    ],
)  # fmt: skip
def test_broken_packs_give_specific_lint_errors(pack: str, expected: list[tuple[str, int, str, str]]) -> None:
    findings = [f for f in lint([str(PACKS / pack)]) if f.level == "error"]
    for name, line, code, text in expected:
        assert any(
            f.file.endswith(f"{pack}/{name}") and f.line == line and f.code == code and text in f.message for f in findings
        ), (name, line, code, [str(f) for f in findings])
    result = run("lint", str(PACKS / pack))
    assert result.exit_code == 1 and f"{pack}/{expected[0][0]}:{expected[0][1]}:" in result.output


def write_pack(folder: Path, cases: str) -> Path:
    result = run("new-pack", str(folder))
    assert result.exit_code == 0, result.output
    (folder / "tests" / "more.txt").write_text(cases, encoding="utf-8")
    return folder


def test_new_pack_works_out_of_the_box(tmp_path: Path) -> None:
    folder = tmp_path / "my-policy"
    assert run("new-pack", str(folder)).exit_code == 0
    assert (folder / "pack.toml").is_file() and list((folder / "tests").glob("*.txt"))
    assert run("test", str(folder), "--coverage-threshold", "100").exit_code == 0
    assert run("lint", str(folder)).exit_code == 0
    assert run("new-pack", str(folder)).exit_code == 2  # not over an existing pack
    assert run("new-pack", str(tmp_path / "Bad_Name")).exit_code == 2


def test_test_command_formats_and_failures(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "demo",
        "# expect: demo.procedure-needs-diagnosis @ opcs:1\nbad: opcs W35.1; icd C79.5\n"
        "# todo: not written yet\nlater: opcs W35.1\n",
    )
    result = run("test", str(folder))
    assert result.exit_code == 1 and "FAIL" in result.output and "1 failed" in result.output
    data = json.loads(run("test", str(folder), "--format", "json").output)
    assert data["summary"] == {"cases": 4, "passed": 2, "failed": 1, "skipped": 1}
    assert {c["status"] for c in data["cases"]} == {"passed", "failed", "skipped"}
    junit = JUnitXml.fromstring(run("test", str(folder), "--format", "junit").output.encode("utf-8"))
    assert (junit.tests, junit.failures, junit.errors, junit.skipped) == (4, 1, 0, 1)
    tap = tap_results(run("test", str(folder), "--format", "tap").output)
    assert [(point.ok, point.skip) for point in tap].count((False, False)) == 1
    assert [point.skip for point in tap].count(True) == 1
    selected = run("test", str(folder), "-k", "case-2")
    assert selected.exit_code == 0 and "1 passed, 0 failed" in selected.output
    assert run("test", str(folder), "-k", "no-such-case").exit_code == 1  # an empty run fails


def test_coverage_threshold_names_rules_never_exercised(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "thin", "")
    (folder / "second.lp").write_text(
        (folder / "procedure-needs-diagnosis.lp").read_text().replace("procedure-needs-diagnosis", "second-rule"),
        encoding="utf-8",
    )
    result = run("test", str(folder), "--coverage-threshold", "100")
    assert result.exit_code == 1
    assert "50.0%" in result.output and "thin.second-rule: never fires in a case\n" in result.output


def test_readme_walkthrough_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- walkthrough -->\n```sh\n", 1)[1].split("```\n<!-- /walkthrough -->", 1)[0]
    result = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rule coverage: 100.0% (2 of 2 rules" in result.stdout
    assert "ep2 is invalid, as it should be" in result.stdout


def test_builtin_packs_pass_nicelogic_test_at_full_coverage_from_the_command_line() -> None:
    result = run("test", "--coverage-threshold", "100", "--strict")
    assert result.exit_code == 0, result.output
    assert "rule coverage: 100.0%" in result.output and " 0 failed" in result.output


def test_test_command_reports_unreadable_case_files_in_junit_and_tap(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "demo", "bad: opcs W35.1; icd C79.5\n# expect: demo.procedure-needs-diagnosis\n")
    junit = JUnitXml.fromstring(run("test", str(folder), "--format", "junit").output.encode("utf-8"))
    assert junit.errors == 1 and sum(case.is_error for suite in junit for case in suite) == 1
    tap = tap_results(run("test", str(folder), "--format", "tap").output)
    assert [point.ok for point in tap].count(False) == 1


def test_lint_reports_rules_that_never_say_where_they_apply() -> None:
    from nicelogic.authoring.lint import lint

    from .conftest import PACKS

    findings = [f for f in lint([str(PACKS / "local-policy")]) if f.code == "no-trigger"]
    # both forbid something outright: no negative condition whose absence is their trigger;
    # no-diagnosis.lp ("a procedure, unless a diagnosis is coded") gets its trigger derived
    assert [(Path(f.file).name, f.level) for f in findings] == [("female-only.lp", "error"), ("pair.lp", "error")]


CONSISTENCY = ROOT / "logic" / "consistency"
AUTISM_MISSING = (
    "# case: autism coded, then missing\n# expect: consistency.persistence-autism @ spell 2\n"
    '{"id": "a1", "icd10": ["F84.0"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
    '{"id": "a2", "icd10": ["J45.9"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}\n'
)


def patient_pack(tmp_path: Path, cases: str) -> Path:
    """A copy of the consistency pack whose only cases are these."""
    pack = tmp_path / "consistency"
    shutil.copytree(CONSISTENCY, pack)
    for old in (pack / "tests").iterdir():
        old.unlink()
    (pack / "tests" / "only.patients").write_text(cases, encoding="utf-8")
    return pack


def test_nicelogic_test_runs_a_patient_packs_cases_beside_record_cases() -> None:
    from nicelogic.authoring.patient_cases import read_cases
    from nicelogic.authoring.testing import discover

    written = sum(len(read_cases(path)) for path in (CONSISTENCY / "tests").glob("*.patients"))
    result = run("test", str(CONSISTENCY), "--coverage-threshold", "100", "--strict")
    assert result.exit_code == 0, result.output
    assert "rule coverage: 100.0% (11 of 11 rules" in result.output and f"{written} passed, 0 failed" in result.output
    data = json.loads(run("test", str(CONSISTENCY), "-f", "json").output)
    assert len(data["cases"]) == written and all(c["file"].endswith(".patients") and c["line"] > 0 for c in data["cases"])
    assert {r["rule"] for r in data["coverage"]["rules"] if r["fire_cases"] and r["quiet_cases"]} >= {
        "consistency.persistence-autism", "consistency.once-only-repeated", "consistency.sex-changes",
    }  # fmt: skip
    # the built-in packs' tests, and several packs named: the patient pack's cases are among them
    assert set((CONSISTENCY / "tests").glob("*.patients")) <= {p.resolve() for p in discover([])}
    assert set((CONSISTENCY / "tests").glob("*.patients")) <= {p.resolve() for p in discover([], ["opcs4", "consistency"])}
    selected = json.loads(run("test", str(CONSISTENCY), "-k", "J69.3", "-f", "json").output)
    assert [c["line"] for c in selected["cases"]] == [8]


def test_a_failing_patient_case_is_named_by_file_and_line_in_every_format(tmp_path: Path) -> None:
    wrong = (
        "# case: autism coded again, but expected missing\n# expect: consistency.persistence-autism\n"
        '{"id": "b1", "icd10": ["F84.0"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
        '{"id": "b2", "icd10": ["F84.1"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}\n'
    )
    pack = patient_pack(tmp_path, AUTISM_MISSING + "\n" + wrong)
    cases = pack / "tests" / "only.patients"
    result = run("test", str(pack))
    assert result.exit_code == 1
    assert f"FAIL {cases}:6: patient case 'autism coded again, but expected missing'" in result.output
    assert "expected consistency.persistence-autism, not found" in result.output and "1 passed, 1 failed" in result.output
    data = json.loads(run("test", str(pack), "-f", "json").output)
    assert [(c["line"], c["status"]) for c in data["cases"]] == [(1, "passed"), (6, "failed")]
    junit = JUnitXml.fromstring(run("test", str(pack), "-f", "junit").output.encode("utf-8"))
    assert (junit.tests, junit.failures) == (2, 1)
    failed = [case for suite in junit for case in suite if not case.is_passed]
    assert [(case.classname, case.name.split(":")[0]) for case in failed] == [(str(cases), "line 6")]
    tap = tap_results(run("test", str(pack), "-f", "tap").output)
    assert [point.ok for point in tap] == [True, False]


def test_a_patient_rule_is_credited_quiet_only_where_it_applies(tmp_path: Path) -> None:
    unrelated = (  # persistence-autism does not apply: no index spell; the case passes and shows nothing of it
        "# case: no autism anywhere\n"
        '{"id": "c1", "icd10": ["J45.9"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
        '{"id": "c2", "icd10": ["J45.9"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}\n'
    )
    pack = patient_pack(tmp_path, AUTISM_MISSING + "\n" + unrelated)
    result = run("test", str(pack), "--coverage-threshold", "1")
    assert result.exit_code == 1, result.output  # two cases pass, no rule both fires and keeps quiet
    assert "2 passed, 0 failed" in result.output
    assert "consistency.persistence-autism: never shown quiet\n" in result.output
    assert "consistency.sex-changes: never fires in a case and never shown quiet" in result.output
    coded_again = (
        "# case: autism coded again\n"
        '{"id": "d1", "icd10": ["F84.0"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
        '{"id": "d2", "icd10": ["F84.5"], "ADMIDATE": "2016-01-01", "EPIEND": "2016-01-02"}\n'
    )
    pack = patient_pack(tmp_path / "again", AUTISM_MISSING + "\n" + coded_again)
    data = json.loads(run("test", str(pack), "-f", "json").output)
    autism = next(r for r in data["coverage"]["rules"] if r["rule"] == "consistency.persistence-autism")
    assert (autism["fire_cases"], autism["quiet_cases"]) == (1, 1)
    assert run("test", str(pack), "--coverage-threshold", "1").exit_code == 0
    assert run("test", str(pack), "--coverage-threshold", "100").exit_code == 1


def test_an_ok_of_a_rule_that_does_not_apply_and_a_firing_outside_patient_applies_fail_the_case(tmp_path: Path) -> None:
    says_ok = (
        "# case: says autism is quiet where it is not judged\n# ok: consistency.persistence-autism\n"
        '{"id": "e1", "icd10": ["J45.9"], "ADMIDATE": "2015-01-01", "EPIEND": "2015-01-03"}\n'
    )
    pack = patient_pack(tmp_path, says_ok)
    result = run("test", str(pack))
    assert result.exit_code == 1 and "ok: consistency.persistence-autism does not apply to the case" in result.output
    pack = patient_pack(tmp_path / "narrow", AUTISM_MISSING)
    death = pack / "admission-after-death.lp"  # a rule that counts no unit in its denominator
    death.write_text(
        "\n".join(line for line in death.read_text(encoding="utf-8").splitlines() if not line.startswith("patient_applies"))
        + '\npatient_violation("consistency.admission-after-death", P, spell(1)) :- patient(P).\n',
        encoding="utf-8",
    )
    result = run("test", str(pack))
    assert result.exit_code == 1
    assert "admission-after-death fired @ spell 1 (a1), but its patient_applies does not cover that unit" in result.output
