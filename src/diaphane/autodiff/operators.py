"""The differentiation operators: grad, value_and_grad, vjp, jvp, elementwise_grad
(jacobian, hessian and hvp are in :mod:`~diaphane.autodiff.jacobians`).

Arguments and results may be trees (nested dicts, lists, tuples) of arrays.
Every operator can be applied to the result of another, to any order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from diaphane.autodiff.core import (
    TRACE_BATCH,
    Box,
    DiaphaneError,
    JVPNode,
    VJPNode,
    backward,
    getval,
    new_box,
    new_trace_id,
    start_tape,
)
from diaphane.autodiff.sparse import SparseRows
from diaphane.autodiff.tree import flatten, unflatten

__all__ = [
    "elementwise_grad",
    "grad",
    "jvp",
    "value_and_grad",
    "vjp",
]

Argnums = int | Sequence[int]


# ----------------------------------------------------------------------------- tracing helpers


class _Traced:
    """The result of running a function on boxed inputs in a fresh reverse trace."""

    __slots__ = (
        "aux",
        "in_leaves",
        "in_nodes",
        "in_structure",
        "out_boxes",
        "out_structure",
        "out_values",
        "tape",
    )

    def __init__(self, fun: Callable, primals: tuple, has_aux: bool = False) -> None:
        trace = new_trace_id()
        self.in_leaves, self.in_structure = flatten(primals)
        self.in_nodes = [VJPNode.leaf(x) for x in self.in_leaves]
        boxes = [new_box(x, trace, n) for x, n in zip(self.in_leaves, self.in_nodes, strict=True)]
        with start_tape(trace) as self.tape:
            out = _expand_tuple_boxes(fun(*unflatten(self.in_structure, boxes)))
        self.aux = None
        if has_aux:
            out, aux = out
            aux_leaves, aux_structure = flatten(aux)
            self.aux = unflatten(
                aux_structure,
                [v._value if type(v) is Box and v._trace == trace else v for v in aux_leaves],
            )
        leaves, self.out_structure = flatten(out)
        self.out_boxes = [b if type(b) is Box and b._trace == trace else None for b in leaves]
        self.out_values = [
            b._value if ob is not None else b for b, ob in zip(leaves, self.out_boxes, strict=True)
        ]

    def output(self) -> Any:
        return unflatten(self.out_structure, self.out_values)

    def pull(self, cotangents: list, keep_graph: bool, batched: bool = False, sparse=False) -> list:
        """Cotangents of the inputs (flat) for cotangents of the outputs (flat)."""
        ends = [
            (b._node, _as_cotangent(ct))
            for b, ct in zip(self.out_boxes, cotangents, strict=True)
            if b is not None and ct is not None
        ]
        leaf_grads = backward(ends, self.tape, keep_graph, batched) if ends else {}
        batch_shape = (len(cotangents[0]),) if batched else ()
        return [
            _fit_gradient(leaf_grads.get(node), x, batch_shape, sparse)
            for node, x in zip(self.in_nodes, self.in_leaves, strict=True)
        ]


def _expand_tuple_boxes(x: Any) -> Any:
    """Outputs as trees of boxes: a traced tuple (``return dnp.linalg.slogdet(a)``)
    becomes a tuple of its traced items."""
    if type(x) is Box and type(getval(x)) is tuple:
        from diaphane.numpy import getitem

        return tuple(_expand_tuple_boxes(getitem(x, i)) for i in range(len(getval(x))))
    if type(x) in (list, tuple):
        return type(x)(_expand_tuple_boxes(v) for v in x)
    if type(x) is dict:
        return {k: _expand_tuple_boxes(v) for k, v in x.items()}
    return x


def _as_cotangent(ct: Any) -> Any:
    return ct if type(ct) is Box or isinstance(ct, np.ndarray | tuple) else np.asarray(ct)


def _fit_gradient(g: Any, x: Any, batch_shape: tuple, sparse: bool) -> Any:
    """Give a leaf's gradient the leaf's shape and dtype (float32 stays float32)."""
    xval = getval(x)
    dtype = np.result_type(xval)
    if g is None:
        return np.zeros(batch_shape + np.shape(xval), dtype=dtype)
    if isinstance(g, SparseRows):
        if sparse and not batch_shape:
            return g.astype(dtype) if g.dtype != dtype else g
        g = g.to_dense()
    if type(g) is Box:
        return g
    g = np.asarray(g)
    if dtype.kind == "f" and g.dtype.kind == "c":
        g = g.real
    if g.dtype != dtype:
        g = g.astype(dtype)
    if g.shape != batch_shape + np.shape(xval):
        g = np.broadcast_to(g, batch_shape + np.shape(xval)).copy()
    if not batch_shape and not isinstance(xval, np.ndarray):
        return g[()]
    return g


def _argnums_tuple(argnums: Argnums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _partial(fun: Callable, args: tuple, kwargs: dict, nums: tuple[int, ...]) -> Callable:
    """``fun`` as a function of the arguments at positions ``nums`` only."""

    def partial(*chosen):
        full = list(args)
        for i, v in zip(nums, chosen, strict=True):
            full[i] = v
        return fun(*full, **kwargs)

    return partial


def _check_scalar(value: Any, who: str) -> None:
    v = getval(value)
    if np.size(v) != 1 or np.iscomplexobj(v):
        raise DiaphaneError(
            f"{who} needs a function with one real scalar output; this one returned "
            f"shape {np.shape(v)} ({np.result_type(v)}). Sum it, or use vjp, "
            "elementwise_grad or jacobian for vector outputs."
        )


# ----------------------------------------------------------------------------- reverse mode


def vjp(fun: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Run ``fun`` and return ``(output, vjp_fn)``; ``vjp_fn(cotangent)`` gives one
    gradient per primal. With ``has_aux``, ``fun`` returns ``(output, aux)`` and
    the result is ``(output, vjp_fn, aux)``.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> out, pull = vjp(dnp.sin, np.array([0.0, np.pi]))
    >>> pull(np.array([1.0, 1.0]))[0]
    array([ 1., -1.])
    """
    traced = _Traced(fun, primals, has_aux)

    def vjp_fn(cotangent: Any) -> tuple:
        cts, _ = flatten(cotangent)
        grads = traced.pull(cts, keep_graph=True)
        return unflatten(traced.in_structure, grads)

    if has_aux:
        return traced.output(), vjp_fn, traced.aux
    return traced.output(), vjp_fn


