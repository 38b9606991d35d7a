"""Compiled sparse-times-dense product behind :func:`~diaphane.models.ppmi.truncated_svd`.

Why it exists: the randomised SVD spends most of its time in ``M @ Q`` with a sparse
``M`` and a tall dense ``Q``; scipy's product runs on one core and in the matrix's
dtype. This loop splits the rows of ``M`` over numba's threads, each summing its
rows' scaled rows of ``Q`` straight into ``out`` in ``out``'s dtype (float32 for the
sketch, float64 for the last product). Measured on wiki+brown's PPMI matrix (4.3 M
non-zeros, 120 columns): 0.11 s a product against scipy's 0.15 s; the loop is bound by
memory bandwidth (random rows of ``B``), so more threads gain little.

Kernel: :func:`csr_dense`.
"""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def csr_dense(indptr, indices, data, B, out):  # pragma: no cover - compiled
    """``out = M @ B`` for the CSR ``M = (data, indices, indptr)``; ``B``, ``out`` C-ordered."""
    k = B.shape[1]
    for i in prange(out.shape[0]):
        acc = out[i]
        acc[:] = 0
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            row = B[indices[p]]
            for c in range(k):
                acc[c] += v * row[c]
    return out
