"""Shape operations: reshape, transpose, broadcasting, joining, splitting, padding, diagonals.

Every operation here is linear, so each forward (JVP) rule applies the operation itself
to the tangent, and each reverse (VJP) rule applies its adjoint. Most public functions are
compositions of a few primitives (``_reshape``, ``transpose``, ``broadcast_to``,
``_concatenate``, ``_split``, ``_flip``, ...), whose rules all accept leading batch axes:
axes are shifted past the leading batch axes before the rule acts. A rule reads how many
batch axes there are off the shapes (``g.ndim - ans.ndim``, ``t.ndim - x.ndim``) rather
than from the global :data:`~diaphane.autodiff.core.BATCH`, so it is right for whichever
trace it serves, also inside nested derivatives.

Splitting returns a tuple from one primitive and picks its items with ``_pick``, so a
cotangent for the pieces is one tuple (``None`` for pieces that got none) and the
backward pass does one concatenation, not one full-size scatter per piece.

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.split(x, 2)[1] * 3.0))(np.ones(4))
array([0., 0., 3., 3.])
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from diaphane.autodiff.core import (
    defjvp,
    defjvp_all,
    defvjp,
    defvjp_all,
    getval,
    is_box,
    primitive,
)
from diaphane.numpy._util import match_real

__all__ = [
    "append",
    "array",
    "array_split",
    "asarray",
    "astype",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "broadcast_to",
    "column_stack",
    "concatenate",
    "copy",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "expand_dims",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "insert",
    "matrix_transpose",
    "moveaxis",
    "pad",
    "permute_dims",
    "ravel",
    "real_if_close",
    "repeat",
    "reshape",
    "roll",
    "rollaxis",
    "rot90",
    "row_stack",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unstack",
    "vsplit",
    "vstack",
]

# ----------------------------------------------------------------------------- helpers


def _shape(x):
    return np.shape(getval(x))


def _ndim(x):
    return np.ndim(getval(x))


def _nb(v, like):
    """How many leading batch axes the cotangent or tangent ``v`` has over ``like``."""
    return np.ndim(getval(v)) - np.ndim(getval(like))


def _batch_shape(v, like):
    return _shape(v)[: _nb(v, like)]


def _norm_axes(axis, ndim):
    """Axes as a tuple of non-negative ints, with NumPy's error for one out of range."""
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    return tuple(out)


def _norm_axis(axis, ndim):
    return _norm_axes(axis, ndim)[0]


def _shifted(axes, nb):
    """Non-negative axes moved past ``nb`` leading batch axes."""
    return tuple(a + nb for a in axes)


def _zeros(shape, like):
    return np.zeros(shape, np.result_type(*[getval(v) for v in like]))


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


def broadcast_arrays(*args):
    shape = np.broadcast_shapes(*[_shape(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


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


def append(x, values, axis=None):
    if axis is None:
        return concatenate([ravel(x), ravel(values)], 0)
    return concatenate([x, values], axis)


def insert(x, index, values, axis=None):
    """``np.insert``, as a gather from ``x`` and ``values`` laid out by NumPy itself."""
    from diaphane.numpy._indexing import getitem

    if axis is None:
        x, axis = ravel(x), 0
    xs, vs = _shape(x), _shape(values)
    from_x = np.insert(np.arange(np.prod(xs), dtype=np.intp).reshape(xs), index, -1, axis)
    from_v = np.insert(np.full(xs, -1), index, np.arange(np.prod(vs)).reshape(vs), axis)
    both = concatenate([ravel(x), ravel(values)], 0)
    return getitem(both, np.where(from_x >= 0, from_x, from_v + int(np.prod(xs))))


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


def real_if_close(x, tol=100):
    """``np.real_if_close``: the real part when every imaginary part is within ``tol`` eps."""
    xv = np.asarray(getval(x))
    if xv.dtype.kind != "c" or not np.all(np.abs(xv.imag) < tol * np.finfo(xv.dtype).eps):
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        return _astype(x, xv.real.dtype)


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
    from diaphane.numpy._indexing import getitem

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
    from diaphane.numpy._indexing import getitem

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
