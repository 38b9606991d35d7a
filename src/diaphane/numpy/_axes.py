"""Shape and axis helpers shared by the shape, joining and arranging rules.

A rule reads how many leading batch axes a cotangent or tangent carries off the
shapes (:func:`_nb`), not from the global :data:`~diaphane.autodiff.core.BATCH`, so
it is right for whichever trace it serves, also inside nested derivatives.
"""

from __future__ import annotations

import operator

import numpy as np

from diaphane.autodiff.core import getval

__all__ = [
    "_batch_shape",
    "_nb",
    "_ndim",
    "_norm_axes",
    "_norm_axis",
    "_shape",
    "_shifted",
    "_zeros",
]


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
