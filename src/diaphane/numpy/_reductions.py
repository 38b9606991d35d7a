"""Reductions: sum, mean, max/min, var/std, the nan-skipping and weighted means, trace
and ptp (``prod``, ``cumsum`` and ``cumprod`` are in :mod:`diaphane.numpy._cumulative`).

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(dnp.max)(np.array([1.0, 3.0, 3.0]))
array([0. , 0.5, 0.5])

Each reverse rule spreads the reduced cotangent back over the reduced axes
(:func:`repeat_to_shape`) and each forward rule reduces the tangent, with the
reduction axes moved past any leading batch axes (:func:`_shift_axis`); how many
there are is read off the shapes, as in :mod:`diaphane.numpy._axes`.

Conventions worth knowing:

- ``max``/``min`` (and ``amax``, ``amin``, ``nanmax``, ``nanmin``): where several
  entries tie for the extreme, the gradient is split evenly between them (the
  one-sided derivatives disagree there; the even split is their average along
  the diagonal direction, as in autograd and PyTorch's ``amax``).
- ``std`` has no derivative where it is zero (the rules give inf or nan there).
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._arrange import diagonal
from diaphane.numpy._elementwise import conj, real
from diaphane.numpy._shape import _reshape, broadcast_to, reshape

__all__ = [
    "amax",
    "amin",
    "average",
    "max",
    "mean",
    "min",
    "nanmax",
    "nanmean",
    "nanmin",
    "nansum",
    "ptp",
    "std",
    "sum",
    "trace",
    "var",
]

sum = primitive(np.sum)
mean = primitive(np.mean)
max = primitive(np.max)
min = primitive(np.min)
amax = max
amin = min
nanmax = primitive(np.nanmax)
nanmin = primitive(np.nanmin)
nansum = primitive(np.nansum)
nanmean = primitive(np.nanmean)
var = primitive(np.var)
std = primitive(np.std)

# ----------------------------------------------------------------------------- axis helpers


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(a % ndim for a in axis)


def repeat_to_shape(g, x, axis=None, keepdims=False):
    """Spread a reduced cotangent back over the axes that were reduced; axes of ``g``
    beyond those of the reduction's result are leading batch axes and are kept."""
    shape = np.shape(getval(x))
    gshape = np.shape(getval(g))
    axes = _axes(axis, len(shape))
    nb = len(gshape) - (len(shape) if keepdims else len(shape) - len(axes))
    if not keepdims:
        it = iter(gshape[nb:])
        kept = gshape[:nb] + tuple(1 if i in axes else next(it) for i in range(len(shape)))
        g = _reshape(g, kept)
    return broadcast_to(g, gshape[:nb] + shape)


def _shift_axis(axis, x, t):
    """Move reduction axes of ``x`` past the leading batch axes of its tangent ``t``."""
    ndim = np.ndim(getval(x))
    nb = np.ndim(getval(t)) - ndim
    if not nb or (axis is None and ndim == 0):
        return axis
    return tuple(a + nb for a in _axes(axis, ndim))


def _real_dtype(x):
    dtype = np.result_type(getval(x))
    return np.finfo(dtype).dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _count(x, axis):
    """How many entries each result of a reduction over ``axis`` gathers."""
    shape = np.shape(getval(x))
    return int(np.prod([shape[a] for a in _axes(axis, len(shape))]))


# ----------------------------------------------------------------------------- weighted reductions


def defweighted(prim, weights) -> None:
    """Rules for a reduction whose derivative is a fixed weighting of the entries:
    VJP ``repeat(g) * w``, JVP ``sum(t * w)``, with ``w = weights(ans, x, axis, keepdims, kw)``
    shaped like ``x``."""

    def vjp(g, ans, x, axis=None, keepdims=False, **kw):
        return repeat_to_shape(g, x, axis, keepdims) * weights(ans, x, axis, keepdims, kw)

    def jvp(t, ans, x, axis=None, keepdims=False, **kw):
        tw = t * weights(ans, x, axis, keepdims, kw)
        return sum(tw, axis=_shift_axis(axis, x, t), keepdims=keepdims)

    defvjp(prim, vjp, batchable=True)
    defjvp(prim, jvp, batchable=True)


def _extreme_weights(ans, x, axis, keepdims, kw):
    """1/k on each of the k entries that attain the max (or min), 0 elsewhere."""
    xv, av = np.asarray(getval(x)), getval(ans)
    axes = _axes(axis, xv.ndim)
    full = av if keepdims else np.expand_dims(av, axes)
    hit = (xv == full) | (np.isnan(xv) & np.isnan(full))
    if "where" in kw:
        hit &= np.broadcast_to(kw["where"], xv.shape)
    count = np.sum(hit, axis=axes, keepdims=True)
    return (hit / np.maximum(count, 1)).astype(_real_dtype(x))


def _present(x):
    return ~np.isnan(np.asarray(getval(x)))


def _nanmean_weights(ans, x, axis, keepdims, kw):
    present = _present(x)
    count = np.sum(present, axis=_axes(axis, present.ndim), keepdims=True)
    return (present / np.maximum(count, 1)).astype(_real_dtype(x))


