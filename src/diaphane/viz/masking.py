"""How masked-language-model examples are cut: BERT's scattered tokens, SpanBERT's spans.

:class:`MaskingFigure` shows sample sentences twice, one row masked as BERT does
(single tokens scattered at random) and one as SpanBERT does (contiguous spans),
each chosen token marked by what it became — ``[MASK]``, a random word, or itself —
and, beside them, the histogram of span lengths measured over many masked
passages against the truncated geometric distribution they were drawn from.
A select box and a button switch between the precomputed sample sentences.

Entry points: :class:`MaskingFigure`, :func:`span_histogram`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from diaphane.errors import UsageError
from diaphane.text.masking import MASK, MaskedExample, clipped_geometric_mean, clipped_geometric_pmf
from diaphane.viz.figure import Figure

__all__ = ["COLOURS", "MaskingFigure", "span_histogram"]

# Okabe-Ito: safe for the common colour-vision deficiencies.
COLOURS = {
    "mask": "#0072b2",
    "random": "#d55e00",
    "keep": "#009e73",
    "span": "#e69f00",
    "theory": "#d55e00",
    "measured": "#0072b2",
}
ACTION_TEXT = {
    "mask": "replaced by [MASK] (80% of the chosen)",
    "random": "replaced by a random word (10%)",
    "keep": "left as it is (10%), still to be predicted",
}


def span_histogram(lengths: Sequence[int] | np.ndarray, max_len: int) -> np.ndarray:
    """How many spans had each length ``1 … max_len`` (index ``k - 1``).

    Raises:
        UsageError: when a length lies outside ``1 … max_len``.
    """
    values = np.asarray(lengths, dtype=np.int64)
    if values.size and (values.min() < 1 or values.max() > max_len):
        raise UsageError(f"span lengths must lie in 1 … {max_len}")
    return np.bincount(values - 1, minlength=max_len)[:max_len]


def _row(example: MaskedExample) -> dict:
    actions: list[str | None] = [None] * len(example.original)
    for pos, act in zip(example.positions, example.actions, strict=True):
        actions[pos] = act
    return {"tokens": example.tokens, "actions": actions, "spans": example.spans}


@dataclass
class MaskingFigure(Figure):
    """Sample sentences masked both ways, and the measured span-length histogram.

    Args:
        samples: ``(bert, spanbert)`` examples of the same sentence, one pair per sample.
        lengths: Span lengths measured over many masked passages.
        p: The geometric parameter the spans were drawn with.
        max_len: The longest span.
        passages: How many passages ``lengths`` came from (for the caption).
        title: The heading.
    """

    template: ClassVar[str] = "masking.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("masking.js",)
    styles: ClassVar[tuple[str, ...]] = ("masking.css",)
    figsize: ClassVar[tuple[float, float]] = (9.0, 6.2)
    iframe_height: ClassVar[int] = 760

    samples: list[tuple[MaskedExample, MaskedExample]]
    lengths: np.ndarray
    p: float = 0.2
    max_len: int = 10
    passages: int = 0
    title: str = "Masked-LM examples: BERT's scattered tokens, SpanBERT's spans"
    mask_token: str = field(default=MASK)

    def __post_init__(self) -> None:
        if not self.samples:
            raise UsageError("a masking figure needs at least one sample sentence")
        for bert, span in self.samples:
            if bert.original != span.original:
                raise UsageError("each sample pair must mask the same sentence")
        self.lengths = np.asarray(self.lengths, dtype=np.int64)
        if self.lengths.size == 0:
            raise UsageError("a masking figure needs measured span lengths")

    @property
    def counts(self) -> np.ndarray:
        """Measured spans of each length ``1 … max_len``."""
        return span_histogram(self.lengths, self.max_len)

    @property
    def measured_mean(self) -> float:
        return float(self.lengths.mean())

    @property
    def theory_mean(self) -> float:
        return clipped_geometric_mean(self.p, self.max_len)

    def data(self) -> dict:
        counts = self.counts
        return {
            "mask_token": self.mask_token,
            "samples": [
                {"original": b.original, "bert": _row(b), "span": _row(s)} for b, s in self.samples
            ],
            "hist": {
                "lengths": list(range(1, self.max_len + 1)),
                "counts": counts,
                "measured": counts / counts.sum(),
                "theory": clipped_geometric_pmf(self.p, self.max_len),
                "measured_mean": self.measured_mean,
                "theory_mean": self.theory_mean,
                "spans": int(self.lengths.size),
                "passages": int(self.passages),
            },
            "actions": ACTION_TEXT,
            "colours": COLOURS,
        }

    def context(self) -> dict:
        return {
            "p": f"{self.p:g}",
            "max_len": self.max_len,
            "n_samples": len(self.samples),
            "measured_mean": f"{self.measured_mean:.2f}",
            "theory_mean": f"{self.theory_mean:.2f}",
            "spans": f"{self.lengths.size:,}",
            "passages": f"{self.passages:,}",
        }

    # ------------------------------------------------------------------ static picture

    def draw(self, ax: Any) -> None:
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        bert, span = self.samples[0]
        bottom = _draw_tokens(ax, bert, 0.98, "BERT", spans=False)
        _draw_tokens(ax, span, bottom - 0.04, "SpanBERT", spans=True)
        hist = ax.inset_axes([0.08, 0.06, 0.88, 0.42])
        self._draw_histogram(hist)

    def _draw_histogram(self, ax: Any) -> None:
        k = np.arange(1, self.max_len + 1)
        counts = self.counts
        measured = f"measured ({self.lengths.size:,} spans, mean {self.measured_mean:.2f})"
        ax.bar(k, counts / counts.sum(), color=COLOURS["measured"], alpha=0.75, label=measured)
        ax.plot(k, clipped_geometric_pmf(self.p, self.max_len), "o-", color=COLOURS["theory"],
                label=f"geometric p={self.p:g}, clipped at {self.max_len} "
                f"(mean {self.theory_mean:.2f})")  # fmt: skip
        ax.set_xticks(k)
        ax.set_xlabel("span length (words)", fontsize=8)
        ax.set_ylabel("share of spans", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(frameon=False, fontsize=7)


def _draw_tokens(ax: Any, example: MaskedExample, top: float, label: str, spans: bool) -> float:
    """One masked sentence as wrapped boxes, from ``top`` down (axes coordinates); returns
    the bottom of the last line."""
    from matplotlib.patches import Rectangle

    actions = dict(zip(example.positions, example.actions, strict=True))
    ax.text(0.0, top, label, fontsize=8, weight="bold", va="top", parse_math=False)
    x, y, step = 0.1, top, 0.055
    for i, tok in enumerate(example.tokens):
        text = tok if len(tok) <= 14 else tok[:13] + "…"
        width = 0.012 + 0.0065 * len(text)
        if x + width > 1.0:
            x, y = 0.1, y - step
        act = actions.get(i)
        face = {"mask": COLOURS["mask"], "random": COLOURS["random"]}.get(act or "", "#f4f4f6")
        edge = COLOURS["keep"] if act == "keep" else "none"
        ax.add_patch(Rectangle((x, y - 0.04), width, 0.038, facecolor=face, edgecolor=edge, lw=1.2))
        colour = "white" if act in ("mask", "random") else "#1d1d1f"
        ax.text(x + width / 2, y - 0.021, text, ha="center", va="center", fontsize=6.5,
                color=colour, parse_math=False)  # fmt: skip
        if spans and example.span_of(i) is not None:
            ax.plot([x, x + width], [y - 0.046] * 2, color=COLOURS["span"], lw=2)
        x += width + 0.004
    return y - step
