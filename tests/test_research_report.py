"""nicelogic report: figures computed from the results database agree with the checker's
own results; small numbers are suppressed; the HTML is self-contained and renders its
plots and tables in a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nicelogic import Checker
from nicelogic.input.read import read_inputs
from nicelogic.research.figures import AUDIT_LABEL, compute
from nicelogic.research.query import connect
from nicelogic.research.statistics import SUPPRESSED

from .test_research import HES_ROWS, nicelogic

CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/run installs it); Playwright's own download is not used
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]  # fmt: skip
RULES = "opcs4,nice.htg3,nice.ipg12"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """2,000 synthetic episodes and three hand-written ones of two tiny providers."""
    from benchmarks.synthetic import hes_rows

    folder = tmp_path_factory.mktemp("report")
    extract, small = folder / "extract.parquet", folder / "small.parquet"
    pq.write_table(pa.Table.from_pylist(list(hes_rows(2000, seed=9))), extract)
    pq.write_table(pa.Table.from_pylist(HES_ROWS), small)
    return [extract, small]


@pytest.fixture(scope="module")
def results(inputs: list[Path]) -> str:
    path = str(inputs[0].parent / "run.duckdb")
    done = nicelogic("check", *map(str, inputs), "--results", path, "--rules", RULES)
    assert done.returncode == 1, done.stderr
    return path


@pytest.fixture(scope="module")
def report(results: str) -> Path:
    path = Path(results).with_name("report.html")
    done = nicelogic("report", results, "-o", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    return path


def test_rates_are_of_records_where_each_rule_applies(inputs: list[Path], results: str) -> None:
    checker = Checker(RULES.split(","), applicability=True)
    expected = list(checker.check_items(read_inputs(list(map(str, inputs)))))
    applies = Counter(rule for r in expected if not r.rejected for rule in r.applies)
    violating = Counter(rule for r in expected for rule in {v.rule for v in r.violations})
    figures = compute(connect(results), suppress=False)
    assert {f.rule: f.applies for f in figures.rules} == dict(applies)
    assert {f.rule: f.violating for f in figures.rules if f.violating} == dict(violating)
    for figure in figures.rules:
        assert figure.rate.numerator == figure.violating and figure.rate.denominator == figure.applies
        if figure.applies:
            assert figure.rate.value == figure.violating / figure.applies
    checked = [r for r in expected if not r.rejected]
    assert figures.checked == len(checked) and figures.rejected == len(expected) - len(checked)
    assert figures.overall.numerator == sum(not r.valid for r in checked)
    # the audit figures: episodes with an error blamed on the primary / a secondary procedure
    errors = [[v for v in r.violations if v.is_error and v.section == "opcs"] for r in checked]
    primary = sum(any(1 in v.positions for v in found) for found in errors)
    secondary = sum(any(max(v.positions, default=0) > 1 for v in found) for found in errors)
    audit = {a.label: a.records for a in figures.audit}
    assert (audit["Primary procedure"], audit["Secondary procedures"]) == (primary, secondary)
    assert audit["Primary procedure"] > 0


def test_groups_by_provider_month_year_and_specialty(inputs: list[Path], results: str) -> None:
    figures = compute(connect(results), suppress=True)
    table = pq.read_table(inputs[0])
    volumes = Counter(table.column("PROCODE3").to_pylist())
    providers = {g.key: g for g in figures.providers}
    for provider, volume in volumes.items():
        assert providers[provider].records == volume
    assert providers["RX1"].records == 1 and providers["RX2"].records == 1  # e1 is rejected: not a checked record
    assert providers["RX1"].rate.suppressed and providers["RX1"].rate.text() == SUPPRESSED
    assert [g.key for g in figures.years] == ["2023/24", "2024/25", "2025/26"]
    assert figures.months[0].key == "2023-04" and sum(g.records for g in figures.months) == figures.checked
    assert {g.key for g in figures.specialties} >= {"110", "100", "(none)"}


def test_the_html_report_says_what_produced_it_and_suppresses_small_numbers(report: Path, results: str) -> None:
    page = report.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page  # plotly.js is inlined, nothing is fetched
    for pack in RULES.split(","):
        assert pack in page
    assert "OPCS-4.11" in page and AUDIT_LABEL in page
    provider_rows = page.split('<table id="providers">')[1].split("</table>")[0]
    assert f'<td>RX2</td><td class="n">{SUPPRESSED}</td>' in provider_rows
    unsuppressed = report.with_name("local.html")
    nicelogic("report", results, "-o", str(unsuppressed), "--no-suppression", "--quiet")
    local = unsuppressed.read_text(encoding="utf-8")
    assert '<td>RX2</td><td class="n">1</td>' in local and "suppression is OFF" in local


def test_the_terminal_summary_shows_the_same_figures(results: str) -> None:
    done = nicelogic("report", results)
    assert done.returncode == 0, done.stderr
    assert AUDIT_LABEL in done.stdout
    assert "opcs.spinal-levels-second" in done.stdout and "RX2" not in done.stdout.split("By provider")[0]
    figures = compute(connect(results))
    assert figures.overall.text() in done.stdout


def test_the_report_renders_its_plots_and_tables_in_chromium(report: Path, results: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    figures = compute(connect(results))
    plotted_providers = [g for g in figures.providers if g.rate.value is not None]
    fetched: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("request", lambda request: fetched.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.as_uri())
            for plot in ("plot-audit", "plot-rules", "plot-funnel", "plot-months", "plot-specialties"):
                page.wait_for_selector(f"#{plot} .main-svg", timeout=30_000)
            # the funnel: one marker per provider shown, and the four control-limit lines
            points = page.locator("#plot-funnel .scatterlayer .trace:last-child .point").count()
            assert points == len(plotted_providers)
            assert page.locator("#plot-funnel .scatterlayer .trace .js-line").count() >= 4
            shown_months = [g for g in figures.months if g.rate.value is not None]  # months of 1-7 invalid are withheld
            assert 0 < page.locator("#plot-months .scatterlayer .point").count() == len(shown_months) < len(figures.months)
            assert page.locator("#rules tbody tr").count() == len(figures.rules)
            assert page.locator("#providers tbody tr").count() == len(figures.providers)
            assert page.locator("#audit tbody tr").count() == 4
            page.locator("#plot-funnel").screenshot(path=str(tmp_path / "funnel.png"))
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [url for url in fetched if not url.startswith("file:")] == []  # no network at view time
    assert (tmp_path / "funnel.png").stat().st_size > 10_000
    screenshots = Path(os.environ.get("NICELOGIC_SCREENSHOTS", tmp_path))  # to look at them: set it to a folder
    if screenshots != tmp_path:
        for name in ("funnel.png", "report.png"):
            (screenshots / name).write_bytes((tmp_path / name).read_bytes())


@pytest.fixture(scope="module")
def patient_results(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A results run of the consistency pack over 2,000 synthetic patients, and ten whose later
    spell, at another provider than the index spell, lacks their autism code."""
    from benchmarks.synthetic_patients import COLUMNS, patients, write_csv

    folder = tmp_path_factory.mktemp("consistency")
    extract = folder / "patients.csv"
    moved = []
    for n in range(10):
        for key, provider, year, diagnosis in ((1, "RA1", 2015, "F840"), (2, "RB2", 2016, "J459")):
            moved.append({
                "EPIKEY": f"m{n}-{key}", "PSEUDO_HESID": f"M{n}", "PROCODE3": provider, "ADMIDATE": f"{year}-02-01",
                "EPISTART": f"{year}-02-01", "EPIEND": f"{year}-02-03", "DISMETH": "1", "DIAG_4_01": diagnosis,
            })  # fmt: skip
    assert set(moved[0]) <= set(COLUMNS)
    with extract.open("w", newline="", encoding="utf-8") as handle:
        write_csv(iter([*patients(2000, seed=4), *moved]), handle)
    path = str(folder / "run.duckdb")
    done = nicelogic("check", str(extract), "--results", path, "--rules", "icd10,consistency")
    assert done.returncode in (0, 1), done.stderr
    return path


