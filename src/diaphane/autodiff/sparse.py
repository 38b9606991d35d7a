"""Sparse row cotangents: the gradient of gathering rows from a large table.

Indexing an embedding table touches a few rows; its gradient is kept as the
touched row indices and their gradient rows, summed only when needed, so the
backward pass and the optimisers never build (or scan) the dense table.

Entry points: :class:`SparseRows`, :func:`segment_sum`, :func:`densify`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SparseRows", "densify", "segment_sum"]

# Below this many summed numbers np.add.at's low overhead beats building a sparse matrix.
_SMALL = 2048
# Dtypes scipy.sparse multiplies natively; others (float16, ...) go through np.add.at.
_SPARSE_DTYPES = frozenset(np.dtype(t) for t in ("float32", "float64", "complex64", "complex128"))


def _unique_inverse(indices: np.ndarray, num_rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique indices and, for each index, its position among them.

    With the table height known and not much larger than the number of indices,
    a bincount and a lookup table replace np.unique's sort (10x faster).
    """
    n = len(indices)
    if num_rows is None or num_rows > 16 * n + 1024:
        uniq, inverse = np.unique(indices, return_inverse=True)
        return uniq, inverse.reshape(-1)
    uniq = np.flatnonzero(np.bincount(indices, minlength=num_rows))
    lookup = np.empty(num_rows, np.int32 if len(uniq) < 2**31 else np.intp)
    lookup[uniq] = np.arange(len(uniq), dtype=lookup.dtype)
    return uniq, lookup[indices]


def segment_sum(
    indices: np.ndarray, values: np.ndarray, num_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sum the rows of ``values`` that share an index: ``(sorted unique indices, sums)``.

    ``indices`` are non-negative; ``num_rows`` (the table height, if known) enables a
    faster path. The sums are a product with a one-hot matrix stored column by
    column, which scipy evaluates as one streaming pass over ``values``: in the same
    order as ``np.add.at`` (bitwise the same sums) and ~20x faster on wide rows
    (see bench/sparse_rows.py).

    >>> segment_sum(np.array([2, 0, 2]), np.array([[1.0], [2.0], [3.0]]))
    (array([0, 2]), array([[2.],
           [4.]]))
    """
    indices = np.asarray(indices)
    values = np.asarray(values)
    values = values.reshape((indices.size, *values.shape[indices.ndim :]))
    indices = indices.reshape(-1)
    uniq, inverse = _unique_inverse(indices, num_rows)
    n = len(indices)
    if len(uniq) == n:  # no repeats: a permutation suffices
        out = np.empty_like(values)
        out[inverse] = values
        return uniq, out
    width = values.size // max(n, 1)
    if n * width < _SMALL or values.dtype not in _SPARSE_DTYPES:
        out = np.zeros((len(uniq), *values.shape[1:]), values.dtype)
        np.add.at(out, inverse, values)
        return uniq, out
    import scipy.sparse as sp  # imported here: only large gradients need it

    # One nonzero per column: column k puts update k into row inverse[k]. No sort needed.
    onehot = sp.csc_matrix(
        (np.ones(n, values.dtype), inverse, np.arange(n + 1, dtype=inverse.dtype)),
        shape=(len(uniq), n),
    )
    summed = onehot @ values.reshape(n, width)
    return uniq, np.asarray(summed, dtype=values.dtype).reshape((len(uniq), *values.shape[1:]))


class SparseRows:
    """Rows ``values[k]`` to be added at ``indices[k]`` of a table of ``shape``.

    Indices may repeat until :meth:`coalesce` sums them (negative ones count from the
    end, as in NumPy). Adding two of these concatenates them; adding one to a dense
    array scatters into a copy. Any other NumPy operation sees the dense table.

    >>> g = SparseRows(np.array([1, 1, -1]), np.ones((3, 2)), (4, 2))
    >>> g.coalesce().indices, g.coalesce().values
    (array([1, 3]), array([[2., 2.],
           [1., 1.]]))
    """

    __slots__ = ("coalesced", "dtype", "indices", "shape", "values")

    def __init__(
        self, indices: np.ndarray, values: np.ndarray, shape: tuple, coalesced: bool = False
    ) -> None:
        indices = np.asarray(indices).reshape(-1)
        if indices.size and indices.min() < 0:
            indices = np.where(indices < 0, indices + shape[0], indices)
        self.indices = indices
        self.values = np.asarray(values).reshape((len(indices), *shape[1:]))
        self.shape = tuple(shape)
        self.dtype = self.values.dtype
        self.coalesced = coalesced

    def __repr__(self) -> str:
        return f"SparseRows({len(self.indices)} rows of a {self.shape} table, {self.dtype})"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def coalesce(self) -> SparseRows:
        """The same gradient with each touched row once, in increasing order."""
        if self.coalesced:
            return self
        uniq, summed = segment_sum(self.indices, self.values, self.shape[0])
        return SparseRows(uniq, summed, self.shape, coalesced=True)

    def to_dense(self) -> np.ndarray:
        """The dense table: zeros where no row was touched."""
        return self.add_into(np.zeros(self.shape, dtype=self.dtype))

    def add_into(self, dense: np.ndarray) -> np.ndarray:
        """Add these rows into ``dense`` in place and return it."""
        rows = self.coalesce()
        dense[rows.indices] += rows.values
        return dense

    def astype(self, dtype: Any) -> SparseRows:
        values = self.values.astype(dtype, copy=False)
        return SparseRows(self.indices, values, self.shape, self.coalesced)

    # -- arithmetic: what the backward pass and the optimisers need, sparse where it can be

    def __add__(self, other: Any) -> Any:
        if isinstance(other, SparseRows):
            dtype = np.result_type(self.dtype, other.dtype)
            return SparseRows(
                np.concatenate([self.indices, other.indices]),
                np.concatenate([self.values.astype(dtype), other.values.astype(dtype)]),
                self.shape,
            )
        if isinstance(other, np.ndarray) and other.shape == self.shape:
            dtype = np.result_type(other.dtype, self.dtype)
            return self.add_into(other.astype(dtype, copy=True))
        return self.to_dense() + other

    __radd__ = __add__

    def __mul__(self, other: Any) -> Any:
        if np.ndim(other) == 0 and not isinstance(other, SparseRows):
            return SparseRows(self.indices, self.values * other, self.shape, self.coalesced)
        return self.to_dense() * other

    __rmul__ = __mul__

    def __neg__(self) -> SparseRows:
        return SparseRows(self.indices, -self.values, self.shape, self.coalesced)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        dense = self.to_dense()
        return dense if dtype is None else dense.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # `dense + sparse` scatters into a copy; `scalar * sparse` stays sparse; any
        # other ufunc (a rule that does not know sparse cotangents) sees the dense table.
        if method == "__call__" and not kwargs and len(inputs) == 2:
            a, b = inputs if isinstance(inputs[1], SparseRows) else inputs[::-1]
            if ufunc is np.add:
                return b + a
            if ufunc is np.multiply and np.ndim(a) == 0 and not isinstance(a, SparseRows):
                return b * a
        if any(isinstance(o, SparseRows) for o in kwargs.get("out", ())):
            return NotImplemented
        inputs = tuple(x.to_dense() if isinstance(x, SparseRows) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)


def densify(g: Any) -> Any:
    """``g`` with any :class:`SparseRows` (also inside a tuple cotangent) made dense.

    The backward pass calls this on a cotangent before handing it to a rule, so only
    leaves (the tables themselves) ever receive sparse rows.
    """
    if type(g) is SparseRows:
        return g.to_dense()
    if type(g) is tuple:
        return tuple(densify(x) for x in g)
    return g
