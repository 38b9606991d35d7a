"""The computation-graph figure: a traced function drawn as boxes and arrows, left to right.

:class:`GraphFigure` takes a :class:`~diaphane.autodiff.graph.Graph` (from
:func:`~diaphane.autodiff.trace_graph`, ideally with ``values=True, grads=True``)
and lays it out once in Python (:mod:`diaphane.viz.graph_layout`), so the HTML
page and the PNG show the same picture. Data inputs are blue ellipses,
parameters green hexagons, constants grey, primitives white boxes, outputs amber
with a double border; hovering a node shows its forward value and the gradient
that reaches it in the backward pass.

Entry points: :class:`GraphFigure`, :meth:`GraphFigure.from_function`,
:meth:`GraphFigure.from_example`.

>>> fig = GraphFigure.from_example("logistic")
>>> len(fig.data()["nodes"]), fig.layout.crossings
(13, 0)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from diaphane.autodiff.graph import Graph, GraphNode, trace_graph
from diaphane.viz.figure import Figure
from diaphane.viz.graph_layout import Layout, layered_layout

__all__ = ["EXAMPLE_PARAMS", "GraphFigure", "node_role"]

# Arguments of the built-in examples that are parameters (learned), not data.
EXAMPLE_PARAMS: dict[str, tuple[str, ...]] = {"logistic": ("w", "b"), "mlp": ("params",)}

CHAR_W = 6.7  # px per character of the 11 px monospace labels
LINE_H = 14.0
MAX_CHARS = 30
PREVIEW = 12  # numbers shown in a tooltip before eliding

# role -> (fill, stroke); shared by the page (through the data) and the PNG.
COLOURS: dict[str, tuple[str, str]] = {
    "input": ("#dbeafe", "#1d4ed8"),
    "param": ("#dcfce7", "#15803d"),
    "const": ("#f3f4f6", "#9ca3af"),
    "op": ("#ffffff", "#4b5563"),
    "output": ("#fde68a", "#b45309"),
}
ROLE_NAMES = {
    "input": "data input",
    "param": "parameter",
    "const": "constant",
    "op": "primitive",
    "output": "output",
}


def node_role(node: GraphNode, params: Collection[str]) -> str:
    """``'param'`` for an input whose argument name is in ``params``, else the node's kind."""
    if node.kind == "input" and node.name is not None:
        root = node.name.split("[", 1)[0].split(".", 1)[0]
        if root in params or node.name in params:
            return "param"
    return node.kind


