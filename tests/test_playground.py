"""The playground page in a real browser (Debian's chromium, driven by Playwright) against a
real ``nicelogic serve`` on loopback: type a record, see the blamed code highlighted with its
rule, accept a suggestion, use a completion, with the keyboard alone and in a narrow window;
and the API's documentation pages, which, like the playground, fetch nothing from elsewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_research_report import CHROMIUM, CHROMIUM_ARGS
from tests.test_service import free_port, wait_ready


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    port = free_port()
    serve = ["serve", "--rules", "opcs4,nice.htg3", "--port", str(port), "--completers", "1"]
    command = [sys.executable, "-m", "nicelogic.cli", *serve]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=20)


@pytest.fixture
def browser_page(base: str) -> Iterator[object]:
    """A page that reaches nothing but the service: a request elsewhere is refused (and
    counted), as on a closed network, so a page that needs a CDN does not work."""
    from playwright.sync_api import Route, sync_playwright

    def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            page.refused.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            page.fetched = []  # type: ignore[attr-defined]
            page.refused = []  # type: ignore[attr-defined]
            page.errors = []  # type: ignore[attr-defined]
            page.route("**/*", only_the_service)
            # what was fetched; a request the page's content security policy stops is not
            page.on("requestfinished", lambda request: page.fetched.append(request.url))  # type: ignore[attr-defined]
            page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
            yield page
            assert page.errors == []  # type: ignore[attr-defined]
            assert page.refused == []  # type: ignore[attr-defined]  # no CDN
            assert all(url.startswith(base) for url in page.fetched)  # type: ignore[attr-defined]
        finally:
            browser.close()


@pytest.fixture
def page(browser_page, base: str) -> object:  # type: ignore[no-untyped-def]
    browser_page.goto(base + "/")
    browser_page.wait_for_selector("#packs input")
    return browser_page


def test_typing_a_record_highlights_the_blamed_code_with_its_rule(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    assert page.evaluate("document.activeElement.id") == "record"  # the page starts in the record field
    page.keyboard.type("ep1: opcs V44.4 Y53.4")
    blamed = page.locator(".code.error", has_text="V44.4")
    expect(blamed).to_contain_text("opcs.spinal-levels-second", timeout=20_000)
    expect(page.locator(".code", has_text="Y53.4")).not_to_have_class("code error")
    expect(page.locator("#revision")).to_contain_text("opcs4 ")
    # with the keyboard: Tab from the field reaches the blamed code, whose details open on focus
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith("V44.4")
    expect(page.locator("#detail")).to_contain_text("opcs.spinal-levels-second")
    expect(page.locator("#detail")).to_contain_text("Guidance:")
    page.locator("#detail details summary").first.click()
    expect(page.locator("#detail pre").first).to_contain_text('code(R,opcs,1,"V44.4")')
    page.screenshot(path=str(screenshots(tmp_path) / "playground-blamed.png"), full_page=True)


def test_accepting_a_suggestion_and_a_minimal_completion(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.keyboard.type("opcs V44.4 ")
    suggestion = page.locator(".suggestion", has_text="V55.1")
    expect(suggestion).to_be_visible(timeout=20_000)
    expect(page.locator(".suggestion", has_text="Y53.4")).to_have_count(0)  # V55 must come second
    suggestion.focus()
    page.keyboard.press("Enter")  # accepted with the keyboard
    assert page.input_value("#record") == "opcs V44.4 V55.1 "
    assert page.evaluate("document.activeElement.id") == "record"
    expect(page.locator(".code", has_text="V55.1")).to_be_visible(timeout=20_000)
    expect(page.locator("#violations")).not_to_contain_text("opcs.spinal-levels-second")
    page.locator("#complete").click()
    use = page.locator("#answers .use").first
    expect(use).to_be_visible(timeout=30_000)
    use.press("Enter")
    expect(page.locator("#status")).to_have_text("Valid: no rule is broken.", timeout=20_000)
    assert page.input_value("#record").startswith("opcs V44.4 V55.1")
    page.screenshot(path=str(screenshots(tmp_path) / "playground-valid.png"), full_page=True)


def test_picking_packs_and_a_narrow_window(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.keyboard.type("ep1: opcs V44.4 Y53.4")
    expect(page.locator("#violations")).to_contain_text("nice.htg3.", timeout=20_000)
    page.locator("#pack-nice\\.htg3").uncheck()
    expect(page.locator("#violations")).not_to_contain_text("nice.htg3.", timeout=20_000)
    expect(page.locator("#violations")).to_contain_text("opcs.spinal-levels-second")
    page.locator("#repair").click()
    expect(page.locator("#answers li").first).to_contain_text("V55", timeout=30_000)
    # the packs picked judge completions too: opcs4 alone asks only for the levels of spine
    page.locator("#record").fill("ep1: opcs V44.4")
    page.locator("#complete").click()
    expect(page.locator("#answers li code").first).to_have_text(re.compile(r"^opcs V44\.4 V55\.\d$"), timeout=30_000)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing runs off a phone's width
    page.screenshot(path=str(screenshots(tmp_path) / "playground-narrow.png"), full_page=True)


def test_everything_with_the_keyboard_alone(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.keyboard.type("ep1: opcs V44.4 Y53.4")
    expect(page.locator("#violations")).to_contain_text("nice.htg3.", timeout=20_000)
    focus(page, "#detail details summary")
    page.keyboard.press("Enter")  # the explanation opens
    expect(page.locator("#detail pre").first).to_be_visible()
    focus(page, "#pack-nice\\.htg3")
    page.keyboard.press("Space")
    expect(page.locator("#violations")).not_to_contain_text("nice.htg3.", timeout=20_000)
    focus(page, "#repair", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#answers .use").first).to_be_visible(timeout=30_000)
    focus(page, "#answers .use")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Valid: no rule is broken.", timeout=20_000)
    assert page.evaluate("document.activeElement.id") == "record"
    assert page.input_value("#record").startswith("ep1: opcs V44")  # the repaired record keeps its id
    page.screenshot(path=str(screenshots(tmp_path) / "playground-keyboard.png"), full_page=True)


def focus(page, selector: str, key: str = "Tab") -> None:  # type: ignore[no-untyped-def]
    """Press ``key`` until the element ``selector`` names has the focus, as a keyboard user would."""
    for _ in range(60):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {selector}")


def screenshots(tmp_path: Path) -> Path:
    """Where the screenshots go: NICELOGIC_SCREENSHOTS to keep them and look at them, else a temporary folder."""
    folder = Path(os.environ.get("NICELOGIC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_api_documentation_pages_render_from_the_service_alone(browser_page, base: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    page.goto(base + "/docs")
    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text="/v1/check")).to_be_visible(timeout=20_000)
    expect(operations.filter(has_text="/v1/$validate")).to_be_visible()
    page.screenshot(path=str(screenshots(tmp_path) / "docs-swagger-ui.png"))
    page.goto(base + "/redoc")
    expect(page.get_by_role("button", name="post /v1/check", exact=True)).to_be_visible(timeout=20_000)
    expect(page.get_by_role("menuitem").filter(has_text="Validate")).to_be_visible()  # the side menu of operations
    page.screenshot(path=str(screenshots(tmp_path) / "docs-redoc.png"))
