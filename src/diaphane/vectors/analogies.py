"""Analogies ``a : b :: c : ?`` by 3CosAdd and 3CosMul (Levy & Goldberg, 2014).

Both work on unit vectors and leave the three question words out of the answers:

- 3CosAdd: ``argmax_x cos(x, b) - cos(x, a) + cos(x, c)``, the vector offset
  ``b - a + c`` (what word2vec's ``compute-accuracy`` and gensim's ``most_similar`` do);
- 3CosMul: ``argmax_x cos'(x, b) cos'(x, c) / (cos'(x, a) + ε)`` with cosines shifted
  to [0, 1], ``cos' = (cos + 1) / 2``, and ``ε = 1e-3``; the product keeps one large
  similarity from swamping the other two.

:func:`solve_analogies` answers many questions at once: blocks of questions become
matrix products against the candidate words, so the 19,544 Google questions are a
handful of BLAS calls rather than a Python loop.

Entry points: :func:`analogy`, :func:`solve_analogies`, :data:`METHODS`.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors.keyed import WordVectors
from diaphane.vectors.neighbours import top_k

__all__ = ["EPSILON", "METHODS", "analogy", "analogy_scores", "solve_analogies"]

METHODS = ("3cosadd", "3cosmul")
EPSILON = 1e-3
# Question rows per block: the block's score matrices hold ~ BLOCK_ELEMENTS floats each.
BLOCK_ELEMENTS = 1 << 23
# The same for gathered rows, small enough to stay in cache between gather and argmax.
GATHER_BLOCK_ELEMENTS = 1 << 16
# Largest table of question-word x candidate cosines precomputed (256 MiB of float32).
TABLE_ELEMENTS = 1 << 26


def _check_method(method: str) -> str:
    m = method.lower()
    if m not in METHODS:
        raise DiaphaneError(f"Unknown analogy method {method!r}; use 3cosadd or 3cosmul.")
    return m


def analogy_scores(
    candidates: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    method: str = "3cosadd",
    epsilon: float = EPSILON,
) -> np.ndarray:
    """Scores ``(n, len(candidates))`` of each candidate for ``n`` questions.

    Args:
        candidates: unit vectors of the candidate answers, ``(m, dim)``.
        a, b, c: unit vectors of the question words, ``(n, dim)`` each.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        epsilon: 3CosMul's guard against division by zero.
    """
    if _check_method(method) == "3cosadd":
        return (b + c - a) @ candidates.T
    cos_a, cos_b, cos_c = ((q @ candidates.T + 1) * 0.5 for q in (a, b, c))
    cos_b *= cos_c
    cos_a += epsilon
    cos_b /= cos_a
    return cos_b


def solve_analogies(
    unit: np.ndarray,
    questions: np.ndarray,
    method: str = "3cosadd",
    n_candidates: int | None = None,
    exclude: np.ndarray | None = None,
    k: int = 1,
    epsilon: float = EPSILON,
) -> np.ndarray:
    """The best ``k`` answers to many questions, in blocks.

    When the questions reuse few words (the Google set has 19,544 questions over 905
    words), the cosines of those words with every candidate are computed once and each
    question's scores are three gathered rows combined; otherwise each block of
    questions is a matrix product.

    Args:
        unit: unit word vectors ``(|V|, dim)``.
        questions: ``(n, 3)`` row ids ``a, b, c`` of ``a : b :: c : ?``.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        n_candidates: answers come from the first ``n_candidates`` rows (all by default).
        exclude: ``(n, m)`` row ids never given as answers (-1 pads); by default each
            question's own three words.
        k: answers per question.
        epsilon: 3CosMul's ε.

    Returns:
        ``(n, k)`` row ids, best first.
    """
    method = _check_method(method)
    questions = np.asarray(questions, dtype=np.int64).reshape(-1, 3)
    candidates = unit[: n_candidates or len(unit)]
    exclude = questions if exclude is None else exclude
    uniq, inverse = np.unique(questions, return_inverse=True)
    if len(uniq) * 4 <= len(questions) and len(uniq) * len(candidates) <= TABLE_ELEMENTS:
        scores = _table_scores(unit[uniq], candidates, inverse.reshape(-1, 3), method, epsilon)
        block = max(1, GATHER_BLOCK_ELEMENTS // len(candidates))
    else:
        scores = _product_scores(unit, candidates, questions, method, epsilon)
        block = max(1, BLOCK_ELEMENTS // len(candidates))
    out = np.empty((len(questions), min(k, len(candidates))), dtype=np.int64)
    for start in range(0, len(questions), block):
        s = scores(start, start + block)
        ex = exclude[start : start + block]
        rows = np.broadcast_to(np.arange(len(s))[:, None], ex.shape)
        ok = (ex >= 0) & (ex < len(candidates))
        s[rows[ok], ex[ok]] = -np.inf
        out[start : start + len(s)] = s.argmax(axis=1)[:, None] if k == 1 else top_k(s, k)
    return out


def _product_scores(unit, candidates, questions, method, epsilon):
    def scores(start: int, stop: int) -> np.ndarray:
        q = questions[start:stop]
        return analogy_scores(
            candidates, unit[q[:, 0]], unit[q[:, 1]], unit[q[:, 2]], method, epsilon
        )

    return scores


def _table_scores(words, candidates, inverse, method, epsilon):
    table = words @ candidates.T  # cosines of the question words with every candidate
    if method == "3cosadd":
        first, second, third = table, table, table
    else:
        table += 1
        table *= 0.5
        first = second = table
        third = 1 / (table + np.float32(epsilon))

    def scores(start: int, stop: int) -> np.ndarray:
        q = inverse[start:stop]
        s = first[q[:, 1]]
        if method == "3cosadd":
            s += second[q[:, 2]]
            s -= third[q[:, 0]]
        else:
            s *= second[q[:, 2]]
            s *= third[q[:, 0]]
        return s

    return scores


def analogy(
    wv: WordVectors,
    a: str,
    b: str,
    c: str,
    k: int = 1,
    method: str = "3cosadd",
    restrict: int | None = None,
    epsilon: float = EPSILON,
) -> list[tuple[str, float]]:
    """``a`` is to ``b`` as ``c`` is to ... : the ``k`` best answers and their scores.

    Args:
        wv: the word vectors.
        a, b, c: the question (``paris : france :: london : ?``).
        k: how many answers.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        restrict: answers come from the first ``restrict`` words only.
        epsilon: 3CosMul's ε.

    >>> wv = WordVectors(["man", "woman", "king", "queen", "apple"],
    ...                  [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 1]])
    >>> analogy(wv, "man", "woman", "king")[0][0]
    'queen'
    """
    q = wv.ids([a, b, c])
    ids = solve_analogies(wv.unit, q[None, :], method, restrict, k=k, epsilon=epsilon)[0]
    unit = wv.unit
    s = analogy_scores(unit[ids], unit[q[:1]], unit[q[1:2]], unit[q[2:]], method, epsilon)[0]
    if method.lower() == "3cosadd":  # report the cosine with b - a + c, as gensim does
        s = s / (np.linalg.norm(unit[q[1]] - unit[q[0]] + unit[q[2]]) or 1.0)
    return [(wv.words[i], float(v)) for i, v in zip(ids, s, strict=True)]
