"""Joining and splitting: concatenate, stack and their variants, split and its variants,
``array``/``asarray`` over lists holding traced values, ``atleast_*d``.

Splitting returns a tuple from one primitive and picks its items with ``_pick``, so a
cotangent for the pieces is one tuple (``None`` for pieces that got none) and the
backward pass does one concatenation, not one full-size scatter per piece. Like every
shape rule, these accept leading batch axes (see :mod:`diaphane.numpy._axes`).

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.split(x, 2)[1] * 3.0))(np.ones(4))
array([0., 0., 3., 3.])
"""

from __future__ import annotations

import operator

import numpy as np

from diaphane.autodiff.core import defjvp, defjvp_all, defvjp, defvjp_all, getval, is_box, primitive
from diaphane.numpy._axes import _batch_shape, _nb, _ndim, _norm_axis, _shape, _zeros
from diaphane.numpy._shape import _reshape, astype, ravel
from diaphane.numpy._util import match_real

__all__ = [
    "array",
    "array_split",
    "asarray",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "concatenate",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "row_stack",
    "split",
    "stack",
    "unstack",
    "vsplit",
    "vstack",
]

# ----------------------------------------------------------------------------- tuples of arrays


def _concatenate_raw(axis, *arrays):
    return np.concatenate(arrays, axis)


def _stack_raw(axis, *arrays):
    return np.stack(arrays, axis)


_concatenate = primitive(_concatenate_raw, "concatenate")
_stack = primitive(_stack_raw, "stack")


def _pick_raw(parts, i):
    return parts[i]


def _split_raw(x, bounds, axis):
    return tuple(np.split(x, bounds, axis))


def _unstack_raw(x, axis):
    return tuple(np.moveaxis(x, axis, 0))


_pick = primitive(_pick_raw, "pick")
_split = primitive(_split_raw, "split")
_unstack = primitive(_unstack_raw, "unstack")


def _tuple_nb(g, ans):
    """The batch axes of a tuple cotangent, read off its first given entry."""
    return next(_nb(p, a) for p, a in zip(g, ans, strict=True) if p is not None)


def _fill_none(g, ans):
    """The entries of a tuple cotangent, with zeros (batch-shaped) for the missing ones."""
    given = [p for p in g if p is not None]
    batch = _shape(given[0])[: _tuple_nb(g, ans)]
    return [
        _zeros(batch + _shape(a), given) if p is None else p for p, a in zip(g, ans, strict=True)
    ]


def _pick_vjp(g, ans, parts, i):
    return tuple(g if j == i else None for j in range(len(getval(parts))))


# fmt: off
defvjp(_pick,    _pick_vjp, None, batchable=True)
defjvp(_pick,    lambda t, ans, parts, i: _pick(t, i), None, batchable=True)
defvjp(_split,   lambda g, ans, x, bounds, axis:
       _concatenate(axis + _tuple_nb(g, ans), *_fill_none(g, ans)), batchable=True)
defjvp(_split,   lambda t, ans, x, bounds, axis: _split(t, bounds, axis + _nb(t, x)),
       batchable=True)
defvjp(_unstack, lambda g, ans, x, axis: _stack(axis + _tuple_nb(g, ans), *_fill_none(g, ans)),
       batchable=True)
defjvp(_unstack, lambda t, ans, x, axis: _unstack(t, axis + _nb(t, x)), batchable=True)
# fmt: on


def _pieces(x, bounds, axis):
    parts = _split(x, tuple(int(b) for b in bounds), axis)
    return [_pick(parts, i) for i in range(len(bounds) + 1)]


def array_split(x, indices_or_sections, axis=0):
    """``np.array_split``: a list of pieces along ``axis`` (sizes may differ by one)."""
    axis = _norm_axis(axis, _ndim(x))
    n = _shape(x)[axis]
    if np.ndim(indices_or_sections) == 1:
        return _pieces(x, indices_or_sections, axis)
    sections = operator.index(indices_or_sections)
    if sections <= 0:
        raise ValueError("number sections must be larger than 0.")
    each, extra = divmod(n, sections)
    sizes = [each + 1] * extra + [each] * (sections - extra)
    return _pieces(x, np.cumsum(sizes)[:-1], axis)


def split(x, indices_or_sections, axis=0):
    """``np.split``: like :func:`array_split`, but equal sections must divide evenly."""
    if np.ndim(indices_or_sections) == 0:
        n = _shape(x)[_norm_axis(axis, _ndim(x))]
        if n % operator.index(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    if _ndim(x) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if _ndim(x) > 1 else 0)


