"""The pair projection: PCA, offset cosines, checks, static picture, the page in Chromium."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from diaphane.errors import DiaphaneError
from diaphane.viz.projection import COLOURS, PairProjection, offset_cosines, pca_2d
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip


def pairs(n: int = 6, dim: int = 12, seed: int = 0):
    """Countries at random, each capital its country plus one shared offset and noise."""
    rng = np.random.default_rng(seed)
    countries = rng.standard_normal((n, dim))
    shift = rng.standard_normal(dim) * 2
    capitals = countries + shift + 0.3 * rng.standard_normal((n, dim))
    return [f"country{i}" for i in range(n)], [f"capital{i}" for i in range(n)], countries, capitals


# ----------------------------------------------------------------------------- data


def test_pca_matches_scikit_learn_up_to_the_sign_of_each_axis():
    from sklearn.decomposition import PCA

    x = np.random.default_rng(1).standard_normal((30, 8)) * np.arange(1, 9)
    xy, axes, explained = pca_2d(x)
    ref = PCA(2).fit(x)
    np.testing.assert_allclose(explained, ref.explained_variance_ratio_, rtol=1e-10)
    theirs = ref.transform(x)
    signs = np.sign(np.sum(xy * theirs, axis=0))
    np.testing.assert_allclose(xy, theirs * signs, atol=1e-10)
    # The sign rule: each axis' largest loading is positive, so the picture is reproducible.
    assert all(a[np.argmax(np.abs(a))] > 0 for a in axes)
    # The same axes for the mirrored points (same covariance), so their coordinates mirror.
    np.testing.assert_allclose(pca_2d(-x)[0], -xy, atol=1e-10)


def test_from_vectors_projects_all_the_pair_words_together():
    src, tgt, s, t = pairs()
    fig = PairProjection.from_vectors(src, tgt, s, t)
    xy, _, explained = pca_2d(np.vstack([s, t]))
    np.testing.assert_allclose(fig.source_xy, xy[:6])
    np.testing.assert_allclose(fig.target_xy, xy[6:])
    assert fig.explained == pytest.approx(tuple(explained))
    assert fig.dim == 12
    off = t - s
    mean = off.mean(axis=0)
    want = off @ mean / np.linalg.norm(off, axis=1) / np.linalg.norm(mean)
    np.testing.assert_allclose(fig.cosines, want)
    assert fig.cosines.min() > 0.8  # the shared offset dominates the noise
    start, end = fig.mean_arrow
    np.testing.assert_allclose(start, fig.source_xy.mean(axis=0))
    np.testing.assert_allclose(end - start, (fig.target_xy - fig.source_xy).mean(axis=0))


def test_offset_cosines_of_parallel_and_opposite_offsets():
    s = np.zeros((3, 2))
    t = np.array([[1.0, 0.0], [2.0, 0.0], [-0.5, 0.0]])
    np.testing.assert_allclose(offset_cosines(s, t), [1.0, 1.0, -1.0])


def test_page_data_holds_words_coordinates_and_cosines():
    src, tgt, s, t = pairs()
    fig = PairProjection.from_vectors(src, tgt, s, t)
    d = fig.data()
    assert [p["source"] for p in d["pairs"]] == src and [p["target"] for p in d["pairs"]] == tgt
    np.testing.assert_allclose([p["s"] for p in d["pairs"]], fig.source_xy, atol=1e-5)
    np.testing.assert_allclose([p["cos"] for p in d["pairs"]], fig.cosines, atol=1e-4)
    assert d["colours"] == COLOURS
    assert set(COLOURS.values()) == {"#0072b2", "#d55e00", "#009e73", "#e69f00"}
    json.dumps(d)


def test_bad_inputs_get_clear_messages():
    src, tgt, s, t = pairs()
    with pytest.raises(DiaphaneError, match="at least 2 pairs"):
        PairProjection.from_vectors(src[:1], tgt[:1], s[:1], t[:1])
    with pytest.raises(DiaphaneError, match="give pairs"):
        PairProjection.from_vectors(src, tgt[:5], s, t)
    with pytest.raises(DiaphaneError, match="one vector per word"):
        PairProjection.from_vectors(src, tgt, s, t[:, :5])
    bad = t.copy()
    bad[2, 3] = np.nan
    with pytest.raises(DiaphaneError, match="NaN"):
        PairProjection.from_vectors(src, tgt, s, bad)


def test_html_svg_png_are_deterministic(tmp_path):
    src, tgt, s, t = pairs()
    a = PairProjection.from_vectors(src, tgt, s, t)
    b = PairProjection.from_vectors(list(src), list(tgt), s.copy(), t.copy())
    assert a.to_html() == b.to_html()
    svg = a.to_svg()
    assert svg == b.to_svg() and svg.lstrip().startswith("<?xml") and "<svg" in svg
    png = a.to_png(tmp_path / "a.png").read_bytes()
    assert png[:4] == b"\x89PNG" and png == b.to_png(tmp_path / "b.png").read_bytes()


# ----------------------------------------------------------------------------- browser


def _open(browser_page, tmp_path, fig):
    path = tmp_path / "projection.html"
    fig.to_html(path)
    return browser_page(path)


def test_page_draws_every_pair_and_hover_shows_the_words_and_cosine(browser_page, tmp_path):
    src, tgt, s, t = pairs()
    fig = PairProjection.from_vectors(src, tgt, s, t)
    page, errors, requests = _open(browser_page, tmp_path, fig)
    assert page.locator(".proj-pair").count() == 6
    assert page.locator("circle.proj-source").count() == 6
    assert page.locator("circle.proj-target").count() == 6
    assert sorted(page.locator(".proj-label").all_text_contents()) == sorted(src + tgt)
    assert page.locator("#proj-legend .dia-swatch").count() == 4
    # Each arrow starts at its country's point and ends at its capital's.
    geometry = page.evaluate(
        "[...document.querySelectorAll('.proj-pair')].map(g => {"
        "const a = g.querySelector('.proj-arrow'), s = g.querySelector('.proj-source'),"
        " t = g.querySelector('.proj-target'), n = (e, k) => +e.getAttribute(k);"
        "return [n(a,'x1') - n(s,'cx'), n(a,'y1') - n(s,'cy'), n(a,'x2') - n(t,'cx'),"
        " n(a,'y2') - n(t,'cy')];})"
    )
    assert np.allclose(geometry, 0, atol=1e-6)
    tip = hover_tooltip(page, "#pair-2 .proj-hit")
    assert "country2 → capital2" in tip
    assert f"{fig.cosines[2]:.3f}".rstrip("0") in tip
    assert "12 dimensions" in tip
    assert page.locator("#pair-2.is-on").count() == 1
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_keyboard_focus_shows_the_tooltip(browser_page, tmp_path):
    src, tgt, s, t = pairs(4)
    page, errors, requests = _open(
        browser_page, tmp_path, PairProjection.from_vectors(src, tgt, s, t)
    )
    page.focus("#pair-3")
    tip = page.locator("#dia-tooltip:not([hidden])")
    tip.wait_for(state="visible", timeout=3000)
    assert "country3 → capital3" in tip.inner_text()
    assert_clean(errors, requests)


def test_hostile_word_is_text(browser_page, tmp_path, hostile_word):
    src, tgt, s, t = pairs(4)
    src[1] = hostile_word
    fig = PairProjection.from_vectors(src, tgt, s, t, title=hostile_word, description=hostile_word)
    page, errors, requests = _open(browser_page, tmp_path, fig)
    assert page.locator("img").count() == 0
    assert hostile_word in page.locator(".proj-label").all_text_contents()
    assert hostile_word in hover_tooltip(page, "#pair-1 .proj-hit")
    assert re.search("onerror", page.title())
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)


def test_static_svg_renders(browser_page, tmp_path):
    src, tgt, s, t = pairs()
    PairProjection.from_vectors(src, tgt, s, t).to_svg(tmp_path / "projection.svg")
    # As the print version of the report shows it: an <img> of the SVG file.
    page_path = tmp_path / "static.html"
    page_path.write_text('<!DOCTYPE html><img id="fig" src="projection.svg" width="640">')
    page, errors, requests = browser_page(page_path)
    page.wait_for_function("() => document.getElementById('fig').complete")
    assert page.evaluate("document.getElementById('fig').naturalWidth") > 100
    assert_not_blank(page)
    assert_clean(errors, requests)
