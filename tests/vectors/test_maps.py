"""2-D maps (PCA, t-SNE, UMAP) are reproducible; selections; covariance."""

import json

import numpy as np
import pytest

from diaphane.autodiff import check_grads
from diaphane.vectors import (
    Map2D,
    WordVectors,
    covariance,
    extreme_words,
    make_map,
    near_words,
    pca_map,
    top_words,
)


def clusters(n=150, dim=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim)) * 4
    x = centres[np.arange(n) % 3] + rng.normal(size=(n, dim))
    return WordVectors([f"w{i}" for i in range(n)], x, scores=rng.normal(size=n))


def test_pca_matches_sklearn_up_to_sign():
    from sklearn.decomposition import PCA

    wv = clusters()
    m = pca_map(wv)
    ref = PCA(2).fit_transform(wv.matrix.astype(np.float64))
    signs = np.sign((m.xy * ref).sum(axis=0))
    np.testing.assert_allclose(m.xy, ref * signs, atol=1e-4)
    # the axes' signs follow the loadings, not the SVD routine: -X maps to -xy
    flipped = pca_map(WordVectors(wv.words, -wv.matrix))
    np.testing.assert_allclose(flipped.xy, -m.xy, atol=1e-4)
    assert m.method == "pca" and m.scores is wv.scores


def test_tsne_is_reproducible():
    wv = clusters(120)
    a, b = make_map(wv, "tsne", seed=3), make_map(wv, "tsne", seed=3)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.allclose(a.xy, make_map(wv, "tsne", seed=4).xy)
    # the three clusters stay apart
    labels = np.arange(len(wv)) % 3
    centroid = np.stack([a.xy[labels == k].mean(0) for k in range(3)])
    spread = np.mean([a.xy[labels == k].std(0).mean() for k in range(3)])
    assert (
        np.min(np.linalg.norm(centroid[:, None] - centroid[None], axis=2) + np.eye(3) * 1e9)
        > spread
    )


def test_umap_gets_the_seed(monkeypatch):
    """umap-learn compiles with numba for ~30 s, so the fast test checks what we ask of it."""
    import sys
    import types

    calls = []

    class FakeUMAP:
        def __init__(self, **kw):
            calls.append(kw)

        def fit_transform(self, x):
            return x[:, :2] * 2

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    wv = clusters(30)
    m = make_map(wv, "umap", seed=7, n_neighbors=50)
    assert calls == [
        dict(n_neighbors=29, n_components=2, metric="cosine", random_state=7, n_jobs=1)
    ]
    np.testing.assert_allclose(m.xy, wv.matrix[:, :2] * 2, rtol=1e-6)


def test_umap_is_reproducible():
    wv = clusters(100)
    a, b = make_map(wv, "umap", seed=1), make_map(wv, "umap", seed=1)
    assert a.xy.shape == (100, 2) and a.method == "umap"
    np.testing.assert_array_equal(a.xy, b.xy)


def test_map2d_files(tmp_path):
    m = Map2D(["a", "b"], np.array([[0.0, 1.0], [2.0, 3.0]]), "pca", scores=np.array([0.5, -1]))
    assert m.to_csv().splitlines() == ["word,x,y,score", "a,0.0,1.0,0.5", "b,2.0,3.0,-1.0"]
    data = json.loads(m.save(tmp_path / "m.json").read_text())
    assert data["method"] == "pca" and data["points"][1] == {
        "word": "b",
        "x": 2,
        "y": 3,
        "score": -1,
    }
    assert (m.save(tmp_path / "m.csv")).read_text() == m.to_csv()
    with pytest.raises(Exception, match=r"\.csv or \.json"):
        m.save(tmp_path / "m.png")


def test_selections():
    wv = WordVectors(list("abcde"), np.random.default_rng(0).normal(size=(5, 3)),
                     scores=[3, -1, 0, 5, -4], counts=[1, 9, 5, 7, 3])  # fmt: skip
    assert top_words(wv, 3).words == ["b", "d", "c"]
    assert extreme_words(wv, 4).words == ["a", "b", "d", "e"]
    near = near_words(wv, "c", 3)
    assert near.words[0] == "c" and len(near) == 3
    with pytest.raises(Exception, match="Unknown map method"):
        make_map(wv, "mds")


def test_covariance_is_np_cov_and_differentiable():
    x = np.random.default_rng(0).normal(size=(4, 9))
    np.testing.assert_allclose(covariance(x), np.cov(x))
    np.testing.assert_allclose(
        covariance(x, rowvar=False, bias=True), np.cov(x, rowvar=False, bias=True)
    )
    check_grads(lambda m: covariance(m), x, modes=("rev",), order=1)
