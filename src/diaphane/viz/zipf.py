"""Zipf's law: how often a word occurs against its rank, on log-log axes.

Count every word of a corpus, sort by falling count, and plot count against rank
with both axes logarithmic: the points fall near a straight line of slope about -1
(Zipf's law), i.e. the word at rank ``r`` occurs roughly ``C / r`` times.
:func:`rank_counts` does the counting, :func:`fit_zipf` fits the line, and
:class:`ZipfPlot` draws both; hovering (or stepping with the arrow keys) shows each
word, its rank and its count, and a search box finds a word's place.

Entry points: :func:`rank_counts`, :func:`fit_zipf`, :class:`ZipfFit`, :class:`ZipfPlot`,
:meth:`ZipfPlot.from_sentences`.

>>> words, counts = rank_counts([["a", "b", "a"], ["c", "a", "b"]])
>>> words, counts.tolist()
(['a', 'b', 'c'], [3, 2, 1])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.errors import UsageError
from diaphane.viz.figure import Figure

__all__ = ["ZipfFit", "ZipfPlot", "fit_zipf", "rank_counts"]

POINT_COLOUR = "#0072b2"  # Okabe-Ito blue
FIT_COLOUR = "#d55e00"  # Okabe-Ito vermillion
HEAD = 2000  # ranks plotted one by one; beyond, ranks spaced evenly in log
TAIL = 400


def rank_counts(sentences: Iterable[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """Every word type with its count, by falling count (ties alphabetical, so stable).

    Returns:
        ``(words, counts)``; ``counts`` is ``int64``, and ``words[r - 1]`` has rank ``r``.
    """
    counter: Counter[str] = Counter()
    for sentence in sentences:
        counter.update(sentence)
    ranked = sorted(counter.items(), key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in ranked], np.array([c for _, c in ranked], dtype=np.int64)


@dataclass(frozen=True)
class ZipfFit:
    """The line ``log10 count = intercept + slope · log10 rank``, fitted on ranks lo … hi."""

    slope: float
    intercept: float
    lo: int
    hi: int

    def count_at(self, rank: float) -> float:
        """The fitted count at ``rank``."""
        return float(10.0 ** (self.intercept + self.slope * np.log10(rank)))


def _log_ranks(lo: int, hi: int, n: int) -> np.ndarray:
    """About ``n`` distinct integer ranks from ``lo`` to ``hi``, evenly spaced in log."""
    return np.unique(np.round(np.geomspace(lo, hi, n)).astype(np.int64))


def fit_zipf(counts: np.ndarray, min_count: int = 5, points: int = 200) -> ZipfFit:
    """Least squares on log-log axes over ranks 1 … R, where R is the last rank seen
    at least ``min_count`` times.

    The fit uses ``points`` ranks spaced evenly in log rank, not every rank: the long
    tail holds most ranks, and would otherwise outweigh the common words; below
    ``min_count`` counts are small integers whose steps are not Zipf's line.

    Raises:
        UsageError: when fewer than two ranks are frequent enough to fit.
    """
    counts = np.asarray(counts, dtype=np.float64)
    hi = int(np.sum(counts >= min_count))
    if hi < 2:
        raise UsageError(
            f"a Zipf fit needs at least two words seen {min_count} times or more; "
            "give a larger corpus"
        )
    ranks = _log_ranks(1, hi, points)
    slope, intercept = np.polyfit(np.log10(ranks), np.log10(counts[ranks - 1]), 1)
    return ZipfFit(float(slope), float(intercept), 1, hi)


@dataclass
class ZipfPlot(Figure):
    """Word count against rank, log-log, with the fitted Zipf line.

    Args:
        words: Word types by falling count.
        counts: Their counts (same order).
        fit: The fitted line (:func:`fit_zipf`).
        title: The heading.
        labelled: How many of the commonest words are named on the plot.
    """

    template: ClassVar[str] = "zipf.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("zipf.js",)
    styles: ClassVar[tuple[str, ...]] = ("zipf.css",)
    figsize: ClassVar[tuple[float, float]] = (7.0, 4.8)
    iframe_height: ClassVar[int] = 600

    words: list[str]
    counts: np.ndarray
    fit: ZipfFit
    title: str = "Zipf's law: word count against rank"
    labelled: int = 6

    def __post_init__(self) -> None:
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if len(self.words) != self.counts.size or not len(self.words):
            raise UsageError("a Zipf plot needs one count per word, and at least one word")
        if np.any(np.diff(self.counts) > 0):
            raise UsageError("Zipf plot counts must be sorted from most to least frequent")

    @classmethod
    def from_sentences(cls, sentences: Iterable[Sequence[str]], min_count: int = 5) -> ZipfPlot:
        """Count the words of ``sentences`` and fit the line."""
        words, counts = rank_counts(sentences)
        return cls(words, counts, fit_zipf(counts, min_count))

    def shown_ranks(self) -> np.ndarray:
        """The ranks drawn: every rank up to :data:`HEAD`, then ranks spaced in log."""
        n = len(self.words)
        head = np.arange(1, min(n, HEAD) + 1)
        if n <= HEAD:
            return head
        return np.concatenate([head, _log_ranks(HEAD + 1, n, TAIL)])

    def data(self) -> dict:
        ranks = self.shown_ranks()
        return {
            "ranks": ranks,
            "counts": self.counts[ranks - 1],
            "words": [self.words[r - 1] for r in ranks],
            "types": len(self.words),
            "tokens": int(self.counts.sum()),
            "fit": {
                "slope": self.fit.slope,
                "intercept": self.fit.intercept,
                "lo": self.fit.lo,
                "hi": self.fit.hi,
            },
            "labelled": self.labelled,
            "colours": {"point": POINT_COLOUR, "fit": FIT_COLOUR},
        }

    def context(self) -> dict:
        return {
            "slope": f"{self.fit.slope:.2f}",
            "types": f"{len(self.words):,}",
            "tokens": f"{int(self.counts.sum()):,}",
            "fit_hi": f"{self.fit.hi:,}",
        }

    def draw(self, ax: Any) -> None:
        # Print needs far fewer dots than hover does: ranks spaced in log keep the shape.
        ranks = _log_ranks(1, len(self.words), TAIL)
        ax.loglog(ranks, self.counts[ranks - 1], ".", color=POINT_COLOUR, ms=3, alpha=0.6,
                  label="words")  # fmt: skip
        line = np.array([self.fit.lo, self.fit.hi], dtype=float)
        ax.loglog(line, [self.fit.count_at(r) for r in line], "--", color=FIT_COLOUR, lw=1.5,
                  label=f"fit: slope {self.fit.slope:.2f}")  # fmt: skip
        for r in range(1, min(self.labelled, len(self.words)) + 1):
            ax.annotate(self.words[r - 1], (r, self.counts[r - 1]), xytext=(5, 2),
                        textcoords="offset points", fontsize=8, parse_math=False)  # fmt: skip
        ax.set_xlabel("rank (1 = the commonest word)")
        ax.set_ylabel("count")
        ax.set_title(self.title, fontsize=10)
        ax.legend(frameon=False, fontsize=8)
