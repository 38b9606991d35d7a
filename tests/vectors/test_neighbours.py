"""Nearest neighbours: the three metrics, batching, and gensim's answers."""

import numpy as np
import pytest

import diaphane.vectors.neighbours as nb
from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors import WordVectors, doesnt_match, most_similar, nearest, similarity


def random_vectors(n=400, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.2, 3.0, size=(n, 1))  # lengths differ, so the metrics differ
    return WordVectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)) * scale)


def full_ranking(wv, q, metric):
    ids, _ = nearest(wv, wv.matrix[q], k=len(wv), metric=metric)
    return ids


def test_metrics_agree_on_unit_vectors():
    """The slides' point: on unit vectors dot, cosine and euclidean rank alike."""
    wv = random_vectors().normalized()
    q = np.arange(0, 400, 37)
    cos, dot, euc = (full_ranking(wv, q, m) for m in ("cosine", "dot", "euclidean"))
    np.testing.assert_array_equal(cos, dot)
    np.testing.assert_array_equal(cos, euc)


def test_metrics_differ_on_raw_vectors():
    wv = random_vectors()
    q = np.arange(0, 400, 37)
    cos, dot, euc = (full_ranking(wv, q, m)[:, :10] for m in ("cosine", "dot", "euclidean"))
    assert (cos != dot).any() and (cos != euc).any()


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
def test_nearest_matches_brute_force(metric, monkeypatch):
    wv = random_vectors()
    rng = np.random.default_rng(1)
    queries = rng.normal(size=(7, 16)).astype(np.float32)
    x = wv.matrix.astype(np.float64)
    if metric == "cosine":
        score = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (
            queries / np.linalg.norm(queries, axis=1, keepdims=True)
        ).T
    elif metric == "dot":
        score = x @ queries.T
    else:
        score = -np.linalg.norm(x[:, None, :] - queries[None], axis=2)
    expect = np.argsort(-score.T, axis=1, kind="stable")[:, :5]
    monkeypatch.setattr(nb, "BLOCK_ELEMENTS", 3 * len(wv))  # several blocks of queries
    ids, values = nearest(wv, queries, k=5, metric=metric)
    np.testing.assert_array_equal(ids, expect)
    best = np.take_along_axis(score.T, expect, axis=1)
    np.testing.assert_allclose(values, -best if metric == "euclidean" else best, rtol=1e-4)


def test_top_k_against_argsort():
    s = np.random.default_rng(0).normal(size=(5, 50))
    np.testing.assert_array_equal(nb.top_k(s, 7), np.argsort(-s, axis=1)[:, :7])
    np.testing.assert_array_equal(nb.top_k(s, 60), np.argsort(-s, axis=1))


def test_word_query_leaves_the_word_out():
    wv = random_vectors()
    assert "w3" not in [w for w, _ in most_similar(wv, "w3", k=20)]
    with pytest.raises(DiaphaneError, match="Unknown metric"):
        most_similar(wv, "w3", metric="manhattan")


def test_agrees_with_gensim(lee_model):
    kv = lee_model.wv
    wv = WordVectors.from_gensim(kv)
    for word in ("government", "police", "fire", "Australia"):
        ours = most_similar(wv, word, k=10)
        theirs = kv.most_similar(word, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert similarity(wv, "fire", "police") == pytest.approx(
        kv.similarity("fire", "police"), abs=1e-6
    )
    for group in (["fire", "police", "government", "Sydney"], ["the", "a", "an", "bushfire"]):
        assert doesnt_match(wv, group) == kv.doesnt_match(group)