for _prim in (max, min, nanmax, nanmin):
    defweighted(_prim, _extreme_weights)
defweighted(nansum, lambda ans, x, axis, keepdims, kw: _present(x).astype(_real_dtype(x)))
defweighted(nanmean, _nanmean_weights)

# ----------------------------------------------------------------------------- sum, mean


def _where_weights(x, axis, kw, normalise):
    """The ``where=`` mask of a reduction as weights shaped like ``x`` (divided by the
    number of entries each result gathers, for a mean)."""
    shape = np.shape(getval(x))
    mask = np.broadcast_to(kw["where"], shape)
    if normalise:
        count = np.sum(mask, axis=_axes(axis, len(shape)), keepdims=True)
        return (mask / np.maximum(count, 1)).astype(_real_dtype(x))
    return mask.astype(_real_dtype(x))


def _sum_vjp(g, ans, x, axis=None, keepdims=False, **kw):
    g = repeat_to_shape(g, x, axis, keepdims)
    return g * _where_weights(x, axis, kw, False) if "where" in kw else g


def _mean_vjp(g, ans, x, axis=None, keepdims=False, **kw):
    if "where" in kw:
        return repeat_to_shape(g, x, axis, keepdims) * _where_weights(x, axis, kw, True)
    return repeat_to_shape(g, x, axis, keepdims) / _count(x, axis)


# fmt: off
defvjp(sum,  _sum_vjp, batchable=True)
defjvp(sum,  lambda t, ans, x, axis=None, keepdims=False, **kw:
       sum(t, axis=_shift_axis(axis, x, t), keepdims=keepdims, **kw), batchable=True)
defvjp(mean, _mean_vjp, batchable=True)
defjvp(mean, lambda t, ans, x, axis=None, keepdims=False, **kw:
       mean(t, axis=_shift_axis(axis, x, t), keepdims=keepdims, **kw), batchable=True)
# fmt: on

# ----------------------------------------------------------------------------- var, std


def _centered(x, axis):
    """``x`` minus its mean over ``axis``, conjugated for complex ``x`` (|z|² = z̄ z)."""
    c = x - mean(x, axis=axis, keepdims=True)
    if np.iscomplexobj(getval(x)):
        c = conj(c)
    return c


def _real_part(v, x):
    if np.iscomplexobj(getval(x)):
        return real(v)
    return v


def _var_vjp(g, ans, x, axis=None, ddof=0, keepdims=False, **kw):
    scale = 2.0 / (_count(x, axis) - ddof)
    return repeat_to_shape(g, x, axis, keepdims) * _centered(x, axis) * scale


def _var_jvp(t, ans, x, axis=None, ddof=0, keepdims=False, **kw):
    scale = 2.0 / (_count(x, axis) - ddof)
    dot = sum(t * _centered(x, axis), axis=_shift_axis(axis, x, t), keepdims=keepdims)
    return _real_part(dot, x) * scale


def _std_vjp(g, ans, x, axis=None, ddof=0, keepdims=False, **kw):
    return _var_vjp(g / (2.0 * ans), ans, x, axis, ddof, keepdims)


def _std_jvp(t, ans, x, axis=None, ddof=0, keepdims=False, **kw):
    return _var_jvp(t, ans, x, axis, ddof, keepdims) / (2.0 * ans)


# fmt: off
defvjp(var, _var_vjp, batchable=True)
defjvp(var, _var_jvp, batchable=True)
defvjp(std, _std_vjp, batchable=True)
defjvp(std, _std_jvp, batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- compositions


def ptp(x, axis=None, keepdims=False):
    """``np.ptp``: max minus min."""
    return max(x, axis=axis, keepdims=keepdims) - min(x, axis=axis, keepdims=keepdims)


def trace(x, offset=0, axis1=0, axis2=1):
    """``np.trace``: the sum of a diagonal."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """``np.average``, differentiable in ``a`` and ``weights``."""
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scale = np.full(np.shape(getval(avg)), _count(a, axis), _real_dtype(avg))
        return (avg, scale) if returned else avg
    ashape, wshape = np.shape(getval(a)), np.shape(getval(weights))
    if wshape != ashape:
        weights = _weights_along(weights, ashape, wshape, axis)
    scale = sum(weights, axis=axis, keepdims=keepdims)
    if np.any(getval(scale) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = sum(a * weights, axis=axis, keepdims=keepdims) / scale
    if returned:
        return avg, broadcast_to(scale, np.shape(getval(avg)))
    return avg


def _weights_along(weights, ashape, wshape, axis):
    """1-D weights for one axis, shaped to broadcast against ``a``."""
    if axis is None:
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    if len(wshape) != 1 or np.ndim(axis) != 0:
        raise TypeError("1D weights expected when shapes of a and weights differ.")
    axis = axis % len(ashape)
    if wshape[0] != ashape[axis]:
        raise ValueError("Length of weights not compatible with specified axis.")
    shape = [1] * len(ashape)
    shape[axis] = wshape[0]
    return broadcast_to(reshape(weights, tuple(shape)), ashape)