def vsplit(x, indices_or_sections):
    if _ndim(x) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    if _ndim(x) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def unstack(x, axis=0):
    """``np.unstack``: the slices of ``x`` along ``axis``, as a tuple."""
    axis = _norm_axis(axis, _ndim(x))
    parts = _unstack(x, axis)
    return tuple(_pick(parts, i) for i in range(_shape(x)[axis]))


# ----------------------------------------------------------------------------- joining


def _concatenate_vjp(argnums, g, ans, axis, *arrays):
    bounds = np.cumsum([_shape(a)[axis] for a in arrays])[:-1]
    parts = _split(g, tuple(int(b) for b in bounds), axis + _nb(g, ans))
    return [match_real(_pick(parts, i - 1), arrays[i - 1]) for i in argnums]


def _stack_vjp(argnums, g, ans, axis, *arrays):
    parts = _unstack(g, axis + _nb(g, ans))
    return [match_real(_pick(parts, i - 1), arrays[i - 1]) for i in argnums]


def _joined_tangents(join):
    """The forward rule of a join: the same join of the tangents, zeros for untraced arrays."""

    def rule(argnums, ts, ans, axis, *arrays):
        batch = _batch_shape(ts[0], arrays[argnums[0] - 1])
        full = [_zeros(batch + _shape(a), (*arrays, *ts)) for a in arrays]
        for i, t in zip(argnums, ts, strict=True):
            full[i - 1] = t
        return join(axis + len(batch), *full)

    return rule


defvjp_all(_concatenate, _concatenate_vjp, batchable=True)
defjvp_all(_concatenate, _joined_tangents(_concatenate), batchable=True)
defvjp_all(_stack, _stack_vjp, batchable=True)
defjvp_all(_stack, _joined_tangents(_stack), batchable=True)


def concatenate(arrays, axis=0):
    """``np.concatenate`` over a sequence that may hold traced arrays (``axis=None`` ravels)."""
    arrays = [asarray(a) for a in arrays]
    if axis is None:
        return _concatenate(0, *[ravel(a) for a in arrays])
    return _concatenate(_norm_axis(axis, _ndim(arrays[0])), *arrays)


def stack(arrays, axis=0):
    """``np.stack`` over a sequence that may hold traced arrays."""
    arrays = [asarray(a) for a in arrays]
    return _stack(_norm_axis(axis, _ndim(arrays[0]) + 1), *arrays)


def hstack(arrays):
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, 0 if _ndim(arrays[0]) == 1 else 1)


def vstack(arrays):
    return concatenate([atleast_2d(a) for a in arrays], 0)


row_stack = vstack


def dstack(arrays):
    return concatenate([atleast_3d(a) for a in arrays], 2)


def column_stack(arrays):
    cols = []
    for a in arrays:
        a = asarray(a)
        cols.append(_reshape(a, (-1, 1)) if _ndim(a) < 2 else a)
    return concatenate(cols, 1)


def _atleast(x, nd):
    shape = _shape(x)
    if len(shape) >= nd:
        return x
    if nd == 3 and len(shape) in (1, 2):
        return _reshape(x, (1, *shape, 1) if len(shape) == 1 else (*shape, 1))
    return _reshape(x, (1,) * (nd - len(shape)) + shape)


def _atleast_all(arys, nd):
    out = tuple(_atleast(asarray(a), nd) for a in arys)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    return _atleast_all(arys, 1)


def atleast_2d(*arys):
    return _atleast_all(arys, 2)


def atleast_3d(*arys):
    return _atleast_all(arys, 3)


def array(obj, dtype=None, copy=True):
    """``np.array``, also for (nested) lists and tuples holding traced values."""
    if is_box(obj):
        out = obj
    elif type(obj) in (list, tuple) and _holds_box(obj):
        out = _stack(0, *[array(o) for o in obj])
    else:
        return np.array(obj, dtype=dtype, copy=copy)
    return out if dtype is None else astype(out, dtype)


def asarray(obj, dtype=None):
    """``np.asarray``, also for (nested) lists and tuples holding traced values."""
    if not is_box(obj) and not (type(obj) in (list, tuple) and _holds_box(obj)):
        return np.asarray(obj, dtype=dtype)
    if is_box(obj) and (dtype is None or np.dtype(dtype) == np.result_type(getval(obj))):
        return obj
    return array(obj, dtype)


def _holds_box(obj):
    return any(is_box(o) or (type(o) in (list, tuple) and _holds_box(o)) for o in obj)
