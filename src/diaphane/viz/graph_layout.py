"""A layered left-to-right layout for directed acyclic graphs (Sugiyama style).

Four steps, each deterministic so the same graph always gets the same picture:

1. layers: longest path from the sources, then every source moved right next to
   its first use (an input used only at the end should not sit at the far left
   and drag a long edge across the picture);
2. dummy vertices on every edge that spans more than one layer, so long edges
   take part in crossing reduction and are routed around the boxes;
3. the order inside each layer: alternating down and up sweeps that sort each layer
   by the barycentre of its neighbours in the previous one, keeping the order with
   the fewest crossings seen;
4. coordinates: layers as columns; inside a column, vertices pulled towards the
   mean height of their neighbours, then pushed apart to a minimum gap.

Entry point: :func:`layered_layout`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Layout", "assign_layers", "count_crossings", "layered_layout", "order_layers"]


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in pixels, y growing downwards.

    Attributes:
        layer: The column of each node.
        x: Each node's centre, horizontally.
        y: Each node's centre, vertically.
        routes: For each edge (in the order given), the points it passes through,
            from the source's right side to the target's left side.
        width: The width of the whole drawing.
        height: Its height.
        crossings: The number of edge crossings left between adjacent columns.
    """

    layer: list[int]
    x: list[float]
    y: list[float]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    crossings: int


