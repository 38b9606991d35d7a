"""Rearranging entries: tile, repeat, pad, flips and rolls, diagonals and triangles,
insert and append.

Each is a linear map with its own primitive (``_pad_constant``/``_crop``, ``_flip``,
``_roll``, ``_diagonal``/``_diag_embed``, ``_tril``, ``_triu``: each other's adjoints
where they come in pairs), or a gather through :func:`~diaphane.numpy.getitem` with an
index map that NumPy itself lays out. Rules accept leading batch axes (see
:mod:`diaphane.numpy._axes`).

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.pad(x, 1, mode="edge") * 2.0))(np.ones(3))
array([4., 2., 4.])
"""

from __future__ import annotations

import operator

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, primitive
from diaphane.numpy._axes import _nb, _ndim, _norm_axes, _norm_axis, _shape, _shifted
from diaphane.numpy._indexing import getitem
from diaphane.numpy._join import concatenate
from diaphane.numpy._shape import _reshape, broadcast_to, copy, ravel, transpose

__all__ = [
    "append",
    "diag",
    "diagflat",
    "diagonal",
    "flip",
    "fliplr",
    "flipud",
    "insert",
    "pad",
    "repeat",
    "roll",
    "rot90",
    "tile",
    "tril",
    "triu",
]

# ----------------------------------------------------------------------------- repeating, padding


def tile(x, reps):
    """``np.tile`` as broadcast-then-reshape: (1, n) broadcast to (r, n), merged to r*n."""
    reps = (operator.index(reps),) if np.ndim(reps) == 0 else tuple(reps)
    shape = _shape(x)
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    x = _reshape(x, tuple(v for n in shape for v in (1, n)))
    x = broadcast_to(x, tuple(v for r, n in zip(reps, shape, strict=True) for v in (r, n)))
    return _reshape(x, tuple(r * n for r, n in zip(reps, shape, strict=True)))


def repeat(x, repeats, axis=None):
    """``np.repeat``: broadcast-then-reshape for one count, a gather for one count per entry."""
    if axis is None:
        x, axis = ravel(x), 0
    shape = _shape(x)
    axis = _norm_axis(axis, len(shape))
    if np.size(repeats) == 1:
        r = int(np.reshape(repeats, -1)[0])
        head, n, tail = shape[:axis], shape[axis], shape[axis + 1 :]
        x = broadcast_to(_reshape(x, (*head, n, 1, *tail)), (*head, n, r, *tail))
        return _reshape(x, (*head, n * r, *tail))
    index = np.repeat(np.arange(shape[axis]), repeats)
    return getitem(x, (slice(None),) * axis + (index,))


def _pad_constant_raw(x, pad_width, constant_values=0):
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _crop_raw(x, pad_width):
    return x[tuple(slice(lo, n - hi) for (lo, hi), n in zip(pad_width, np.shape(x), strict=True))]


_pad_constant = primitive(_pad_constant_raw, "pad")
_crop = primitive(_crop_raw, "crop")


def _batch_widths(widths, v, like):
    return ((0, 0),) * _nb(v, like) + tuple(widths)


# fmt: off
defvjp(_pad_constant, lambda g, ans, x, widths, c=0: _crop(g, _batch_widths(widths, g, ans)),
       batchable=True)
defjvp(_pad_constant, lambda t, ans, x, widths, c=0:
       _pad_constant(t, _batch_widths(widths, t, x)), batchable=True)
defvjp(_crop,         lambda g, ans, x, widths: _pad_constant(g, _batch_widths(widths, g, ans)),
       batchable=True)
defjvp(_crop,         lambda t, ans, x, widths: _crop(t, _batch_widths(widths, t, x)),
       batchable=True)
# fmt: on


def pad(x, pad_width, mode="constant", **kwargs):
    """``np.pad``. Constant padding (the pad value is not differentiated) has its own rules;
    the copying modes (edge, reflect, symmetric, wrap) gather from ``x`` by an index map
    that NumPy pads in the same way."""
    ndim = _ndim(x)
    widths = tuple(tuple(int(w) for w in row) for row in np.broadcast_to(pad_width, (ndim, 2)))
    if mode == "constant":
        return _pad_constant(x, widths, kwargs.get("constant_values", 0))
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad mode {mode!r} is not differentiable here; use constant, "
                         "edge, reflect, symmetric or wrap.")  # fmt: skip
    index = np.pad(np.arange(np.prod(_shape(x)), dtype=np.intp).reshape(_shape(x)), widths, mode,
                   **kwargs)  # fmt: skip
    return getitem(ravel(x), index)


# ----------------------------------------------------------------------------- flips and rolls


def _flip_raw(x, axes):
    return np.flip(x, axes)


def _roll_raw(x, shift, axes):
    return np.roll(x, shift, axes)


_flip = primitive(_flip_raw, "flip")
_roll = primitive(_roll_raw, "roll")

# fmt: off
defvjp(_flip, lambda g, ans, x, axes: _flip(g, _shifted(axes, _nb(g, ans))), batchable=True)
defjvp(_flip, lambda t, ans, x, axes: _flip(t, _shifted(axes, _nb(t, x))), batchable=True)
defvjp(_roll, lambda g, ans, x, shift, axes:
       _roll(g, tuple(-s for s in shift), _shifted(axes, _nb(g, ans))), batchable=True)
defjvp(_roll, lambda t, ans, x, shift, axes: _roll(t, shift, _shifted(axes, _nb(t, x))),
       batchable=True)
# fmt: on


def flip(x, axis=None):
    ndim = _ndim(x)
    return _flip(x, tuple(range(ndim)) if axis is None else _norm_axes(axis, ndim))


