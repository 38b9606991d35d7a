"""The engine's core: primitives that record what they do to traced values.

A *trace* starts when an operator such as :func:`~diaphane.autodiff.grad` wraps its
inputs in :class:`Box` objects. Every :func:`primitive` called on a box records a
node — just the primitive, its arguments and its result; the vector-Jacobian
product is only built in the backward pass (:mod:`diaphane.autodiff.backward`),
which keeps tracing cheap. Forward mode uses the same boxes with nodes that carry a
tangent, pushed through the JVP rules as the function runs.

This module also re-exports the names rules and wrappers need: :class:`Box`,
:func:`getval`, :class:`DiaphaneError`, the rule tables and ``defvjp``/``defjvp``
(:mod:`~diaphane.autodiff.rules`), :data:`BATCH` (:mod:`~diaphane.autodiff.batching`),
:func:`debug_nans` and :func:`backward`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from diaphane.autodiff.backward import backward, toposort
from diaphane.autodiff.batching import (
    BATCH,
    TRACE_BATCH,
    add_cotangents,
    batch_axes,
    batch_len,
    slice_batch,
    stack_cotangents,
)
from diaphane.autodiff.box import Box, JVPNode, VJPNode, getval, is_box, new_trace_id
from diaphane.autodiff.debug import NANS, debug_nans, raise_on_nonfinite
from diaphane.autodiff.errors import DiaphaneError
from diaphane.autodiff.rules import (
    BATCHABLE_JVP,
    BATCHABLE_VJP,
    JVP_ALL,
    JVPS,
    NONDIFF,
    VJP_ALL,
    VJPS,
    defjvp,
    defjvp_all,
    defjvp_is_linear,
    defvjp,
    defvjp_all,
    missing_rule,
)

__all__ = [
    "BATCH",
    "BATCHABLE_JVP",
    "BATCHABLE_VJP",
    "JVPS",
    "JVP_ALL",
    "NONDIFF",
    "TRACE_BATCH",
    "VJPS",
    "VJP_ALL",
    "Box",
    "DiaphaneError",
    "JVPNode",
    "VJPNode",
    "add_cotangents",
    "backward",
    "batch_axes",
    "debug_nans",
    "defjvp",
    "defjvp_all",
    "defjvp_is_linear",
    "defvjp",
    "defvjp_all",
    "getval",
    "is_box",
    "new_box",
    "new_trace_id",
    "nondiff",
    "primitive",
    "start_tape",
    "toposort",
]


def primitive(raw: Callable, name: str | None = None) -> Callable:
    """Wrap a plain function so that calls on boxes are recorded.

    When no argument is boxed the wrapper calls ``raw`` directly, so untraced code
    pays one loop over the positional arguments.
    """

    def prim(*args, **kwargs):
        for a in args:
            if type(a) is Box:
                return _apply(prim, args, kwargs, raw)
        return raw(*args, **kwargs)

    return _wraps(prim, raw, name or getattr(raw, "__name__", "primitive"))


def _wraps(wrapper: Callable, raw: Callable, name: Any) -> Callable:
    """Give ``wrapper`` the name and docstring of ``raw``, and keep ``raw`` as ``.raw``."""
    wrapper.__name__ = wrapper.__qualname__ = str(name)
    wrapper.__doc__ = getattr(raw, "__doc__", None)
    wrapper.raw = raw  # type: ignore[attr-defined]
    return wrapper


_NO_KWARGS: dict = {}
_new = object.__new__
_ARG0 = (0,)
_ARG1 = (1,)
_ARG01 = (0, 1)


def _apply(prim: Any, args: tuple, kwargs: dict, raw: Callable | None = None) -> Box:
    """Record one call of ``prim`` on boxed arguments (at least one is a Box).

    Unary and binary calls — nearly all of them — take a fast path.
    """
    argvals: tuple
    parents: tuple
    argnums: tuple[int, ...]
    nargs = len(args)
    if nargs == 1:
        x = args[0]
        v = x._value
        argvals = (v,)
        parents = (x._node,)
        argnums = _ARG0
        top = x._trace
        nested = type(v) is Box
    elif nargs == 2:
        x, y = args
        if type(x) is Box:
            if type(y) is Box and y._trace >= x._trace:
                if y._trace == x._trace:
                    argvals, parents, argnums = (x._value, y._value), (x._node, y._node), _ARG01
                else:
                    argvals, parents, argnums = (x, y._value), (y._node,), _ARG1
                top = y._trace
            else:
                argvals, parents, argnums, top = (x._value, y), (x._node,), _ARG0, x._trace
        else:
            argvals, parents, argnums, top = (x, y._value), (y._node,), _ARG1, y._trace
        nested = type(argvals[0]) is Box or type(argvals[1]) is Box
    else:
        argvals, parents, argnums, top = _unbox_top(args)
        nested = any(type(a) is Box for a in argvals)
    # Boxes of outer traces may remain: the wrapper records those too.
    ans = prim(*argvals, **kwargs) if nested else (raw or prim.raw)(*argvals, **kwargs)
    if NANS.on:
        raise_on_nonfinite(prim, "forward", ans, argvals)
    if type(parents[0]) is VJPNode:
        # Node and box are filled in here rather than through __init__: a Python call
        # frame per object was about a third of their cost on small arrays.
        node = _new(VJPNode)
        node.prim = prim
        node.args = argvals
        node.kwargs = kwargs or _NO_KWARGS  # one shared empty dict keeps nodes small
        node.ans = ans
        node.parents = parents
        node.argnums = argnums
        tape = TAPES.get(top)
        if tape is not None:
            tape.append(node)
        box = _new(Box)
        box._value = ans
        box._node = node
        box._trace = top
        return box
    return Box(ans, JVPNode(_push_tangents(prim, argvals, kwargs, ans, parents, argnums, top)), top)


def _unbox_top(args: tuple) -> tuple:
    """Unwrap the boxes of the innermost trace among ``args``."""
    top = 0
    for a in args:
        if type(a) is Box and a._trace > top:
            top = a._trace
    argvals = list(args)
    parents = []
    argnums = []
    for i, a in enumerate(args):
        if type(a) is Box and a._trace == top:
            argvals[i] = a._value
            parents.append(a._node)
            argnums.append(i)
    return tuple(argvals), tuple(parents), tuple(argnums), top


def _push_tangents(prim, argvals, kwargs, ans, parents, argnums, trace):
    tangents = [p.tangent for p in parents]
    nb = TRACE_BATCH.get(trace, 0)
    old, BATCH.ndim = BATCH.ndim, nb  # rules see the batch axes of this trace's tangents only
    try:
        if nb and prim not in BATCHABLE_JVP:
            with batch_axes(0):
                slices = [
                    _tangent_of(
                        prim, argvals, kwargs, ans, [slice_batch(t, k) for t in tangents], argnums
                    )
                    for k in range(batch_len(tangents[0]))
                ]
            tangent = stack_cotangents(slices)
        else:
            tangent = _tangent_of(prim, argvals, kwargs, ans, tangents, argnums)
    finally:
        BATCH.ndim = old
    if NANS.on:
        raise_on_nonfinite(prim, "forward-mode tangent", tangent, argvals)
    return tangent


def _tangent_of(prim, argvals, kwargs, ans, tangents, argnums):
    if prim in JVP_ALL:
        return JVP_ALL[prim](argnums, tangents, ans, *argvals, **kwargs)
    rules = JVPS.get(prim)
    if rules is None:
        raise missing_rule(prim, "forward-mode (JVP)")
    tangent = None
    for i, t_in in zip(argnums, tangents, strict=True):
        rule = rules[i] if i < len(rules) else None
        if rule is None:
            raise missing_rule(prim, f"forward-mode (JVP) for argument {i}")
        t = rule(t_in, ans, *argvals, **kwargs)
        tangent = t if tangent is None else add_cotangents(tangent, t)
    return tangent


TAPES: dict[int, list] = {}  # reverse trace id -> its nodes, in the order they were made


@contextlib.contextmanager
def start_tape(trace: int) -> Iterator[list]:
    """Record the nodes of reverse trace ``trace`` while the block runs; yields the tape."""
    tape: list = []
    TAPES[trace] = tape
    try:
        yield tape
    finally:
        del TAPES[trace]


def new_box(value: Any, trace: int, node: Any) -> Box:
    """Start tracing ``value`` in ``trace``; rejects values that have no derivative."""
    raw = getval(value)
    dtype = getattr(raw, "dtype", None)
    if dtype is None and not isinstance(raw, float | complex):
        if isinstance(raw, bool | int):
            dtype = np.dtype(int)
        else:
            raise DiaphaneError(
                f"Cannot differentiate with respect to a {type(raw).__name__}: "
                "pass a float or complex NumPy array (or a tree of them)."
            )
    if dtype is not None and dtype.kind not in "fc":
        raise DiaphaneError(
            f"Cannot differentiate with respect to an array of dtype {dtype}: "
            "derivatives need floating-point inputs; convert with x.astype(float)."
        )
    return Box(value, node, trace)


def nondiff(fun: Callable, name: str | None = None) -> Callable:
    """Wrap a function with no useful derivative (argmax, shape, comparisons):
    boxes are unwrapped, the result is a plain value."""

    def wrapped(*args, **kwargs):
        return fun(*_unbox_all(args), **{k: _unbox_all(v) for k, v in kwargs.items()})

    _wraps(wrapped, fun, name or getattr(fun, "__name__", "nondiff"))
    NONDIFF.add(wrapped.__name__)
    return wrapped


def _unbox_all(x: Any) -> Any:
    if type(x) is Box:
        return getval(x)
    if type(x) in (list, tuple):
        return type(x)(_unbox_all(v) for v in x)
    return x
