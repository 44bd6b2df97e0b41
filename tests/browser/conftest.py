"""Playwright driving Debian's Chromium for the browser tests; visible skips where either is missing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
# Debian's Chromium as the CI container runs it: no sandbox (root), no GPU, nothing phoning home
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module, launched through Playwright (its bundled driver, never `playwright install`)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python "
                                   "(pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A 360x800 page and the console errors and uncaught exceptions it collects."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    # nothing may leave the machine: a request to any other host fails and shows up as a console error
    page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())
    page.on("console", lambda message: errors.append(f"console: {message.text} at {message.location}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield page, errors
    finally:
        context.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go: $NEWSDESK_BROWSER_ARTIFACTS, else test-artifacts/browser/ in the checkout."""
    folder = Path(os.environ.get("NEWSDESK_BROWSER_ARTIFACTS") or REPO / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
