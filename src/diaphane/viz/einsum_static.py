"""The einsum explainer's static picture: the worked example's arrays, drawn as grids.

Each operand and the output is drawn as a grid of its numbers (arrays of more
than two axes are stacked: rows run over every axis but the last), labelled
with its letters, with the output's first cell and its sources outlined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["draw_example"]

CELL_FILL = "#f2f2f5"
OUT_FILL = "#dcebf7"
MAX_ROWS = 12


def _flat2d(values: Any, shape: list[int]) -> np.ndarray:
    arr = np.asarray(values, dtype=float).reshape(shape)
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    return arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr.reshape(1, -1)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e6 else f"{x:.3g}"


def _grid(ax, x0, grid, name, letters, fill, marked) -> float:
    from matplotlib.patches import Rectangle

    rows, cols = grid.shape
    shown = min(rows, MAX_ROWS)
    for r in range(shown):
        for c in range(cols):
            flat = r * cols + c
            edge, width = ("#d55e00", 2.0) if flat in marked else ("#9a9aa3", 0.6)
            ax.add_patch(
                Rectangle((x0 + c, -r - 1), 1, 1, facecolor=fill, edgecolor=edge, linewidth=width)
            )
            text = _num(grid[r, c])
            size = 8 if len(text) <= 3 else 6.5 if len(text) == 4 else 5
            ax.text(x0 + c + 0.5, -r - 0.5, text, ha="center", va="center", fontsize=size)
    if rows > shown:
        ax.text(x0 + cols / 2, -shown - 0.6, "⋮", ha="center", va="center", fontsize=10)
    label = f"{name}[{','.join(letters)}]" if letters else name
    ax.text(x0 + cols / 2, 0.45, label, ha="center", va="bottom", fontsize=10, fontweight="bold")
    return x0 + cols


def draw_example(ax: Any, data: dict) -> None:
    """Draw an :class:`~diaphane.viz.einsum.EinsumFigure`'s worked example on ``ax``."""
    ex = data["example"]
    first = ex["cells"][0] if ex["cells"] else {"sources": [[] for _ in ex["operands"]]}
    x, height = 0.0, 1
    for k, op in enumerate(ex["operands"]):
        grid = _flat2d(op["values"], op["shape"])
        height = max(height, min(grid.shape[0], MAX_ROWS))
        if k:
            ax.text(x + 0.6, -0.5, ",", ha="center", va="center", fontsize=14)
            x += 1.2
        x = _grid(ax, x, grid, op["name"], op["letters"], CELL_FILL, set(first["sources"][k]))
    ax.text(x + 0.9, -0.5, "→", ha="center", va="center", fontsize=14)
    out = ex["output"]
    grid = _flat2d(out["values"], out["shape"])
    height = max(height, min(grid.shape[0], MAX_ROWS))
    x = _grid(ax, x + 1.8, grid, "out", out["letters"], OUT_FILL, {0})
    summed = [r["letter"] for r in data["letters"] if not r["kept"]]
    caption = f"summed away: {', '.join(summed) if summed else 'nothing'}"
    if data["equivalent"]:
        caption += f"     same as {data['equivalent']}"
    lines = [data["formula"]]
    if ex["cells"]:
        head, _, numbers, _ = ex["cells"][0]["lines"]
        lhs, value = head.split(" = ")
        lines.append(f"{lhs} {numbers} = {value}")
    for n, line in enumerate(lines):
        ax.text(0, -height - 1.0 - n, line, ha="left", va="top", fontsize=9)
    ax.text(
        0, -height - 1.0 - len(lines), caption, ha="left", va="top", fontsize=9, color="#444444"
    )
    ax.set_xlim(-0.3, x + 0.3)
    ax.set_ylim(-height - 2.0 - len(lines), 1.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(data["numpy"], fontsize=11, family="monospace")