@dataclass
class GraphFigure(Figure):
    """A traced computation graph with values and gradients on hover.

    Args:
        graph: The traced graph.
        params: Argument names (or tree paths) that are parameters, drawn apart from data.
        title: The heading.
    """

    template: ClassVar[str] = "graph.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("graph.js",)
    styles: ClassVar[tuple[str, ...]] = ("graph.css",)
    iframe_height: ClassVar[int] = 420

    graph: Graph
    params: tuple[str, ...] = ()
    title: str = "Computation graph"
    description: str = field(default="", repr=False)

    @classmethod
    def from_function(
        cls, f: Callable, *args: Any, params: Collection[str] = (), title: str | None = None
    ) -> GraphFigure:
        """Trace ``f(*args)`` with values and gradients and wrap the graph.

        >>> import numpy as np, diaphane.numpy as dnp
        >>> GraphFigure.from_function(lambda x: dnp.sum(x ** 2), np.ones(3)).layout.layer
        [0, 1, 2]
        """
        graph = trace_graph(f, *args, values=True, grads=True)
        name = getattr(f, "__name__", "f")
        return cls(graph, tuple(params), title or f"Computation graph of {name}")

    @classmethod
    def from_example(cls, name: str) -> GraphFigure:
        """The graph of a built-in example of :mod:`diaphane.examples` (``logistic``, ``mlp``)."""
        from diaphane import examples

        ex = examples.load(name)
        fig = cls.from_function(ex.fun, *ex.args, params=EXAMPLE_PARAMS.get(name, ()))
        fig.title = f"Computation graph: {name}"
        fig.description = ex.description
        return fig

    # ------------------------------------------------------------------ layout

    @cached_property
    def boxes(self) -> list[list[str]]:
        """The text lines drawn in each node's box."""
        return [_box_lines(n) for n in self.graph.nodes]

    @cached_property
    def layout(self) -> Layout:
        """Node centres and edge routes, in pixels."""
        return layered_layout(
            [_box_size(lines) for lines in self.boxes],
            [(e.src, e.dst) for e in self.graph.edges],
        )

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        # The static picture keeps the page's proportions (96 px per inch, within bounds).
        w, h = self.layout.width / 96, self.layout.height / 96
        scale = min(1.0, 16 / w) if w > 0 else 1.0
        return (max(3.0, w * scale), max(1.5, h * scale))

    def roles(self) -> list[str]:
        """Each node's role: input, param, const, op or output."""
        return [node_role(n, self.params) for n in self.graph.nodes]

    # ------------------------------------------------------------------ page data

    def data(self) -> dict:
        lay = self.layout
        roles = self.roles()
        nodes = []
        for n, lines, role in zip(self.graph.nodes, self.boxes, roles, strict=True):
            w, h = _box_size(lines)
            nodes.append(
                {
                    "id": n.id,
                    "role": role,
                    "lines": lines,
                    "x": round(lay.x[n.id], 2),
                    "y": round(lay.y[n.id], 2),
                    "w": w,
                    "h": h,
                    "tip": _tooltip(n, role),
                }
            )
        edges = [
            {"src": e.src, "dst": e.dst, "arg": e.arg, "points": lay.routes[i]}
            for i, e in enumerate(self.graph.edges)
        ]
        used = sorted(set(roles), key=list(COLOURS).index)
        legend = [{"role": r, "name": ROLE_NAMES[r], "fill": COLOURS[r][0]} for r in used]
        return {
            "width": lay.width,
            "height": lay.height,
            "nodes": nodes,
            "edges": edges,
            "colours": {r: list(c) for r, c in COLOURS.items()},
            "legend": legend,
        }

    def context(self) -> dict:
        return {"description": self.description}

    # ------------------------------------------------------------------ static picture

    def draw(self, ax: Any) -> None:
        draw_graph(ax, self.layout, self.boxes, self.roles())


# ----------------------------------------------------------------------------- text


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _box_lines(n: GraphNode) -> list[str]:
    if n.kind == "input":
        head = n.name or "input"
    elif n.kind == "const":
        head = "const"
    else:
        head = f"{n.op}{n.signature}"
    lines = [_clip(head), _clip(n.type_str)]
    if n.kind == "output" and n.name:
        lines.insert(1, _clip(f"→ {n.name}"))
    scalar = _is_scalar(n.value)
    if scalar and n.grad is not None and _is_scalar(n.grad):
        lines.append(_clip(f"{_num(n.value)} ∇{_num(n.grad)}"))
    elif scalar:
        lines.append(_clip(f"= {_num(n.value)}"))
    return lines


def _box_size(lines: list[str]) -> tuple[float, float]:
    width = max(len(s) for s in lines) * CHAR_W + 18
    return (round(max(width, 48.0), 2), round(len(lines) * LINE_H + 10, 2))


def _is_scalar(v: Any) -> bool:
    return v is not None and type(v) is not tuple and np.size(v) == 1


def _num(v: Any) -> str:
    a = np.asarray(v).ravel()[0]
    if np.iscomplexobj(a):
        return f"{complex(a):.4g}"
    return f"{float(a) + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


