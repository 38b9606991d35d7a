"""Norms for :mod:`diaphane.numpy.linalg`: :func:`norm`, vector and matrix.

The 2-norm (and the Frobenius norm) is one primitive with rules of its own, whose
gradient at the zero vector is the subgradient 0; the other orders are compositions of
``abs``, ``sum``, ``max``/``min`` and ``svd``.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._axes import _shape
from diaphane.numpy._decompositions import svd
from diaphane.numpy._elementwise import abs, conj, real
from diaphane.numpy._indexing import where
from diaphane.numpy._reductions import max, min, repeat_to_shape, sum
from diaphane.numpy._shape import reshape, transpose

__all__ = [
    "norm",
]


def _norm2_raw(x, axis=None, keepdims=False):
    sq = x.real * x.real + x.imag * x.imag if np.iscomplexobj(x) else x * x
    return np.sqrt(np.sum(sq, axis=axis, keepdims=keepdims))


_norm2 = primitive(_norm2_raw, "norm")


def _nonzero(ans):
    """``ans`` with zeros replaced by one: at the zero vector the gradient is the
    subgradient 0 (the numerator is zero there), not 0/0."""
    return where(getval(ans) == 0, 1.0, ans)


def _norm2_vjp(g, ans, x, axis=None, keepdims=False):
    xc = conj(x) if np.iscomplexobj(getval(x)) else x
    return repeat_to_shape(g / _nonzero(ans), x, axis, keepdims) * xc


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    nd = np.ndim(getval(x))
    axes = tuple(range(-nd, 0)) if axis is None else tuple(a - nd for a in axis)
    prod = real(conj(x) * t) if np.iscomplexobj(getval(x)) else x * t
    return sum(prod, axis=axes, keepdims=keepdims) / _nonzero(ans)


defvjp(_norm2, _norm2_vjp, batchable=True)
defjvp(_norm2, _norm2_jvp, batchable=True)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _norm2(x, axis, keepdims)
    if ord == 0:
        return np.sum(getval(x) != 0, axis=axis, keepdims=keepdims).astype(_real(x))
    ax = tuple(a - np.ndim(getval(x)) for a in axis)
    if ord == np.inf:
        return max(abs(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(x), axis=ax, keepdims=keepdims)
    if ord == 1:
        return sum(abs(x), axis=ax, keepdims=keepdims)
    total = sum(abs(x) ** ord, axis=ax, keepdims=keepdims)
    zero = getval(total) == 0
    return where(zero, 0.0, where(zero, 1.0, total) ** (1.0 / ord))


def _real(x):
    return np.finfo(np.result_type(getval(x), np.float32)).dtype


def _matrix_norm(x, ord, axis, keepdims):
    nd = np.ndim(getval(x))
    row, col = axis
    if ord in (None, "fro"):
        return _norm2(x, axis, keepdims)
    if ord in ("nuc", 2, -2):
        others = [i for i in range(nd) if i not in axis]
        s = svd(transpose(x, (*others, row, col)), compute_uv=False)
        out = {"nuc": sum, 2: max, -2: min}[ord](s, axis=-1)
    elif ord in (1, -1, np.inf, -np.inf):
        summed, reduced = (row, col) if ord in (1, -1) else (col, row)
        reduced -= reduced > summed
        best = max if ord > 0 else min
        out = best(sum(abs(x), axis=summed), axis=reduced)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    if keepdims:
        shape = list(_shape(x))
        shape[row] = shape[col] = 1
        out = reshape(out, tuple(shape))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``: vector norms (``ord`` 2, 1, inf, -inf, 0, p) over one axis,
    matrix norms (``"fro"``, ``"nuc"``, 2, -2, 1, -1, inf, -inf) over two.

    The gradient of the 2-norm at the zero vector is the subgradient 0.

    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    nd = np.ndim(getval(x))
    if axis is None:
        if ord is None:
            return _norm2(x, None, keepdims)
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axis = tuple(a % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")
