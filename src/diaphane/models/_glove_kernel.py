"""GloVe's hot loop as one engine primitive: the dot products of sampled row pairs.

``row_dot(W, C, rows, cols)[k] = W[rows[k]] · C[cols[k]]`` (a sampled dense-dense
product). Written with the generic engine it is two gathers, a product and a sum,
and its backward pass materialises two ``(batch, dim)`` gradient arrays that
:func:`~diaphane.autodiff.sparse.segment_sum` then folds into rows. Here the
backward pass is two sparse-matrix products instead: with ``S`` the sparse
``|rows| x |cols|`` matrix holding the cotangent ``g[k]`` at ``(rows[k], cols[k])``,

    dW = S @ C        dC = Sᵀ @ W

which arrive as the coalesced :class:`SparseRows` the optimisers want.

Both passes run as compiled loops (:mod:`diaphane.models._glove_numba`) on float32
or float64 tables: the forward pass fuses the gathers into the dot products; the
backward pass walks the pairs row segment by row segment, each thread owning whole
output rows. ``dW`` needs no sort when ``rows`` is sorted (GloVe's batches keep the
co-occurrence matrix's row order, see :class:`diaphane.models.glove.GloVeBatches`);
``dC`` groups the pairs by column with a counting sort. Other dtypes and layouts
take the NumPy/scipy formulation (``_row_dot_numpy``, ``_vjp_numpy``), which is also
the reference the tests compare with.

The rule is first order: its gradients are plain arrays, not traced again.

Entry point: :func:`row_dot`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from diaphane.autodiff import SparseRows, defjvp_all, defvjp_all, getval, primitive

__all__ = ["row_dot"]

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _kernels() -> Any:
    """The compiled kernels, imported on first use (numba takes a while to load)."""
    from diaphane.models import _glove_numba

    return _glove_numba


def _compiled(W: Any, C: Any) -> bool:
    """Whether the compiled kernels take these tables (else the NumPy/scipy path)."""
    return (
        type(W) is np.ndarray
        and type(C) is np.ndarray
        and W.ndim == C.ndim == 2
        and W.dtype == C.dtype
        and W.dtype in _COMPILED_DTYPES
        and W.shape[1] == C.shape[1]
        and W.flags.c_contiguous
        and C.flags.c_contiguous
    )


def _indices(ids: Any, n: int, what: str) -> np.ndarray:
    """``ids`` as a contiguous 1-d integer array in ``[0, n)``: negative ones count from the end."""
    ids = np.ascontiguousarray(ids).reshape(-1)
    if ids.dtype.kind not in "iu":
        raise IndexError(f"row_dot's {what} must be integers, not {ids.dtype}.")
    ids = ids.astype(np.int64, copy=False)  # one index type: one compiled version per kernel
    lo, hi = _kernels().index_range(ids)
    if lo < 0 or hi >= n:
        if lo < -n or hi >= n:
            raise IndexError(
                f"row_dot's {what} hold indices outside a table of {n} rows; "
                "pass indices in [-n, n)."
            )
        ids = np.where(ids < 0, ids + n, ids)
    return ids


def _row_dot(W: np.ndarray, C: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if not _compiled(W, C) or np.ndim(rows) != 1 or np.shape(rows) != np.shape(cols):
        return _row_dot_numpy(W, C, rows, cols)
    rows, cols = _indices(rows, len(W), "rows"), _indices(cols, len(C), "cols")
    out = np.zeros(len(rows), W.dtype)
    kernels = _kernels()
    kernels.run_kernel(kernels.row_dot, out.size * W.shape[1], W, C, rows, cols, out)
    return out


def _row_dot_numpy(W, C, rows, cols):
    """The reference formulation: two gathers and a row-wise dot product."""
    return np.einsum("ij,ij->i", np.take(W, rows, axis=0), np.take(C, cols, axis=0))


row_dot = primitive(_row_dot, "row_dot")
row_dot.__doc__ = """``W[rows[k]] · C[cols[k]]`` for every k; gradients in W and C are sparse rows.

