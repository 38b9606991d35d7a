"""GloVe's hot loop as one engine primitive: the dot products of sampled row pairs.

``row_dot(W, C, rows, cols)[k] = W[rows[k]] · C[cols[k]]`` (a sampled dense-dense
product). Written with the generic engine it is two gathers, a product and a sum,
and its backward pass materialises two ``(batch, dim)`` gradient arrays that
:func:`~diaphane.autodiff.sparse.segment_sum` then folds into rows. Here the
backward pass is two sparse-matrix products instead: with ``S`` the sparse
``|rows| x |cols|`` matrix holding the cotangent ``g[k]`` at ``(rows[k], cols[k])``,

    dW = S @ C        dC = Sᵀ @ W

which scipy evaluates in one streaming pass each, gathering, scaling and summing
the rows at once, and which are already the coalesced :class:`SparseRows` the
optimisers want. When ``rows`` is sorted (GloVe's batches keep the co-occurrence
matrix's row order, see :class:`diaphane.models.glove.GloVeBatches`) ``S`` needs
no sort at all.

The rule is first order: its gradients are plain arrays, not traced again.

Entry point: :func:`row_dot`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from diaphane.autodiff import SparseRows, defjvp_all, defvjp_all, getval, primitive

__all__ = ["row_dot"]


def _row_dot(W: np.ndarray, C: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", np.take(W, rows, axis=0), np.take(C, cols, axis=0))


row_dot = primitive(_row_dot, "row_dot")
row_dot.__doc__ = """``W[rows[k]] · C[cols[k]]`` for every k; gradients in W and C are sparse rows.

>>> row_dot(np.eye(2), np.ones((3, 2)), np.array([0, 1]), np.array([2, 2]))
array([1., 1.])
"""


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


def _row_dot_vjp(argnums, g, ans, W, C, rows, cols):
    W, C, rows, cols = getval(W), getval(C), np.asarray(rows), np.asarray(cols)
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
