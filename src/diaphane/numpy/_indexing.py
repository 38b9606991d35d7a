"""Indexing: ``x[idx]``, where, clip, and functional updates.

Every rule is built on three primitives — :func:`getitem`, :func:`index_update`
(``x[idx] = v`` without mutation) and :func:`index_add` (``x[idx] += v`` with
repeated indices summed) — whose rules are each other, so every order of
derivative works. The rest (take, take_along_axis, sort, select, ...: see
:mod:`diaphane.numpy._gather`) are compositions of these and inherit their rules.

The gradient of gathering rows of a table with an integer array,
``table[ids]`` or ``take(table, ids, axis=0)``, is a
:class:`~diaphane.autodiff.SparseRows` rather than a dense table; see
``value_and_grad(..., sparse=True)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diaphane.autodiff.core import BATCH, defjvp, defvjp, getval, nondiff, primitive
from diaphane.autodiff.sparse import SparseRows, segment_sum
from diaphane.numpy._shape import moveaxis
from diaphane.numpy._util import (
    align_tangent,
    broadcast_tangent,
    dtype_of,
    match_real,
    unbroadcast,
)

__all__ = [
    "clip",
    "diag_indices",
    "diag_indices_from",
    "getitem",
    "index_add",
    "index_update",
    "where",
]

# ----------------------------------------------------------------------------- index helpers


def _is_basic(index: Any) -> bool:
    """Whether ``index`` selects a view (ints, slices, None, Ellipsis): no repeats possible."""
    parts = index if type(index) is tuple else (index,)
    return all(
        p is None
        or p is Ellipsis
        or (isinstance(p, slice | int | np.integer) and not isinstance(p, bool | np.bool_))
        for p in parts
    )


def _row_ids(index: Any, x: Any) -> np.ndarray | None:
    """The integer array when ``index`` only picks rows of ``x`` (``x[ids]``, ``x[ids, ...]``)."""
    if np.ndim(x) < 1:
        return None
    if type(index) is tuple:
        if not index or not all(p is Ellipsis or _is_full(p) for p in index[1:]):
            return None
        index = index[0]
    if isinstance(index, list):
        try:
            index = np.asarray(index)
        except ValueError:
            return None
    if isinstance(index, np.ndarray) and index.ndim >= 1 and index.dtype.kind in "iu":
        return index
    return None


def _is_full(p: Any) -> bool:
    return isinstance(p, slice) and p == slice(None)


def _dims_used(p: Any) -> int:
    if p is None or isinstance(p, bool | np.bool_):
        return 0
    if isinstance(p, np.ndarray | list) and np.asarray(p).dtype == bool:
        return np.ndim(p)
    return 1


def _explicit(index: Any, ndim: int) -> tuple:
    """``index`` as a tuple with any Ellipsis spelled out as slices over ``ndim`` axes."""
    parts = index if type(index) is tuple else (index,)
    for k, p in enumerate(parts):
        if p is Ellipsis:
            rest = parts[:k] + parts[k + 1 :]
            fill = ndim - sum(_dims_used(q) for q in rest)
            return parts[:k] + (slice(None),) * fill + parts[k + 1 :]
    return parts


def _batch_last(a: Any, nb: int) -> Any:
    return moveaxis(a, tuple(range(nb)), tuple(range(-nb, 0)))


def _batch_first(a: Any, nb: int) -> Any:
    return moveaxis(a, tuple(range(-nb, 0)), tuple(range(nb)))


def _batched(op, base: Any, index: Any, *v: Any) -> Any:
    """``op(base, index, *v)`` where ``base`` (and an array ``v``) carry ``BATCH.ndim``
    leading axes.

    The batch axes move to the end, where indexing leaves trailing axes alone
    whatever mix of basic and advanced indices ``index`` holds, and come back after.
    """
    nb = BATCH.ndim
    if not nb:
        return op(base, index, *v)
    index = _explicit(index, np.ndim(getval(base)) - nb)
    v = tuple(x if np.ndim(getval(x)) == 0 else _batch_last(x, nb) for x in v)
    return _batch_first(op(_batch_last(base, nb), index, *v), nb)


def _zeros_for(x: Any, like: Any) -> np.ndarray:
    """Zeros shaped like ``x`` (with ``like``'s batch axes) in the dtype of ``x`` and ``like``."""
    shape = np.shape(getval(like))[: BATCH.ndim] + np.shape(getval(x))
    return np.zeros(shape, np.result_type(getval(x), getval(like)))


# ----------------------------------------------------------------------------- primitives


def _getitem_raw(x, index):
    return x[index]


def _index_update_raw(x, index, v):
    out = np.array(x, copy=True)
    out[index] = v
    return out


def _index_add_raw(x, index, v):
    return _add_into(np.array(x, copy=True), index, v)


def _add_into(out, index, v):
    """``np.add.at(out, index, v)`` in place, faster for views and for rows of a table."""
    if _is_basic(index):  # a view: no position repeats
        out[index] += v
        return out
    ids = _row_ids(index, out)
    if ids is None:
        np.add.at(out, index, v)
        return out
    n = len(out)
    if ids.size and (ids.min() < -n or ids.max() >= n):
        raise IndexError(f"index out of bounds for axis 0 with size {n}")
    # Rows of a table: a segment sum is ~10x faster than np.add.at on wide rows.
    rows = np.broadcast_to(np.asarray(v), ids.shape + out.shape[1:])
    uniq, summed = segment_sum(np.where(ids < 0, ids + n, ids), rows, n)
    out[uniq] += summed
    return out


getitem = primitive(_getitem_raw, "getitem")
index_update = primitive(_index_update_raw, "index_update")
index_add = primitive(_index_add_raw, "index_add")
_where = primitive(np.where, "where")
_clip = primitive(np.clip, "clip")

getitem.__doc__ = (
    """``x[index]``, differentiable; the method ``x[index]`` calls it on traced values."""
)
index_update.__doc__ = """A copy of ``x`` with ``x[index] = v``: what ``x[index] = v`` does to a
traced ``x``. Where ``index`` repeats a position, which write wins is unspecified
(as in NumPy), and so is the gradient there."""
index_add.__doc__ = """A copy of ``x`` with ``v`` added at ``index``; repeated positions add up
(``np.add.at``). The result keeps the dtype of ``x``."""


# ----------------------------------------------------------------------------- rules


def _getitem_vjp(g, ans, x, index):
    xv = getval(x)
    if type(xv) is tuple:
        return _tuple_cotangent(g, len(xv), index)
    ids = _row_ids(index, xv)
    if ids is not None and not BATCH.ndim and type(g) is np.ndarray:
        # Gathered table rows: keep the gradient sparse (densified unless a leaf wants it).
        if g.dtype.kind == "c" and np.result_type(xv).kind != "c":
            g = g.real
        return SparseRows(ids, g, np.shape(xv))
    if type(g) is np.ndarray and not BATCH.ndim:  # nothing to trace: scatter in place
        return match_real(_add_into(_zeros_for(xv, g), index, g), xv)
    return match_real(_batched(index_add, _zeros_for(xv, g), index, g), xv)


def _tuple_cotangent(g, n, index):
    parts = [None] * n
    parts[index] = g
    return tuple(parts)


def _getitem_jvp(t, ans, x, index):
    if type(t) is tuple:
        return t[index]
    return _batched(getitem, t, index)


def _gathered(g, index, v):
    return unbroadcast(_batched(getitem, g, index), v)


def _scattered(prim, t, ans, index):
    shape = np.shape(getval(t))[: BATCH.ndim] + np.shape(getval(ans))
    return _batched(prim, np.zeros(shape, dtype_of(ans)), index, t)


def _zero(ans):
    """A zero of the output's dtype, so a selected tangent has the output's precision."""
    return dtype_of(ans).type(0)


# fmt: off
defvjp(getitem,      _getitem_vjp, batchable=True)
defjvp(getitem,      _getitem_jvp, batchable=True)
defvjp(index_update, lambda g, ans, x, index, v: _batched(index_update, g, index, 0.0),
                     None,
                     lambda g, ans, x, index, v: _gathered(g, index, v), batchable=True)
defjvp(index_update, lambda t, ans, x, index, v: _batched(index_update, t, index, 0.0),
                     None,
                     lambda t, ans, x, index, v: _scattered(index_update, t, ans, index),
                     batchable=True)
defvjp(index_add,    lambda g, ans, x, index, v: g,
                     None,
                     lambda g, ans, x, index, v: _gathered(g, index, v), batchable=True)
defjvp(index_add,    lambda t, ans, x, index, v: t,
                     None,
                     lambda t, ans, x, index, v: _scattered(index_add, t, ans, index),
                     batchable=True)
# fmt: on


def _where_jvp(keep):
    def rule(t, ans, c, x, y):
        t = align_tangent(t, ans)
        zero = _zero(ans)
        return broadcast_tangent(_where(c, t, zero) if keep else _where(c, zero, t), ans)

    return rule


# fmt: off
defvjp(_where, None,
       lambda g, ans, c, x, y: unbroadcast(_where(c, g, 0.0), x),
       lambda g, ans, c, x, y: unbroadcast(_where(c, 0.0, g), y), batchable=True)
defjvp(_where, None, _where_jvp(True), _where_jvp(False), batchable=True)
# fmt: on


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``np.where``: elements of ``x`` where ``condition`` holds, else of ``y``.

    Differentiable in ``x`` and ``y``. With only ``condition`` it is ``nonzero`` and
    returns plain index arrays.
    """
    if x is None and y is None:
        return np.where(getval(condition))
    if x is None or y is None:
        raise ValueError("where takes either one argument or three.")
    return _where(getval(condition), x, y)


# ----------------------------------------------------------------------------- clip


def _clip_sources(x, lo, hi):
    """Masks of the output elements taken from ``x``, ``lo`` and ``hi``.

    An element equal to a bound counts as taken from ``x`` (as in torch.clamp), so
    its gradient passes. NumPy applies the upper bound last: it wins when lo > hi.
    """
    xv, lov, hiv = getval(x), getval(lo), getval(hi)
    shape = np.broadcast_shapes(*(np.shape(v) for v in (xv, lov, hiv) if v is not None))
    none = np.zeros(shape, bool)
    from_hi = none if hi is None else (xv > hiv) | (none if lo is None else lov > hiv)
    from_lo = none if lo is None else (xv < lov) & ~from_hi
    return ~(from_hi | from_lo), from_lo, from_hi


def _clip_vjp(i):
    def rule(g, ans, x, lo, hi):
        return unbroadcast(_where(_clip_sources(x, lo, hi)[i], g, 0.0), (x, lo, hi)[i])

    return rule


def _clip_jvp(i):
    def rule(t, ans, x, lo, hi):
        mask = _clip_sources(x, lo, hi)[i]
        return broadcast_tangent(_where(mask, align_tangent(t, ans), _zero(ans)), ans)

    return rule


defvjp(_clip, _clip_vjp(0), _clip_vjp(1), _clip_vjp(2), batchable=True)
defjvp(_clip, _clip_jvp(0), _clip_jvp(1), _clip_jvp(2), batchable=True)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Any:
    """``np.clip``: ``a`` limited to ``[a_min, a_max]`` (either may be None).

    The gradient with respect to ``a`` passes where ``a_min <= a <= a_max`` — at a
    bound too, as ``torch.clamp`` does — and is zero outside. Where a bound is
    active its own gradient (bounds may be traced arrays) receives it; with
    ``a_min > a_max`` the result is ``a_max``, as in NumPy.

    >>> import diaphane.numpy as dnp
    >>> from diaphane.autodiff import elementwise_grad
    >>> elementwise_grad(lambda x: dnp.clip(x, 0.0, 1.0))(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    array([0., 1., 1., 1., 0.])
    """
    if a_min is None and a_max is None:
        raise ValueError("clip needs at least one of a_min and a_max.")
    return _clip(a, a_min, a_max)


diag_indices = nondiff(np.diag_indices, "diag_indices")
diag_indices_from = nondiff(np.diag_indices_from, "diag_indices_from")
