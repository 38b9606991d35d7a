"""The logit-lens figure: a ranking heat map per target, and a per-layer top-k table.

Rows are layers (0: the embeddings, last: the model's output), columns the input
positions; a cell is the rank (1 = top) of the target token in the distribution
read from that layer at that position — the prediction of the token that
*follows* the position. Colour is on a log scale of rank, rank 1 darkest; the
rank is written in the cell. Targets: the model's output token at each position,
the actual next token, and each watched token, side by side as separate panels.

The page also shows, for one position (click a column to choose), each layer's
top-k predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens.figures_text import display
from diaphane.viz import static
from diaphane.viz.figure import Figure

__all__ = ["RankingsFigure"]

RANK_CMAP = "Blues_r"  # on a log scale from rank 1 (darkest) to the vocabulary size
MISSING = 0  # rank of a cell with no target (the next token after the last position)


def _panel(r: Any, target: str) -> tuple[str, str, np.ndarray, np.ndarray, list[str]]:
    """``(label, kind, ranks [L+1, T], probs, target token per position)`` of one target."""
    n = len(r.ids)
    if target == "output":
        return "model output", "output", r.output_rank, r.output_prob, list(r.tokens_out)
    if target == "next":
        ranks = np.zeros((r.n_layers, n), dtype=np.int64)
        probs = np.zeros((r.n_layers, n))
        ranks[:, :-1], probs[:, :-1] = r.next_rank, r.next_prob
        return "actual next token", "next", ranks, probs, [*r.tokens[1:], ""]
    if target not in r.watch:
        raise DiaphaneError(
            f"Unknown target {target!r}: use 'output', 'next', 'watch' or a watched token "
            f"({', '.join(map(repr, r.watch)) or 'none watched'})."
        )
    w = r.watch.index(target)
    return repr(target), "watch", r.watch_rank[..., w], r.watch_prob[..., w], [target] * n


def _expand(targets: Sequence[str], watch: Sequence[str]) -> list[str]:
    out: list[str] = []
    for t in targets:
        out.extend(watch if t == "watch" else [t])
    return list(dict.fromkeys(out))


@dataclass(eq=False)
class RankingsFigure(Figure):
    """Logit-lens rankings as heat maps, with a top-k table.

    Attributes:
        tokens: the input tokens.
        labels, kinds: per panel, its heading and ``"output"``/``"next"``/``"watch"``.
        ranks: ``[P, L+1, T]`` int ranks (0: no target there).
        probs: ``[P, L+1, T]`` probabilities.
        target_tokens: ``[P][T]`` the target token per position.
        topk_tokens, topk_probs: ``[L+1][T][k]`` top predictions per layer and position.
        vocab_size: the largest possible rank (the end of the colour scale).
        position: the position whose top-k table shows first.
        ecco_compatible: whether inner layers skipped the final LayerNorm.
    """

    template: ClassVar[str] = "lens_rankings.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("lens_common.js", "lens_rankings.js")
    styles: ClassVar[tuple[str, ...]] = ("lens.css",)

    tokens: list[str]
    labels: list[str]
    kinds: list[str]
    ranks: np.ndarray
    probs: np.ndarray
    target_tokens: list[list[str]]
    topk_tokens: list[list[list[str]]]
    topk_probs: np.ndarray
    vocab_size: int
    position: int = -1
    ecco_compatible: bool = False
    title: str = "Logit lens: rank of the target at every layer"

    @classmethod
    def from_rankings(
        cls,
        r: Any,
        targets: Sequence[str] = ("output", "watch"),
        vocab_size: int | None = None,
        position: int = -1,
        title: str | None = None,
    ) -> RankingsFigure:
        """The figure of a :class:`diaphane.lens.LayerRankings`.

        Args:
            r: the rankings.
            targets: panels, in order: ``"output"`` (the model's output token at each
                position), ``"next"`` (the actual next token), ``"watch"`` (every watched
                token) or one watched token's text.
            vocab_size: the end of the colour scale (default: the largest rank seen).
            position: the position whose top-k table shows first (default the last).
            title: the heading.
        """
        panels = [_panel(r, t) for t in _expand(targets, r.watch)]
        if not panels:
            raise DiaphaneError("No targets to show: pass 'output', 'next' or watched tokens.")
        n = len(r.ids)
        if not -n <= position < n:
            raise DiaphaneError(f"Position {position} is outside the text's {n} tokens.")
        ranks = np.stack([p[2] for p in panels]).astype(np.int64)
        return cls(
            tokens=list(r.tokens), labels=[p[0] for p in panels], kinds=[p[1] for p in panels],
            ranks=ranks, probs=np.stack([p[3] for p in panels]).astype(np.float64),
            target_tokens=[p[4] for p in panels],
            topk_tokens=[[list(top) for top in layer] for layer in r.topk_tokens],
            topk_probs=np.asarray(r.topk_probs, dtype=np.float64),
            vocab_size=int(vocab_size or max(2, int(ranks.max()))),
            position=range(n)[position], ecco_compatible=bool(r.ecco_compatible),
            title=title or cls.title,
        )  # fmt: skip

    @classmethod
    def from_model(
        cls, model: Any, text: str, watch: Sequence[str] = (), k: int = 5, **kwargs: Any
    ) -> RankingsFigure:
        """Run :func:`diaphane.lens.layer_rankings` and draw it (``kwargs``: see
        :meth:`from_rankings`; ``ecco_compatible`` goes to the lens)."""
        from diaphane.lens.rankings import layer_rankings

        ecco = bool(kwargs.pop("ecco_compatible", False))
        r = layer_rankings(model, text, watch=watch, k=k, ecco_compatible=ecco)
        return cls.from_rankings(r, vocab_size=model.config.vocab_size, **kwargs)

    @property
    def n_layers(self) -> int:
        return self.ranks.shape[1]

    def layer_names(self) -> list[str]:
        last = self.n_layers - 1
        return ["0 emb", *map(str, range(1, last)), f"{last} out"]

    def data(self) -> dict:
        ranks = [[[int(v) or None for v in row] for row in panel] for panel in self.ranks]
        return {
            "tokens": self.tokens,
            "labels": self.labels,
            "kinds": self.kinds,
            "ranks": ranks,
            "probs": self.probs,
            "targets": self.target_tokens,
            "topkTokens": self.topk_tokens,
            "topkProbs": self.topk_probs,
            "vocabSize": self.vocab_size,
            "position": self.position,
            "layerNames": self.layer_names(),
        }

    def context(self) -> dict:
        return {
            "ecco": self.ecco_compatible,
            "n_layers": self.n_layers - 1,
            "vocab_size": self.vocab_size,
            "k": self.topk_probs.shape[-1],
        }

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        n_panels, n_rows, n_cols = self.ranks.shape
        return (2.4 + 0.5 * n_cols, 1.4 + 0.28 * n_panels * (n_rows + 1))

    def draw(self, ax: Any) -> None:
        """Panels stacked top to bottom (one title row above each), sharing the token axis."""
        import matplotlib
        from matplotlib.colors import LogNorm

        n_panels, n_rows, n_cols = self.ranks.shape
        step = n_rows + 1
        grid = np.full((n_panels * step, n_cols), np.nan)
        for p in range(n_panels):
            block = self.ranks[p].astype(float)
            grid[p * step + 1 : (p + 1) * step] = np.where(block > 0, block, np.nan)
        cmap = matplotlib.colormaps[RANK_CMAP].with_extremes(bad="white")
        norm = LogNorm(vmin=1, vmax=max(self.vocab_size, 2))
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto")
        if grid.size <= 800:
            for (i, j), v in np.ndenumerate(grid):
                if np.isfinite(v):
                    color = static.text_color_for(cmap(norm(v)))
                    ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7, color=color)
        labels = [static.shorten(display(t), 12) for t in self.tokens]
        ax.set_xticks(range(n_cols), labels=labels, rotation=60, ha="right", fontsize=8,
                      parse_math=False)  # fmt: skip
        rows = [p * step + 1 + i for p in range(n_panels) for i in range(n_rows)]
        ax.set_yticks(rows, labels=self.layer_names() * n_panels, fontsize=8)
        ax.tick_params(length=0)
        for p, label in enumerate(self.labels):
            ax.text(-0.5, p * step, label, ha="left", va="center", fontsize=9,
                    fontweight="bold", parse_math=False)  # fmt: skip
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_ylabel("layer")
        ax.figure.colorbar(image, ax=ax, label="rank (log scale; 1 = top)", shrink=0.8)
