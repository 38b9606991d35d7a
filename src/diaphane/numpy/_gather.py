"""Gathers and selections built on :func:`~diaphane.numpy.getitem`: take,
take_along_axis, put_along_axis, sort, partition, compress, extract, select, choose.

None has rules of its own: each lays out an index with NumPy and gathers (or, for
``put_along_axis``, updates) through the indexing primitives, whose rules it inherits, so
every order of derivative works. ``take`` along axis 0 of a table keeps the sparse row
gradient of ``getitem``.

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sort(x)[0] * 2.0)(np.array([3.0, 1.0, 2.0]))
array([0., 2., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diaphane.autodiff.core import getval
from diaphane.numpy._indexing import _where, getitem, index_update
from diaphane.numpy._join import stack
from diaphane.numpy._shape import broadcast_to, reshape

__all__ = [
    "choose",
    "compress",
    "extract",
    "partition",
    "put_along_axis",
    "select",
    "sort",
    "take",
    "take_along_axis",
]


# ----------------------------------------------------------------------------- gathers


def _index_mode(indices: np.ndarray, n: int, mode: str) -> np.ndarray:
    """``indices`` wrapped (``"wrap"``) or clipped (``"clip"``) into ``range(n)``; as they are
    for any other mode, where out-of-range indices are errors."""
    if mode == "wrap":
        return np.mod(indices, n)
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


def _flat_if_no_axis(a: Any, axis: int | None) -> tuple:
    """``(a, axis)``, or ``a`` flattened and axis 0 when ``axis`` is None (NumPy's rule)."""
    return (reshape(a, (-1,)), 0) if axis is None else (a, axis)


def _axis_index(axis: int, ndim: int, idx: Any) -> tuple:
    return (slice(None),) * (axis % ndim) + (idx,)


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Any:
    """``np.take``; differentiable in ``a``. Along axis 0 of a table its gradient is sparse."""
    indices = np.asarray(getval(indices))
    a, axis = _flat_if_no_axis(a, axis)
    indices = _index_mode(indices, np.shape(getval(a))[axis], mode)
    if axis % np.ndim(getval(a)) == 0:
        return getitem(a, indices)
    return getitem(a, _axis_index(axis, np.ndim(getval(a)), indices))


def _along_axis(indices: np.ndarray, axis: int, shape: tuple) -> tuple:
    """The fancy index ``take_along_axis`` uses: ``indices`` on ``axis``, aranges elsewhere."""
    ndim = len(shape)
    axis = axis % ndim
    return tuple(
        indices if k == axis else np.arange(n).reshape((1,) * k + (-1,) + (1,) * (ndim - k - 1))
        for k, n in enumerate(shape)
    )


def _prepare_along(a, indices, axis):
    indices = np.asarray(getval(indices))
    a, axis = _flat_if_no_axis(a, axis)
    shape = np.shape(getval(a))
    if indices.ndim != len(shape):
        raise ValueError("indices and the array must have the same number of dimensions.")
    return a, _along_axis(indices, axis, shape)


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """``np.take_along_axis``; differentiable in ``arr``."""
    arr, index = _prepare_along(arr, indices, axis)
    return getitem(arr, index)


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None) -> Any:
    """A copy of ``arr`` with ``values`` put along ``axis`` at ``indices``.

    Functional: NumPy's ``put_along_axis`` writes in place and returns None; this
    returns the new array (flat when ``axis`` is None). Differentiable in ``arr`` and
    ``values``.
    """
    arr, index = _prepare_along(arr, indices, axis)
    return index_update(arr, index, values)


def sort(a: Any, axis: int | None = -1) -> Any:
    """``np.sort``; the gradient follows each element to where it was sorted (stable order)."""
    a, axis = _flat_if_no_axis(a, axis)
    order = np.argsort(getval(a), axis=axis, kind="stable")
    return take_along_axis(a, order, axis)


def partition(a: Any, kth: Any, axis: int | None = -1) -> Any:
    """``np.partition``; the gradient follows each element to its place."""
    a, axis = _flat_if_no_axis(a, axis)
    order = np.argpartition(getval(a), kth, axis=axis)
    return take_along_axis(a, order, axis)


def compress(condition: Any, a: Any, axis: int | None = None) -> Any:
    """``np.compress``: the slices of ``a`` along ``axis`` where ``condition`` holds."""
    (picked,) = np.nonzero(np.asarray(getval(condition)))
    return take(a, picked, axis=axis)


def extract(condition: Any, arr: Any) -> Any:
    """``np.extract``: the elements of ``arr`` where ``condition`` holds, flattened."""
    (picked,) = np.nonzero(np.ravel(getval(condition)))
    return take(arr, picked)


# ----------------------------------------------------------------------------- selections


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """``np.select``: from the first choice whose condition holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError("select needs as many conditions as choices.")
    if not choicelist:
        raise ValueError("select needs at least one choice.")
    out = default
    for cond, choice in zip(condlist[::-1], choicelist[::-1], strict=True):
        out = _where(np.asarray(getval(cond), bool), choice, out)
    return out


def choose(a: Any, choices: Any, mode: str = "raise") -> Any:
    """``np.choose``: ``choices[a[i]][i]`` for every ``i``, with broadcasting."""
    a = np.asarray(getval(a))
    n = len(choices)
    a = _index_mode(a, n, mode)
    if mode not in ("wrap", "clip") and a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError("invalid entry in choice array")
    shape = np.broadcast_shapes(a.shape, *[np.shape(getval(c)) for c in choices])
    stacked = stack([broadcast_to(c, shape) for c in choices])
    index = np.broadcast_to(a, shape)[None]
    return reshape(take_along_axis(stacked, index, 0), shape)
