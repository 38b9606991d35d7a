"""The differentiation operators: grad, vjp, jvp, jacobian, hessian, hvp, checkpoint.

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
    defjvp_all,
    defvjp_all,
    getval,
    new_box,
    new_trace_id,
    primitive,
)
from diaphane.autodiff.sparse import SparseRows
from diaphane.autodiff.tree import flatten, unflatten

__all__ = [
    "checkpoint",
    "elementwise_grad",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
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
    )

    def __init__(self, fun: Callable, primals: tuple, has_aux: bool = False) -> None:
        trace = new_trace_id()
        self.in_leaves, self.in_structure = flatten(primals)
        self.in_nodes = [VJPNode.leaf(x) for x in self.in_leaves]
        boxes = [new_box(x, trace, n) for x, n in zip(self.in_leaves, self.in_nodes, strict=True)]
        out = fun(*unflatten(self.in_structure, boxes))
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
        leaf_grads = backward(ends, keep_graph=keep_graph, batched=batched) if ends else {}
        batch_shape = (len(cotangents[0]),) if batched else ()
        return [
            _fit_gradient(leaf_grads.get(node), x, batch_shape, sparse)
            for node, x in zip(self.in_nodes, self.in_leaves, strict=True)
        ]


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


# ----------------------------------------------------------------------------- jacobians


def jacobian(
    fun: Callable, argnums: Argnums = 0, mode: str = "rev", batched: bool = True
) -> Callable:
    """The Jacobian, shaped ``output.shape + input.shape``.

    ``mode="rev"`` pulls back one cotangent per output element; ``"fwd"`` pushes
    one tangent per input element. With ``batched`` all of them travel together
    as a leading batch axis through rules that accept one (the others run slice
    by slice), instead of a Python loop over whole passes.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if mode not in ("rev", "fwd"):
        raise DiaphaneError(f"jacobian mode must be 'rev' or 'fwd', not {mode!r}.")
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def jac_fun(*args, **kwargs):
        f = _partial(fun, args, kwargs, nums)
        chosen = tuple(args[i] for i in nums)
        jacs = _jac_rev(f, chosen, batched) if mode == "rev" else _jac_fwd(f, chosen, batched)
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    return jac_fun


def _eye_like(x: Any) -> np.ndarray:
    """One basis vector per element of ``x``, stacked along a new leading axis."""
    v = getval(x)
    n = np.size(v)
    return np.eye(n, dtype=np.result_type(v)).reshape((n, *np.shape(v)))


def _jac_rev(f: Callable, chosen: tuple, batched: bool) -> list:
    traced = _Traced(f, chosen)
    if len(traced.out_values) != 1:
        raise DiaphaneError("jacobian needs a function with one array output.")
    out = traced.out_values[0]
    out_shape = np.shape(out)
    seeds = _eye_like(out)
    if batched:
        rows = traced.pull([seeds], keep_graph=False, batched=True)
    else:
        per_row = [traced.pull([s], keep_graph=True) for s in seeds]
        rows = [_stack([r[j] for r in per_row]) for j in range(len(chosen))]
    return [
        _reshape(r, out_shape + np.shape(x)) for r, x in zip(rows, traced.in_leaves, strict=True)
    ]


def _jac_fwd(f: Callable, chosen: tuple, batched: bool) -> list:
    jacs = []
    for j, x in enumerate(chosen):
        seeds = _eye_like(x)

        def push(t, j=j, x=x):
            def only_j(xj):
                return f(*chosen[:j], xj, *chosen[j + 1 :])

            return _jvp(only_j, (x,), (t,), 1 if batched else 0)[1]

        cols = push(seeds) if batched else _stack([push(s) for s in seeds])
        out_shape = np.shape(getval(cols))[1:]
        jacs.append(_reshape(_moveaxis(cols, 0, -1), out_shape + np.shape(getval(x))))
    return jacs


def _stack(parts: list) -> Any:
    import diaphane.numpy as dnp

    return dnp.stack(parts)


def _reshape(x: Any, shape: tuple) -> Any:
    import diaphane.numpy as dnp

    return dnp.reshape(x, shape)


def _moveaxis(x: Any, a: int, b: int) -> Any:
    import diaphane.numpy as dnp

    return dnp.moveaxis(x, a, b)


def hessian(fun: Callable, argnums: int = 0) -> Callable:
    """The Hessian of a scalar function: forward-mode Jacobian of the reverse-mode gradient.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> hessian(lambda x: dnp.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(grad(fun, argnums), argnums, mode="fwd")


def hvp(fun: Callable, argnums: int = 0) -> Callable:
    """``hvp(f)(*args, v)``: the Hessian-vector product, forward over reverse, without
    forming the Hessian.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> hvp(lambda x: dnp.sum(x ** 3))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    g = grad(fun, argnums)

    @functools.wraps(fun)
    def hvp_fun(*args_and_v, **kwargs):
        *args, v = args_and_v
        f = _partial(g, tuple(args), kwargs, (argnums,))
        return jvp(f, (args[argnums],), (v,))[1]

    return hvp_fun


# ----------------------------------------------------------------------------- checkpointing


def _run_checkpointed(fun: Callable, structure: Any, *leaves: Any) -> Any:
    return fun(*unflatten(structure, list(leaves)))


_checkpointed = primitive(_run_checkpointed, "checkpoint")


def _checkpoint_vjp(argnums, g, ans, fun, structure, *leaves):
    _, pull = vjp(lambda *ls: _run_checkpointed(fun, structure, *ls), *leaves)
    grads = pull(g)
    return [grads[i - 2] for i in argnums]


def _checkpoint_jvp(argnums, tangents, ans, fun, structure, *leaves):
    full = [np.zeros(np.shape(getval(x)), np.result_type(getval(x))) for x in leaves]
    for i, t in zip(argnums, tangents, strict=True):
        full[i - 2] = t
    return jvp(lambda *ls: _run_checkpointed(fun, structure, *ls), leaves, tuple(full))[1]


defvjp_all(_checkpointed, _checkpoint_vjp)
defjvp_all(_checkpointed, _checkpoint_jvp)


def checkpoint(fun: Callable) -> Callable:
    """Trade compute for memory: keep no intermediate values of ``fun`` and re-run it
    in the backward pass. ``fun`` returns an array (or a tuple of arrays).

    >>> import numpy as np, diaphane.numpy as dnp
    >>> block = checkpoint(lambda w, x: dnp.tanh(x @ w))
    >>> grad(lambda w: dnp.sum(block(w, np.ones((2, 3)))))(np.zeros((3, 4))).shape
    (3, 4)
    """

    @functools.wraps(fun)
    def checkpointed(*args):
        leaves, structure = flatten(args)
        return _checkpointed(fun, structure, *leaves)

    return checkpointed
