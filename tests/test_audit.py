"""nicelogic compare: the hand-built audit fixture (tests/fixtures/audit, 35 episodes compared
and 6 records that cannot be) with every figure worked out by hand below, bad input on
either side, the threshold profiles, the counting methods and the output formats.

The fixture, episode by episode (O: the original coding, A: the auditor's; D diagnoses,
P procedures; primary first):

    e01 same D I21.0 E11.9, P K40.1              e19 P: O W37.1, A W37.1 Z94.1 (site)
    e02 same D J18.9, no procedures              e20 P: O H22.1 W37.1 Z94.2, A ... Z94.1 (SP site)
    e03 PD: O J18.9 (X), A I21.0 (IX): chapter   e21 P: O none, A H22.1: PP omitted
    e04 PD: O I10 (IX), A I21.0 (IX): category   e22 P: O H22.1, A none: PP superfluous
    e05 PD: O J18.9, A J18.1: 4th character      e23 SP reordered: O Y53.4 K40.1, A K40.1 Y53.4
    e06 PD: O M80.08, A M80.05: UK 5th character e24 SP: O K40.1, A K40.2: 4th character
    e07 O A17.0, A A17.0+ G01*: PD dagger, SD    e25 SP: O none, A K40.1: omitted
        G01* omitted (dagger/asterisk pair)      e26 SP: O K40.1, A none: superfluous
    e08 O E11.9 I10, A I10 E11.9: PD sequencing, e27 P: O K40.1 H22.1, A H22.1 K40.1: PP
        SD I10/E11.9 superfluous/omitted (seq.)      sequencing, SP omitted + superfluous (seq.)
    e09 SD reordered (I10 moved): sequencing 1   e28 no diagnoses either side, P H22.1 same
    e10 SD: A adds E11.9: omitted                e29 D: O none, A J18.9: PD omitted
    e11 SD: O adds I10: superfluous              e30 D: O J18.9, A none: PD superfluous
    e12 SD: O N18.3, A N18.4: 4th character      e31 same S72.0 W19.9, W37.1 (W19.9 breaks
    e13 SD: O M80.08, A M80.05: 5th character        icd.valid-code in both: shared)
    e14 SD: O E10.9, A E11.9: omitted + superfl. e32 O A17.0+ G01*, A A17.0: PD dagger, SD
    e15 PP: O W37.1, A H22.1: chapter                G01* superfluous (dagger/asterisk pair)
    e16 PP: O W37.1, A W38.1: category           e33 same C34.1, K40.1
    e17 PP: O W37.1, A W37.2: 4th character      e34 P: O Y53.4 H22.1, A H22.1 Y53.4: PP and
    e18 P: O W37.1 Z94.1, A W37.1 Z94.2 (site)       SP sequencing; removes opcs.subsidiary-not-first
    e15-e27, e34, e35: D K35.8 in both           e35 the reverse of e34: introduces it

Not compared: e40 only in ORIGINAL, e41 only in AUDITED, e42 twice in AUDITED (3 records),
e43 unreadable in ORIGINAL (J1X.9), e44 unreadable in AUDITED.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from nicelogic.audit.kappa import cohen_kappa

from .test_research import nicelogic

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
ORIGINAL, AUDITED = str(FIXTURES / "original.csv"), str(FIXTURES / "audited.jsonl")

# code type: (correct, wrong, omitted, superfluous, sequencing), counted from the table above
EXPECTED_COUNTS = {
    # correct: e01 e02 e09-e14 (8), e15-e27 (13), e31 e33 e34 e35; wrong: e03-e08 e32; omitted e29; superfluous e30
    "primary_diagnosis": (25, 7, 1, 1, 0),
    # correct: E11.9 (e01), 3 (e09), W19.9 (e31); wrong: e12 e13; omitted: e07 e08 e10 e14;
    # superfluous: e08 e11 e14 e32; sequencing: e09
    "secondary_diagnoses": (5, 2, 4, 4, 1),
    # correct: e01 e20 e23 e24 e25 e26 e28 e31 e33; wrong: e15-e19 e27 e34 e35; omitted e21; superfluous e22
    "primary_procedure": (9, 8, 1, 1, 0),
    # correct: Y53.4 K40.1 (e23); wrong: e20 e24; omitted: e25 e27 e34 e35; superfluous: e26 e27 e34 e35;
    # sequencing: e23
    "secondary_procedures": (2, 2, 4, 4, 1),
}
# percentage correct, code over code: correct / (correct + wrong + omitted)
EXPECTED_PERCENT = {
    "primary_diagnosis": 100 * 25 / 33,
    "secondary_diagnoses": 100 * 5 / 11,
    "primary_procedure": 100 * 9 / 18,
    "secondary_procedures": 100 * 2 / 8,
}
# error level: (primary diagnosis, secondary diagnoses, primary procedure, secondary procedures)
EXPECTED_LEVELS = {
    "chapter": (1, 0, 1, 0),  # e03; e15
    "category": (1, 0, 1, 0),  # e04; e16
    "fourth": (1, 1, 1, 1),  # e05; e12; e17; e24
    "fifth": (1, 1, 0, 0),  # e06; e13
    "dagger-asterisk": (2, 2, 0, 0),  # e07 e32; G01* of e07 and of e32
    "site-laterality": (0, 0, 2, 1),  # e18 e19; e20
    "sequencing": (1, 2, 3, 6),  # e08; e08 twice; e27 e34 e35; two each of e27 e34 e35
    "omitted": (1, 2, 1, 1),  # e29; e10 e14; e21; e25
    "superfluous": (1, 2, 1, 1),  # e30; e11 e14; e22; e26
}
# Primary diagnosis at chapter level, over the 34 episodes where either coding has one (not
# e28): they agree on all but e03 (IX/X), e08 (IX/IV), e29 (X/none) and e30 (none/X), so
# observed = 30/34. Auditor's chapters: IX 8, X 5, XIII 1, I 2, XI 15, XIX 1, II 1, none 1;
# original's: IX 6, X 6, IV 1, XIII 1, I 2, XI 15, XIX 1, II 1, none 1; so expected =
# (8*6 + 5*6 + 1 + 2*2 + 15*15 + 1 + 1 + 1) / 34^2 = 311/1156, and
# kappa = (1020/1156 - 311/1156) / (845/1156) = 709/845.
EXPECTED_KAPPA_PD_CHAPTER = 709 / 845
# The (auditor, original) labels of the primary diagnosis and procedure, episode by episode,
# for the kappas at every level (checked against statsmodels below).
PD_PAIRS = (
    [("I21.0", "I21.0"), ("J18.9", "J18.9"), ("I21.0", "J18.9"), ("I21.0", "I10"), ("J18.1", "J18.9"),
     ("M80.05", "M80.08"), ("A17.0", "A17.0"), ("I10", "E11.9"), ("I21.0", "I21.0"), ("J18.9", "J18.9"),
     ("J18.9", "J18.9"), ("I21.0", "I21.0"), ("I21.0", "I21.0"), ("I21.0", "I21.0")]
    + [("K35.8", "K35.8")] * 13
    + [("J18.9", None), (None, "J18.9"), ("S72.0", "S72.0"), ("A17.0", "A17.0"), ("C34.1", "C34.1")]
    + [("K35.8", "K35.8")] * 2
)  # fmt: skip
PP_PAIRS = [
    ("K40.1", "K40.1"), ("H22.1", "W37.1"), ("W38.1", "W37.1"), ("W37.2", "W37.1"), ("W37.1", "W37.1"),
    ("W37.1", "W37.1"), ("H22.1", "H22.1"), ("H22.1", None), (None, "H22.1"), ("H22.1", "H22.1"), ("H22.1", "H22.1"),
    ("H22.1", "H22.1"), ("H22.1", "H22.1"), ("H22.1", "K40.1"), ("H22.1", "H22.1"), ("W37.1", "W37.1"),
    ("K40.1", "K40.1"), ("H22.1", "Y53.4"), ("Y53.4", "H22.1"),
]  # fmt: skip
ICD_CHAPTERS = {"I": "IX", "J": "X", "M": "XIII", "A": "I", "K": "XI", "S": "XIX", "C": "II", "E": "IV"}


def _label(code: str | None, level: str, procedure: bool) -> str:
    if code is None:
        return "(none)"
    if level == "chapter":
        return code[0] if procedure else ICD_CHAPTERS[code[0]]
    return code[:3] if level == "3-character" else code[:5]


def _statsmodels_kappa(pairs: list[tuple[str | None, str | None]], level: str, procedure: bool) -> float:
    labelled = [(_label(a, level, procedure), _label(o, level, procedure)) for a, o in pairs]
    labels = sorted({x for pair in labelled for x in pair})
    table = [[sum(1 for p in labelled if p == (row, col)) for col in labels] for row in labels]
    return float(cohens_kappa(table, return_results=False))


@pytest.fixture(scope="module")
def audit() -> dict[str, object]:
    done = nicelogic("compare", ORIGINAL, AUDITED, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_counts_by_code_type_are_those_worked_out_by_hand(audit: dict) -> None:
    for code_type, (correct, wrong, omitted, superfluous, sequencing) in EXPECTED_COUNTS.items():
        got = audit["code_types"][code_type]
        assert (got["correct"], got["wrong"], got["omitted"], got["superfluous"], got["sequencing"]) == (
            correct, wrong, omitted, superfluous, sequencing,
        ), code_type  # fmt: skip
        assert got["denominator"] == correct + wrong + omitted
        assert got["percent_correct"] == pytest.approx(EXPECTED_PERCENT[code_type])
        low, high = got["interval_95"]
        assert low < got["percent_correct"] < high
    assert audit["method"] == "code-over-code" and "auditor's codes are the denominator" in audit["counting_rule"]


def test_counts_by_error_level_are_those_worked_out_by_hand(audit: dict) -> None:
    order = ("primary_diagnosis", "secondary_diagnoses", "primary_procedure", "secondary_procedures")
    got = {row["level"]: tuple(row[t] for t in order) for row in audit["error_levels"]}
    assert got == EXPECTED_LEVELS
    classes = {row["level"]: row["class"] for row in audit["error_levels"]}
    assert {level for level, kind in classes.items() if kind == "minor"} == {
        "fourth",
        "fifth",
        "dagger-asterisk",
        "site-laterality",
    }
    # every code that is not correct has exactly one level
    for index, code_type in enumerate(order):
        _, wrong, omitted, superfluous, _ = EXPECTED_COUNTS[code_type]
        assert sum(levels[index] for levels in EXPECTED_LEVELS.values()) == wrong + omitted + superfluous


def test_episodes_present_on_one_side_repeated_or_unreadable_are_listed_and_counted(audit: dict) -> None:
    assert audit["episodes"] == {
        "compared": 35, "only_in_original": 1, "only_in_audited": 1, "duplicate_id": 3, "unreadable": 2,
        "original_records": 39, "audited_records": 40,
    }  # fmt: skip
    problems = {(p["id"], p["status"]) for p in audit["problems"]}
    assert problems == {
        ("e40", "only_in_original"), ("e41", "only_in_audited"), ("e42", "duplicate_id"), ("e43", "unreadable"),
        ("e44", "unreadable"),
    }  # fmt: skip
    by_id = {p["id"]: p for p in audit["problems"]}
    assert "DIAG_01" in by_id["e43"]["reason"] and "J1X.9" in by_id["e43"]["reason"]
    assert by_id["e43"]["original"]["line"] == 39  # the header is line 1
    assert "icd10[1]" in by_id["e44"]["reason"] and by_id["e44"]["audited"]["line"] == 40
    repeated = [p for p in audit["problems"] if p["id"] == "e42"]
    assert len(repeated) == 3
    assert sorted(p["audited"]["line"] for p in repeated if p["audited"]) == [37, 38]
    assert any("appears 2 times in AUDITED (lines 37, 38)" in p["reason"] for p in repeated)


def test_kappa_of_the_primary_codes(audit: dict) -> None:
    kappas = {(k["code_type"], k["level"]): k for k in audit["kappa"]}
    assert kappas["primary_diagnosis", "chapter"]["kappa"] == pytest.approx(EXPECTED_KAPPA_PD_CHAPTER)
    assert kappas["primary_diagnosis", "chapter"]["episodes"] == 34
    assert kappas["primary_procedure", "chapter"]["episodes"] == len(PP_PAIRS)
    for code_type, pairs, procedure in (("primary_diagnosis", PD_PAIRS, False), ("primary_procedure", PP_PAIRS, True)):
        for level in ("chapter", "3-character", "4-character"):
            expected = _statsmodels_kappa(pairs, level, procedure)
            assert kappas[code_type, level]["kappa"] == pytest.approx(expected, abs=1e-12), (code_type, level)


def test_figures_by_coder(audit: dict) -> None:
    groups = {(g["kind"], g["key"], g["code_type"]): g for g in audit["groups"]}
    # C1 codes e01-e16: PD correct e01 e02 e09-e16 (10), wrong e03-e08 (6)
    assert (groups["coder", "C1", "primary_diagnosis"]["correct"], groups["coder", "C1", "primary_diagnosis"]["denominator"]) == (
        10,
        16,
    )
    # C2 codes e17-e35: PD correct e17-e27 e31 e33 e34 e35 (15), wrong e32, omitted e29 (e30 superfluous: apart)
    assert (groups["coder", "C2", "primary_diagnosis"]["correct"], groups["coder", "C2", "primary_diagnosis"]["denominator"]) == (
        15,
        17,
    )
    assert {g["key"] for g in audit["groups"] if g["kind"] == "specialty"} == {"100", "300"}


def test_standards_removed_introduced_and_shared(audit: dict) -> None:
    rules = {r["rule"]: (r["removed"], r["introduced"], r["shared"]) for r in audit["standards"]["rules"]}
    assert rules == {
        "opcs.subsidiary-not-first": (1, 1, 0),  # Y53.4 first in e34's original, in e35's audited coding
        "icd.valid-code": (0, 0, 1),  # W19.9 in both codings of e31: a training point
    }


def test_thresholds_fail_and_pass_and_name_their_source(audit: dict, tmp_path: Path) -> None:
    verdicts = {v["profile"]: v for v in audit["thresholds"]}
    assert set(verdicts) == {"dspt", "igt505-level2", "igt505-level3"}
    assert not any(v["met"] for v in verdicts.values())
    assert all(v["source"] for v in verdicts.values())
    assert "200" in verdicts["dspt"]["notes"][0]  # 35 episodes are fewer than DSPT's 200
    level2 = {r["code_type"]: (r["minimum"], r["met"]) for r in verdicts["igt505-level2"]["results"]}
    assert level2 == {
        "primary_diagnosis": (90, False), "secondary_diagnoses": (80, False), "primary_procedure": (90, False),
        "secondary_procedures": (80, False),
    }  # fmt: skip
    own = tmp_path / "ours.toml"
    own.write_text(
        '[local]\nsource = "our trust\'s audit policy, 2026"\nprimary_diagnosis = 75\nsecondary_diagnoses = 45\n'
        "primary_procedure = 50\nsecondary_procedures = 25\n"
    )
    done = nicelogic("compare", ORIGINAL, AUDITED, "--threshold", str(own), "--format", "json", "--no-standards")
    assert done.returncode == 0, done.stderr  # 75.8, 45.5, 50.0 and 25.0 reach every minimum
    (verdict,) = json.loads(done.stdout)["thresholds"]
    assert verdict["profile"] == "local" and verdict["met"]
    failed = nicelogic("compare", ORIGINAL, AUDITED, "--threshold", "dspt", "--no-standards")
    assert failed.returncode == 1
    assert "dspt" in failed.stdout and "not met" in failed.stdout
    own.write_text("[local]\nprimary_diagnosis = 75\n")
    refused = nicelogic("compare", ORIGINAL, AUDITED, "--threshold", str(own))
    assert refused.returncode == 2 and "needs a source" in refused.stderr
    unknown = nicelogic("compare", ORIGINAL, AUDITED, "--threshold", "dsp")
    assert unknown.returncode == 2 and "neither a profile" in unknown.stderr


def test_codes_in_either_counts_superfluous_codes_against() -> None:
    done = nicelogic("compare", ORIGINAL, AUDITED, "--method", "codes-in-either", "--format", "json", "--no-standards")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["method"] == "codes-in-either"
    for code_type, (correct, wrong, omitted, superfluous, _) in EXPECTED_COUNTS.items():
        got = found["code_types"][code_type]
        assert got["denominator"] == correct + wrong + omitted + superfluous
        assert got["percent_correct"] == pytest.approx(100 * correct / (correct + wrong + omitted + superfluous))


def test_csv_has_a_row_per_episode_and_record_not_compared() -> None:
    done = nicelogic("compare", ORIGINAL, AUDITED, "--format", "csv", "--no-standards")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 35 + 1 + 1 + 3 + 2
    by_id = {row["id"]: row for row in rows if row["status"] == "compared"}
    assert by_id["e09"]["secondary_diagnoses_correct"] == "3" and by_id["e09"]["secondary_diagnoses_sequencing"] == "1"
    assert by_id["e27"]["primary_procedure_wrong"] == "1" and by_id["e27"]["secondary_procedures_omitted"] == "1"
    assert by_id["e28"]["primary_diagnosis_correct"] == "0" and by_id["e28"]["primary_procedure_correct"] == "1"
    assert by_id["e01"]["coder"] == "C1" and by_id["e01"]["specialty"] == "300"
    assert by_id["e01"]["violations_removed"] == ""  # the rule packs were not run
    totals = {name: sum(int(row[f"{name}_correct"] or 0) for row in rows) for name in EXPECTED_COUNTS}
    assert totals == {name: counts[0] for name, counts in EXPECTED_COUNTS.items()}


def test_swapping_the_inputs_swaps_omitted_and_superfluous(audit: dict) -> None:
    done = nicelogic("compare", AUDITED, ORIGINAL, "--format", "json", "--no-standards")
    swapped = json.loads(done.stdout)
    for code_type, counts in audit["code_types"].items():
        other = swapped["code_types"][code_type]
        assert (other["correct"], other["wrong"], other["omitted"], other["superfluous"]) == (
            counts["correct"], counts["wrong"], counts["superfluous"], counts["omitted"],
        )  # fmt: skip
    assert swapped["episodes"]["only_in_original"] == audit["episodes"]["only_in_audited"]


def test_a_section_one_layout_lacks_is_reported_and_the_rest_compared(tmp_path: Path) -> None:
    diagnoses_only = tmp_path / "diagnoses.csv"
    diagnoses_only.write_text("EPIKEY,DIAG_01,DIAG_02\ne01,I21.0,E11.9\ne02,J18.9,\ne03,J18.9,\n")
    done = nicelogic("compare", str(diagnoses_only), AUDITED, "--format", "json", "--no-standards")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    (note,) = found["notes"]
    assert "ORIGINAL" in note and "no procedures" in note and "not compared" in note
    assert set(found["code_types"]) == {"primary_diagnosis", "secondary_diagnoses"}
    assert found["code_types"]["primary_diagnosis"]["correct"] == 2  # e01, e02 (e03: chapter)
    assert found["episodes"]["compared"] == 3


def test_episodes_matched_by_a_named_key_column(tmp_path: Path) -> None:
    original = tmp_path / "original.csv"
    audited = tmp_path / "audited.csv"
    original.write_text("EPIKEY,AUDIT_REF,DIAG_01\n1,a,J18.9\n2,b,I21.0\n")
    audited.write_text("EPIKEY,AUDIT_REF,DIAG_01\n9,b,I21.0\n8,a,J18.1\n")
    done = nicelogic("compare", str(original), str(audited), "--key", "AUDIT_REF", "--format", "json", "--no-standards")
    found = json.loads(done.stdout)
    assert found["episodes"]["compared"] == 2
    assert found["code_types"]["primary_diagnosis"]["correct"] == 1 and found["code_types"]["primary_diagnosis"]["wrong"] == 1
    by_epikey = json.loads(nicelogic("compare", str(original), str(audited), "--format", "json", "--no-standards").stdout)
    assert by_epikey["episodes"]["compared"] == 0 and by_epikey["episodes"]["only_in_original"] == 2


def test_the_terminal_summary_states_the_rule_and_figures() -> None:
    done = nicelogic("compare", ORIGINAL, AUDITED, "--color", "never")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "code-over-code" in text and "auditor's codes are the denominator" in text
    assert "75.8%" in text and "45.5%" in text and "50.0%" in text and "25.0%" in text
    assert "opcs.subsidiary-not-first" in text and "e43" in text


def test_usage_errors() -> None:
    missing = nicelogic("compare", ORIGINAL, "no-such-file.csv")
    assert missing.returncode == 2 and "no-such-file.csv" in missing.stderr
    text_output = nicelogic("compare", ORIGINAL, AUDITED, "--output", "x.txt")
    assert text_output.returncode == 2 and "--format json or csv" in text_output.stderr


def test_kappa_against_statsmodels_on_uneven_tables() -> None:
    from collections import Counter

    table = Counter({("a", "a"): 40, ("a", "b"): 9, ("b", "a"): 3, ("b", "b"): 25, ("c", "c"): 7, ("c", "a"): 4})
    labels = ["a", "b", "c"]
    matrix = [[table[row, col] for col in labels] for row in labels]
    assert cohen_kappa(table).kappa == pytest.approx(float(cohens_kappa(matrix, return_results=False)), abs=1e-12)
    assert cohen_kappa(Counter()).kappa is None
    assert cohen_kappa(Counter({("a", "a"): 5})).kappa is None  # one label only: 0/0


@pytest.fixture(scope="module")
def audit_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit") / "run.duckdb"
    done = nicelogic("compare", ORIGINAL, AUDITED, "--results", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    return path


def test_the_results_database_holds_episodes_codes_and_violations_linked_to_the_run(audit_results: Path) -> None:
    from nicelogic.research.query import connect

    db = connect(str(audit_results))
    (run_id, command, status, records, inputs) = db.execute(
        "SELECT run_id, command, status, records, inputs FROM runs"
    ).fetchone()  # fmt: skip
    assert "compare" in command and status == "complete" and records == 42
    assert [Path(i["path"]).name for i in inputs] == ["original.csv", "audited.jsonl"]
    statuses = dict(db.execute("SELECT status, count(*) FROM audit_episodes WHERE run_id = ? GROUP BY 1", [run_id]).fetchall())
    assert statuses == {"compared": 35, "only_in_original": 1, "only_in_audited": 1, "duplicate_id": 3, "unreadable": 2}
    for code_type, (correct, wrong, omitted, superfluous, _) in EXPECTED_COUNTS.items():
        outcomes = dict(
            db.execute(
                "SELECT outcome, count(*) FROM audit_codes WHERE run_id = ? AND code_type = ? GROUP BY 1", [run_id, code_type]
            ).fetchall()
        )  # fmt: skip
        assert outcomes == {
            k: v for k, v in {"correct": correct, "wrong": wrong, "omitted": omitted, "superfluous": superfluous}.items() if v
        }
    site = db.execute(
        "SELECT audited_code, original_code, level, major FROM audit_codes WHERE run_id = ? AND id = 'e18'", [run_id]
    ).fetchall()
    assert site == [("K35.8", "K35.8", None, None), ("W37.1 Z94.2", "W37.1 Z94.1", "site-laterality", False)]
    standards = db.execute("SELECT id, change, rule FROM audit_standards WHERE run_id = ? ORDER BY id", [run_id]).fetchall()
    assert standards == [
        ("e31", "shared", "icd.valid-code"), ("e34", "removed", "opcs.subsidiary-not-first"),
        ("e35", "introduced", "opcs.subsidiary-not-first"),
    ]  # fmt: skip


def test_the_report_has_an_audit_section(audit_results: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from .test_research_report import CHROMIUM, CHROMIUM_ARGS

    page_path = tmp_path / "audit.html"
    done = nicelogic("report", str(audit_results), "-o", str(page_path), "--no-suppression", "--color", "never")
    assert done.returncode == 0, done.stderr
    terminal = " ".join(done.stdout.split())
    assert "75.8%" in terminal and "code-over-code" in terminal
    page_text = page_path.read_text(encoding="utf-8")
    assert "Audit against a second coding" in page_text and "igt505-level3" in page_text
    assert "<h2>Rules</h2>" not in page_text  # a compare run checked no records of its own
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_path.as_uri())
            for plot in ("plot-audit-types", "plot-audit-levels"):
                page.wait_for_selector(f"#{plot} .main-svg", timeout=30_000)
            assert page.locator("#plot-audit-types .barlayer .point").count() == 4
            rows = page.locator("#audit-types tbody tr")
            assert rows.count() == 4
            assert "75.8%" in rows.nth(0).inner_text()
            assert page.locator("#audit-thresholds tbody tr").count() == 3
            assert page.locator("#audit-coder tbody tr").count() == 8  # two coders, four code types
            assert page.locator("#audit-standards tbody tr").count() == 2
        finally:
            browser.close()
    assert errors == []
    suppressed = nicelogic("report", str(audit_results), "--color", "never")
    assert "* " in suppressed.stdout or "│ *" in suppressed.stdout  # 5 of 11 secondary diagnoses: withheld


def test_a_record_with_bytes_that_are_not_text_is_reported_and_the_rest_compared(tmp_path: Path) -> None:
    original, audited = tmp_path / "original.csv", tmp_path / "audited.txt"
    original.write_bytes(b"EPIKEY,CODER,DIAG_01\ne1,C\xff1,J18.9\ne2,C2,J18.9\n")
    audited.write_text("e1: icd J18.9\ne2: icd J18.1\n")
    done = nicelogic("compare", str(original), str(audited), "--format", "json", "--no-standards")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["episodes"]["compared"] == 1 and found["episodes"]["unreadable"] == 1
    (problem,) = found["problems"]
    assert problem["id"] == "e1" and "CODER" in problem["reason"] and "0xFF" in problem["reason"]
    assert found["code_types"]["primary_diagnosis"]["wrong"] == 1  # e2, the text input's J18.1


def test_site_and_laterality_codes_join_the_operation_heading_their_group() -> None:
    from nicelogic.audit.units import procedure_units

    units = procedure_units([(c, None) for c in ["Z94.1", "V44.4", "V55.1", "Y53.4", "Z66.5", "W37.1", "Z94.2", "Z94.1"]])
    assert [(u.code, u.qualifiers) for u in units] == [
        ("Z94.1", ()),  # nothing before it to qualify
        ("V44.4", ("Z66.5",)),  # past V55 and chapter Y, as logic/lib/opcs.lp groups them
        ("V55.1", ()),
        ("Y53.4", ()),
        ("W37.1", ("Z94.1", "Z94.2")),  # in any order
    ]


def test_error_levels_of_pairs_of_codes() -> None:
    from nicelogic.audit.levels import ErrorLevel, level_of
    from nicelogic.audit.units import Unit
    from nicelogic.model import System

    def icd(code: str, mark: str | None = None) -> Unit:
        return Unit(System.ICD10, code, mark)

    assert level_of(icd("I21.0"), icd("J18.9")) is ErrorLevel.CHAPTER
    assert level_of(icd("I21.0"), icd("I10")) is ErrorLevel.CATEGORY
    # chapters are WHO's ranges, not letters: C00-D48 neoplasms (II), D50-D89 blood (III)
    assert level_of(icd("C34.1"), icd("D05.1")) is ErrorLevel.CATEGORY
    assert level_of(icd("C34.1"), icd("D50.0")) is ErrorLevel.CHAPTER
    assert level_of(icd("J18.9"), icd("J18")) is ErrorLevel.FOURTH
    assert level_of(icd("M80.05"), icd("M80.08")) is ErrorLevel.FIFTH
    assert level_of(icd("A17.0", "dagger"), icd("A17.0")) is ErrorLevel.DAGGER_ASTERISK
    assert level_of(Unit(System.OPCS, "W37.1", None, ("Z94.1",)), Unit(System.OPCS, "W37.1")) is ErrorLevel.SITE_LATERALITY
    assert level_of(Unit(System.OPCS, "W37.1"), Unit(System.OPCS, "H22.1")) is ErrorLevel.CHAPTER
