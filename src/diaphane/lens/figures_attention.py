"""The attention figure: raw attention per layer and head, rollout and flow per layer.

The page shows one tokens x tokens matrix at a time — rows the attending
(output) positions, columns the attended (input) tokens — and the same numbers
as lines from each output token to the input tokens it draws on. Select the
view (attention, rollout, flow), the layer and, for raw attention, the head or
the mean of the heads. In a causal model the cells above the diagonal (a token
attending to a later one) are masked and drawn hatched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens.figures_text import SEQUENTIAL_CMAP, display
from diaphane.viz import static
from diaphane.viz.figure import Figure

__all__ = ["VIEWS", "AttentionFigure"]

VIEWS = ("attention", "rollout", "flow")


@dataclass(eq=False)
class AttentionFigure(Figure):
    """Attention maps with their rollout and flow.

    Attributes:
        tokens: the input tokens (length T).
        attentions: ``[layers, heads, T, T]`` raw attention maps.
        rollout: ``[layers, T, T]`` rollout through each layer.
        flow: ``[layers, T, T]`` attention flow from each layer's nodes (or ``None``).
        view, layer, head: what the static figure and the page show first
            (``head`` an index or ``"mean"``; ``layer`` counts from 0, negative from the end).
    """

    template: ClassVar[str] = "attention.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("lens_common.js", "attention.js")
    styles: ClassVar[tuple[str, ...]] = ("lens.css",)

    tokens: list[str]
    attentions: np.ndarray
    rollout: np.ndarray
    flow: np.ndarray | None = None
    view: str = "rollout"
    layer: int = -1
    head: int | str = "mean"
    title: str = "Attention, rollout and flow"

    def __post_init__(self) -> None:
        n_layers, n_heads = self.attentions.shape[:2]
        if self.view not in VIEWS or (self.view == "flow" and self.flow is None):
            raise DiaphaneError(f"Unknown or missing view {self.view!r}; pick one of {VIEWS}.")
        if not -n_layers <= self.layer < n_layers:
            raise DiaphaneError(f"The model has {n_layers} layers; there is no layer {self.layer}.")
        if self.head != "mean" and not 0 <= int(self.head) < n_heads:
            raise DiaphaneError(f"Layers have {n_heads} heads; there is no head {self.head}.")

    @classmethod
    def from_model(
        cls, model: Any, text: str, flow: bool = True, heads: str = "mean", **kwargs: Any
    ) -> AttentionFigure:
        """Run the model on ``text``; compute rollout and (unless ``flow=False``) attention
        flow from every layer. ``kwargs`` set ``view``, ``layer``, ``head``, ``title``."""
        from diaphane.lens.attention import attention_flow, attention_rollout, model_attentions
        from diaphane.lens.rankings import encode, token_text

        ids = encode(model, text)
        att = model_attentions(model, text)
        return cls(
            tokens=[token_text(model, t) for t in ids],
            attentions=att.astype(np.float64),
            rollout=attention_rollout(att, heads),
            flow=attention_flow(att, heads, all_layers=True) if flow else None,
            **kwargs,
        )

    @property
    def causal(self) -> bool:
        """Whether no token attends to a later one (the upper triangle is all zeros)."""
        return bool(np.all(np.triu(self.attentions, 1) == 0.0))

    def matrix(self, view: str | None = None, layer: int | None = None, head: Any = None):
        """The ``[T, T]`` matrix a view shows (defaults: the figure's own view)."""
        view = self.view if view is None else view
        layer = self.layer if layer is None else layer
        head = self.head if head is None else head
        if view == "attention":
            a = self.attentions[layer]
            return a.mean(axis=0) if head == "mean" else a[int(head)]
        if view == "rollout":
            return self.rollout[layer]
        if self.flow is None:
            raise DiaphaneError("This figure holds no attention flow; build it with flow=True.")
        return self.flow[layer]

    def data(self) -> dict:
        n_layers = self.attentions.shape[0]
        return {
            "tokens": self.tokens,
            "attentions": np.round(self.attentions, 6),
            "rollout": np.round(self.rollout, 6),
            "flow": None if self.flow is None else np.round(self.flow, 6),
            "causal": self.causal,
            "view": self.view,
            "layer": range(n_layers)[self.layer],
            "head": self.head,
        }

    def context(self) -> dict:
        return {"has_flow": self.flow is not None, "n_tokens": len(self.tokens)}

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        side = 2.2 + 0.38 * len(self.tokens)
        return (side + 1.0, side)

    def draw(self, ax: Any) -> None:
        import matplotlib

        m = np.array(self.matrix(), dtype=float)
        n = len(self.tokens)
        masked = np.triu(np.ones((n, n), dtype=bool), 1) if self.causal else np.zeros((n, n), bool)
        m[masked] = np.nan
        cmap = matplotlib.colormaps[SEQUENTIAL_CMAP].with_extremes(bad="#eeeeee")
        top = float(np.nanmax(m)) or 1.0
        image = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=0.0, vmax=top)
        labels = [static.shorten(display(t), 14) for t in self.tokens]
        ax.set_xticks(range(n), labels=labels, rotation=60, ha="right", parse_math=False)
        ax.set_yticks(range(n), labels=labels, parse_math=False)
        ax.tick_params(length=0, labelsize=8)
        if n <= 16:
            for (i, j), v in np.ndenumerate(m):
                if np.isfinite(v):
                    color = static.text_color_for(cmap(v / top))
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color=color)
        ax.set_xlabel("attended token (input)")
        ax.set_ylabel("attending position (output)")
        ax.set_title(self._caption(), fontsize=10)
        ax.figure.colorbar(image, ax=ax, shrink=0.8)

    def _caption(self) -> str:
        layer = range(self.attentions.shape[0])[self.layer] + 1
        if self.view == "attention":
            heads = "mean of heads" if self.head == "mean" else f"head {self.head}"
            return f"attention, layer {layer}, {heads}"
        return f"attention {self.view} through layer {layer}"
