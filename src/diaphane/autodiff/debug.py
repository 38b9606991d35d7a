"""``debug_nans``: stop at the first NaN or inf a primitive produces, and say where."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from diaphane.autodiff.box import getval
from diaphane.autodiff.sparse import SparseRows

__all__ = ["NANS", "debug_nans", "raise_on_nonfinite"]


class _Flag:
    on = False


NANS = _Flag()  # read on the hot paths: one attribute, no function call


def _describe(values: Iterable[Any]) -> str:
    parts = []
    for v in values:
        v = getval(v)
        shape = getattr(v, "shape", None)
        dtype = getattr(v, "dtype", type(v).__name__)
        parts.append(f"{dtype}{list(shape)}" if shape is not None else str(dtype))
    return ", ".join(parts)


def raise_on_nonfinite(prim: Callable, where: str, value: Any, args: Iterable[Any]) -> None:
    v = getval(value)
    if type(v) is tuple:
        for item in v:
            raise_on_nonfinite(prim, where, item, args)
        return
    if isinstance(v, SparseRows):
        v = v.values
    if v is None or not np.issubdtype(np.asarray(v).dtype, np.inexact):
        return
    if not np.all(np.isfinite(v)):
        name = getattr(prim, "__name__", repr(prim))
        bad = "NaN" if np.any(np.isnan(v)) else "inf"
        raise FloatingPointError(
            f"debug_nans: '{name}' produced {bad} in the {where} pass "
            f"(inputs: {_describe(args)}; output: {_describe([v])})."
        )


@contextlib.contextmanager
def debug_nans(enabled: bool = True) -> Iterator[None]:
    """Raise on the first NaN or inf a primitive produces, forward or backward.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> from diaphane.autodiff import grad
    >>> with debug_nans():
    ...     grad(lambda x: dnp.sum(dnp.log(x)))(np.array([1.0, -1.0]))
    Traceback (most recent call last):
    FloatingPointError: debug_nans: 'log' produced NaN in the forward pass ...
    """
    old = NANS.on
    NANS.on = enabled
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            yield
    finally:
        NANS.on = old
