"""Traced values and their records: :class:`Box` (a value in a trace) and the nodes
it points to — :class:`VJPNode` for reverse mode, :class:`JVPNode` for forward mode."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from diaphane.autodiff.errors import DiaphaneError

__all__ = ["Box", "JVPNode", "VJPNode", "getval", "is_box", "new_trace_id"]

_trace_ids = itertools.count(1)


def new_trace_id() -> int:
    """A fresh trace id; later traces get larger ids so the innermost wins."""
    return next(_trace_ids)


class Box:
    """A value being traced: the value, its node in the trace, and the trace id.

    Array methods and operators (``x.T``, ``x @ y``, ``x.sum()``, ``x[i] = v``)
    are attached by :mod:`diaphane.numpy` and dispatch to differentiable primitives.
    """

    __slots__ = ("_node", "_trace", "_value")
    __array_priority__ = 100.0

    def __init__(self, value: Any, node: Any, trace: int) -> None:
        self._value = value
        self._node = node
        self._trace = trace

    def __repr__(self) -> str:
        return f"Box({self._value!r}, trace={self._trace})"

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise DiaphaneError(
            "A traced value reached plain NumPy, which cannot record gradients. "
            "Use the functions of `diaphane.numpy` (import diaphane.numpy as dnp) inside "
            "differentiated code; to write into an array use x = dnp.index_update(x, idx, v)."
        )

    def __bool__(self) -> bool:
        return bool(self._value)

    def __hash__(self) -> int:
        return id(self)


def is_box(x: Any) -> bool:
    """Whether ``x`` is a traced value."""
    return type(x) is Box


def getval(x: Any) -> Any:
    """The plain value under any number of boxes."""
    while type(x) is Box:
        x = x._value
    return x


class VJPNode:
    """A reverse-mode record: primitive, arguments, result, and the parents' nodes.

    Kept apart from the :class:`Box` so that ``x[i] = v`` can point a box at a new
    node while earlier uses of ``x`` keep the old one.
    """

    __slots__ = ("ans", "argnums", "args", "kwargs", "parents", "prim")

    def __init__(self, prim, args, kwargs, ans, parents, argnums) -> None:
        self.prim = prim
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.parents = parents
        self.argnums = argnums

    @classmethod
    def leaf(cls, value: Any) -> VJPNode:
        return cls(None, (), {}, value, (), ())

    def release(self) -> None:
        """Drop saved values once the backward pass is past this node."""
        self.args = self.kwargs = self.ans = None


class JVPNode:
    """A forward-mode record: only the tangent of the value it belongs to."""

    __slots__ = ("tangent",)
    parents = ()

    def __init__(self, tangent: Any) -> None:
        self.tangent = tangent
