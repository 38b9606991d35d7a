"""Products and running reductions: ``prod``, ``cumsum``, ``cumprod``.

``prod`` and ``cumprod`` never divide by the input, so zeros in it are fine, to every
order: their rules are built from products of shifted copies (a Hillis-Steele scan for
``cumprod``, exclusive products from both ends for ``prod``). Rules accept leading batch
axes, as every reduction does (see :mod:`diaphane.numpy._reductions`).

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(dnp.prod)(np.array([2.0, 0.0, 3.0]))
array([0., 6., 0.])
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._arrange import _crop, _pad_constant, flip
from diaphane.numpy._axes import _nb
from diaphane.numpy._reductions import _axes, _shift_axis, repeat_to_shape, sum
from diaphane.numpy._shape import _reshape, astype, ravel, transpose

__all__ = ["cumprod", "cumsum", "prod"]

prod = primitive(np.prod)


# ----------------------------------------------------------------------------- prod, cumulative


def _cumsum_raw(x, axis):
    return np.cumsum(x, axis)


def _cumprod_raw(x, axis):
    return np.cumprod(x, axis)


_cumsum = primitive(_cumsum_raw, "cumsum")
_cumprod = primitive(_cumprod_raw, "cumprod")


def _cumulative(prim, x, axis, dtype):
    if axis is None:
        x, axis = ravel(x), 0
    out = prim(x, axis % np.ndim(getval(x)))
    if dtype is not None:
        out = astype(out, dtype)
    return out


def cumsum(x, axis=None, dtype=None):
    """``np.cumsum``; without ``axis`` the flattened array is summed."""
    return _cumulative(_cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    """``np.cumprod``; without ``axis`` the flattened array is multiplied."""
    return _cumulative(_cumprod, x, axis, dtype)


def _shift_along(v, step, axis, like, fill=0.0):
    """``v`` moved ``step`` places along ``axis`` of ``like`` (forward for a positive ``step``,
    back for a negative one; ``v`` may carry leading batch axes), with ``fill`` in the places
    it leaves. With zero fill, the shifts by ``step`` and ``-step`` are each other's adjoints."""
    widths = [(0, 0)] * np.ndim(getval(v))
    ax = axis + _nb(v, like)
    cut = (0, step) if step > 0 else (-step, 0)
    widths[ax] = cut
    cropped = _crop(v, tuple(widths))
    widths[ax] = cut[::-1]
    return _pad_constant(cropped, tuple(widths), fill)


def _scan_levels(x, axis):
    """The rounds of a Hillis-Steele scan for cumprod: each multiplies by a copy shifted by
    twice the last shift. Differentiating these products (never dividing) keeps every
    derivative exact where ``x`` has zeros."""
    n = np.shape(getval(x))[axis]
    levels, step = [x], 1
    while step < n:
        levels.append(levels[-1] * _shift_along(levels[-1], step, axis, x, 1.0))
        step *= 2
    return levels


def _cumprod_vjp(g, ans, x, axis):
    levels = _scan_levels(x, axis)
    for k in reversed(range(len(levels) - 1)):
        xk, step = levels[k], 2**k
        g = g * _shift_along(xk, step, axis, x, 1.0) + _shift_along(g * xk, -step, axis, x)
    return g


def _cumprod_jvp(t, ans, x, axis):
    levels = _scan_levels(x, axis)
    for k, xk in enumerate(levels[:-1]):
        step = 2**k
        t = t * _shift_along(xk, step, axis, x, 1.0) + xk * _shift_along(t, step, axis, x)
    return t


def _cumsum_reversed(g, axis):
    return flip(_cumsum(flip(g, axis), axis), axis)


# fmt: off
defvjp(_cumsum,  lambda g, ans, x, axis: _cumsum_reversed(g, axis + _nb(g, ans)),
       batchable=True)
defjvp(_cumsum,  lambda t, ans, x, axis: _cumsum(t, axis + _nb(t, x)), batchable=True)
defvjp(_cumprod, _cumprod_vjp, batchable=True)
defjvp(_cumprod, _cumprod_jvp, batchable=True)
# fmt: on


def _exclusive_cumprod(y):
    last = np.ndim(getval(y)) - 1
    return _shift_along(_cumprod(y, last), 1, last, y, 1.0)


def _others_product(x, axis):
    """For each entry, the product of the other entries reduced with it: the product of
    everything before it times everything after it along the flattened reduced axes."""
    shape = np.shape(getval(x))
    axes = _axes(axis, len(shape))
    rest = tuple(i for i in range(len(shape)) if i not in axes)
    perm = rest + axes
    y = _reshape(transpose(x, perm), (*[shape[i] for i in rest], -1))
    last = len(rest)
    z = _exclusive_cumprod(y) * flip(_exclusive_cumprod(flip(y, last)), last)
    z = _reshape(z, tuple(shape[i] for i in perm))
    return transpose(z, tuple(np.argsort(perm)))


def _prod_vjp(g, ans, x, axis=None, keepdims=False, **kw):
    return repeat_to_shape(g, x, axis, keepdims) * _others_product(x, axis)


def _prod_jvp(t, ans, x, axis=None, keepdims=False, **kw):
    return sum(t * _others_product(x, axis), axis=_shift_axis(axis, x, t), keepdims=keepdims)


# fmt: off
defvjp(prod, _prod_vjp, batchable=True)
defjvp(prod, _prod_jvp, batchable=True)
# fmt: on