def assign_layers(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Columns by longest path from the sources; sources then sit just before first use.

    >>> assign_layers(4, [(0, 2), (2, 3), (1, 3)])
    [0, 1, 1, 2]
    """
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for s, d in edges:
        succ[s].append(d)
        indeg[d] += 1
    layer = [0] * n
    ready = [v for v in range(n) if indeg[v] == 0]
    seen = 0
    while ready:  # Kahn's algorithm, so a deep graph never meets the recursion limit
        v = ready.pop()
        seen += 1
        for d in succ[v]:
            layer[d] = max(layer[d], layer[v] + 1)
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    if seen != n:
        raise ValueError("the graph has a cycle; a layered layout needs a DAG")
    has_pred = {d for _, d in edges}
    for v in range(n):
        if v not in has_pred and succ[v]:
            layer[v] = min(layer[d] for d in succ[v]) - 1
    return layer


def _split_long_edges(
    layer: list[int], edges: Sequence[tuple[int, int]]
) -> tuple[list[int], list[tuple[int, int]], list[list[int]]]:
    """Layers with dummy vertices appended, unit-length segments, and each edge's chain."""
    layer = list(layer)
    segments: list[tuple[int, int]] = []
    chains: list[list[int]] = []
    for s, d in edges:
        chain = [s]
        for k in range(layer[s] + 1, layer[d]):
            layer.append(k)
            chain.append(len(layer) - 1)
        chain.append(d)
        segments += list(itertools.pairwise(chain))
        chains.append(chain)
    return layer, segments, chains


def count_crossings(orders: list[list[int]], segments: Sequence[tuple[int, int]]) -> int:
    """Crossings between adjacent columns of ``orders`` (segments join adjacent columns)."""
    pos = {v: i for order in orders for i, v in enumerate(order)}
    col = {v: k for k, order in enumerate(orders) for v in order}
    by_col: dict[int, list[tuple[int, int]]] = {}
    for s, d in segments:
        by_col.setdefault(col[s], []).append((pos[s], pos[d]))
    total = 0
    for pairs in by_col.values():
        pairs.sort()
        for i, (a1, b1) in enumerate(pairs):
            total += sum(1 for a2, b2 in pairs[i + 1 :] if a2 > a1 and b2 < b1)
    return total


def order_layers(
    layer: list[int], segments: Sequence[tuple[int, int]], sweeps: int = 12
) -> list[list[int]]:
    """Vertex order inside each column, by barycentre sweeps (fewest crossings kept)."""
    orders: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
    for v, k in enumerate(layer):
        orders[k].append(v)
    preds: dict[int, list[int]] = {}
    succs: dict[int, list[int]] = {}
    for s, d in segments:
        preds.setdefault(d, []).append(s)
        succs.setdefault(s, []).append(d)
    best = [list(o) for o in orders]
    best_cross = count_crossings(best, segments)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        cols = range(1, len(orders)) if down else range(len(orders) - 2, -1, -1)
        for k in cols:
            ref = orders[k - 1] if down else orders[k + 1]
            orders[k] = _sort_by_barycentre(orders[k], ref, preds if down else succs)
        cross = count_crossings(orders, segments)
        if cross < best_cross:
            best, best_cross = [list(o) for o in orders], cross
    return best


def _sort_by_barycentre(order: list[int], ref: list[int], links: dict[int, list[int]]) -> list[int]:
    pos = {v: i for i, v in enumerate(ref)}
    keys = []
    for i, v in enumerate(order):
        near = [pos[u] for u in links.get(v, ()) if u in pos]
        # A vertex with no neighbour in the reference column keeps its place.
        keys.append((sum(near) / len(near) if near else float(i), i))
    return [order[i] for _, i in sorted(keys)]


def _column_heights(
    orders: list[list[int]],
    heights: list[float],
    segments: Sequence[tuple[int, int]],
    gap: float,
    rounds: int = 8,
) -> list[float]:
    """Vertical centres: each column pulled towards its neighbours, then spread apart."""
    y = [0.0] * len(heights)
    for order in orders:  # start stacked from the top
        top = 0.0
        for v in order:
            y[v] = top + heights[v] / 2
            top += heights[v] + gap
    nbrs: dict[int, list[int]] = {}
    for s, d in segments:
        nbrs.setdefault(s, []).append(d)
        nbrs.setdefault(d, []).append(s)
    for r in range(rounds):
        cols = orders if r % 2 == 0 else orders[::-1]
        for order in cols:
            want = [_mean([y[u] for u in nbrs.get(v, ())], y[v]) for v in order]
            _place_column(order, want, heights, gap, y)
    low = min(y[v] - heights[v] / 2 for v in range(len(y)))
    return [c - low for c in y]


def _place_column(
    order: list[int], want: list[float], heights: list[float], gap: float, y: list[float]
) -> None:
    """Place ``order`` top to bottom as near ``want`` as the gaps allow, balanced around it."""
    placed: list[float] = []
    for i, v in enumerate(order):
        lo = placed[-1] + (heights[order[i - 1]] + heights[v]) / 2 + gap if placed else -1e18
        placed.append(max(want[i], lo))
    shift = _mean([w - p for w, p in zip(want, placed, strict=True)], 0.0)
    for v, p in zip(order, placed, strict=True):
        y[v] = p + shift


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def layered_layout(
    sizes: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    col_gap: float = 48.0,
    row_gap: float = 18.0,
    margin: float = 16.0,
) -> Layout:
    """Lay a DAG out in columns, left to right.

    Args:
        sizes: ``(width, height)`` of each node's box.
        edges: ``(source, target)`` pairs; the graph must be acyclic.
        col_gap: Horizontal space between columns.
        row_gap: Minimum vertical space between boxes in a column.
        margin: Space around the drawing.

    >>> lay = layered_layout([(40, 20)] * 3, [(0, 1), (1, 2), (0, 2)])
    >>> lay.layer, lay.crossings, len(lay.routes[2])
    ([0, 1, 2], 0, 3)
    """
    n = len(sizes)
    layer, segments, chains = _split_long_edges(assign_layers(n, edges), edges)
    orders = order_layers(layer, segments)
    dummy = (0.0, 8.0)  # a long edge takes a thin slot in the columns it crosses
    all_sizes = [*sizes, *([dummy] * (len(layer) - n))]
    widths = [max((all_sizes[v][0] for v in order), default=0.0) for order in orders]
    col_x, left = [], margin
    for w in widths:
        col_x.append(left + w / 2)
        left += w + col_gap
    heights = [h for _, h in all_sizes]
    y = [c + margin for c in _column_heights(orders, heights, segments, row_gap)]
    x = [col_x[k] for k in layer]
    routes = [_route(chain, x, y, all_sizes) for chain in chains]
    bottom = max((y[v] + heights[v] / 2 for v in range(len(y))), default=0.0)
    return Layout(
        layer=layer[:n],
        x=x[:n],
        y=y[:n],
        routes=routes,
        width=round(left - col_gap + margin, 2),
        height=round(bottom + margin, 2),
        crossings=count_crossings(orders, segments),
    )


def _route(
    chain: list[int], x: list[float], y: list[float], sizes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    s, d = chain[0], chain[-1]
    start = (x[s] + sizes[s][0] / 2, y[s])
    end = (x[d] - sizes[d][0] / 2, y[d])
    middle = [(x[v], y[v]) for v in chain[1:-1]]
    return [(round(px, 2), round(py, 2)) for px, py in [start, *middle, end]]
