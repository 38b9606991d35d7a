"""Shape operations: reshape, transpose, axis moves, broadcasting, copies and casts.

Every operation here is linear, so each forward (JVP) rule applies the operation itself
to the tangent, and each reverse (VJP) rule applies its adjoint. The public functions are
compositions of a few primitives (``_reshape``, ``transpose``, ``broadcast_to``, ...)
whose rules all accept leading batch axes: axes are shifted past the leading batch axes
before the rule acts, their number read off the shapes (see :mod:`diaphane.numpy._axes`).
Joining and splitting live in :mod:`diaphane.numpy._join`; flips, rolls, padding,
repeats and diagonals in :mod:`diaphane.numpy._arrange`.

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.reshape(x, (2, 2)).T[0] * 3.0))(np.ones(4))
array([3., 0., 3., 0.])
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._axes import (
    _batch_shape,
    _nb,
    _ndim,
    _norm_axes,
    _norm_axis,
    _shape,
    _shifted,
)
from diaphane.numpy._util import match_real

__all__ = [
    "astype",
    "broadcast_arrays",
    "broadcast_to",
    "copy",
    "expand_dims",
    "flatten",
    "matrix_transpose",
    "moveaxis",
    "permute_dims",
    "ravel",
    "real_if_close",
    "reshape",
    "rollaxis",
    "squeeze",
    "swapaxes",
    "transpose",
]


# ----------------------------------------------------------------------------- reshape, transpose


def _reshape_raw(x, shape):
    return np.reshape(x, shape)


_reshape = primitive(_reshape_raw, "reshape")
transpose = primitive(np.transpose)
broadcast_to = primitive(np.broadcast_to)


def _reshape_like(v, frm, to):
    """``v`` (shaped like ``frm`` after its batch axes) reshaped like ``to``."""
    return _reshape(v, _batch_shape(v, frm) + _shape(to))


def _transpose_axes(axes, ndim):
    return tuple(range(ndim))[::-1] if axes is None else _norm_axes(axes, ndim)


def _batched_axes(axes, ndim, nb):
    return tuple(range(nb)) + _shifted(_transpose_axes(axes, ndim), nb)


def _transpose_vjp(g, ans, x, axes=None):
    ndim = _ndim(x)
    inverse = tuple(np.argsort(_transpose_axes(axes, ndim)))
    return transpose(g, _batched_axes(inverse, ndim, _nb(g, ans)))


def _sum_to(g, ans, x):
    """The adjoint of broadcasting ``x`` to ``ans``: sum the broadcast axes away."""
    from diaphane.numpy._reductions import sum

    nb, shape = _nb(g, ans), _shape(x)
    extra = _ndim(ans) - len(shape)
    if extra:
        g = sum(g, axis=tuple(range(nb, nb + extra)))
    gshape = _shape(g)
    axes = tuple(nb + i for i, n in enumerate(shape) if n == 1 and gshape[nb + i] != 1)
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return match_real(g, x)


def _broadcast_tangent(t, ans, x):
    batch = _batch_shape(t, x)
    t = _reshape(t, batch + (1,) * (_ndim(ans) - _ndim(x)) + _shape(x))
    return broadcast_to(t, batch + _shape(ans))


# fmt: off
defvjp(_reshape,     lambda g, ans, x, shape: _reshape_like(g, ans, x), batchable=True)
defjvp(_reshape,     lambda t, ans, x, shape: _reshape_like(t, x, ans), batchable=True)
defvjp(transpose,    _transpose_vjp, batchable=True)
defjvp(transpose,    lambda t, ans, x, axes=None:
       transpose(t, _batched_axes(axes, _ndim(x), _nb(t, x))), batchable=True)
defvjp(broadcast_to, lambda g, ans, x, shape: _sum_to(g, ans, x), batchable=True)
defjvp(broadcast_to, lambda t, ans, x, shape: _broadcast_tangent(t, ans, x), batchable=True)
# fmt: on


def reshape(x, shape, order="C"):
    """``np.reshape``; ``order="F"`` is a C-order reshape between two transposes."""
    shape = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(shape)
    if order == "A":
        order = "F" if np.isfortran(np.asarray(getval(x))) else "C"
    if order == "F":
        return transpose(_reshape(transpose(x), shape[::-1]))
    if order != "C":
        raise ValueError(f"reshape order must be 'C', 'F' or 'A', not {order!r}.")
    return _reshape(x, shape)


def ravel(x, order="C"):
    """``np.ravel`` (always a copy-free reshape or a copy; never a view into ``x``)."""
    return reshape(x, (-1,), order)


flatten = ravel  # the ndarray method, as a function: ``x.flatten()`` on traced values


def swapaxes(x, axis1, axis2):
    ndim = _ndim(x)
    perm = list(range(ndim))
    a, b = _norm_axis(axis1, ndim), _norm_axis(axis2, ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))


def matrix_transpose(x):
    if _ndim(x) < 2:
        raise ValueError("matrix_transpose needs an array of at least 2 dimensions.")
    return swapaxes(x, -1, -2)


permute_dims = transpose


def moveaxis(x, source, destination):
    ndim = _ndim(x)
    src, dst = _norm_axes(source, ndim), _norm_axes(destination, ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis needs as many destination axes as source axes.")
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def rollaxis(x, axis, start=0):
    ndim = _ndim(x)
    axis = _norm_axis(axis, ndim)
    start = start + ndim if start < 0 else start
    if not 0 <= start <= ndim:
        raise np.exceptions.AxisError(f"start {start} out of range for {ndim} dimensions")
    start = start - 1 if axis < start else start
    order = [n for n in range(ndim) if n != axis]
    order.insert(start, axis)
    return transpose(x, tuple(order))


def expand_dims(x, axis):
    shape = _shape(x)
    axes = _norm_axes(axis, len(shape) + (1 if np.ndim(axis) == 0 else len(axis)))
    it = iter(shape)
    return _reshape(x, tuple(1 if i in axes else next(it) for i in range(len(shape) + len(axes))))


def squeeze(x, axis=None):
    shape = _shape(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = _norm_axes(axis, len(shape))
        if any(shape[a] != 1 for a in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return _reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def broadcast_arrays(*args):
    shape = np.broadcast_shapes(*[_shape(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


# ----------------------------------------------------------------------------- copies and casts

copy = primitive(np.copy)


def _astype_raw(x, dtype):
    return np.asarray(x).astype(dtype)


_astype = primitive(_astype_raw, "astype")


def _astype_vjp(g, ans, x, dtype):
    return _astype(match_real(g, x), np.result_type(getval(x)))


# fmt: off
defvjp(copy,    lambda g, ans, x: g, batchable=True)
defjvp(copy,    lambda t, ans, x: t, batchable=True)
defvjp(_astype, _astype_vjp, None, batchable=True)
defjvp(_astype, lambda t, ans, x, dtype: _astype(t, dtype), None, batchable=True)
# fmt: on


def astype(x, dtype, copy=True):
    """``x.astype(dtype)``; a cast to an integer or boolean type ends the trace (no derivative)."""
    if np.dtype(dtype).kind not in "fc":
        return np.asarray(getval(x)).astype(dtype)
    return _astype(x, dtype)


def real_if_close(x, tol=100):
    """``np.real_if_close``: the real part when every imaginary part is within ``tol`` eps."""
    xv = np.asarray(getval(x))
    if xv.dtype.kind != "c" or not np.all(np.abs(xv.imag) < tol * np.finfo(xv.dtype).eps):
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        return _astype(x, xv.real.dtype)
