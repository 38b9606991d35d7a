"""2-D maps of word vectors (PCA, t-SNE, UMAP), word selections to map, and covariance.

Every map is reproducible: PCA fixes the sign of each axis, t-SNE (openTSNE) and
UMAP (umap-learn) run single-threaded from a seed, so the same seed gives the same
coordinates. A map is a :class:`Map2D` — words, coordinates, the method, and any
per-word score or label — which the figures draw.

Entry points: :func:`make_map`, :func:`pca_map`, :func:`tsne_map`, :func:`umap_map`,
:class:`Map2D`, :func:`top_words`, :func:`near_words`, :func:`extreme_words`,
:func:`covariance`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import DiaphaneError
from diaphane.files import csv_cell, write_atomic
from diaphane.vectors.keyed import WordVectors
from diaphane.vectors.neighbours import most_similar

__all__ = [
    "MAP_METHODS",
    "Map2D",
    "covariance",
    "extreme_words",
    "make_map",
    "near_words",
    "pca_map",
    "top_words",
    "tsne_map",
    "umap_map",
]

log = logging.getLogger(__name__)

MAP_METHODS = ("pca", "tsne", "umap")


@dataclass
class Map2D:
    """Words placed in the plane.

    Attributes:
        words: the words, one per point.
        xy: ``(len(words), 2)`` float64 coordinates.
        method: ``"pca"``, ``"tsne"`` or ``"umap"``.
        scores: optional number per word (colour scale), e.g. a sentiment log-ratio.
        labels: optional label per word (categorical colour).
    """

    words: list[str]
    xy: np.ndarray
    method: str
    scores: np.ndarray | None = None
    labels: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: ``{"method", "points": [{"word", "x", "y", ...}]}``."""
        points = []
        for i, w in enumerate(self.words):
            p: dict[str, Any] = {"word": w, "x": float(self.xy[i, 0]), "y": float(self.xy[i, 1])}
            if self.scores is not None:
                p["score"] = float(self.scores[i])
            if self.labels is not None:
                p["label"] = self.labels[i]
            points.append(p)
        return {"method": self.method, "points": points}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON, marked ``"generator": "diaphane"`` (its writer)."""
        return json.dumps({"generator": "diaphane", **self.to_dict()}, ensure_ascii=False)

    def to_csv(self) -> str:
        """``word,x,y[,score][,label]`` lines with a header. A word or label a spreadsheet
        would run as a formula (``=``, ``+``, ``-``, ``@`` first) gets a leading apostrophe
        (see :func:`diaphane.files.csv_cell`)."""
        rows = self.to_dict()["points"]
        for row in rows:
            row.update({k: csv_cell(row[k]) for k in ("word", "label") if k in row})
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=list(rows[0]) if rows else ["word", "x", "y"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``.json`` or ``.csv`` (by the suffix), atomically."""
        path = Path(path)
        if path.suffix not in (".json", ".csv"):
            raise DiaphaneError(
                f"Cannot write a map as {path.suffix or 'no suffix'}; use .csv or .json."
            )
        return write_atomic(path, self.to_json() if path.suffix == ".json" else self.to_csv())


# ----------------------------------------------------------------------------- selections


def top_words(wv: WordVectors, n: int = 500) -> WordVectors:
    """The ``n`` most frequent words: by count where counts are known, else the first ``n``."""
    if wv.counts is None:
        return wv.head(n)
    return wv.take(np.argsort(-wv.counts, kind="stable")[:n])


def near_words(wv: WordVectors, query: str, n: int = 50, metric: str = "cosine") -> WordVectors:
    """``query`` and its ``n - 1`` nearest words."""
    near = [w for w, _ in most_similar(wv, query, k=n - 1, metric=metric)]
    return wv.subset([query, *near])


def extreme_words(wv: WordVectors, n: int = 500) -> WordVectors:
    """The ``n // 2`` highest- and ``n - n // 2`` lowest-scoring words (e.g. the most
    positive and most negative words of a sentiment model)."""
    if wv.scores is None:
        raise DiaphaneError("These vectors carry no per-word scores to select by.")
    order = np.argsort(-wv.scores, kind="stable")
    hi, lo = n // 2, n - n // 2
    ids = order[:hi] if lo == 0 else np.concatenate([order[:hi], order[-lo:]])
    return wv.take(np.unique(ids))


