"""Parameter trees: nested dicts, lists and tuples whose leaves are arrays.

``flatten`` gives the leaves in a stable order and a description that
``unflatten`` uses to rebuild the same structure around new leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["flatten", "tree_map", "unflatten"]


def _is_node(x: Any) -> bool:
    return type(x) in (dict, list, tuple) or (isinstance(x, tuple) and hasattr(x, "_fields"))


def flatten(tree: Any) -> tuple[list, Any]:
    """Leaves of ``tree`` (dict keys in insertion order) and its structure."""
    leaves: list = []

    def walk(x: Any) -> Any:
        if type(x) is dict:
            return (dict, tuple(x), tuple(walk(v) for v in x.values()))
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return (type(x), None, tuple(walk(v) for v in x))
        if type(x) in (list, tuple):
            return (type(x), None, tuple(walk(v) for v in x))
        leaves.append(x)
        return None

    return leaves, walk(tree)


def unflatten(structure: Any, leaves: list) -> Any:
    """Rebuild the structure ``flatten`` described, with ``leaves`` in its places."""
    it = iter(leaves)

    def build(s: Any) -> Any:
        if s is None:
            return next(it)
        kind, keys, children = s
        values = [build(c) for c in children]
        if kind is dict:
            return dict(zip(keys, values, strict=True))
        if kind in (list, tuple):
            return kind(values)
        return kind(*values)

    return build(structure)


def tree_map(fun: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fun`` leaf by leaf across trees of the same structure."""
    leaves, structure = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(structure, [fun(*xs) for xs in zip(leaves, *others, strict=True)])
