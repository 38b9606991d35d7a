"""Attention rollout and attention flow (Abnar & Zuidema, 2020).

Both start from the per-layer attention maps of a transformer, averaged over
heads, with the residual connection added as an identity and the rows made to
sum to one again (``0.5·A + 0.5·I`` when the rows of ``A`` already sum to one).

- :func:`attention_rollout` multiplies these matrices down through the layers:
  how much of each input token reaches each output position if attention were
  the only path and information mixed linearly.
- :func:`attention_flow` treats the same matrices as edge capacities of a
  layered graph (node = layer x position, edge from position ``a`` of layer
  ``l+1`` to position ``b`` of layer ``l`` with capacity ``A_l[a, b]``) and
  reports, for every (output, input) pair, the maximum flow from the output
  node to the input node.

Attention flow needs one max-flow per pair. It is computed exactly with Dinic's
algorithm working directly on the dense layered graph (no graph object is
built), compiled with numba when numba is installed; in causal models each
pair only needs the positions between the input and the output.

Entry points: :func:`residual_attention`, :func:`attention_rollout`,
:func:`attention_flow`, :func:`model_attentions`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["attention_flow", "attention_rollout", "model_attentions", "residual_attention"]

log = logging.getLogger(__name__)

_EPS = 1e-12  # residual capacities below this count as saturated (float round-off)


def model_attentions(model: Any, text_or_ids: str | Sequence[int]) -> np.ndarray:
    """The attention maps of ``model`` on a text, as one array ``[layers, heads, T, T]``."""
    from diaphane.lens.rankings import encode

    ids = encode(model, text_or_ids)
    out = model.forward(ids, output_hidden_states=False, output_attentions=True)
    return np.stack([np.asarray(a) for a in out.attentions])


def residual_attention(attentions: Any, heads: str = "mean") -> np.ndarray:
    """Heads combined, identity added for the residual stream, rows renormalised.

    Args:
        attentions: ``[layers, heads, T, T]`` (or a list of ``[heads, T, T]``),
            rows indexed by the attending (output) position.
        heads: ``"mean"`` (Abnar & Zuidema) or ``"max"`` over heads.

    Returns:
        ``[layers, T, T]`` float64, every row summing to one.
    """
    att = np.asarray(np.stack([np.asarray(a) for a in attentions]), dtype=np.float64)
    if att.ndim != 4 or att.shape[-1] != att.shape[-2]:
        raise ValueError(
            f"Expected attentions shaped [layers, heads, T, T]; got {att.shape}. "
            "Pass model.forward(...).attentions."
        )
    if not np.all(np.isfinite(att)):
        raise ValueError("The attention maps hold NaN or inf; check the model's forward pass.")
    if heads == "mean":
        a = att.mean(axis=1)
    elif heads == "max":
        a = att.max(axis=1)
    else:
        raise ValueError(f"heads must be 'mean' or 'max', not {heads!r}.")
    a = a + np.eye(a.shape[-1])
    return a / a.sum(axis=-1, keepdims=True)


def attention_rollout(attentions: Any, heads: str = "mean") -> np.ndarray:
    """Attention rollout: the residual-augmented attention multiplied through the layers.

    Returns:
        ``[layers, T, T]``: entry ``[l, i, j]`` is how much input token ``j``
        contributes to position ``i`` after layer ``l + 1``; ``[-1]`` is the
        rollout of the whole model. Rows sum to one.

    >>> att = np.array([[[[1.0, 0.0], [0.5, 0.5]]]] * 2)  # 2 layers, 1 head, causal
    >>> attention_rollout(att)[-1]
    array([[1.    , 0.    ],
           [0.4375, 0.5625]])
    """
    aug = residual_attention(attentions, heads)
    out = np.empty_like(aug)
    out[0] = aug[0]
    for layer in range(1, len(aug)):
        out[layer] = aug[layer] @ out[layer - 1]
    return out


def attention_flow(
    attentions: Any,
    heads: str = "mean",
    all_layers: bool = False,
    normalize: bool = False,
) -> np.ndarray:
    """Attention flow: the max-flow from each output node to each input node.

    Args:
        attentions: ``[layers, heads, T, T]`` attention maps (see :func:`residual_attention`).
        heads: how heads are combined, ``"mean"`` or ``"max"``.
        all_layers: also compute the flow from every intermediate layer's nodes
            (as Abnar & Zuidema's code does); otherwise only from the last layer.
        normalize: divide each row by its sum, as in Abnar & Zuidema's figures.
            Off by default so values stay max-flows (each at most one).

    Returns:
        ``[T, T]`` (``[layers, T, T]`` with ``all_layers``): entry ``[i, j]`` is
        the maximum flow from position ``i`` of the top layer to input token ``j``.

    >>> att = np.full((1, 1, 2, 2), 0.5)
    >>> attention_flow(att)
    array([[0.75, 0.25],
           [0.25, 0.75]])
    """
    caps = residual_attention(attentions, heads)
    n_layers = caps.shape[0]
    causal = bool(np.all(np.triu(caps, 1) == 0.0))
    tops = range(1, n_layers + 1) if all_layers else [n_layers]
    kernel = _flow_kernel()
    flows = np.stack([kernel(np.ascontiguousarray(caps[:top]), causal, _EPS) for top in tops])
    if normalize:
        sums = flows.sum(axis=-1, keepdims=True)
        flows = np.divide(flows, sums, out=np.zeros_like(flows), where=sums > 0)
    return flows if all_layers else flows[0]


# ----------------------------------------------------------------------------- max-flow


def _all_pair_flows(caps: np.ndarray, causal: bool, eps: float) -> np.ndarray:
    """Max-flow from every top node (layer L, position i) to every bottom node (0, j)."""
    n_layers, n = caps.shape[0], caps.shape[1]
    flow = np.zeros((n_layers, n, n))
    level = np.empty((n_layers + 1, n), dtype=np.int64)
    arc = np.empty((n_layers + 1, n), dtype=np.int64)
    queue = np.empty(2 * (n_layers + 1) * n, dtype=np.int64)
    path = np.empty(2 * (n_layers + 2) * n, dtype=np.int64)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            # In a causal model no path leaves the positions between input and output.
            lo, hi = (j, i) if causal else (0, n - 1)
            if lo > hi:
                continue
            flow[:, lo : hi + 1, lo : hi + 1] = 0.0
            out[i, j] = _dinic(caps, flow, i, j, lo, hi, eps, level, arc, queue, path)
    return out


def _dinic(caps, flow, src, sink, lo, hi, eps, level, arc, queue, path) -> float:
    """Dinic's max-flow on the layered graph; ``flow[l, a, b]`` is on edge (l+1, a) → (l, b)."""
    total = 0.0
    while _bfs_levels(caps, flow, src, sink, lo, hi, eps, level, queue):
        arc[:, lo : hi + 1] = lo
        total += _blocking_flow(caps, flow, src, sink, lo, hi, eps, level, arc, path)
    return total


def _bfs_levels(caps, flow, src, sink, lo, hi, eps, level, queue) -> bool:
    """Breadth-first levels over the residual graph; whether the sink is reachable."""
    top = caps.shape[0]
    level[:, lo : hi + 1] = -1
    level[top, src] = 0
    queue[0], queue[1] = top, src
    head, tail = 0, 2
    while head < tail:
        m, p = queue[head], queue[head + 1]
        head += 2
        for q in range(lo, hi + 1):
            # Down along an edge with room left; up along an edge carrying flow (its reverse).
            down = m > 0 and level[m - 1, q] < 0 and (m > 1 or q == sink)
            if down and caps[m - 1, p, q] - flow[m - 1, p, q] > eps:
                level[m - 1, q] = level[m, p] + 1
                queue[tail], queue[tail + 1] = m - 1, q
                tail += 2
            if m < top and level[m + 1, q] < 0 and flow[m, q, p] > eps:
                level[m + 1, q] = level[m, p] + 1
                queue[tail], queue[tail + 1] = m + 1, q
                tail += 2
    return level[0, sink] >= 0


def _residual(caps, flow, m, p, m2, q) -> float:
    if m2 < m:
        return caps[m2, p, q] - flow[m2, p, q]
    return flow[m, q, p]


def _blocking_flow(caps, flow, src, sink, lo, hi, eps, level, arc, path) -> float:
    """Augment along level-increasing paths until none is left (iterative DFS)."""
    top = caps.shape[0]
    width = hi - lo + 1
    total = 0.0
    path[0], path[1] = top, src
    depth = 0
    while True:
        m, p = path[2 * depth], path[2 * depth + 1]
        if m == 0:  # reached the sink: push the bottleneck, back up to the first saturated edge
            push = np.inf
            for d in range(depth):
                r = _residual(
                    caps, flow, path[2 * d], path[2 * d + 1], path[2 * d + 2], path[2 * d + 3]
                )
                push = min(push, r)
            back = depth
            for d in range(depth):
                m1, p1, m2, q = path[2 * d], path[2 * d + 1], path[2 * d + 2], path[2 * d + 3]
                if m2 < m1:
                    flow[m2, p1, q] += push
                else:
                    flow[m1, q, p1] -= push
                if back == depth and _residual(caps, flow, m1, p1, m2, q) <= eps:
                    back = d
            total += push
            depth = back
            continue
        moved = False
        while arc[m, p] < lo + 2 * width:
            k = arc[m, p]
            m2, q = (m - 1, k) if k < lo + width else (m + 1, k - width)
            ok = 0 <= m2 <= top and (m2 > 0 or q == sink) and level[m2, q] == level[m, p] + 1
            if ok and _residual(caps, flow, m, p, m2, q) > eps:
                depth += 1
                path[2 * depth], path[2 * depth + 1] = m2, q
                moved = True
                break
            arc[m, p] += 1
        if not moved:
            level[m, p] = -1  # dead end for this phase
            if depth == 0:
                return total
            depth -= 1
            arc[path[2 * depth], path[2 * depth + 1]] += 1


_KERNEL: list = []


def _flow_kernel():
    """The all-pairs flow function, compiled with numba when it is installed."""
    if not _KERNEL:
        try:
            import numba
        except ImportError:
            log.warning("numba is not installed; attention flow runs in pure Python (slow).")
            _KERNEL.append(_all_pair_flows)
        else:
            jit = numba.njit(cache=True)
            g = globals()
            for name in ("_residual", "_bfs_levels", "_blocking_flow", "_dinic"):
                g[name] = jit(g[name])
            _KERNEL.append(jit(_all_pair_flows))
    return _KERNEL[0]
