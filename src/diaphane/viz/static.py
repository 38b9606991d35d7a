"""Static figures with matplotlib: Agg only, object-oriented API, reproducible bytes.

Nothing here touches ``matplotlib.pyplot`` (no global state, no GUI backend):
:func:`new_figure` makes a ``Figure`` on an Agg canvas, :func:`svg_text` and
:func:`png_bytes` save it with fixed hash salt, no date, and diaphane (not a
matplotlib version) as its creator, so the same drawing gives the same file. :func:`heatmap` draws a
labelled matrix with a diverging colour map centred on zero and cell labels
whose colour follows the cell's brightness.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "diverging_norm",
    "heatmap",
    "new_figure",
    "png_bytes",
    "shorten",
    "svg_text",
    "text_color_for",
]

DIVERGING_CMAP = "RdBu_r"
# Fixed settings that make saved files byte-for-byte reproducible.
_REPRO_RC: Any = {  # matplotlib types rc keys as Literals
    "svg.hashsalt": "diaphane",
    "svg.fonttype": "path",
    "path.simplify": True,
    "font.family": "DejaVu Sans",
}


def new_figure(figsize: tuple[float, float] = (6.4, 4.8)) -> tuple[Any, Any]:
    """A matplotlib ``(Figure, Axes)`` pair on an Agg canvas, outside pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def svg_text(fig: Any) -> str:
    """The figure as SVG text, without date metadata and with fixed element ids; its
    creator is diaphane (the mark ``diaphane ... --out`` knows its own files by)."""
    import matplotlib

    from diaphane.viz.safe_text import clean_text

    buf = io.StringIO()
    with matplotlib.rc_context(_REPRO_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "diaphane"})
    # matplotlib copies every label into a comment: a NUL there would make the file
    # invalid XML, a bidirectional control would hide in it.
    return clean_text(buf.getvalue())


def png_bytes(fig: Any, dpi: float = 150) -> bytes:
    """The figure as PNG bytes; its software is diaphane, not matplotlib's version."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_REPRO_RC):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "diaphane"})
    return buf.getvalue()


def diverging_norm(values: np.ndarray) -> Any:
    """A colour norm centred on 0 and symmetric, so equal magnitudes get equal strength."""
    from matplotlib.colors import TwoSlopeNorm

    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    half = float(np.max(np.abs(finite))) if finite.size else 1.0
    half = half if half > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-half, vmax=half)


def shorten(label: str, width: int = 24) -> str:
    """``label`` cut to ``width`` characters with an ellipsis, for axis ticks."""
    return label if len(label) <= width else label[: width - 1] + "\u2026"


def text_color_for(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on the colour ``rgba`` (floats in 0..1)."""
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def heatmap(
    ax: Any,
    matrix: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    fmt: str = "{:.3g}",
    annotate: bool | None = None,
    colorbar_label: str | None = None,
) -> Any:
    """Draw ``matrix`` on ``ax`` with the diverging map centred on 0; return the image.

    Args:
        ax: A matplotlib Axes.
        matrix: 2-D values (NaN shows as grey).
        row_labels: One label per row.
        col_labels: One label per column.
        fmt: Format for the cell annotations.
        annotate: Write each value in its cell; by default when there are at most 144 cells.
        colorbar_label: Label for the colour bar (``None``: no colour bar).
    """
    import matplotlib

    m = np.asarray(matrix, dtype=float)
    cmap = matplotlib.colormaps[DIVERGING_CMAP].with_extremes(bad="#dddddd")
    norm = diverging_norm(m)
    image = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks(range(m.shape[1]), labels=list(col_labels), rotation=45, ha="right")
    ax.set_yticks(range(m.shape[0]), labels=list(row_labels))
    ax.tick_params(length=0)
    if annotate is None:
        annotate = m.size <= 144
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                color = text_color_for(cmap(norm(v)))
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color=color)
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    return image