def test_the_consistency_section_gives_each_rule_and_its_breakdowns_with_small_numbers_withheld(patient_results: str) -> None:
    from nicelogic.research.consistency import consistency_figures

    db = connect(patient_results)
    figures = consistency_figures(db, compute(db).run)
    assert figures is not None
    # the rates are those of the run: units judged and blamed as the patient pass counted them
    rules = dict(db.execute("SELECT rule, violating FROM patient_rules").fetchall())
    assert {r.rule: r.violating for r in figures.rules} == rules
    autism = next(r for r in figures.rules if r.rule == "consistency.persistence-autism")
    assert autism.indexed and autism.title.startswith("Autism")
    conditions = ("autism", "diabetes", "lloyd-diabetes", "pdd")  # the synthetic patients' cohorts (Lloyd's diabetes too)
    assert [r.rule for r in figures.conditions] == [f"consistency.persistence-{c}" for c in conditions]
    # every breakdown of a rule adds up to its units
    for groups in (figures.providers, figures.years, figures.since_index, figures.provider_change):
        assert sum(g.units for g in figures.of(groups, autism.rule)) == autism.applies
    changed = {g.key: (g.units, g.violating) for g in figures.of(figures.provider_change, autism.rule)}
    assert changed["another provider"] == (10, 10)
    small = [g for g in figures.since_index if 0 < g.units < 8]
    assert small and all(g.rate.suppressed and g.rate.text() == SUPPRESSED for g in small)
    unsuppressed = consistency_figures(db, compute(db).run, suppress=False)
    db.close()
    assert unsuppressed is not None and not any(g.rate.suppressed for g in unsuppressed.since_index)
    done = nicelogic("report", patient_results)
    assert done.returncode == 0, done.stderr
    assert "Consistency across a patient's history" in done.stdout and "By time since the index spell" in done.stdout


