"""The embedding map: words placed in the plane, to zoom, pan, hover and search.

:class:`EmbeddingMap` takes 2-D coordinates and words (from
:class:`diaphane.vectors.maps.Map2D`, or plain arrays), optionally category
labels *or* a continuous score per word (drawn on a diverging scale: blue
positive, grey zero, vermillion negative) and each word's nearest neighbours (given,
or computed by cosine similarity from the word vectors). The page draws SVG up
to :attr:`EmbeddingMap.svg_limit` points and a canvas beyond; labels appear as
you zoom in, only where they fit.

The file stays small: coordinates are quantised to 16 bits on a square grid and
sent, like the scores and category codes, as base64 of little-endian typed
arrays, and the neighbour indices are bit-packed (13 bits each for 5,000 words),
so a 5,000-point map with 8 neighbours per word is about 200 KiB.

Entry points: :class:`EmbeddingMap`, :meth:`EmbeddingMap.from_map2d`,
:func:`cosine_neighbours`.

>>> import numpy as np
>>> m = EmbeddingMap(["a", "b", "c"], np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]))
>>> m.data()["n"], m.neighbours.tolist()
(3, [[1, 2], [0, 2], [0, 1]])
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.viz.figure import Figure

__all__ = ["SCORE_COLOURS", "EmbeddingMap", "cosine_neighbours", "encode_array", "encode_bits"]

# Diverging score colours (negative, zero, positive), shared with the page and the PNG:
# vermillion and blue, which stay apart for every common kind of colour blindness.
SCORE_COLOURS = ("#d55e00", "#bdbdbd", "#0072b2")  # Okabe-Ito
# Tableau 10: categorical colours that stay apart for most readers.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
PLAIN = "#4e79a7"
GRID = 65535  # coordinates become integers 0..GRID on a square grid
NO_NEIGHBOUR = -1


def encode_array(values: np.ndarray, dtype: str) -> str:
    """Base64 of ``values`` as a little-endian typed array (``u8``, ``u16``, ``i16``, ``u32``).

    >>> encode_array(np.array([1, 256]), "u16")
    'AQAAAQ=='
    """
    code = {"u8": "<u1", "u16": "<u2", "i16": "<i2", "u32": "<u4"}[dtype]
    return base64.b64encode(np.ascontiguousarray(values, dtype=code).tobytes()).decode("ascii")


def encode_bits(values: np.ndarray, bits: int) -> str:
    """Base64 of non-negative integers packed ``bits`` to a value, least significant bit first.

    Neighbour indices of a 5,000-word map need 13 bits, not 16: this saves a fifth of
    the largest part of the file.

    >>> encode_bits(np.array([1, 2, 3]), 2)  # 01 10 11 -> 0b111001
    'OQ=='
    """
    v = np.asarray(values, dtype=np.uint64).ravel()
    if v.size and int(v.max()) >> bits:
        raise ValueError(f"a value needs more than {bits} bits")
    planes = (v[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)
    packed = np.packbits(planes.astype(np.uint8).ravel(), bitorder="little")
    return base64.b64encode(packed.tobytes()).decode("ascii")


def cosine_neighbours(vectors: np.ndarray, k: int, block: int = 2048) -> np.ndarray:
    """The ``k`` nearest other rows of ``vectors`` by cosine similarity, nearest first.

    Ties are broken by the lower index, so the answer is the same on every run.

    >>> cosine_neighbours(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]), 1).ravel().tolist()
    [1, 0, 1]
    """
    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    k = min(k, n - 1)
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
    out = np.empty((n, max(k, 0)), dtype=np.int64)
    for start in range(0, n, block):
        sims = unit[start : start + block] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf  # a word is not its own neighbour
        out[start : start + block] = _top(sims, k)
    return out


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if k <= 0:
        return np.empty((len(scores), 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else None
    if part is None:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    part = np.sort(part, axis=1)  # lower index first among equal scores
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


@dataclass
class EmbeddingMap(Figure):
    """Words in the plane, coloured by a category or a score, with neighbours on hover.

    Args:
        words: One word per point (priority order: earlier words get labels first,
            so pass them most frequent first).
        xy: ``(n, 2)`` coordinates.
        scores: Optional number per word, drawn on a diverging scale centred on 0
            (NaN: no score, grey). Not together with ``labels``.
        labels: Optional category per word (legend with one colour each).
        neighbours: Optional ``(n, k)`` indices of each word's nearest neighbours,
            nearest first (``-1`` pads short rows). Without them, and without
            ``vectors``, the neighbours are the nearest points on the map.
        vectors: Optional ``(n, d)`` word vectors to take cosine neighbours from.
        k: How many neighbours to compute when they are not given.
        title: The heading.
        score_name: What the score is, for the legend and tooltips.
        description: A sentence under the heading.
    """

    template: ClassVar[str] = "map.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("map.js",)
    styles: ClassVar[tuple[str, ...]] = ("map.css",)
    figsize: ClassVar[tuple[float, float]] = (9.0, 7.0)
    iframe_height: ClassVar[int] = 680
    svg_limit: ClassVar[int] = 10_000
    static_labels: ClassVar[int] = 120

    words: Sequence[str]
    xy: np.ndarray
    scores: np.ndarray | None = None
    labels: Sequence[str] | None = None
    neighbours: Any = None
    vectors: np.ndarray | None = field(default=None, repr=False)
    k: int = 8
    title: str = "Embedding map"
    score_name: str = "score"
    description: str = ""
    neighbour_space: str = field(init=False, default="given")

    def __post_init__(self) -> None:
        self.words = [str(w) for w in self.words]
        self.xy = _check_xy(self.xy, len(self.words))
        n = len(self.words)
        if self.scores is not None and self.labels is not None:
            raise DiaphaneError("Colour a map by scores or by labels, not both: drop one.")
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
            _check_len("scores", len(self.scores), n)
        if self.labels is not None:
            self.labels = [str(x) for x in self.labels]
            _check_len("labels", len(self.labels), n)
        self.neighbours = self._neighbours(n)

    def _neighbours(self, n: int) -> np.ndarray:
        if self.neighbours is not None:
            return _check_neighbours(self.neighbours, n)
        if self.vectors is not None:
            vec = np.asarray(self.vectors)
            if vec.ndim != 2 or len(vec) != n:
                raise DiaphaneError(
                    f"vectors must have one row per word ({n}), got shape {vec.shape}."
                )
            self.neighbour_space = "vectors"
            return cosine_neighbours(vec, self.k)
        self.neighbour_space = "map"
        return _map_neighbours(self.xy, self.k)

    @classmethod
    def from_map2d(
        cls,
        map2d: Any,
        neighbours: Any = None,
        vectors: np.ndarray | None = None,
        k: int = 8,
        title: str | None = None,
        score_name: str = "score",
    ) -> EmbeddingMap:
        """Wrap a :class:`~diaphane.vectors.maps.Map2D` (anything with ``words``, ``xy``,
        and optional ``scores``, ``labels``, ``method``)."""
        method = getattr(map2d, "method", None)
        return cls(
            words=list(map2d.words),
            xy=np.asarray(map2d.xy),
            scores=getattr(map2d, "scores", None),
            labels=getattr(map2d, "labels", None),
            neighbours=neighbours,
            vectors=vectors,
            k=k,
            title=title or (f"Word map ({method})" if method else "Word map"),
            score_name=score_name,
        )

    # ------------------------------------------------------------------ page data

    @property
    def mode(self) -> str:
        """``'svg'`` up to :attr:`svg_limit` points, ``'canvas'`` beyond."""
        return "svg" if len(self.words) <= self.svg_limit else "canvas"

    def grid_xy(self) -> tuple[np.ndarray, float]:
        """Coordinates as integers on a square 0..65535 grid (y up), and the grid's height
        as a fraction of its width."""
        if not len(self.xy):
            return np.zeros((0, 2), dtype=np.int64), 1.0
        lo, hi = self.xy.min(axis=0), self.xy.max(axis=0)
        span = float(np.max(hi - lo)) or 1.0  # one scale for both axes keeps the shapes
        qx = np.rint((self.xy[:, 0] - lo[0]) / span * GRID)
        qy = np.rint((hi[1] - self.xy[:, 1]) / span * GRID)  # the page's y grows downwards
        height = float(hi[1] - lo[1]) / span
        return np.stack([qx, qy], axis=1).astype(np.int64), max(height, 0.01)

    def data(self) -> dict:
        n = len(self.words)
        bits = max(1, n.bit_length())  # 2**bits - 1 >= n: a free value to mean "none"
        q, height = self.grid_xy()
        nb = np.where(self.neighbours < 0, 2**bits - 1, self.neighbours)
        out: dict[str, Any] = {
            "n": n,
            "mode": self.mode,
            "words": self.words,
            "xy": encode_array(q.ravel(), "u16"),
            "grid": GRID,
            "height": round(height, 6),
            "k": int(self.neighbours.shape[1]),
            "bits": bits,
            "neighbours": encode_bits(nb, bits),
            "neighbour_space": self.neighbour_space,
            "plain": PLAIN,
        }
        out.update(self._colour_data())
        return out

    def _colour_data(self) -> dict:
        if self.labels is not None:
            names = sorted(set(self.labels))
            codes = np.searchsorted(names, self.labels)
            colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
            dtype = "u8" if len(names) <= 256 else "u16"
            return {"colour": "labels", "names": names, "colours": colours,
                    "codes": encode_array(codes, dtype), "codetype": dtype}  # fmt: skip
        if self.scores is not None:
            s = self.scores
            finite = np.isfinite(s)
            limit = float(np.max(np.abs(s[finite]))) if finite.any() else 1.0
            limit = limit if limit > 0 else 1.0
            # -32768 marks "no score"; the rest is the score as a fraction of the limit.
            q = np.where(finite, np.rint(np.where(finite, s, 0) / limit * 32767), -32768)
            return {"colour": "scores", "score_name": self.score_name,
                    "limit": float(f"{limit:.6g}"), "scores": encode_array(q, "i16"),
                    "score_colours": list(SCORE_COLOURS)}  # fmt: skip
        return {"colour": "none"}

    def context(self) -> dict:
        return {"description": self.description, "n_points": len(self.words)}

    # ------------------------------------------------------------------ static picture

    def draw(self, ax: Any) -> None:
        draw_map(ax, self.xy, list(self.words), self._point_colours(), self.static_labels)
        self._static_legend(ax)

    def _point_colours(self) -> list[Any]:
        if self.labels is not None:
            names = sorted(set(self.labels))
            lookup = {x: PALETTE[i % len(PALETTE)] for i, x in enumerate(names)}
            return [lookup[x] for x in self.labels]
        if self.scores is not None:
            cmap, norm = score_colormap(self.scores)
            return [cmap(norm(s)) if np.isfinite(s) else "#e0e0e0" for s in self.scores]
        return [PLAIN] * len(self.words)

    def _static_legend(self, ax: Any) -> None:
        if self.labels is not None:
            from matplotlib.lines import Line2D

            names = sorted(set(self.labels))
            handles = [
                Line2D([], [], marker="o", linestyle="", color=PALETTE[i % len(PALETTE)], label=x)
                for i, x in enumerate(names)
            ]
            ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
        elif self.scores is not None:
            from matplotlib.cm import ScalarMappable

            cmap, norm = score_colormap(self.scores)
            bar = ScalarMappable(norm=norm, cmap=cmap)
            ax.figure.colorbar(bar, ax=ax, label=self.score_name, shrink=0.6)


# ----------------------------------------------------------------------------- checks


def _check_len(name: str, got: int, n: int) -> None:
    if got != n:
        raise DiaphaneError(f"{name} has {got} entries but there are {n} words: give one per word.")


def _check_xy(xy: Any, n: int) -> np.ndarray:
    a = np.asarray(xy, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2:
        raise DiaphaneError(f"xy must have shape (n, 2), got {a.shape}.")
    _check_len("xy", len(a), n)
    if not np.all(np.isfinite(a)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(a), axis=1))[0])
        raise DiaphaneError(f"xy holds NaN or inf (first at row {bad}): drop or fix those points.")
    return a


def _check_neighbours(neighbours: Any, n: int) -> np.ndarray:
    if isinstance(neighbours, np.ndarray):
        rows = neighbours.reshape(len(neighbours), -1) if len(neighbours) else neighbours
    else:
        width = max((len(r) for r in neighbours), default=0)
        rows = np.full((len(neighbours), width), NO_NEIGHBOUR, dtype=np.int64)
        for i, r in enumerate(neighbours):
            rows[i, : len(r)] = list(r)
    a = np.asarray(rows)
    if a.ndim != 2 or len(a) != n:
        raise DiaphaneError(f"neighbours needs one row per word ({n}), got shape {a.shape}.")
    if a.size and a.dtype.kind not in "iu":
        raise DiaphaneError("neighbours must be integer indices into words.")
    a = a.astype(np.int64)
    if a.size and (a.max() >= n or a.min() < NO_NEIGHBOUR):
        raise DiaphaneError(f"neighbour indices must lie in 0..{n - 1} (-1 for none).")
    return a


def _map_neighbours(xy: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` nearest other points on the map (used when no vectors are given)."""
    from scipy.spatial import cKDTree

    n = len(xy)
    k = min(k, n - 1)
    if k <= 0:
        return np.empty((n, 0), dtype=np.int64)
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    idx = np.asarray(idx).reshape(n, k + 1)
    # Drop the point itself wherever it turned up (duplicates can displace it).
    own = idx == np.arange(n)[:, None]
    own[:, -1] |= ~own.any(axis=1)
    return idx[~own].reshape(n, k)


