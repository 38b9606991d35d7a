"""The embedding map: encoding, neighbours, checks, static picture, the page in Chromium."""

from __future__ import annotations

import base64
import collections
import re
from types import SimpleNamespace

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.viz.embedding_map import (
    EmbeddingMap,
    cosine_neighbours,
    encode_array,
    encode_bits,
)
from tests.viz.browser import assert_clean, assert_not_blank, tooltip_text


def clusters(n_words: int, dim: int = 16, n_clusters: int = 5, seed: int = 0):
    """Words in clusters: vectors near a cluster centre, the map a noisy projection."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim)) * 3
    which = np.arange(n_words) % n_clusters
    vectors = centres[which] + rng.standard_normal((n_words, dim))
    xy = vectors[:, :2] + 0.1 * rng.standard_normal((n_words, 2))
    words = [f"c{c}w{i}" for i, c in enumerate(which)]
    return words, vectors, xy, [f"group {c}" for c in which]


def lee_words(n: int) -> list[str]:
    """The ``n`` commonest words of the Lee corpus shipped in gensim's wheel: real lengths."""
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        counts = collections.Counter(fh.read().lower().split())
    return [w for w, _ in counts.most_common(n)]


def unpack_bits(text: str, bits: int, count: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    planes = np.unpackbits(raw, bitorder="little")[: count * bits].reshape(count, bits)
    return (planes.astype(np.int64) << np.arange(bits)).sum(axis=1)


# ----------------------------------------------------------------------------- data


def test_cosine_neighbours_match_scikit_learn():
    from sklearn.neighbors import NearestNeighbors

    _, vectors, _, _ = clusters(300)
    ours = cosine_neighbours(vectors, 6, block=64)
    nn = NearestNeighbors(n_neighbors=7, metric="cosine", algorithm="brute").fit(vectors)
    theirs = nn.kneighbors(vectors, return_distance=False)[:, 1:]
    np.testing.assert_array_equal(ours, theirs)


def test_map_neighbours_without_vectors_are_nearest_points_on_the_map():
    words, _, xy, _ = clusters(200)
    m = EmbeddingMap(words, xy, k=4)
    assert m.neighbour_space == "map"
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_array_equal(m.neighbours, np.argsort(d, axis=1, kind="stable")[:, :4])


def test_encodings_round_trip():
    values = np.array([0, 1, 4999, 8191, 77])
    assert unpack_bits(encode_bits(values, 13), 13, 5).tolist() == values.tolist()
    raw = base64.b64decode(encode_array(np.array([1, 65535]), "u16"))
    assert np.frombuffer(raw, "<u2").tolist() == [1, 65535]
    with pytest.raises(ValueError):
        encode_bits(np.array([8]), 3)


def test_page_data_is_compact_and_exact():
    words, vectors, xy, _ = clusters(500)
    m = EmbeddingMap(words, xy, vectors=vectors, k=5)
    d = m.data()
    assert d["mode"] == "svg" and d["bits"] == 9 and d["k"] == 5
    nb = unpack_bits(d["neighbours"], d["bits"], 500 * 5).reshape(500, 5)
    np.testing.assert_array_equal(nb, cosine_neighbours(vectors, 5))
    q = np.frombuffer(base64.b64decode(d["xy"]), "<u2").reshape(-1, 2).astype(float)
    # The grid keeps the map's shape: one scale for both axes, y flipped.
    span = np.ptp(xy, axis=0).max()
    np.testing.assert_allclose(q[:, 0] / 65535 * span + xy[:, 0].min(), xy[:, 0], atol=span / 6e4)
    np.testing.assert_allclose(xy[:, 1].max() - q[:, 1] / 65535 * span, xy[:, 1], atol=span / 6e4)


def test_scores_are_signed_fractions_of_the_limit_and_nan_is_missing():
    words, _, xy, _ = clusters(50)
    scores = np.linspace(-2, 4, 50)
    scores[3] = np.nan
    d = EmbeddingMap(words, xy, scores=scores).data()
    q = np.frombuffer(base64.b64decode(d["scores"]), "<i2")
    assert d["limit"] == 4.0 and q[3] == -32768 and q[-1] == 32767
    np.testing.assert_allclose(np.delete(q, 3) / 32767 * 4, np.delete(scores, 3), atol=1e-3)


def test_bad_inputs_get_clear_messages():
    words, _, xy, labels = clusters(10)
    with pytest.raises(DiaphaneError, match=r"shape \(n, 2\)"):
        EmbeddingMap(words, np.zeros((10, 3)))
    with pytest.raises(DiaphaneError, match="xy has 9 entries"):
        EmbeddingMap(words, xy[:9])
    bad = xy.copy()
    bad[4, 1] = np.nan
    with pytest.raises(DiaphaneError, match="row 4"):
        EmbeddingMap(words, bad)
    with pytest.raises(DiaphaneError, match="not both"):
        EmbeddingMap(words, xy, scores=np.zeros(10), labels=labels)
    with pytest.raises(DiaphaneError, match=r"0\.\.9"):
        EmbeddingMap(words, xy, neighbours=np.full((10, 2), 10))
    with pytest.raises(DiaphaneError, match="one row per word"):
        EmbeddingMap(words, xy, vectors=np.zeros((3, 4)))


def test_from_map2d_duck_types_and_takes_the_real_map():
    words, vectors, xy, labels = clusters(40)
    fake = SimpleNamespace(words=words, xy=xy, labels=labels, method="tsne")
    m = EmbeddingMap.from_map2d(fake, vectors=vectors, k=3)
    assert m.title == "Word map (tsne)" and m.data()["colour"] == "labels"
    assert m.neighbour_space == "vectors"
    ragged = [[1, 2], [0], *[[0, 1]] * 38]
    m = EmbeddingMap.from_map2d(SimpleNamespace(words=words, xy=xy), neighbours=ragged)
    assert m.neighbours[1].tolist() == [0, -1]
    maps = pytest.importorskip("diaphane.vectors.maps")
    real = maps.Map2D(words, xy, "pca", scores=np.arange(40.0) - 20)
    assert EmbeddingMap.from_map2d(real).data()["colour"] == "scores"


def test_five_thousand_points_fit_in_250_kib():
    words = lee_words(5000)
    _, vectors, xy, _ = clusters(5000)
    page = EmbeddingMap(words, xy, vectors=vectors, scores=vectors[:, 3]).to_html()
    assert len(page.encode()) <= 250 * 1024


def test_html_svg_png_are_deterministic(tmp_path):
    words, vectors, xy, labels = clusters(60)
    a = EmbeddingMap(words, xy, labels=labels, vectors=vectors)
    b = EmbeddingMap(list(words), xy.copy(), labels=list(labels), vectors=vectors.copy())
    assert a.to_html() == b.to_html()
    assert a.to_svg() == b.to_svg()
    pa, pb = a.to_png(tmp_path / "a.png"), b.to_png(tmp_path / "b.png")
    assert pa.read_bytes()[:4] == b"\x89PNG" and pa.read_bytes() == pb.read_bytes()


# ----------------------------------------------------------------------------- browser


def _open(browser_page, tmp_path, fig, name="map.html"):
    path = tmp_path / name
    fig.to_html(path)
    return browser_page(path)


def _labels(page) -> list[str]:
    return page.locator(".map-label").all_text_contents()


def _hover_word(page, i):
    x, y = page.evaluate(f"diaphaneMap.screenOf({i})")
    page.mouse.move(0, 0)
    page.mouse.move(x, y)
    return tooltip_text(page)


def test_svg_map_points_labels_legend_and_hover(browser_page, tmp_path):
    words, vectors, xy, labels = clusters(400)
    fig = EmbeddingMap(words, xy, labels=labels, vectors=vectors, k=5)
    page, errors, requests = _open(browser_page, tmp_path, fig)
    assert page.locator(".map-point").count() == 400
    assert page.locator("#map-legend .dia-swatch").count() == 5
    shown = _labels(page)
    assert 0 < len(shown) < 400
    # Labels never overlap one another.
    boxes = page.evaluate(
        "[...document.querySelectorAll('.map-label')].map(t => {const b = t.getBBox();"
        " return [b.x, b.y, b.x + b.width, b.y + b.height];})"
    )
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (
                a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5
            )
    tip = _hover_word(page, 7)
    near = [words[j] for j in fig.neighbours[7]]
    assert words[7] in tip and ", ".join(near) in tip and labels[7] in tip
    assert page.locator(".map-hit").count() == 6
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_search_highlights_the_word_and_its_neighbours(browser_page, tmp_path):
    words, vectors, xy, _ = clusters(300)
    fig = EmbeddingMap(words, xy, scores=vectors[:, 0], vectors=vectors, k=4)
    page, errors, requests = _open(browser_page, tmp_path, fig)
    assert page.locator(".map-colourbar").count() == 1
    page.fill("#map-query", words[42].upper())  # case-insensitive fallback
    page.press("#map-query", "Enter")
    page.wait_for_function("() => diaphaneMap.state().selected === 42")
    page.wait_for_timeout(100)
    assert page.locator(".map-hit").count() == 5
    hits = set(page.locator(".map-label.is-hit").all_text_contents())
    assert hits == {words[42], *(words[j] for j in fig.neighbours[42])}
    assert "4 nearest neighbours" in page.locator("#map-status").text_content()
    page.fill("#map-query", "c1w")
    page.press("#map-query", "Enter")
    assert "no word" in page.locator("#map-status").text_content()
    assert page.locator("#map-suggestions button").count() == 8
    page.locator("#map-suggestions button").first.click()
    page.wait_for_function("() => diaphaneMap.state().selected === 1")
    assert_clean(errors, requests)


def test_zooming_in_changes_the_labels(browser_page, tmp_path):
    words, _, xy, _ = clusters(3000)
    page, errors, requests = _open(browser_page, tmp_path, EmbeddingMap(words, xy, k=3))
    before = set(_labels(page))
    box = page.locator("#map-view").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(6):
        page.mouse.wheel(0, -300)
    page.wait_for_function("() => diaphaneMap.state().k > 4")
    page.wait_for_timeout(100)
    after = set(_labels(page))
    assert after and after != before
    assert len(after - before) > 10
    assert_clean(errors, requests)


def test_twenty_thousand_points_draw_on_a_canvas(browser_page, tmp_path):
    words, vectors, xy, _ = clusters(20_000, dim=8)
    fig = EmbeddingMap(words, xy, scores=vectors[:, 2], k=4)
    path = tmp_path / "big.html"
    fig.to_html(path)
    assert path.stat().st_size < 1024 * 1024
    page, errors, requests = browser_page(path)
    assert page.locator("canvas.map-canvas").count() == 1
    assert page.locator(".map-point").count() == 0
    assert page.locator(".map-label").count() > 20
    tip = _hover_word(page, 12345)
    assert words[12345] in tip
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_hostile_word_is_text(browser_page, tmp_path, hostile_word):
    words, vectors, xy, _ = clusters(30)
    words[0] = hostile_word
    fig = EmbeddingMap(words, xy, vectors=vectors, k=3, title=hostile_word)
    page, errors, requests = _open(browser_page, tmp_path, fig)
    assert page.locator("img").count() == 0
    page.fill("#map-query", hostile_word)
    page.press("#map-query", "Enter")
    page.wait_for_function("() => diaphaneMap.state().selected === 0")
    page.wait_for_timeout(100)
    assert hostile_word in page.locator(".map-label.is-hit").all_text_contents()
    assert hostile_word in _hover_word(page, 0)
    assert re.search("onerror", page.title())
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
