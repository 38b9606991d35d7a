"""Analogies by 3CosAdd and 3CosMul, one at a time and batched, against gensim."""

import numpy as np
import pytest

import diaphane.vectors.analogies as an
from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors import WordVectors, analogy, solve_analogies

QUESTIONS = [
    ("man", "king", "woman"),
    ("government", "minister", "police"),
    ("fire", "hot", "water"),
]


@pytest.mark.parametrize("a, b, c", QUESTIONS)
def test_3cosadd_matches_gensim_most_similar(lee_model, a, b, c):
    kv = lee_model.wv
    wv = WordVectors.from_gensim(kv)
    ours = analogy(wv, a, b, c, k=5)
    theirs = kv.most_similar(positive=[b, c], negative=[a], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.parametrize("a, b, c", QUESTIONS)
def test_3cosmul_matches_gensim_cosmul(lee_model, a, b, c):
    kv = lee_model.wv
    wv = WordVectors.from_gensim(kv)
    ours = analogy(wv, a, b, c, k=5, method="3cosmul", epsilon=1e-6)  # gensim's ε
    theirs = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)


def test_3cosmul_by_the_formula():
    wv = WordVectors(list("abcdefgh"), np.random.default_rng(3).normal(size=(8, 5)))
    u = wv.unit.astype(np.float64)
    cos = lambda i: (u @ u[i] + 1) / 2
    score = cos(1) * cos(2) / (cos(0) + 1e-3)
    score[[0, 1, 2]] = -np.inf
    assert analogy(wv, "a", "b", "c", method="3cosmul")[0][0] == "abcdefgh"[int(np.argmax(score))]


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_table_and_product_paths_agree(synthetic, method, monkeypatch):
    rng = np.random.default_rng(0)
    words = rng.choice(200, size=60, replace=False)  # few words, many questions → table path
    questions = rng.choice(words, size=(800, 3))
    questions = questions[
        (questions[:, 0] != questions[:, 1]) & (questions[:, 1] != questions[:, 2])
    ]
    table = solve_analogies(synthetic.unit, questions, method, 1500, k=3)
    monkeypatch.setattr(an, "TABLE_ELEMENTS", 0)  # force the matrix-product path
    product = solve_analogies(synthetic.unit, questions, method, 1500, k=3)
    np.testing.assert_array_equal(table, product)
    assert not np.isin(table, questions).all(axis=1).any()
    for row, q in zip(table, questions, strict=True):
        assert not set(row) & set(q)  # question words are never answers


def test_restricted_answers_and_errors(synthetic):
    ans = analogy(synthetic, *synthetic.words[2000:2003], k=10, restrict=100)
    assert all(synthetic.index[w] < 100 for w, _ in ans)
    with pytest.raises(DiaphaneError, match="3cosadd or 3cosmul"):
        analogy(synthetic, *synthetic.words[:3], method="pairdirection")
