"""Reductions: sum, mean, and (to be extended) max/min/prod/var/std/cumsum/logsumexp."""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import BATCH, defjvp, defvjp, getval, primitive

__all__ = ["mean", "sum"]

sum = primitive(np.sum)
mean = primitive(np.mean)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(a % ndim for a in axis)


def repeat_to_shape(g, x, axis=None, keepdims=False):
    """Spread a reduced cotangent back over the axes that were reduced (batch-aware)."""
    import diaphane.numpy as dnp

    xv = getval(x)
    shape = np.shape(xv)
    nb = BATCH.ndim
    gshape = np.shape(getval(g))
    if not keepdims:
        kept = list(gshape[:nb])
        it = iter(gshape[nb:])
        axes = _axes(axis, len(shape))
        kept += [1 if i in axes else next(it) for i in range(len(shape))]
        g = dnp.reshape(g, tuple(kept))
    return dnp.broadcast_to(g, gshape[:nb] + shape)


def _shift_axis(axis, x):
    """Move reduction axes past the batch axes, for rules applied to batched tangents."""
    nb = BATCH.ndim
    if not nb:
        return axis
    ndim = np.ndim(getval(x))
    return tuple(a + nb for a in _axes(axis, ndim))


# fmt: off
defvjp(sum,  lambda g, ans, x, axis=None, keepdims=False, **kw: repeat_to_shape(g, x, axis, keepdims),
       batchable=True)
defjvp(sum,  lambda t, ans, x, axis=None, keepdims=False, **kw:
       sum(t, axis=_shift_axis(axis, x), keepdims=keepdims, **kw), batchable=True)
defvjp(mean, lambda g, ans, x, axis=None, keepdims=False, **kw:
       repeat_to_shape(g, x, axis, keepdims) / (np.size(getval(x)) / max(np.size(getval(ans)), 1)),
       batchable=True)
defjvp(mean, lambda t, ans, x, axis=None, keepdims=False, **kw:
       mean(t, axis=_shift_axis(axis, x), keepdims=keepdims, **kw), batchable=True)
# fmt: on