>>> row_dot(np.eye(2), np.ones((3, 2)), np.array([0, 1]), np.array([2, 2]))
array([1., 1.])
"""


# ----------------------------------------------------------------------------- backward pass


def _chunks() -> int:
    """Work items per compiled backward pass: a few per thread evens out the segments."""
    import numba

    return 4 * numba.get_num_threads()


def _grad_rows(g, T, keys, n_keys, other, sorted_keys):
    """``(distinct keys, sum over the pairs of each key of g[k] * T[other[k]])``."""
    kernels = _kernels()
    if sorted_keys:
        starts, uniq = kernels.run_starts(keys)
    else:
        starts, uniq, g, other = kernels.sort_segments(keys, n_keys, g, other)
    out = np.empty((len(uniq), T.shape[1]), T.dtype)
    work = len(g) * T.shape[1]
    kernels.run_kernel(kernels.segment_grad, work, g, T, other, starts, _chunks(), out)
    return uniq, out


def _row_dot_vjp(argnums, g, ans, W, C, rows, cols):
    W, C = getval(W), getval(C)
    if not _compiled(W, C) or np.ndim(rows) != 1:
        return _vjp_numpy(argnums, g, W, C, np.asarray(rows), np.asarray(cols))
    rows, cols = _indices(rows, len(W), "rows"), _indices(cols, len(C), "cols")
    g = np.ascontiguousarray(g, dtype=W.dtype)
    grads: list = [None] * len(argnums)
    for n, k in enumerate(argnums):
        if k == 0:
            is_sorted = rows.size < 2 or bool(np.all(rows[1:] >= rows[:-1]))
            ids, dW = _grad_rows(g, C, rows, len(W), cols, is_sorted)
            grads[n] = SparseRows(ids, dW, W.shape, coalesced=True)
        elif k == 1:
            ids, dC = _grad_rows(g, W, cols, len(C), rows, False)
            grads[n] = SparseRows(ids, dC, C.shape, coalesced=True)
    return grads


def _compact(ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct ids, how often each occurs, and each id's position among them."""
    counts = np.bincount(ids, minlength=n)
    uniq = np.flatnonzero(counts)
    lookup = np.empty(n, np.int32 if n < 2**31 else np.int64)
    lookup[uniq] = np.arange(len(uniq), dtype=lookup.dtype)
    return uniq, counts[uniq], lookup[ids]


def _pair_matrix(g, rows, cols, n_rows, n_cols):
    """``S`` (CSR over the distinct rows, columns renumbered to the distinct cols)."""
    if rows.size > 1 and np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        g, rows, cols = g[order], rows[order], cols[order]
    urows, counts, _ = _compact(rows, n_rows)
    ucols, _, col_pos = _compact(cols, n_cols)
    indptr = np.zeros(len(urows) + 1, col_pos.dtype)
    np.cumsum(counts, out=indptr[1:])
    S = sp.csr_matrix((g, col_pos, indptr), shape=(len(urows), len(ucols)))
    return S, urows, ucols


def _vjp_numpy(argnums, g, W, C, rows, cols):
    """The reference backward pass: two scipy sparse products (any dtype scipy takes)."""
    g = np.asarray(g, dtype=np.result_type(W, C))
    S, urows, ucols = _pair_matrix(g, rows, cols, len(W), len(C))
    grads: list = [None] * len(argnums)
    for n, k in enumerate(argnums):
        if k == 0:
            dW = S @ np.take(C, ucols, axis=0)
            grads[n] = SparseRows(urows, dW.astype(W.dtype, copy=False), W.shape, coalesced=True)
        elif k == 1:
            dC = S.T @ np.take(W, urows, axis=0)
            grads[n] = SparseRows(ucols, dC.astype(C.dtype, copy=False), C.shape, coalesced=True)
    return grads


def _row_dot_jvp(argnums, tangents, ans, W, C, rows, cols):
    out = 0.0
    for k, t in zip(argnums, tangents, strict=True):
        if k == 0:
            out = out + _row_dot(getval(t), getval(C), rows, cols)
        elif k == 1:
            out = out + _row_dot(getval(W), getval(t), rows, cols)
    return out


defvjp_all(row_dot, _row_dot_vjp)
defjvp_all(row_dot, _row_dot_jvp)
