"""Fixtures for the report's tests: one small run shared by the section tests.

``quick_run`` is a :class:`ReportRun` in quick mode on the Lee corpus (60k words,
inside the gensim wheel), so every model a section asks for trains in seconds; its
cache lives in a temporary ``DIAPHANE_HOME`` and is shared by the whole session.
"""

from __future__ import annotations

import os

import pytest

from diaphane.report.run import ReportOptions, ReportRun


@pytest.fixture(scope="session")
def report_home(tmp_path_factory):
    """A private DIAPHANE_HOME for the session's report runs (the cache goes there)."""
    home = tmp_path_factory.mktemp("diaphane-home")
    old = os.environ.get("DIAPHANE_HOME")
    os.environ["DIAPHANE_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DIAPHANE_HOME", None)
    else:
        os.environ["DIAPHANE_HOME"] = old


@pytest.fixture(scope="session")
def quick_run(report_home, tmp_path_factory):
    """A quick-mode run on the Lee corpus; models train on first use and are kept."""
    out = tmp_path_factory.mktemp("report-out") / "report"
    return ReportRun(ReportOptions(corpus="lee", quick=True, out=out, progress=False))
