"""PPMI + SVD: the deterministic count-based reference for word vectors.

From a co-occurrence matrix ``X`` (words x contexts), the positive pointwise mutual
information with context-distribution smoothing (Levy, Goldberg and Dagan 2015),

    PMI(w, c) = log X_wc - log X_w* - log P_a(c),   P_a(c) = X_*c^a / sum_c' X_*c'^a

kept where ``PMI - log k`` is positive (shifted PPMI; ``k = 1`` is plain PPMI), then a
truncated SVD ``U Σ Vᵀ`` to ``dim`` dimensions, with word vectors ``U Σ^p``
(eigenvalue weighting ``p``: 0 and 0.5 work best for similarity).

The result is deterministic: the SVD is randomised with a fixed seed, and each
singular vector's sign is fixed (its largest entry is positive).

Entry points: :func:`ppmi_matrix`, :class:`PPMIConfig`, :func:`fit_ppmi`, :class:`PPMI`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular

from diaphane.autodiff.core import DiaphaneError
from diaphane.models._checks import damaged
from diaphane.models._folder import WordModel
from diaphane.text.vocab import Vocabulary

__all__ = ["PPMI", "PPMIConfig", "fit_ppmi", "ppmi_matrix", "truncated_svd"]

KIND = "ppmi"


@dataclass
class PPMIConfig:
    """Hyperparameters of PPMI + SVD.

    Attributes:
        dim: SVD dimensions.
        cds: context-distribution smoothing exponent a (1 turns it off).
        shift: ``k`` of shifted PPMI, ``max(PMI - log k, 0)`` (1: plain PPMI).
        eig: eigenvalue weighting ``p``: vectors are ``U Σ^p``.
    """

    dim: int = 100
    cds: float = 0.75
    shift: float = 1.0
    eig: float = 0.5

    def __post_init__(self) -> None:
        finite = all(map(math.isfinite, (self.shift, self.cds, self.eig)))
        if self.dim < 1 or not finite or self.shift <= 0 or self.cds <= 0:
            raise DiaphaneError(
                "PPMI needs dim >= 1, a finite positive shift and cds, and a finite eig."
            )


def ppmi_matrix(X: sp.spmatrix, cds: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """Shifted positive PMI of the counts ``X`` with smoothed context probabilities.

    >>> X = sp.csr_matrix(np.array([[0.0, 2.0], [2.0, 1.0]]))
    >>> np.round(ppmi_matrix(X, cds=1.0).toarray(), 4)
    array([[0.    , 0.5108],
           [0.5108, 0.    ]])
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    X.sum_duplicates()
    X.eliminate_zeros()
    if X.nnz == 0:
        raise DiaphaneError("The co-occurrence matrix is empty: the corpus is too small.")
    row_sums = np.asarray(X.sum(axis=1)).ravel()
    col_smoothed = np.asarray(X.sum(axis=0)).ravel() ** cds
    coo = X.tocoo()
    pmi = (
        np.log(coo.data)
        - np.log(row_sums[coo.row])
        - np.log(col_smoothed[coo.col] / col_smoothed.sum())
        - np.log(shift)
    )
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=X.shape)