def fliplr(x):
    if _ndim(x) < 2:
        raise ValueError("fliplr needs an array of at least 2 dimensions.")
    return _flip(x, (1,))


def flipud(x):
    if _ndim(x) < 1:
        raise ValueError("flipud needs an array of at least 1 dimension.")
    return _flip(x, (0,))


def rot90(x, k=1, axes=(0, 1)):
    """``np.rot90``, as NumPy builds it: flips and one transpose."""
    ndim = _ndim(x)
    a, b = _norm_axes(axes, ndim)
    if a == b:
        raise ValueError("rot90 needs two different axes.")
    k %= 4
    if k == 0:
        return copy(x)
    if k == 2:
        return _flip(x, (a, b))
    perm = list(range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    if k == 1:
        return transpose(_flip(x, (b,)), tuple(perm))
    return _flip(transpose(x, tuple(perm)), (b,))


def roll(x, shift, axis=None):
    """``np.roll``; without ``axis`` the flattened array is rolled."""
    if axis is None:
        return _reshape(_roll(ravel(x), (int(np.sum(shift)),), (0,)), _shape(x))
    axes = _norm_axes(axis, _ndim(x))
    shifts = np.broadcast_to(shift, np.broadcast_shapes(np.shape(shift), (len(axes),)))
    axes = np.broadcast_to(axes, shifts.shape)
    return _roll(x, tuple(int(s) for s in shifts), tuple(int(a) for a in axes))


# ----------------------------------------------------------------------------- diagonals, triangles


def _diagonal_raw(x, offset, axis1, axis2):
    return np.diagonal(x, offset, axis1, axis2).copy()


def _diag_embed_raw(d, offset, axis1, axis2, shape):
    """Zeros of ``shape`` with ``d`` (diagonal along its last axis) on the ``offset`` diagonal of
    axes ``axis1``, ``axis2``: the adjoint of ``np.diagonal``."""
    out = np.zeros(shape, np.result_type(d))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(d)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = d
    return out


_diagonal = primitive(_diagonal_raw, "diagonal")
_diag_embed = primitive(_diag_embed_raw, "diag_embed")
_tril = primitive(np.tril, "tril")
_triu = primitive(np.triu, "triu")


def _embed(g, like, offset, a1, a2, shape):
    nb = _nb(g, like)
    return _diag_embed(g, offset, a1 + nb, a2 + nb, _shape(g)[:nb] + tuple(shape))


# fmt: off
defvjp(_diagonal,   lambda g, ans, x, k, a1, a2: _embed(g, ans, k, a1, a2, _shape(x)),
       batchable=True)
defjvp(_diagonal,   lambda t, ans, x, k, a1, a2: _diagonal(t, k, *_shifted((a1, a2), _nb(t, x))),
       batchable=True)
defvjp(_diag_embed, lambda g, ans, d, k, a1, a2, shape:
       _diagonal(g, k, *_shifted((a1, a2), _nb(g, ans))), batchable=True)
defjvp(_diag_embed, lambda t, ans, d, k, a1, a2, shape: _embed(t, d, k, a1, a2, shape),
       batchable=True)
# NumPy's tril/triu act on the last two axes, so leading batch axes pass through.
defvjp(_tril,       lambda g, ans, x, k=0: _tril(g, k), batchable=True)
defjvp(_tril,       lambda t, ans, x, k=0: _tril(t, k), batchable=True)
defvjp(_triu,       lambda g, ans, x, k=0: _triu(g, k), batchable=True)
defjvp(_triu,       lambda t, ans, x, k=0: _triu(t, k), batchable=True)
# fmt: on


def diagonal(x, offset=0, axis1=0, axis2=1):
    """``np.diagonal`` (a copy, not a read-only view)."""
    ndim = _ndim(x)
    a1, a2 = _norm_axis(axis1, ndim), _norm_axis(axis2, ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    return _diagonal(x, int(offset), a1, a2)


def diag(v, k=0):
    """``np.diag``: the ``k``-th diagonal of a matrix, or a matrix with ``v`` on it."""
    ndim = _ndim(v)
    if ndim == 1:
        n = _shape(v)[0] + abs(k)
        return _diag_embed(v, int(k), 0, 1, (n, n))
    if ndim == 2:
        return _diagonal(v, int(k), 0, 1)
    raise ValueError("Input must be 1- or 2-d.")


def diagflat(v, k=0):
    return diag(ravel(v), k)


def _as_matrices(x):
    # NumPy treats a vector as the rows of a square matrix before cutting the triangle.
    n = _shape(x)[-1] if _ndim(x) else 1
    return broadcast_to(x, (n, n)) if _ndim(x) < 2 else x


def tril(x, k=0):
    """``np.tril``: zeros above the ``k``-th diagonal of the last two axes."""
    return _tril(_as_matrices(x), int(k))


def triu(x, k=0):
    """``np.triu``: zeros below the ``k``-th diagonal of the last two axes."""
    return _triu(_as_matrices(x), int(k))


# ----------------------------------------------------------------------------- insert, append


def append(x, values, axis=None):
    if axis is None:
        return concatenate([ravel(x), ravel(values)], 0)
    return concatenate([x, values], axis)


def insert(x, index, values, axis=None):
    """``np.insert``, as a gather from ``x`` and ``values`` laid out by NumPy itself."""
    if axis is None:
        x, axis = ravel(x), 0
    xs, vs = _shape(x), _shape(values)
    from_x = np.insert(np.arange(np.prod(xs), dtype=np.intp).reshape(xs), index, -1, axis)
    from_v = np.insert(np.full(xs, -1), index, np.arange(np.prod(vs)).reshape(vs), axis)
    both = concatenate([ravel(x), ravel(values)], 0)
    return getitem(both, np.where(from_x >= 0, from_x, from_v + int(np.prod(xs))))
