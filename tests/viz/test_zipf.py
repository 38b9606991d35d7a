"""The Zipf plot: counting, the fitted slope, the page in Chromium, the static SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

from diaphane.errors import UsageError
from diaphane.viz.zipf import HEAD, ZipfPlot, fit_zipf, rank_counts
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip, tooltip_text


def _zipf_counts(n: int, s: float = 1.0, top: float = 1e5) -> np.ndarray:
    return np.maximum(1, np.round(top / np.arange(1, n + 1) ** s)).astype(np.int64)


def _figure(n: int = 3000, first: str = "the") -> ZipfPlot:
    counts = _zipf_counts(n)
    words = [first] + [f"w{r}" for r in range(2, n + 1)]
    return ZipfPlot(words, counts, fit_zipf(counts))


def test_rank_counts_sorts_by_count_then_word():
    sentences = [["b", "a", "c", "b"], ["c", "d", "b", "a"]]
    words, counts = rank_counts(sentences)
    assert words == ["b", "a", "c", "d"]
    assert counts.tolist() == [3, 2, 2, 1]
    expected = Counter(w for s in sentences for w in s)
    assert dict(zip(words, counts.tolist(), strict=True)) == dict(expected)


@pytest.mark.parametrize("s", [0.8, 1.0, 1.3])
def test_fit_recovers_the_exponent_of_a_power_law(s):
    counts = _zipf_counts(20_000, s, top=1e6)
    fit = fit_zipf(counts, min_count=5)
    assert fit.slope == pytest.approx(-s, abs=0.02)
    assert fit.lo == 1 and fit.hi == int(np.sum(counts >= 5))
    assert fit.count_at(1) == pytest.approx(1e6, rel=0.1)


def test_fit_needs_frequent_words_and_plot_needs_sorted_counts():
    with pytest.raises(UsageError, match="at least two words"):
        fit_zipf(np.array([9, 1, 1]), min_count=5)
    with pytest.raises(UsageError, match="sorted"):
        ZipfPlot(["a", "b"], np.array([1, 5]), fit_zipf(np.array([9, 8]), 5))


def test_page_data_keeps_the_head_and_samples_the_tail():
    fig = _figure(5000)
    d = fig.data()
    ranks = np.asarray(d["ranks"])
    assert ranks[:HEAD].tolist() == list(range(1, HEAD + 1))
    assert ranks[-1] == 5000 and np.all(np.diff(ranks) > 0)
    assert HEAD < ranks.size < HEAD + 450
    assert d["counts"].tolist() == fig.counts[ranks - 1].tolist()
    assert d["words"][0] == "the" and d["words"][HEAD - 1] == f"w{HEAD}"
    assert d["types"] == 5000 and d["tokens"] == int(fig.counts.sum())
    assert fig.to_html() == _figure(5000).to_html()


def test_static_svg_renders(hostile_word):
    svg = _figure(500, first=hostile_word).to_svg()
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert "<img" not in svg and svg == _figure(500, first=hostile_word).to_svg()


def test_page_hover_keys_and_search(browser_page, tmp_path):
    path = tmp_path / "z.html"
    fig = _figure(3000)
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator(".zipf-point").count() == len(fig.data()["ranks"])
    text = hover_tooltip(page, ".zipf-point[data-i='0']")
    assert "the" in text and "rank 1 of 3,000" in text and "count 100,000" in text
    page.mouse.move(0, 0)
    page.focus("#zipf-view svg")
    page.keyboard.press("ArrowRight")
    assert "rank 2 of 3,000" in tooltip_text(page)
    assert page.locator(".zipf-ring").get_attribute("data-i") == "1"
    page.keyboard.press("End")
    assert "rank 3,000" in tooltip_text(page)
    page.fill("#zipf-find", "w10")
    assert page.locator("#zipf-found").text_content() == "rank 10, count 10,000"
    page.fill("#zipf-find", "w2500")  # in the sampled tail, not plotted
    assert "not among" in page.locator("#zipf-found").text_content()
    assert page.locator(".zipf-fit").count() == 1
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_hostile_word_is_text(browser_page, tmp_path, hostile_word):
    path = tmp_path / "h.html"
    _figure(100, first=hostile_word).to_html(path)
    page, errors, requests = browser_page(path)
    assert hostile_word in hover_tooltip(page, ".zipf-point[data-i='0']")
    assert hostile_word in page.locator(".zipf-label").first.text_content()
    page.fill("#zipf-find", hostile_word)
    assert page.locator("#zipf-found").text_content().startswith("rank 1,")
    page.fill("#zipf-find", "__proto__")
    assert "not" in page.locator("#zipf-found").text_content()
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
