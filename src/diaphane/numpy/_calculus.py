"""Discrete calculus: differences, gradients, cross products and 1-D convolution.

``diff``, ``gradient`` and ``cross`` are compositions of slicing, arithmetic and
stacking, so their derivatives (of any order, forward or reverse) come from those.
``convolve`` is a primitive: bilinear in its two arguments, its JVP is the sum of
two convolutions and its VJP correlates the (zero-padded) cotangent with the other
argument, both written with ``convolve`` itself so that they differentiate again.

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.diff(x) ** 2))(np.array([0.0, 1.0, 3.0]))
array([-2., -2.,  4.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._util import match_real

__all__ = ["convolve", "cross", "diff", "gradient"]


# ----------------------------------------------------------------------------- diff, gradient


def _along(axis: int, ndim: int, sl: slice | int) -> tuple:
    """An index tuple selecting ``sl`` along ``axis`` and everything elsewhere."""
    return (slice(None),) * (axis % ndim) + (sl,)


def _edge(x: Any, like: Any, axis: int) -> Any:
    """``prepend``/``append`` broadcast to ``like`` with length 1 along ``axis`` (as NumPy)."""
    if np.ndim(getval(x)) == 0:
        shape = list(np.shape(getval(like)))
        shape[axis % len(shape)] = 1
        return dnp.broadcast_to(x, tuple(shape))
    return x


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th discrete difference along ``axis``, as :func:`numpy.diff`.

    Args:
        a: The array (may be traced).
        n: How many times to difference.
        axis: The axis along which to difference.
        prepend: Values put before ``a`` along ``axis`` first (may be traced).
        append: Values put after ``a`` along ``axis`` first (may be traced).

    Returns:
        The differences; ``axis`` is ``n`` shorter than ``a`` (plus the joined values).
    """
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    parts = [_edge(p, a, axis) for p in (prepend, a, append) if p is not None]
    if len(parts) > 1:
        a = dnp.concatenate(parts, axis=axis)
    ndim = np.ndim(getval(a))
    for _ in range(n):
        a = a[_along(axis, ndim, slice(1, None))] - a[_along(axis, ndim, slice(None, -1))]
    return a


def _gradient_1d(f: Any, h: float, axis: int, edge_order: int) -> Any:
    ndim = np.ndim(getval(f))

    def at(sl):
        return f[_along(axis, ndim, sl)]

    inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / h
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
    else:
        first = (-3.0 * at(slice(0, 1)) + 4.0 * at(slice(1, 2)) - at(slice(2, 3))) / (2.0 * h)
        last = (3.0 * at(slice(-1, None)) - 4.0 * at(slice(-2, -1)) + at(slice(-3, -2))) / (2.0 * h)
    return dnp.concatenate([first, inner, last], axis=axis)


def gradient(f: Any, *varargs: float, axis: Any = None, edge_order: int = 1) -> Any:
    """Central-difference gradient, as :func:`numpy.gradient` with scalar spacings.

    Args:
        f: The sampled values (may be traced).
        *varargs: No spacing (unit), one scalar for all axes, or one scalar per axis.
            Coordinate arrays are not supported.
        axis: An axis or tuple of axes; all axes by default.
        edge_order: 1 or 2, the accuracy of the one-sided differences at the edges.

    Returns:
        One array for a single axis, else a tuple of arrays, one per axis.
    """
    ndim = np.ndim(getval(f))
    axes = tuple(range(ndim)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    axes = tuple(int(ax) % ndim for ax in axes)
    if any(np.ndim(h) for h in varargs):
        raise NotImplementedError("gradient supports scalar spacings only")
    if len(varargs) not in (0, 1, len(axes)):
        raise TypeError("invalid number of arguments")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    hs = varargs * len(axes) if len(varargs) == 1 else varargs or (1.0,) * len(axes)
    for ax in axes:
        if np.shape(getval(f))[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient")
    out = tuple(_gradient_1d(f, float(h), ax, edge_order) for ax, h in zip(axes, hs, strict=True))
    return out[0] if len(out) == 1 else out


# ----------------------------------------------------------------------------- cross


def _components(x: Any, axis: int) -> list:
    """The 3 components of vectors along ``axis`` (a zero z for 2-vectors)."""
    x = dnp.moveaxis(x, axis, -1)
    n = np.shape(getval(x))[-1]
    if n not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    comps = [x[..., i] for i in range(n)]
    return [*comps, 0.0] if n == 2 else comps


def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Any:
    """The cross product of 2- or 3-vectors, as :func:`numpy.cross`.

    Args:
        a: First vectors (may be traced).
        b: Second vectors (may be traced); broadcast against ``a``.
        axisa: The vector axis of ``a``.
        axisb: The vector axis of ``b``.
        axisc: The vector axis of the result.
        axis: If given, overrides all three.

    Returns:
        The cross products; for two 2-vectors, the z component alone.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    two = np.shape(getval(a))[axisa] == 2 and np.shape(getval(b))[axisb] == 2
    a0, a1, a2 = _components(a, axisa)
    b0, b1, b2 = _components(b, axisb)
    z = a0 * b1 - a1 * b0
    if two:
        return z
    x = a1 * b2 - a2 * b1
    y = a2 * b0 - a0 * b2
    x, y, z = dnp.broadcast_arrays(x, y, z)
    return dnp.moveaxis(dnp.stack([x, y, z], axis=-1), -1, axisc)


# ----------------------------------------------------------------------------- convolve


def _convolve_raw(a, v, mode="full"):
    return np.convolve(a, v, mode=mode)


_convolve = primitive(_convolve_raw, "convolve")


def _full_cotangent(g: Any, n: int, m: int, mode: str) -> Any:
    """The cotangent of the ``full`` output: ``g`` zero-padded where ``mode`` cut it."""
    if mode == "full":
        return g
    lo = (min(n, m) - 1) // 2 if mode == "same" else min(n, m) - 1
    hi = n + m - 1 - lo - np.shape(getval(g))[-1]
    return dnp.pad(g, (lo, hi))


def _convolve_vjp(i: int):
    def rule(g, ans, a, v, mode="full"):
        n, m = np.size(getval(a)), np.size(getval(v))
        other = (a, v)[1 - i]
        grad = _convolve(_full_cotangent(g, n, m, mode), dnp.flip(other), mode="valid")
        return match_real(grad, (a, v)[i])

    return rule


# fmt: off
defvjp(_convolve, _convolve_vjp(0), _convolve_vjp(1))
defjvp(_convolve, lambda t, ans, a, v, mode="full": _convolve(t, v, mode=mode),
                  lambda t, ans, a, v, mode="full": _convolve(a, t, mode=mode))
# fmt: on


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """The discrete linear convolution of two 1-D arrays, as :func:`numpy.convolve`.

    Args:
        a: First sequence (may be traced).
        v: Second sequence (may be traced).
        mode: ``"full"``, ``"same"`` (length ``max(len(a), len(v))``) or ``"valid"``.

    Returns:
        The convolution, differentiable in both sequences.
    """
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'full', 'same', 'valid', not {mode!r}")
    if np.ndim(getval(a)) != 1 or np.ndim(getval(v)) != 1:
        raise ValueError("convolve takes two 1-D arrays")
    return _convolve(a, v, mode=mode)
