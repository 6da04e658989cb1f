"""Playwright (sync API) on Debian's Chromium, against pytest-django's live server."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STYLESHEET = ROOT / "static" / "build" / "css" / "application.css"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/shots"))

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}


@pytest.fixture
def browser():
    """Chromium, started afresh for each test.

    While Playwright's sync API runs, the test's code runs in a context of Playwright's with an
    event loop: Django would refuse the ORM calls the tests make (hence
    ``DJANGO_ALLOW_ASYNC_UNSAFE``, set here only, so that it never reaches other tests), and
    gets database connections of that context. A browser per test keeps the database set-up
    (the serialized rollback of the reference data) in the test run's own context.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package.")
    if not STYLESHEET.exists() or not AXE.exists():
        pytest.fail("The front-end assets are missing: run `make assets`.")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        connections.close_all()
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and page.errors.append(message.text),
    )
    return context, page


@pytest.fixture
def page(browser):
    """A desktop-sized page; ``page.errors`` collects script errors and failed loads."""
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def mobile_page(browser):
    context, page = _page(browser, MOBILE)
    yield page
    context.close()


@pytest.fixture
def axe():
    """``axe(page)`` runs axe-core on the page and returns its serious and critical violations."""

    def run(page):
        # Evaluated through the DevTools protocol rather than added as a <script>: the pages'
        # Content-Security-Policy rightly refuses inline scripts, and the tests keep that policy
        # on so that any script it blocks shows up in ``page.errors``.
        page.evaluate(AXE.read_text())
        results = page.evaluate("async () => await axe.run()")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} – "
            + "; ".join(node["target"][0] for node in v["nodes"])
            for v in results["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    return run


@pytest.fixture
def screenshot():
    def save(page, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
