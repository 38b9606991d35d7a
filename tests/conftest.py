"""Every test reads corpora from the shared data folder and never touches the network.

Set at import, before any fixture of any scope runs (module-scoped fixtures load corpora).

A test that needs an NLTK archive (Brown, movie reviews, inaugural addresses) that is
not on this machine is skipped with the reason, which names ``DIAPHANE_DATA`` and how
to get the archives; CI sets ``DIAPHANE_REQUIRE_DATA=1``, which turns that skip into
a failure, so CI still runs every test.

The same for the peers tests compare against (torch, jax, autograd, kenlm, captum,
transformers, nltk): a test whose ``pytest.importorskip`` finds one missing is
skipped here, and fails under ``DIAPHANE_REQUIRE_PEERS=1`` (CI sets it), so a
broken install cannot pass CI by skipping.
"""

import os
from pathlib import Path

import pytest

from diaphane.errors import DataNotFoundError
from tests.viz import browser

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

os.environ.setdefault("DIAPHANE_DATA", str(SHARED_DATA))
os.environ["DIAPHANE_OFFLINE"] = "1"

HOW_TO_GET = (
    "this test needs an NLTK corpus archive: set DIAPHANE_DATA to a folder holding "
    "nltk/brown.zip, nltk/movie_reviews.zip and nltk/inaugural.zip, or run "
    "`diaphane data fetch brown movie_reviews inaugural` with a network"
)


def _skip_without_archives(outcome_error: BaseException) -> None:
    if os.environ.get("DIAPHANE_REQUIRE_DATA", "") not in ("", "0"):
        return
    pytest.skip(f"{HOW_TO_GET} ({outcome_error})")


def _peers_required() -> bool:
    return os.environ.get("DIAPHANE_REQUIRE_PEERS", "") not in ("", "0")


def _missing_peer(reason: str) -> bool:
    # pytest.importorskip's reason: "could not import 'torch': No module named 'torch'"
    return reason.startswith("could not import")


def _fail_without_peer(err: BaseException) -> None:
    if _peers_required() and _missing_peer(str(err)):
        pytest.fail(f"DIAPHANE_REQUIRE_PEERS=1 but a peer this test needs is missing: {err}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    try:
        return (yield)
    except DataNotFoundError as err:
        _skip_without_archives(err)
        raise
    except pytest.skip.Exception as err:
        _fail_without_peer(err)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except DataNotFoundError as err:
        _skip_without_archives(err)
        raise
    except pytest.skip.Exception as err:
        _fail_without_peer(err)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module-level ``importorskip`` skips the whole module at collection: the same rule."""
    report = yield
    if report.skipped and _peers_required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if _missing_peer(reason):
            report.outcome = "failed"
            report.longrepr = f"DIAPHANE_REQUIRE_PEERS=1 but a peer is missing: {reason}"
    return report


def require_archives(*names: str) -> None:
    """Call first in a test that reaches the archives only through the CLI (which turns a
    missing archive into exit status 2): raises the DataNotFoundError the hooks above
    turn into a skip (or, under DIAPHANE_REQUIRE_DATA, a failure)."""
    from diaphane.text.fetch import find_archive

    for name in names:
        find_archive(name)


# ----------------------------------------------------------------------------- the browser
# One headless Chromium for the whole session, for the figure and report tests. They skip
# with the reason when Playwright or Chromium is missing locally; CI installs Debian's
# chromium and sets DIAPHANE_REQUIRE_BROWSER=1, which turns that skip into a failure.


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


HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_word() -> str:
    """A word that would run script if any page put it into HTML unescaped."""
    return HOSTILE


# ----------------------------------------------------------------------------- Dask
# One 2-worker LocalCluster (threads, so it starts in a second) for the whole session, for
# the tests of counting on Dask. Dask is an optional extra: where it is missing they skip,
# and under DIAPHANE_REQUIRE_PEERS=1 (CI, which installs it with the dev extra) they fail.


@pytest.fixture(scope="session")
def dask_client():
    """A client of a 2-worker, thread-based LocalCluster, closed at the end of the session."""
    pytest.importorskip("distributed")
    from diaphane.text.dask_count import connect

    with connect("local", workers=2, processes=False) as client:
        yield client
