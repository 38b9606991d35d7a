"""Highlighted-text figures: saliency and neuron factors, plus the helpers every lens figure shares.

- :class:`SaliencyFigure`: the input tokens as inline spans, each with a background
  by its attribution (diverging for a signed sum, sequential for L2 shares), the
  target, quantity, method and integrated-gradients convergence delta above them.
- :class:`FactorsFigure`: a row of text per neuron factor, each token coloured by
  how strongly that factor fires on it.

The static versions lay the tokens out in a monospaced font on a character grid,
so the PNG/SVG shows the same highlighted text as the page.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.viz import static
from diaphane.viz.figure import Figure

__all__ = [
    "FactorsFigure",
    "SaliencyFigure",
    "TextGeometry",
    "display",
    "draw_token_rows",
    "layout_tokens",
    "text_geometry",
]

SEQUENTIAL_CMAP = "Blues"
# Tableau 10, as the embedding map uses: one colour per factor.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
WRAP = 64  # characters per line of highlighted text in the static figures
FONT_SIZE = 10.0
_CHAR_IN = 0.602 * FONT_SIZE / 72  # width of one DejaVu Sans Mono character, inches
_LINE_IN = 0.3


def display(token: str) -> str:
    """A token as shown: line breaks and tabs as visible symbols (the page does the same)."""
    return token.replace("\r", "\u240d").replace("\n", "\u21b5").replace("\t", "\u21e5")


def _pieces(token: str) -> str:
    shown = display(token)
    return shown if shown else "\u2205"  # an empty token still gets a box


def layout_tokens(rows: Sequence[Sequence[str]], width: int = WRAP) -> list[list[tuple]]:
    """Place tokens on a character grid, wrapping at ``width`` characters.

    Returns:
        Per row, ``(line, x, n_chars, text)`` for each token; lines count from 0
        within the row.
    """
    out = []
    for row in rows:
        line, x, placed = 0, 0, []
        for tok in row:
            text = _pieces(tok)
            n = len(text)
            if x and x + n > width:
                line, x = line + 1, 0
            placed.append((line, x, n, text))
            x += n
        out.append(placed)
    return out


def _n_lines(layout: list[list[tuple]]) -> int:
    return sum((row[-1][0] + 1) if row else 1 for row in layout)


@dataclass(frozen=True)
class TextGeometry:
    """Where highlighted text goes: the figure size and the text Axes' box, both in inches,
    chosen so one data unit across is exactly one character of the monospaced font."""

    width: float
    height: float
    left: float
    bottom: float
    chars: int
    lines: int

    @property
    def figsize(self) -> tuple[float, float]:
        return (self.width, self.height)

    def rect(self) -> list[float]:
        """The text Axes as a figure fraction ``[left, bottom, width, height]``."""
        return [
            self.left / self.width, self.bottom / self.height,
            self.chars * _CHAR_IN / self.width, self.lines * _LINE_IN / self.height,
        ]  # fmt: skip


def text_geometry(
    rows: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
    top: float = 0.5,
    bottom: float = 0.2,
) -> TextGeometry:
    """The geometry of :func:`draw_token_rows` for these rows (margins in inches)."""
    layout = layout_tokens(rows)
    chars = max((x + n for row in layout for _, x, n, _ in row), default=1)
    left = 0.15 + (0.075 * max(map(len, labels), default=0) + 0.15 if labels else 0.0)
    width = max(3.5, left + chars * _CHAR_IN + 0.25)
    return TextGeometry(width, top + _n_lines(layout) * _LINE_IN + bottom, left, bottom,
                        chars, _n_lines(layout))  # fmt: skip


def draw_token_rows(
    ax: Any,
    rows: Sequence[Sequence[str]],
    colors: Sequence[Sequence[Any]],
    labels: Sequence[str] | None = None,
    geometry: TextGeometry | None = None,
) -> None:
    """Draw rows of tokens as boxes filled with ``colors`` (RGBA), text coloured to read.

    The Axes is placed by hand (the figure's layout engine is switched off), so that
    the character grid matches the font: the figure must have ``geometry.figsize``.

    Args:
        ax: a matplotlib Axes (its axis lines are switched off).
        rows: token texts, one list per row.
        colors: one RGBA tuple per token.
        labels: an optional label left of each row.
        geometry: from :func:`text_geometry` (default: its default margins).
    """
    from matplotlib.patches import Rectangle

    geometry = geometry or text_geometry(rows, labels)
    ax.figure.set_layout_engine("none")
    ax.set_position(geometry.rect())
    y0 = 0
    for r, placed in enumerate(layout_tokens(rows)):
        if labels is not None:
            ax.text(-0.6, y0 + 0.5, labels[r], ha="right", va="center", fontsize=FONT_SIZE - 1)
        for (line, x, n, text), color in zip(placed, colors[r], strict=True):
            y = y0 + line
            ax.add_patch(Rectangle((x, y + 0.08), n, 0.84, facecolor=color, edgecolor="none"))
            ax.text(
                x + n / 2, y + 0.5, text, ha="center", va="center", fontsize=FONT_SIZE,
                family="DejaVu Sans Mono", color=static.text_color_for(color), parse_math=False,
            )  # fmt: skip
        y0 += (placed[-1][0] + 1) if placed else 1
    ax.set_xlim(0, geometry.chars)
    ax.set_ylim(y0, 0)
    ax.set_axis_off()


def _signed(values: np.ndarray) -> bool:
    return bool(np.any(np.asarray(values) < 0))


# ----------------------------------------------------------------------------- saliency


@dataclass(eq=False)
class SaliencyFigure(Figure):
    """Saliency as highlighted text.

    Attributes:
        tokens: the input tokens' text.
        scores: ``[T]`` one attribution per token.
        aggregate: ``"l2"`` (shares summing to one: sequential colours) or ``"sum"``
            (signed: diverging colours centred on zero).
        method, quantity, target, contrast: what was explained and how.
        value: f(x); baseline_value, delta, n_steps, rule: integrated gradients only.
    """

    template: ClassVar[str] = "saliency.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("lens_common.js", "saliency.js")
    styles: ClassVar[tuple[str, ...]] = ("lens.css",)

    tokens: list[str]
    scores: np.ndarray
    aggregate: str
    method: str
    quantity: str
    target: str
    value: float
    contrast: str | None = None
    baseline_value: float | None = None
    delta: float | None = None
    n_steps: int | None = None
    rule: str | None = None
    title: str = "Input saliency"

    @classmethod
    def from_saliency(cls, s: Any, title: str | None = None) -> SaliencyFigure:
        """The figure of a :class:`diaphane.lens.Saliency`."""
        return cls(
            tokens=list(s.tokens), scores=np.asarray(s.scores, dtype=np.float64),
            aggregate=s.aggregate, method=s.method, quantity=s.quantity, target=s.target,
            value=float(s.value), contrast=s.contrast, baseline_value=s.baseline_value,
            delta=s.delta, n_steps=s.n_steps, rule=s.rule,
            title=title or f"Which input tokens {s.target!r} rests on",
        )  # fmt: skip

    @property
    def signed(self) -> bool:
        return self.aggregate == "sum"

    @property
    def explained(self) -> str:
        """``prob(' London')``, or ``prob(' London') - prob(' Paris')`` for a contrast."""
        what = f"{self.quantity}({self.target!r})"
        return what if self.contrast is None else f"{what} - {self.quantity}({self.contrast!r})"

    def data(self) -> dict:
        return {
            "tokens": self.tokens,
            "scores": self.scores,
            "signed": self.signed,
            "target": self.target,
            "aggregate": self.aggregate,
        }

    def context(self) -> dict:
        ig = self.delta is not None
        return {
            "explained": self.explained,
            "method": {"grad": "gradient", "gradxinput": "gradient \u00d7 input"}.get(
                self.method, "integrated gradients"
            ),
            "value": f"{self.value:.6g}",
            "signed": self.signed,
            "ig": ig,
            "change": f"{self.value - (self.baseline_value or 0.0):.6g}" if ig else "",
            "delta": f"{self.delta:.3g}" if ig else "",
            "steps": f"{self.n_steps} steps, {self.rule} rule" if ig else "",
        }

    def _rows(self) -> list[list[str]]:
        return [[*self.tokens, " \u2192", self.target]]

    def geometry(self) -> TextGeometry:
        return text_geometry(self._rows(), top=0.65, bottom=0.85)

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        return self.geometry().figsize

    def colors(self) -> tuple[list[tuple], Any, str]:
        """RGBA per token, the norm and the colour map's name: ``RdBu_r`` centred on 0
        for signed sums, ``Blues`` from 0 for L2 shares."""
        import matplotlib
        from matplotlib.colors import Normalize

        if self.signed:
            norm, cmap = static.diverging_norm(self.scores), static.DIVERGING_CMAP
        else:
            norm, cmap = Normalize(0.0, float(self.scores.max()) or 1.0), SEQUENTIAL_CMAP
        return [tuple(c) for c in matplotlib.colormaps[cmap](norm(self.scores))], norm, cmap

    def draw(self, ax: Any) -> None:
        from matplotlib.cm import ScalarMappable

        colors, norm, cmap = self.colors()
        white = (1.0, 1.0, 1.0, 1.0)
        outline = (0.85, 0.85, 0.85, 1.0)
        g = self.geometry()
        draw_token_rows(ax, self._rows(), [[*colors, white, outline]], geometry=g)
        head = f"{self.method} attributions of {self.explained} = {self.value:.4g}"
        if self.delta is not None:
            head += f"\nconvergence delta {self.delta:.3g} ({self.n_steps} steps, {self.rule})"
        # Wrapped to the figure's width (about 12 characters of 9 pt text per inch), so a
        # long target or rule name is not cut off at the right edge of a short prompt.
        chars = max(30, int(12 * g.width))
        head = "\n".join(textwrap.fill(line, chars) for line in head.split("\n"))
        ax.set_title(head, fontsize=9, loc="left")
        label = "signed sum" if self.signed else "share of the L2 norm"
        bar = min(3.0, g.width - 2 * g.left)
        cax = ax.figure.add_axes(
            [g.left / g.width, 0.45 / g.height, bar / g.width, 0.12 / g.height]
        )
        ax.figure.colorbar(ScalarMappable(norm, cmap), cax=cax, orientation="horizontal")
        cax.set_xlabel(label, fontsize=8)
        cax.tick_params(labelsize=8)


# ----------------------------------------------------------------------------- neuron factors


@dataclass(eq=False)
class FactorsFigure(Figure):
    """Neuron factors as text: a row per factor, each token coloured by the factor's activation.

    Attributes:
        tokens: per text, its tokens.
        activations: per text, ``[T_i, k]`` non-negative activations.
        layers: the layers whose neurons were factorised.
    """

    template: ClassVar[str] = "factors.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("lens_common.js", "factors.js")
    styles: ClassVar[tuple[str, ...]] = ("lens.css",)

    tokens: list[list[str]]
    activations: list[np.ndarray]
    layers: list[int]
    title: str = "Neuron factors"

    @classmethod
    def from_factors(cls, f: Any, title: str | None = None) -> FactorsFigure:
        """The figure of a :class:`diaphane.lens.NeuronFactors`."""
        return cls(
            tokens=[list(t) for t in f.tokens],
            activations=[np.asarray(a, dtype=np.float64) for a in f.activations],
            layers=[int(x) for x in f.layers],
            title=title or f"{f.n_factors} neuron factors",
        )

    @property
    def n_factors(self) -> int:
        return self.activations[0].shape[1]

    def maxima(self) -> np.ndarray:
        """Each factor's largest activation over every text (colours are relative to it)."""
        top = np.max(np.concatenate(self.activations), axis=0)
        return np.where(top > 0, top, 1.0)

    def top_tokens(self, factor: int, n: int = 5) -> list[str]:
        """The ``n`` tokens the factor fires on most (first occurrence wins ties)."""
        pairs = [
            (-float(a[i, factor]), t, i, tok)
            for t, (toks, a) in enumerate(zip(self.tokens, self.activations, strict=True))
            for i, tok in enumerate(toks)
        ]
        return [p[3] for p in sorted(pairs)[:n]]

    def data(self) -> dict:
        return {
            "tokens": self.tokens,
            "activations": [np.round(a, 6) for a in self.activations],
            "maxima": self.maxima(),
            "top": [self.top_tokens(k) for k in range(self.n_factors)],
            "palette": PALETTE,
        }

    def context(self) -> dict:
        return {"n_factors": self.n_factors, "layers": ", ".join(map(str, self.layers))}

    def _rows(self) -> tuple[list[list[str]], list[str], list[np.ndarray]]:
        rows, labels, strength = [], [], []
        top = self.maxima()
        for t, (toks, a) in enumerate(zip(self.tokens, self.activations, strict=True)):
            for k in range(self.n_factors):
                rows.append(toks)
                labels.append(f"text {t}, factor {k}" if len(self.tokens) > 1 else f"factor {k}")
                strength.append(a[:, k] / top[k])
        return rows, labels, strength

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        rows, labels, _ = self._rows()
        return text_geometry(rows, labels).figsize

    def draw(self, ax: Any) -> None:
        from matplotlib.colors import to_rgb

        rows, labels, strength = self._rows()
        colors = []
        for r, s in enumerate(strength):
            base = np.array(to_rgb(PALETTE[(r % self.n_factors) % len(PALETTE)]))
            colors.append([(*(1.0 - a * (1.0 - base)), 1.0) for a in np.clip(s, 0.0, 1.0)])
        draw_token_rows(ax, rows, colors, labels)
        layers = ", ".join(map(str, self.layers))
        ax.set_title(f"{self.title}: NMF of the MLP neurons of layers {layers}", fontsize=10)
