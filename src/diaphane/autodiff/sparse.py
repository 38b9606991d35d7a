"""Sparse row cotangents: the gradient of gathering rows from a large table.

Indexing an embedding table touches a few rows; its gradient is kept as the
touched row indices and their gradient rows, summed only when needed, so the
backward pass and the optimisers never build (or scan) the dense table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["SparseRows", "segment_sum"]


def segment_sum(indices: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``values`` rows that share an index: returns (unique indices, summed rows).

    A sparse (unique × n) 0/1 matrix times the rows beats ``np.add.at`` and a sorted
    ``reduceat`` on wide rows (see bench/sparse_rows.py).
    """
    uniq, inverse = np.unique(indices, return_inverse=True)
    n = len(indices)
    if len(uniq) == n:
        out = np.empty_like(values)
        out[inverse] = values
        return uniq, out
    flat = values.reshape(n, -1)
    ones = np.ones(n, dtype=values.dtype)
    onehot = sp.csr_matrix((ones, (inverse, np.arange(n))), shape=(len(uniq), n))
    summed = np.asarray(onehot @ flat, dtype=values.dtype)
    return uniq, summed.reshape((len(uniq), *values.shape[1:]))


class SparseRows:
    """Rows ``values[k]`` to be added at ``indices[k]`` of a table of ``shape``.

    Indices may repeat until :meth:`coalesce` sums them. Adding two of these
    concatenates them; adding one to a dense array scatters into a copy.
    """

    __slots__ = ("dtype", "indices", "shape", "values")
    __array_ufunc__ = None  # let numpy defer `dense + sparse` to __radd__

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple) -> None:
        self.indices = np.asarray(indices).reshape(-1)
        self.values = np.asarray(values).reshape((len(self.indices), *shape[1:]))
        self.shape = tuple(shape)
        self.dtype = self.values.dtype

    def __repr__(self) -> str:
        return f"SparseRows({len(self.indices)} rows of a {self.shape} table, {self.dtype})"

    def coalesce(self) -> SparseRows:
        """The same gradient with each touched row once."""
        uniq, summed = segment_sum(self.indices, self.values)
        return SparseRows(uniq, summed, self.shape)

    def to_dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.dtype)
        return self.add_into(out)

    def add_into(self, dense: np.ndarray) -> np.ndarray:
        """Add these rows into ``dense`` in place and return it."""
        uniq, summed = segment_sum(self.indices, self.values)
        dense[uniq] += summed
        return dense

    def __add__(self, other: Any) -> Any:
        if isinstance(other, SparseRows):
            return SparseRows(
                np.concatenate([self.indices, other.indices]),
                np.concatenate([self.values, other.values.astype(self.dtype, copy=False)]),
                self.shape,
            )
        if isinstance(other, np.ndarray) and other.shape == self.shape:
            dtype = np.result_type(other.dtype, self.dtype)
            return self.add_into(other.astype(dtype, copy=True))
        return self.to_dense() + other

    __radd__ = __add__

    def __mul__(self, scalar: Any) -> SparseRows:
        return SparseRows(self.indices, self.values * scalar, self.shape)

    __rmul__ = __mul__

    def __neg__(self) -> SparseRows:
        return SparseRows(self.indices, -self.values, self.shape)

    def astype(self, dtype: Any) -> SparseRows:
        return SparseRows(self.indices, self.values.astype(dtype, copy=False), self.shape)
