"""The masked-LM figure: its data, the page in Chromium, the static SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from diaphane.errors import UsageError
from diaphane.text.masking import MASK, bert_mask, clipped_geometric_pmf, span_mask, span_positions
from diaphane.viz.masking import MaskingFigure, span_histogram
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

VOCAB = [f"v{i}" for i in range(30)]


def _sentences(extra: str | None = None) -> list[list[str]]:
    first = [f"a{i}" for i in range(30)]
    if extra is not None:
        first[3] = extra
    return [first, [f"b{i}" for i in range(24)], [f"c{i}" for i in range(36)]]


def _lengths(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([b - a for _ in range(400) for a, b in span_positions(128, rng)])


def _figure(extra: str | None = None, vocab=VOCAB, seed: int = 1) -> MaskingFigure:
    rng = np.random.default_rng(seed)
    samples = [(bert_mask(s, vocab, rng), span_mask(s, vocab, rng)) for s in _sentences(extra)]
    return MaskingFigure(samples, _lengths(), passages=400)


def test_histogram_counts_lengths():
    assert span_histogram([1, 1, 3, 10], 10).tolist() == [2, 0, 1] + [0] * 6 + [1]
    with pytest.raises(UsageError, match="1 … 10"):
        span_histogram([0, 2], 10)
    with pytest.raises(UsageError, match="1 … 10"):
        span_histogram([11], 10)


def test_data_rows_match_the_examples():
    fig = _figure()
    d = fig.data()
    assert len(d["samples"]) == 3
    for sample, (bert, span) in zip(d["samples"], fig.samples, strict=True):
        assert sample["original"] == bert.original
        for row, ex in ((sample["bert"], bert), (sample["span"], span)):
            assert row["tokens"] == ex.tokens
            marked = [i for i, a in enumerate(row["actions"]) if a is not None]
            assert marked == ex.positions
            assert [row["actions"][i] for i in marked] == ex.actions
    h = d["hist"]
    assert h["counts"].sum() == fig.lengths.size == h["spans"]
    assert h["measured"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(h["theory"], clipped_geometric_pmf(0.2, 10))
    assert h["measured_mean"] == pytest.approx(fig.lengths.mean())
    assert abs(h["measured_mean"] - h["theory_mean"]) < 0.2
    assert fig.to_html() == _figure().to_html()


def test_bad_figures_are_refused():
    rng = np.random.default_rng(0)
    a, b = _sentences()[:2]
    with pytest.raises(UsageError, match="same sentence"):
        MaskingFigure([(bert_mask(a, VOCAB, rng), span_mask(b, VOCAB, rng))], _lengths())
    with pytest.raises(UsageError, match="at least one sample"):
        MaskingFigure([], _lengths())


def test_static_svg_renders(hostile_word):
    svg = _figure(hostile_word).to_svg()
    assert ET.fromstring(svg).tag.endswith("svg")
    assert "<img" not in svg


def _strip_text(page, row: str) -> list[str]:
    return page.locator(f"#{row} .mask-token").all_text_contents()


def test_page_rows_hover_switch_and_histogram(browser_page, tmp_path):
    path = tmp_path / "m.html"
    fig = _figure()
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    bert, span = fig.samples[0]
    assert _strip_text(page, "mask-bert") == bert.tokens
    assert _strip_text(page, "mask-span") == span.tokens
    assert page.locator("#mask-bert .mask-token.is-mask").count() == bert.actions.count("mask")
    assert page.locator("#mask-span .mask-span").count() == len(span.spans)
    first = span.positions[0]
    tip = hover_tooltip(page, f"#mask-span .mask-token[data-i='{first}']")
    assert f"original word: {span.original[first]}" in tip and "span 1 of" in tip
    summary = page.locator("#mask-bert .mask-summary").text_content()
    assert summary.startswith(f"{len(bert.positions)} of 30 words chosen")
    # Keyboard: Tab to the button and press it; the next sample is drawn.
    page.focus("#mask-sample")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert _strip_text(page, "mask-span") == fig.samples[1][1].tokens
    assert page.locator("#mask-sample").input_value() == "1"
    page.select_option("#mask-sample", "2")
    assert _strip_text(page, "mask-bert") == fig.samples[2][0].tokens
    assert page.locator(".mask-bar").count() == 10
    assert page.locator(".mask-theory").count() == 10
    k1 = int(fig.data()["hist"]["counts"][0])
    assert f"measured: {k1} of {fig.lengths.size} spans" in hover_tooltip(page, ".mask-bar")
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_hostile_words_are_text(browser_page, tmp_path, hostile_word):
    path = tmp_path / "h.html"
    # The hostile word is in the sentence and is also the only random replacement.
    fig = _figure(hostile_word, vocab=[hostile_word], seed=3)
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert hostile_word in _strip_text(page, "mask-bert") + _strip_text(page, "mask-span")
    assert hostile_word in page.locator("#mask-sample option").first.text_content()
    tip = hover_tooltip(page, "#mask-bert .mask-token[data-i='3']")
    assert hostile_word in tip
    assert page.locator("img").count() == 0
    assert MASK in page.locator("body").inner_text()
    assert_clean(errors, requests)
