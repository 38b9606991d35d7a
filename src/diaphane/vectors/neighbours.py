"""Nearest neighbours by dot product, cosine similarity or euclidean distance.

The slides' point, which the tests check: on unit vectors the three agree, since
``‖x - q‖² = 2 - 2 x·q`` when ``‖x‖ = ‖q‖ = 1``, so the closest in euclidean
distance is the largest dot product, which is the cosine.

Queries are batched: scores for a block of queries are one matrix product, and the
top ``k`` of each row come from :func:`numpy.argpartition` before a sort of only
those ``k``.

Entry points: :func:`nearest`, :func:`most_similar`, :func:`similarity`,
:func:`doesnt_match`, :func:`top_k`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors.keyed import WordVectors

__all__ = ["METRICS", "doesnt_match", "most_similar", "nearest", "similarity", "top_k"]

METRICS = ("cosine", "dot", "euclidean")
# Rows of the score matrix per block: bounds memory at ~ BLOCK x |V| floats.
BLOCK_ELEMENTS = 1 << 24


def top_k(scores: np.ndarray, k: int, largest: bool = True) -> np.ndarray:
    """Column indices of the ``k`` best entries of each row of ``scores``, best first.

    >>> top_k(np.array([[0.1, 0.9, 0.5], [3.0, 1.0, 2.0]]), 2)
    array([[1, 2],
           [0, 2]])
    """
    s = scores if largest else -scores
    k = min(k, s.shape[1])
    if k < s.shape[1]:
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(s.shape[1]), s.shape)
    order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise DiaphaneError(f"Unknown metric {metric!r}; use one of {', '.join(METRICS)}.")


def _scores(wv: WordVectors, queries: np.ndarray, metric: str) -> np.ndarray:
    """Scores ``(len(queries), |V|)``, larger is nearer (negated squared distance)."""
    if metric == "cosine":
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        return wv.unit @ (queries / np.where(norms > 0, norms, 1)).T
    if metric == "dot":
        return wv.matrix @ queries.T
    sq = np.einsum("ij,ij->i", wv.matrix, wv.matrix)
    # ‖x‖² - 2 x·q (+ ‖q‖², the same for every x, added back for the reported distance)
    return 2 * (wv.matrix @ queries.T) - sq[:, None]


def nearest(
    wv: WordVectors,
    queries: np.ndarray,
    k: int = 10,
    metric: str = "cosine",
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows to each query vector, in blocks of queries.

    Args:
        wv: the vectors searched.
        queries: ``(n, dim)`` query vectors (or one ``(dim,)`` vector).
        k: neighbours per query.
        metric: ``"cosine"`` or ``"dot"`` (similarity, larger is nearer) or
            ``"euclidean"`` (distance, smaller is nearer).
        exclude: optional ``(n, m)`` row ids to leave out per query (-1 pads).

    Returns:
        ``(ids, values)``, both ``(n, k)``: neighbour rows, best first, and their
        similarity (cosine, dot) or distance (euclidean).
    """
    _check_metric(metric)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if queries.shape[1] != wv.dim:
        raise DiaphaneError(f"Query vectors have {queries.shape[1]} dims; the words have {wv.dim}.")
    k = min(k, len(wv))
    block = max(1, BLOCK_ELEMENTS // len(wv))
    ids = np.empty((len(queries), k), dtype=np.int64)
    values = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), block):
        q = queries[start : start + block]
        s = _scores(wv, q, metric).T  # (block, |V|)
        if exclude is not None:
            ex = exclude[start : start + block]
            rows = np.broadcast_to(np.arange(len(q))[:, None], ex.shape)
            s[rows[ex >= 0], ex[ex >= 0]] = -np.inf
        best = top_k(s, k)
        ids[start : start + len(q)] = best
        values[start : start + len(q)] = np.take_along_axis(s, best, axis=1)
    if metric == "euclidean":
        qsq = np.einsum("ij,ij->i", queries, queries)[:, None]
        values = np.sqrt(np.maximum(qsq - values, 0))
    return ids, values


def most_similar(
    wv: WordVectors, query: str | np.ndarray, k: int = 10, metric: str = "cosine"
) -> list[tuple[str, float]]:
    """The ``k`` words nearest to a word (itself left out) or to a vector.

    >>> wv = WordVectors(["a", "b", "c"], [[1, 0], [0.9, 0.1], [0, 1]])
    >>> [w for w, _ in most_similar(wv, "a", k=2)]
    ['b', 'c']
    """
    if isinstance(query, str):
        i = wv.id(query)
        # The word itself is left out: one fewer candidate, so it never pads the list.
        k = min(k, len(wv) - 1)
        ids, values = nearest(wv, wv.matrix[i], k, metric, exclude=np.array([[i]]))
    else:
        ids, values = nearest(wv, query, k, metric)
    return [(wv.words[j], float(v)) for j, v in zip(ids[0], values[0], strict=True)]


def similarity(wv: WordVectors, a: str, b: str) -> float:
    """Cosine similarity of words ``a`` and ``b``.

    >>> wv = WordVectors(["a", "b"], [[1, 0], [1, 1]])
    >>> round(similarity(wv, "a", "b"), 4)
    0.7071
    """
    return float(wv.unit[wv.id(a)] @ wv.unit[wv.id(b)])


def doesnt_match(wv: WordVectors, words: Sequence[str]) -> str:
    """The word least like the rest: lowest cosine to the mean of all the unit vectors
    (as gensim's ``doesnt_match``).

    >>> wv = WordVectors(["cat", "dog", "car"], [[1, 0.1], [1, 0], [0, 1]])
    >>> doesnt_match(wv, ["cat", "dog", "car"])
    'car'
    """
    if len(words) < 2:
        raise DiaphaneError("doesnt_match needs at least two words.")
    units = wv.unit[wv.ids(words)]
    mean = units.mean(axis=0)
    mean /= np.linalg.norm(mean) or 1.0
    return words[int(np.argmin(units @ mean))]
