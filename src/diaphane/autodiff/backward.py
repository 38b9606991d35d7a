"""The reverse pass: walk the recorded nodes from the outputs back to the inputs
(iteratively: the trace's tape backwards, children before parents) and pull
cotangents through each rule."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from diaphane.autodiff.batching import (
    BATCH,
    add_cotangents,
    batch_axes,
    batch_len,
    slice_batch,
    stack_cotangents,
)
from diaphane.autodiff.box import VJPNode
from diaphane.autodiff.debug import NANS, raise_on_nonfinite
from diaphane.autodiff.rules import BATCHABLE_VJP, VJP_ALL, VJPS, missing_rule
from diaphane.autodiff.sparse import SparseRows, densify

__all__ = ["backward", "toposort"]


def toposort(ends: Iterable[Any]) -> Iterator[Any]:
    """Nodes reachable from ``ends``, each after all of its children (iterative)."""
    ends = list(dict.fromkeys(ends))
    child_counts = _count_children(ends)
    ready = [n for n in ends if child_counts[n] == 0]
    while ready:
        node = ready.pop()
        yield node
        for parent in node.parents:
            count = child_counts[parent] - 1
            child_counts[parent] = count
            if count == 0:
                ready.append(parent)


def _count_children(ends: list) -> dict:
    """How many times each node reachable from ``ends`` is used as a parent."""
    child_counts: dict[Any, int] = dict.fromkeys(ends, 0)
    stack = list(ends)
    while stack:
        for parent in stack.pop().parents:
            if parent in child_counts:
                child_counts[parent] += 1
            else:
                child_counts[parent] = 1
                stack.append(parent)
    return child_counts


def backward(
    ends: list[tuple[VJPNode, Any]],
    tape: list[VJPNode] | None = None,
    keep_graph: bool = False,
    batched: bool = False,
) -> dict[VJPNode, Any]:
    """Run the reverse pass from ``(node, cotangent)`` pairs.

    ``tape`` lists the trace's nodes in the order they were recorded (see
    :func:`~diaphane.autodiff.core.start_tape`); walking it backwards visits every
    node after all of its children, with no graph search. Without a tape the nodes
    reachable from ``ends`` are sorted first. Returns the accumulated cotangent of
    every leaf node reached. Unless ``keep_graph`` is set, each node's saved values
    are released as soon as the pass has gone past it. With ``batched`` the
    cotangents carry one leading batch axis; rules not marked batchable are applied
    slice by slice.
    """
    if tape is None:
        tape = [n for n in toposort(n for n, _ in ends) if n.prim is not None][::-1]
    old, BATCH.ndim = BATCH.ndim, (1 if batched else 0)
    try:
        return _reverse_pass(ends, tape, keep_graph, batched)
    finally:
        BATCH.ndim = old


def _reverse_pass(ends: list, tape: list, keep_graph: bool, batched: bool) -> dict:
    outgrads: dict[Any, Any] = {}
    for node, g in ends:
        outgrads[node] = add_cotangents(outgrads[node], g) if node in outgrads else g
    simple = not (batched or NANS.on)
    pop, get = outgrads.pop, outgrads.get
    for node in reversed(tape):
        g = pop(node, None)
        if g is not None:
            if type(g) is SparseRows or type(g) is tuple:
                g = densify(g)  # only leaves (the tables) take sparse rows
            parents = node.parents
            rules = VJPS.get(node.prim) if simple else None
            rule = None
            if rules is not None and len(parents) == 1:
                i = node.argnums[0]
                rule = rules[i] if i < len(rules) else None
            if rule is not None:
                # The common case, inlined: one traced argument, a per-argument rule.
                parent = parents[0]
                kw = node.kwargs
                pg = rule(g, node.ans, *node.args, **kw) if kw else rule(g, node.ans, *node.args)
                prev = get(parent)
                outgrads[parent] = pg if prev is None else add_cotangents(prev, pg)
            else:
                _propagate(node, g, outgrads, batched)
        if not keep_graph:
            node.args = node.kwargs = node.ans = None
    return outgrads  # what is left belongs to the leaves


def _propagate(node: VJPNode, g: Any, outgrads: dict, batched: bool) -> None:
    args = node.args
    if batched and node.prim not in BATCHABLE_VJP:
        grads = _per_slice(node, g)
    else:
        grads = _rule_grads(node.prim, node.argnums, g, node.ans, args, node.kwargs)
    if NANS.on:
        for pg in grads:
            raise_on_nonfinite(node.prim, "backward", pg, args)
    for parent, pg in zip(node.parents, grads, strict=True):
        prev = outgrads.get(parent)
        outgrads[parent] = pg if prev is None else add_cotangents(prev, pg)


def _rule_grads(prim, argnums, g, ans, args, kwargs) -> list:
    """The cotangents of the traced arguments ``argnums`` of one call of ``prim``."""
    if prim in VJP_ALL:
        return list(VJP_ALL[prim](argnums, g, ans, *args, **kwargs))
    rules = VJPS.get(prim)
    if rules is None:
        raise missing_rule(prim, "reverse-mode (VJP)")
    grads = []
    for i in argnums:
        rule = rules[i] if i < len(rules) else None
        if rule is None:
            raise missing_rule(prim, f"reverse-mode (VJP) for argument {i}")
        grads.append(rule(g, ans, *args, **kwargs))
    return grads


def _per_slice(node: VJPNode, g: Any) -> list:
    """Apply a rule that does not know batch axes to each slice of a batched cotangent."""
    with batch_axes(0):
        per_slice = [
            _rule_grads(
                node.prim, node.argnums, slice_batch(g, k), node.ans, node.args, node.kwargs
            )
            for k in range(batch_len(g))
        ]
    return [stack_cotangents([row[j] for row in per_slice]) for j in range(len(node.parents))]
