"""The pair projection: word pairs such as country → capital, drawn in a 2-D PCA of those words.

Mikolov et al. (2013, "Distributed representations of words and phrases", figure 2)
projected countries and their capitals with PCA and drew a line from each country
to its capital: the lines run roughly parallel, because the model learned one
direction for "the capital of". :class:`PairProjection` draws that picture for any
pairs: the PCA is fit on the pair words only (:func:`pca_2d`), an arrow goes from
each first word to its second, a dashed arrow shows the mean offset, and hovering a
pair shows its words and the cosine of its offset with the mean offset, measured in
the full vector space (:func:`offset_cosines`), not in the plane.

>>> import numpy as np
>>> fig = PairProjection.from_vectors(["a", "b"], ["A", "B"],
...                                   np.array([[0.0, 0, 0], [1, 0, 0]]),
...                                   np.array([[0.0, 1, 0], [1, 1, 0]]))
>>> fig.cosines.round(3).tolist()
[1.0, 1.0]

Entry points: :class:`PairProjection`, :meth:`PairProjection.from_vectors`,
:func:`pca_2d`, :func:`offset_cosines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.errors import DiaphaneError
from diaphane.viz.figure import Figure

__all__ = ["COLOURS", "PairProjection", "offset_cosines", "pca_2d"]

# Okabe-Ito: told apart by readers with any common colour-vision deficiency.
COLOURS = {"source": "#0072b2", "target": "#d55e00", "arrow": "#009e73", "mean": "#e69f00"}


def pca_2d(points: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first two principal components of ``points`` (one row per point).

    Each axis' sign is set so that its largest loading is positive (as
    :func:`diaphane.vectors.pca_map` does), so the same points give the same picture.

    Returns:
        ``(xy, components, explained)``: ``(n, 2)`` coordinates of the centred points,
        the ``(2, dim)`` unit axes, and the share of the variance along each axis.

    >>> xy, axes, share = pca_2d(np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 1.0]]))
    >>> xy.shape, bool(share[0] > share[1])
    ((3, 2), True)
    """
    x = np.asarray(points, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    axes = np.zeros((2, x.shape[1]))
    axes[: min(2, len(vt))] = vt[:2]
    signs = np.sign(axes[np.arange(2), np.argmax(np.abs(axes), axis=1)])
    axes *= np.where(signs == 0, 1.0, signs)[:, None]
    total = float(np.sum(s**2)) or 1.0
    explained = np.zeros(2)
    explained[: min(2, len(s))] = s[:2] ** 2 / total
    return x @ axes.T, axes, explained


def offset_cosines(sources: Any, targets: Any) -> np.ndarray:
    """Cosine of each pair's offset ``target - source`` with the mean offset.

    >>> offset_cosines(np.array([[0.0, 0], [0, 0]]), np.array([[1.0, 0], [0, 1]])).round(3)
    array([0.707, 0.707])
    """
    off = np.asarray(targets, dtype=np.float64) - np.asarray(sources, dtype=np.float64)
    mean = off.mean(axis=0)
    norms = np.linalg.norm(off, axis=1) * (np.linalg.norm(mean) or 1.0)
    return off @ mean / np.where(norms > 0, norms, 1.0)


@dataclass(eq=False)
class PairProjection(Figure):
    """Word pairs in a plane, an arrow from each first word to its second.

    Attributes:
        sources: the first word of each pair (a country).
        targets: the second word (its capital).
        source_xy, target_xy: ``(n, 2)`` coordinates of each.
        cosines: per pair, the cosine of its offset with the mean offset (full space).
        explained: the share of the variance along each of the two axes.
        dim: the dimension of the vectors the pairs came from.
        title: the heading.
        source_name, target_name: what the words are ("country", "capital").
        description: a sentence under the heading.
    """

    template: ClassVar[str] = "projection.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("projection.js",)
    styles: ClassVar[tuple[str, ...]] = ("projection.css",)
    figsize: ClassVar[tuple[float, float]] = (8.0, 6.4)
    iframe_height: ClassVar[int] = 640

    sources: list[str]
    targets: list[str]
    source_xy: np.ndarray
    target_xy: np.ndarray
    cosines: np.ndarray
    explained: tuple[float, float] = (0.0, 0.0)
    dim: int = 0
    title: str = "Country → capital"
    source_name: str = "country"
    target_name: str = "capital"
    description: str = ""

    @classmethod
    def from_vectors(
        cls,
        sources: Sequence[str],
        targets: Sequence[str],
        source_vectors: Any,
        target_vectors: Any,
        **options: Any,
    ) -> PairProjection:
        """Project the pairs with a PCA fit on their ``2n`` vectors.

        Args:
            sources, targets: the words of each pair.
            source_vectors, target_vectors: ``(n, dim)`` vectors of those words.
            options: ``title``, ``source_name``, ``target_name``, ``description``.

        Raises:
            DiaphaneError: fewer than two pairs, or vectors that do not match the words.
        """
        s, t = _check_pairs(sources, targets, source_vectors, target_vectors)
        xy, _, explained = pca_2d(np.vstack([s, t]))
        n = len(s)
        return cls(
            [str(w) for w in sources],
            [str(w) for w in targets],
            xy[:n],
            xy[n:],
            offset_cosines(s, t),
            (float(explained[0]), float(explained[1])),
            int(s.shape[1]),
            **options,
        )

    @property
    def mean_arrow(self) -> tuple[np.ndarray, np.ndarray]:
        """Start (the centroid of the first words) and end of the mean offset, in the plane."""
        start = self.source_xy.mean(axis=0)
        return start, start + (self.target_xy - self.source_xy).mean(axis=0)

    def data(self) -> dict:
        start, end = self.mean_arrow
        pairs = [
            {"source": a, "target": b, "s": _r(sxy), "t": _r(txy), "cos": round(float(c), 4)}
            for a, b, sxy, txy, c in zip(
                self.sources, self.targets, self.source_xy, self.target_xy, self.cosines,
                strict=True,
            )
        ]  # fmt: skip
        return {
            "pairs": pairs,
            "mean": {"s": _r(start), "t": _r(end)},
            "names": {"source": self.source_name, "target": self.target_name},
            "colours": COLOURS,
            "explained": [round(x, 4) for x in self.explained],
            "dim": self.dim,
        }

    def context(self) -> dict:
        return {"description": self.description, "n_pairs": len(self.sources)}

    def draw(self, ax: Any) -> None:
        for (sx, sy), (tx, ty) in zip(self.source_xy, self.target_xy, strict=True):
            ax.annotate("", (tx, ty), (sx, sy), arrowprops={
                "arrowstyle": "->", "color": COLOURS["arrow"], "lw": 1.0, "shrinkA": 3,
                "shrinkB": 3})  # fmt: skip
        start, end = self.mean_arrow
        mean = {"arrowstyle": "->", "color": COLOURS["mean"], "lw": 2.0, "linestyle": "--"}
        ax.annotate("", tuple(end), tuple(start), arrowprops=mean)
        for key, xy, words in (("source", self.source_xy, self.sources),
                               ("target", self.target_xy, self.targets)):  # fmt: skip
            name = self.source_name if key == "source" else self.target_name
            ax.scatter(xy[:, 0], xy[:, 1], s=18, c=COLOURS[key], label=name, zorder=3)
            for word, (x, y) in zip(words, xy, strict=True):
                ax.annotate(word, (x, y), xytext=(4, 2), textcoords="offset points",
                            fontsize=7, color="#333333")  # fmt: skip
        ax.plot([], [], color=COLOURS["mean"], linestyle="--", label="mean offset")
        ax.legend(loc="best", fontsize=8, frameon=False)
        ax.set_xlabel(f"PC 1 ({100 * self.explained[0]:.0f}% of the variance)", fontsize=9)
        ax.set_ylabel(f"PC 2 ({100 * self.explained[1]:.0f}%)", fontsize=9)
        ax.set_title(self.title, fontsize=11)
        ax.set_aspect("equal", adjustable="datalim")


def _r(xy: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in xy]


def _check_pairs(sources, targets, source_vectors, target_vectors):
    s = np.asarray(source_vectors, dtype=np.float64)
    t = np.asarray(target_vectors, dtype=np.float64)
    n = len(sources)
    if len(targets) != n:
        raise DiaphaneError(f"{n} first words but {len(targets)} second words: give pairs.")
    if n < 2:
        raise DiaphaneError(f"A pair projection needs at least 2 pairs, got {n}.")
    if s.ndim != 2 or s.shape != t.shape or len(s) != n:
        raise DiaphaneError(
            f"Need one vector per word, the same length for both: got {s.shape} and {t.shape} "
            f"for {n} pairs."
        )
    if not (np.isfinite(s).all() and np.isfinite(t).all()):
        raise DiaphaneError("The pair vectors hold NaN or infinity; retrain or fix the model.")
    return s, t