def truncated_svd(
    M: sp.spmatrix, k: int, n_iter: int = 6, oversample: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` largest singular triplets ``U, s, Vt`` of ``M``, in decreasing order.

    Randomised (Halko, Martinsson and Tropp 2011): ``n_iter`` power iterations on a
    seeded Gaussian sketch of ``k + oversample`` columns, then the small problem
    ``B = Qᵀ M`` solved through the eigenvectors of ``B Bᵀ``. Seeded and with each
    singular vector's sign fixed (largest entry of ``U``'s column positive), so the
    same matrix always gives the same vectors.
    """
    M = sp.csr_matrix(M, dtype=np.float64)
    k = min(k, min(M.shape))
    if k < 1:
        raise DiaphaneError(f"A {M.shape} matrix is too small for an SVD; use a bigger corpus.")
    width = min(k + oversample, min(M.shape))
    MT = M.T.tocsr()
    # The power iterations only find the subspace: float32 products halve their cost,
    # and the compiled product spreads them over threads. One orthonormalisation per
    # iteration keeps the basis well conditioned (its condition number grows by at
    # most (s_1 / s_width)^2 between two); the last basis is made orthonormal in float64.
    M32, MT32 = M.astype(np.float32), MT.astype(np.float32)
    sketch = np.random.default_rng(seed).standard_normal((M.shape[1], width), np.float32)
    Q = _orthonormal(_times(M32, sketch))
    for _ in range(n_iter):
        Q = _orthonormal(_times(M32, _times(MT32, Q)))
    Q = _orthonormal64(Q.astype(np.float64))
    BT = _times(MT, Q)  # (Qᵀ M)ᵀ
    # B Bᵀ = Ub S² Ubᵀ: a width x width eigenproblem instead of a dense SVD of B. It
    # squares the condition number, harmless for the leading k in float64.
    eigenvalues, Ub = np.linalg.eigh(BT.T @ BT)
    order = np.argsort(eigenvalues)[::-1][:k]
    s, Ub = np.sqrt(np.maximum(eigenvalues[order], 0.0)), Ub[:, order]
    U = Q @ Ub
    Vt = (BT @ (Ub / np.where(s > 0, s, 1.0))).T
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(k)])
    signs[signs == 0] = 1.0
    return U * signs, s, Vt * signs[:, None]


def _times(A: sp.csr_matrix, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for a CSR ``A`` and a dense ``B`` of its dtype, on numba's threads."""
    import numba

    from diaphane.models._svd_numba import balanced_blocks, csr_dense

    out = np.empty((A.shape[0], B.shape[1]), A.dtype)
    blocks = balanced_blocks(A.indptr, 4 * numba.get_num_threads())
    return csr_dense(A.indptr, A.indices, A.data, np.ascontiguousarray(B, A.dtype), out, blocks)


def _orthonormal(Y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of Y's columns by Cholesky QR (a GEMM and a triangular solve,
    not a Householder QR)."""
    Y64 = Y.astype(np.float64)
    gram = Y64.T @ Y64
    gram[np.diag_indices_from(gram)] += 1e-10 * np.trace(gram) + 1e-300
    L = np.linalg.cholesky(gram)
    # Solved for Yᵀ, so the basis comes back C-ordered, as the compiled product reads it.
    return np.ascontiguousarray(solve_triangular(L, Y64.T, lower=True).T, Y.dtype)


def _orthonormal64(Y: np.ndarray) -> np.ndarray:
    """An orthonormal float64 basis of Y's columns: two passes of ``Y V Λ^-½`` from the
    eigenvectors of ``YᵀY`` (orthonormal to rounding), or a Householder QR if Y's
    columns are (nearly) dependent."""
    for _ in range(2):
        eigenvalues, V = np.linalg.eigh(Y.T @ Y)
        if eigenvalues[0] <= 1e-12 * eigenvalues[-1]:
            return np.ascontiguousarray(np.linalg.qr(Y)[0])
        Y = Y @ (V / np.sqrt(eigenvalues))
    return Y


class PPMI(WordModel):
    """PPMI + SVD word vectors: vocabulary, hyperparameters, ``U Σ^p`` and ``Σ``."""

    kind = KIND
    config_type = PPMIConfig

    def __init__(
        self, vocab: Vocabulary, config: PPMIConfig, params: dict, info: dict | None = None
    ) -> None:
        self.vocab, self.config, self.params = vocab, config, params
        self.info = dict(info or {})

    def __repr__(self) -> str:
        return f"PPMI(|V|={len(self.vocab)}, dim={self.params['vectors'].shape[1]})"

    @classmethod
    def tensor_shapes(cls, vocab_size: int, config: PPMIConfig) -> dict:
        """``vectors`` ``(|V|, k)`` and ``singular_values`` ``(k,)``, ``k <= dim`` (a small
        vocabulary can hold fewer than ``dim`` singular values)."""
        return {"vectors": ((vocab_size, None), "f"), "singular_values": ((None,), "f")}

    @classmethod
    def load(cls, folder: str | os.PathLike) -> PPMI:
        """Read a folder written by :meth:`save`; see :meth:`WordModel.load`."""
        model = super().load(folder)
        k = model.params["singular_values"].shape[0]
        if model.params["vectors"].shape[1] != k or k != min(model.config.dim, len(model.vocab)):
            columns = model.params["vectors"].shape[1]
            raise damaged(
                Path(folder) / "model.safetensors",
                f"its {columns} vector columns, {k} singular values and dim "
                f"{model.config.dim} in config.json do not agree",
            )
        return model

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """The words (``<unk>`` left out) and their float32 vectors ``U Σ^p``."""
        unk = self.vocab.unk_id
        keep = [i for i in range(len(self.vocab)) if i != unk]
        words = [self.vocab.words[i] for i in keep]
        return words, np.asarray(self.params["vectors"][keep], np.float32)


def fit_ppmi(
    X: sp.spmatrix, vocab: Vocabulary, config: PPMIConfig | None = None, info: dict | None = None
) -> PPMI:
    """PPMI + SVD of the co-occurrence matrix ``X`` (rows and columns in ``vocab``'s order).

    ``info`` is recorded in the model's ``config.json`` (corpus, window, ...).
    """
    config = config or PPMIConfig()
    if X.shape != (len(vocab), len(vocab)):
        raise DiaphaneError(f"X is {X.shape}; the vocabulary has {len(vocab)} words.")
    U, s, _ = truncated_svd(ppmi_matrix(X, config.cds, config.shift), config.dim)
    vectors = (U * s**config.eig).astype(np.float32)
    params = {"vectors": vectors, "singular_values": s.astype(np.float32)}
    return PPMI(vocab, config, params, info)
