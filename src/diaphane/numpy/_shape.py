"""Shape primitives: reshape, transpose, broadcast_to, moveaxis, stack, concatenate, ..."""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import BATCH, defjvp, defvjp, getval, primitive
from diaphane.numpy._util import unbroadcast

reshape = primitive(np.reshape)
broadcast_to = primitive(np.broadcast_to)
moveaxis = primitive(np.moveaxis)
transpose = primitive(np.transpose)


def _batch_shape(g):
    return np.shape(getval(g))[: BATCH.ndim]


def _reshape_like(g, x):
    return reshape(g, _batch_shape(g) + np.shape(getval(x)))


def _stack_args(axis, *arrays):
    return np.stack(arrays, axis)


_stack = primitive(_stack_args, "stack")


def stack(arrays, axis=0):
    """``np.stack`` over a sequence that may hold traced arrays."""
    return _stack(axis, *arrays)


def _unstack_vjp(argnums, g, ans, axis, *arrays):
    nb = BATCH.ndim
    ax = axis % (np.ndim(getval(ans))) + nb
    return [_take_slice(g, ax, i - 1) for i in argnums]


def _take_slice(g, axis, i):
    from diaphane.numpy._indexing import getitem

    index = (slice(None),) * axis + (i,)
    return getitem(g, index)


def _transpose_axes(axes, ndim):
    return tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)


def _batched_axes(axes, ndim):
    nb = BATCH.ndim
    return tuple(range(nb)) + tuple(a + nb for a in _transpose_axes(axes, ndim))


# fmt: off
defvjp(reshape,      lambda g, ans, x, *a, **k: _reshape_like(g, x), batchable=True)
defjvp(reshape,      lambda t, ans, x, *a, **k: _reshape_like(t, ans), batchable=True)
defvjp(broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x), batchable=True)
defjvp(broadcast_to, lambda t, ans, x, shape: broadcast_to(t, _batch_shape(t) + tuple(np.shape(getval(ans)))))
defvjp(transpose,    lambda g, ans, x, axes=None:
       transpose(g, _batched_axes(tuple(np.argsort(_transpose_axes(axes, np.ndim(getval(x))))),
                                  np.ndim(getval(x)))), batchable=True)
defjvp(transpose,    lambda t, ans, x, axes=None: transpose(t, _batched_axes(axes, np.ndim(getval(x)))),
       batchable=True)
defvjp(moveaxis,     lambda g, ans, x, source, destination: moveaxis(g, destination, source))
defjvp(moveaxis,     lambda t, ans, x, source, destination: moveaxis(t, source, destination))
defvjp(_stack,       None)
defjvp(_stack,       None)
# fmt: on

from diaphane.autodiff.core import defjvp_all, defvjp_all  # noqa: E402

__all__ = ["broadcast_to", "moveaxis", "reshape", "stack", "transpose"]

defvjp_all(_stack, _unstack_vjp)
defjvp_all(
    _stack, lambda argnums, ts, ans, axis, *arrays: _stack_tangents(argnums, ts, axis, arrays)
)


def _stack_tangents(argnums, ts, axis, arrays):
    dtype = np.result_type(*[getval(a) for a in arrays])
    full = [np.zeros(np.shape(getval(a)), dtype) for a in arrays]
    for i, t in zip(argnums, ts, strict=True):
        full[i - 1] = t
    return _stack(axis, *full)
