"""``diaphane report --quick`` end to end: the folder, the manifest, and the article in a
real headless Chromium with the network blocked (every section there, no console errors,
no outside requests, figures that answer hover, search and a layer select)."""

from __future__ import annotations

import json

import pytest

import diaphane.cli as cli
from diaphane.report.build import is_report
from diaphane.report.manifest import sha256_of
from diaphane.report.sections import SECTIONS
from tests.viz.browser import assert_clean, assert_not_blank


@pytest.fixture(scope="module")
def built(report_home, tmp_path_factory):
    """One quick report of the default corpus, built through the command line."""
    out = tmp_path_factory.mktemp("e2e") / "report"
    code = cli.main(["report", "--quick", "--out", str(out), "--no-progress"])
    assert code == 0
    return out


def _section_ids():
    import importlib

    return [importlib.import_module(f"diaphane.report.sections.{n}").ID for n in SECTIONS]


def test_folder_and_manifest(built):
    assert is_report(built)
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["command"].startswith("diaphane report --corpus ")
    assert "--quick" in manifest["command"]
    # every file the manifest lists is there with that sha256, and nothing else is
    listed = set(manifest["files"])
    on_disk = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json"} == listed
    for name, digest in manifest["files"].items():
        assert sha256_of(built / name) == digest, name
    built_ids = [s["id"] for s in manifest["sections"] if not s["skipped"]]
    assert built_ids == _section_ids()
    for name, fp in manifest["corpus"]["fingerprints"].items():
        assert len(fp) == 64, name
    assert manifest["corpus"]["tokens"] > 100_000
    assert not list(built.parent.glob(".report.*"))  # no temporary folder left beside it


def test_article_in_the_browser(built, browser_page, tmp_path):
    page, errors, requests = browser_page(built / "index.html", viewport=(1200, 900))
    ids = [*_section_ids(), "how-made"]
    assert page.locator("section.dia-section").evaluate_all("s => s.map(x => x.id)") == ids
    assert page.locator("[data-skipped]").count() == 0
    toc = page.locator(".dia-toc a").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    assert toc == [f"#{i}" for i in ids]
    frames = page.locator(".dia-fig iframe")
    n = frames.count()
    assert n >= 8
    # every figure frame loaded its page and fitted its height to what the page reported
    page.wait_for_function(
        "n => document.querySelectorAll('.dia-fig iframe[data-fitted]').length === n", arg=n,
        timeout=20000,
    )  # fmt: skip
    for i in range(n):
        assert frames.nth(i).evaluate("f => f.getBoundingClientRect().height") > 150
    captions = page.locator(".dia-fig figcaption").all_text_contents()
    assert all(len(c.split()) >= 6 for c in captions), captions
    assert_not_blank(page, tmp_path / "article.png")
    assert_clean(errors, requests)


def test_figures_answer_hover_search_and_select(built, browser_page):
    page, errors, requests = browser_page(built / "index.html", viewport=(1200, 900))
    zipf = page.frame_locator("[data-figure='data-zipf'] iframe")
    zipf.locator(".zipf-point[data-i='0']").hover()
    tip = zipf.locator("#dia-tooltip:not([hidden])")
    tip.wait_for(state="visible", timeout=5000)
    assert "the" in tip.inner_text() and "rank 1" in tip.inner_text().lower()
    zipf.locator("#zipf-find").fill("of")
    assert zipf.locator("#zipf-found").text_content().startswith("rank ")
    frame = _frame_with(page, "#att-layer")  # the GPT's attention figure
    options = frame.locator("#att-layer option").all_text_contents()
    assert len(options) >= 2
    frame.locator("#att-layer").select_option(index=0)
    first = frame.locator("#att-matrix").inner_html()
    frame.locator("#att-layer").select_option(index=len(options) - 1)
    assert frame.locator("#att-matrix").inner_html() != first  # another layer, other weights
    assert_clean(errors, requests)


def _frame_with(page, selector):
    """The figure frame whose page holds ``selector``."""
    for i in range(page.locator(".dia-fig iframe").count()):
        frame = page.frame_locator(f".dia-fig iframe >> nth={i}")
        if frame.locator(selector).count():
            return frame
    raise AssertionError(f"no figure holds {selector}")


def test_every_figure_page_opens_on_its_own(built, browser_page):
    for path in sorted((built / "figures").glob("*.html")):
        page, errors, requests = browser_page(path)
        assert page.locator("#figure").count() == 1, path.name
        assert_clean(errors, requests)