def test_the_consistency_section_renders_in_chromium(patient_results: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from nicelogic.research.consistency import consistency_figures

    report = tmp_path / "consistency.html"
    done = nicelogic("report", patient_results, "-o", str(report), "--quiet")
    assert done.returncode == 0, done.stderr
    db = connect(patient_results)
    figures = consistency_figures(db, compute(db).run)
    db.close()
    assert figures is not None
    autism = figures.of(figures.providers, "consistency.persistence-autism")
    plotted = [g for g in autism if g.rate.value is not None and g.key != "(none)"]
    assert 0 < len(plotted) < len(autism)  # some providers are withheld, some plotted
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.as_uri())
            plots = ["plot-consistency-rules", "plot-consistency-years", "plot-consistency-since-index"]
            funnels = range(1, len(figures.conditions) + 1)
            plots += ["plot-consistency-provider-change", *(f"plot-consistency-funnel-{n}" for n in funnels)]
            for plot in plots:
                page.wait_for_selector(f"#{plot} .main-svg", timeout=30_000)
            assert page.locator("#consistency-rules tbody tr").count() == len(figures.rules)
            assert page.locator("#consistency-providers-1 tbody tr").count() == len(autism)
            assert page.locator("#plot-consistency-funnel-1 .scatterlayer .trace:last-child .point").count() == len(plotted)
            assert page.locator("#plot-consistency-funnel-1 .scatterlayer .trace .js-line").count() >= 4
            # one bar trace per condition, each with a bar per group it shows (same provider, another)
            assert page.locator("#plot-consistency-provider-change .barlayer .trace").count() == len(figures.conditions)
            assert SUPPRESSED in page.locator("#consistency-since-index").inner_text()
            page.locator("#consistency").screenshot(path=str(tmp_path / "consistency.png"))
        finally:
            browser.close()
    assert errors == []
    assert (tmp_path / "consistency.png").stat().st_size > 10_000
    screenshots = Path(os.environ.get("NICELOGIC_SCREENSHOTS", tmp_path))  # to look at it: set it to a folder
    if screenshots != tmp_path:
        (screenshots / "consistency.png").write_bytes((tmp_path / "consistency.png").read_bytes())
