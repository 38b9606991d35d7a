"""Batch axes and cotangent arithmetic.

A batched pass (``jacobian(..., batched=True)``) carries one leading batch axis on
cotangents or tangents; rules marked batchable see it through :data:`BATCH`, the
others run slice by slice. Cotangents may be ``None`` (zero), tuples, or sparse rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from diaphane.autodiff.sparse import SparseRows

__all__ = [
    "BATCH",
    "TRACE_BATCH",
    "add_cotangents",
    "batch_axes",
    "batch_len",
    "slice_batch",
    "stack_cotangents",
]


class _Batch:
    ndim = 0


BATCH = _Batch()
TRACE_BATCH: dict[int, int] = {}  # forward trace id -> leading batch axes on its tangents


@contextlib.contextmanager
def batch_axes(ndim: int) -> Iterator[None]:
    """Within the block, rules see cotangents/tangents with ``ndim`` leading batch axes."""
    old = BATCH.ndim
    BATCH.ndim = ndim
    try:
        yield
    finally:
        BATCH.ndim = old


def batch_len(g: Any) -> int:
    if type(g) is tuple:
        return next(batch_len(x) for x in g if x is not None)
    return len(g)


def slice_batch(g: Any, k: int) -> Any:
    if type(g) is tuple:
        return tuple(slice_batch(x, k) for x in g)
    return None if g is None else g[k]


def stack_cotangents(parts: list) -> Any:
    if isinstance(parts[0], SparseRows):
        parts = [p.to_dense() for p in parts]
    if isinstance(parts[0], tuple):
        return tuple(stack_cotangents(list(col)) for col in zip(*parts, strict=True))
    import diaphane.numpy as dnp

    return dnp.stack(parts)


def add_cotangents(a: Any, b: Any) -> Any:
    """Sum two cotangents, where either may be ``None`` (zero), a tuple, or sparse rows."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is tuple:
        return tuple(add_cotangents(x, y) for x, y in zip(a, b, strict=True))
    return a + b