def _tooltip(n: GraphNode, role: str) -> list[dict]:
    """Tooltip lines: what the node is, its type, its value and its gradient."""
    if n.kind in ("op", "output"):
        head = f"{n.op}{n.signature}" + (f" → {n.name}" if n.name else "")
    else:
        head = n.name or "constant"
    lines: list[dict] = [
        {"text": head, "head": True},
        {"text": f"{ROLE_NAMES[role]} · {n.type_str} · node {n.id}"},
    ]
    if n.value is not None:
        lines += _array_lines("value", n.value)
    if n.grad is not None:
        lines += _array_lines("gradient", n.grad)
    elif n.kind != "const":
        lines.append({"text": "gradient: not traced (trace with grads=True)"})
    return lines


def _array_lines(label: str, value: Any) -> list[dict]:
    if type(value) is tuple:
        return [{"text": f"{label}: a tuple of {len(value)} values", "mono": True}]
    a = np.asarray(value)
    if a.size == 0:
        return [{"text": f"{label}: empty", "mono": True}]
    if a.size == 1:
        return [{"text": f"{label} = {_num(a)}", "mono": True}]
    flat = a.ravel()
    shown = ", ".join(_num(v) for v in flat[:PREVIEW]) + (", …" if a.size > PREVIEW else "")
    lines = [{"text": f"{label} [{shown}]", "mono": True}]
    if a.dtype.kind in "fiub":
        finite = flat[np.isfinite(flat)] if a.dtype.kind == "f" else flat
        if finite.size:
            lo, hi, mean = np.min(finite), np.max(finite), np.mean(finite)
            stats = f"  min {_num(lo)}, max {_num(hi)}, mean {_num(mean)}"
            lines.append({"text": stats, "mono": True})
    return lines


# ----------------------------------------------------------------------------- matplotlib


def draw_graph(ax: Any, lay: Layout, boxes: list[list[str]], roles: list[str]) -> None:
    """Draw a laid-out graph on ``ax`` in pixel units (y down), like the page does."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MPath

    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    # Font size in points that makes a label as wide as on the page, at this figure size.
    width_in = ax.figure.get_size_inches()[0]
    pt_per_px = width_in * 72 / max(lay.width, 1.0)
    for route in lay.routes:
        verts, codes = _bezier(route)
        arrow = FancyArrowPatch(
            path=MPath(verts, codes),
            arrowstyle="-|>",
            mutation_scale=10 * pt_per_px / 0.75,
            color="#6b7280",
            linewidth=1.0,
        )
        ax.add_patch(arrow)
    for i, (lines, role) in enumerate(zip(boxes, roles, strict=True)):
        fill, stroke = COLOURS[role]
        w, h = _box_size(lines)
        x0, y0 = lay.x[i] - w / 2, lay.y[i] - h / 2
        style = "round,pad=0,rounding_size=6" if role in ("op", "output") else "round,pad=0"
        if role in ("input", "param"):
            style = f"round,pad=0,rounding_size={h / 2 if role == 'input' else 3}"
        box = FancyBboxPatch(
            (x0, y0),
            w,
            h,
            boxstyle=style,
            facecolor=fill,
            edgecolor=stroke,
            linewidth=2.0 if role == "output" else 1.0,
            zorder=2,
        )
        ax.add_patch(box)
        ax.text(
            lay.x[i],
            lay.y[i],
            "\n".join(lines),
            ha="center",
            va="center",
            zorder=3,
            family="DejaVu Sans Mono",
            fontsize=11 * pt_per_px * 0.9,
            linespacing=1.2,
        )


def _bezier(route: list[tuple[float, float]]) -> tuple[list, list]:
    """Cubic pieces with horizontal tangents, as the page's SVG paths are drawn."""
    from matplotlib.path import Path as MPath

    verts = [route[0]]
    codes = [MPath.MOVETO]
    for (x0, y0), (x1, y1) in itertools.pairwise(route):
        mx = (x0 + x1) / 2
        verts += [(mx, y0), (mx, y1), (x1, y1)]
        codes += [MPath.CURVE4] * 3
    return verts, codes
