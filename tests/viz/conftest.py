"""Fixtures for figure tests: one headless Chromium for the whole session.

``browser_page(path)`` opens a figure file (see ``browser.py``) and returns
``(page, console_errors, requests)``; pages are closed after each test. Browser
tests skip with the reason when Playwright or Chromium is missing locally; CI
installs Debian's chromium and sets ``DIAPHANE_REQUIRE_BROWSER=1``, which turns
that skip into a failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tests.viz import browser

HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def chromium():
    """The session's headless Chromium (started once, shared by every browser test)."""
    reason = browser.skip_reason()
    if reason is not None:
        if os.environ.get("DIAPHANE_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required here but cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = browser.launch(p)
        yield b
        b.close()


@pytest.fixture
def browser_page(chromium):
    """A function ``open_figure(html_path) -> (page, console_errors, requests)``."""
    opened = []

    def open_figure(html_path, viewport=(1100, 800)):
        fig = browser.open_figure(chromium, html_path, viewport=viewport)
        opened.append(fig.page)
        return fig

    yield open_figure
    for page in opened:
        page.context.close()


@pytest.fixture
def hostile_word() -> str:
    """A word that would run script if any page put it into HTML unescaped."""
    return HOSTILE
