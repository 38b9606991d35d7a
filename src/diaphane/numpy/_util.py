"""Helpers shared by the gradient rules: summing broadcast axes away, dtype fixes."""

from __future__ import annotations

from typing import Any

import numpy as np

from diaphane.autodiff.core import BATCH, Box, getval

__all__ = ["align_tangent", "broadcast_tangent", "dtype_of", "match_real", "unbroadcast"]


def dtype_of(x: Any) -> np.dtype:
    v = getval(x)
    return v.dtype if isinstance(v, np.ndarray | np.generic) else np.result_type(v)


def unbroadcast(g: Any, x: Any) -> Any:
    """Sum ``g`` down to the shape of ``x``, undoing NumPy broadcasting.

    Leading batch axes (see :func:`diaphane.autodiff.core.batch_axes`) are kept.
    A complex ``g`` for a real ``x`` keeps its real part.
    """
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape and not BATCH.ndim:
        gdt = g.dtype
        if gdt is x.dtype or gdt.kind != "c" or x.dtype.kind == "c":
            return g  # the common case: nothing was broadcast
    import diaphane.numpy as dnp

    gv = getval(g)
    xv = getval(x)
    shape = np.shape(xv)
    gshape = np.shape(gv)
    nb = BATCH.ndim
    if gshape[nb:] != shape:
        extra = len(gshape) - nb - len(shape)
        if extra > 0:
            g = dnp.sum(g, axis=tuple(range(nb, nb + extra)))
        gshape = np.shape(getval(g))
        axes = tuple(nb + i for i, n in enumerate(shape) if n == 1 and gshape[nb + i] != 1)
        if axes:
            g = dnp.sum(g, axis=axes, keepdims=True)
    return match_real(g, xv)


def match_real(g: Any, x: Any) -> Any:
    """The real part of ``g`` when ``x`` is real and ``g`` complex."""
    gv = getval(g)
    if getattr(gv, "dtype", None) is not None and gv.dtype.kind == "c":
        xv = getval(x)
        xkind = (
            xv.dtype.kind if isinstance(xv, np.ndarray | np.generic) else np.result_type(xv).kind
        )
        if xkind != "c":
            import diaphane.numpy as dnp

            return dnp.real(g)
    return g


def is_traced(x: Any) -> bool:
    return type(x) is Box


def align_tangent(t: Any, ans: Any) -> Any:
    """Insert axes after any batch axes so ``t`` broadcasts against ``ans`` from the right."""
    nb = BATCH.ndim
    if not nb:
        return t
    tshape = np.shape(getval(t))
    missing = np.ndim(getval(ans)) - (len(tshape) - nb)
    if missing <= 0:
        return t
    import diaphane.numpy as dnp

    return dnp.reshape(t, tshape[:nb] + (1,) * missing + tshape[nb:])


def broadcast_tangent(t: Any, ans: Any) -> Any:
    """Broadcast a tangent up to the shape of ``ans`` (keeping batch axes)."""
    target = np.shape(getval(ans))
    tshape = np.shape(getval(t))
    nb = BATCH.ndim
    if tshape[nb:] == target:
        return t
    import diaphane.numpy as dnp

    t = align_tangent(t, ans)
    return dnp.broadcast_to(t, tshape[:nb] + target)