# ----------------------------------------------------------------------------- maps


def _map(wv: WordVectors, xy: np.ndarray, method: str) -> Map2D:
    return Map2D(list(wv.words), np.asarray(xy, dtype=np.float64), method, wv.scores, wv.labels)


def pca_map(wv: WordVectors) -> Map2D:
    """The first two principal components; each axis' sign is set so that the largest
    loading is positive, which makes the map deterministic.

    >>> m = pca_map(WordVectors(["a", "b", "c"], [[0, 0, 1], [2, 0, 1], [4, 1, 1]]))
    >>> m.xy.shape, bool(m.xy[2, 0] > m.xy[0, 0])
    ((3, 2), True)
    """
    x = wv.matrix.astype(np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:2]
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    xy = x @ (vt * signs[:, None]).T
    if xy.shape[1] < 2:  # one-dimensional vectors: put them on a line
        xy = np.column_stack([xy, np.zeros(len(xy))])
    return _map(wv, xy, "pca")


def tsne_map(
    wv: WordVectors, seed: int = 0, perplexity: float = 30.0, metric: str = "cosine"
) -> Map2D:
    """t-SNE by openTSNE, PCA-initialised, single-threaded, from ``seed``."""
    from openTSNE import TSNE

    if len(wv) < 4:
        raise DiaphaneError(f"t-SNE needs at least 4 words; got {len(wv)}.")
    perplexity = min(perplexity, (len(wv) - 1) / 3)
    tsne = TSNE(2, perplexity=perplexity, metric=metric, random_state=seed, n_jobs=1, verbose=False)
    xy = np.asarray(tsne.fit(wv.matrix.astype(np.float64)))
    return _map(wv, xy, "tsne")


def umap_map(
    wv: WordVectors, seed: int = 0, n_neighbors: int = 15, metric: str = "cosine"
) -> Map2D:
    """UMAP by umap-learn from ``seed`` (seeded UMAP runs single-threaded)."""
    import warnings

    if len(wv) < 5:
        raise DiaphaneError(f"UMAP needs at least 5 words; got {len(wv)}.")
    with warnings.catch_warnings():  # umap-learn's import-time numba/tqdm chatter
        warnings.simplefilter("ignore")
        import umap

        reducer = umap.UMAP(
            n_neighbors=min(n_neighbors, len(wv) - 1),
            n_components=2,
            metric=metric,
            random_state=seed,
            n_jobs=1,
        )
        xy = reducer.fit_transform(wv.matrix)
    return _map(wv, xy, "umap")


def make_map(wv: WordVectors, method: str = "pca", seed: int = 0, **options: Any) -> Map2D:
    """A 2-D map by ``method`` (``"pca"``, ``"tsne"`` or ``"umap"``).

    Args:
        wv: the words to place (select them first: :func:`top_words`, :func:`near_words`).
        method: the projection.
        seed: the random seed of t-SNE and UMAP (PCA needs none).
        options: passed on (``perplexity``, ``n_neighbors``, ``metric``).
    """
    if method == "pca":
        return pca_map(wv)
    if method == "tsne":
        return tsne_map(wv, seed, **options)
    if method == "umap":
        return umap_map(wv, seed, **options)
    raise DiaphaneError(f"Unknown map method {method!r}; use one of {', '.join(MAP_METHODS)}.")


# ----------------------------------------------------------------------------- covariance


def covariance(x: Any, rowvar: bool = True, bias: bool = False) -> Any:
    """The covariance matrix of a set of vectors, ``np.cov`` semantics: each row is a
    variable and each column an observation (``rowvar=False`` swaps them). Computed
    with :func:`diaphane.numpy.cov`, so it is differentiable.

    >>> covariance(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if isinstance(x, WordVectors):
        x = x.matrix
    return dnp.cov(x, rowvar=rowvar, bias=bias)