def value_and_grad(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, sparse: bool = False
) -> Callable:
    """A function returning ``(fun(*args), gradient)``; ``((value, aux), gradient)`` with
    ``has_aux``. With ``sparse``, gradients of gathered table rows stay :class:`SparseRows`.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> value_and_grad(lambda x: dnp.sum(x ** 2))(np.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def value_and_grad_fun(*args, **kwargs):
        f = _partial(fun, args, kwargs, nums)
        traced = _Traced(f, tuple(args[i] for i in nums), has_aux)
        (value,) = traced.out_values
        _check_scalar(value, "grad")
        seed = np.ones_like(getval(value))
        grads = traced.pull([seed], keep_graph=False, sparse=sparse)
        grads = unflatten(traced.in_structure, grads)
        if isinstance(argnums, int):
            grads = grads[0]
        if has_aux:
            return (value, traced.aux), grads
        return value, grads

    return value_and_grad_fun


def grad(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, sparse: bool = False
) -> Callable:
    """The gradient of a scalar function, with respect to argument(s) ``argnums``.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> grad(dnp.sin)(0.0)
    np.float64(1.0)
    >>> grad(grad(grad(dnp.sin)))(0.0)
    np.float64(-1.0)
    """
    vg = value_and_grad(fun, argnums, has_aux, sparse)

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_fun


def elementwise_grad(fun: Callable, argnums: Argnums = 0) -> Callable:
    """The sum over outputs of their gradients — for elementwise functions, the
    derivative at every point at once.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> elementwise_grad(dnp.tanh)(np.zeros(3))
    array([1., 1., 1.])
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def egrad(*args, **kwargs):
        traced = _Traced(_partial(fun, args, kwargs, nums), tuple(args[i] for i in nums))
        seeds = [np.ones_like(getval(v)) for v in traced.out_values]
        grads = unflatten(traced.in_structure, traced.pull(seeds, keep_graph=False))
        return grads[0] if isinstance(argnums, int) else grads

    return egrad


# ----------------------------------------------------------------------------- forward mode


def jvp(fun: Callable, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
    """Forward mode: ``(fun(*primals), J @ tangents)`` in one pass.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> jvp(dnp.sin, (np.array([0.0]),), (np.array([2.0]),))
    (array([0.]), array([2.]))
    """
    return _jvp(fun, primals, tangents, 0)


def _jvp(fun: Callable, primals: Sequence, tangents: Sequence, batch_ndim: int) -> tuple[Any, Any]:
    """Forward mode where every tangent carries ``batch_ndim`` leading batch axes."""
    trace = new_trace_id()
    leaves, structure = flatten(tuple(primals))
    tleaves, _ = flatten(tuple(tangents))
    if len(tleaves) != len(leaves):
        raise DiaphaneError("jvp needs one tangent per primal, in a tree of the same structure.")
    if batch_ndim:
        TRACE_BATCH[trace] = batch_ndim
    try:
        boxes = [
            new_box(x, trace, JVPNode(_match_dtype(t, x)))
            for x, t in zip(leaves, tleaves, strict=True)
        ]
        out = fun(*unflatten(structure, boxes))
    finally:
        TRACE_BATCH.pop(trace, None)
    out_leaves, out_structure = flatten(out)
    values, out_tangents = [], []
    batch_shape = np.shape(getval(tleaves[0]))[:batch_ndim] if tleaves else ()
    for b in out_leaves:
        if type(b) is Box and b._trace == trace:
            values.append(b._value)
            out_tangents.append(b._node.tangent)
        else:
            values.append(b)
            out_tangents.append(np.zeros(batch_shape + np.shape(b), np.result_type(b)))
    return unflatten(out_structure, values), unflatten(out_structure, out_tangents)


def _match_dtype(t: Any, x: Any) -> Any:
    if type(t) is Box or type(x) is Box:
        return t
    t = np.asarray(t)
    dtype = np.result_type(x)
    return t if t.dtype == dtype else t.astype(dtype)