# ----------------------------------------------------------------------------- matplotlib


def score_colormap(scores: np.ndarray) -> tuple[Any, Any]:
    """The page's diverging scale as a matplotlib colour map and a norm centred on 0."""
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    finite = np.asarray(scores, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    limit = float(np.max(np.abs(finite))) if finite.size else 1.0
    limit = limit if limit > 0 else 1.0
    cmap = LinearSegmentedColormap.from_list("diaphane_score", list(SCORE_COLOURS))
    return cmap, Normalize(-limit, limit)


def draw_map(
    ax: Any, xy: np.ndarray, words: list[str], colours: list[Any], max_labels: int
) -> None:
    """Scatter the points and label the first words that fit without overlapping."""
    ax.scatter(xy[:, 0], xy[:, 1], s=6, c=colours, linewidths=0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#d9d9de")
    fig = ax.figure
    fig.draw_without_rendering()  # settle the layout so data → pixel is final
    pix = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    box = ax.get_window_extent()
    taken: list[tuple[float, float, float, float]] = []
    scale = fig.dpi / 72
    for i, word in enumerate(words):
        if len(taken) >= max_labels or i >= 20 * max_labels:
            break
        x, y = pix[i]
        w, h = len(word) * 7 * 0.6 * scale, 7 * 1.3 * scale
        rect = (x + 2 * scale, y - h / 2, x + 2 * scale + w, y + h / 2)
        inside = box.x0 <= rect[0] and rect[2] <= box.x1 and box.y0 <= rect[1] and rect[3] <= box.y1
        if inside and not any(_overlap(rect, t) for t in taken):
            taken.append(rect)
            ax.annotate(word, xy[i], xytext=(2, 0), textcoords="offset points",
                        fontsize=7, va="center", color="#333333")  # fmt: skip


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
