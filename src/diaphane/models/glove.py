"""GloVe: word vectors from a weighted least-squares fit to log co-occurrence counts.

Pennington, Socher and Manning (2014) fit, for every non-zero count ``X[i, j]``,

    J = 1/2 sum_ij f(X_ij) (w_i . wc_j + b_i + bc_j - log X_ij)^2,  f(x) = min(1, (x / x_max)^alpha)

with AdaGrad, and keep ``W + W̃`` as the word vectors. Here the loss and its
gradients come from diaphane's engine over shuffled minibatches of non-zero
entries: the dot products go through :func:`~diaphane.models._glove_kernel.row_dot`,
whose gradient is computed as two sparse-matrix products and arrives as sparse
rows, so AdaGrad only reads and writes the rows a batch touched. Both the primitive
and the sparse AdaGrad step run as compiled (numba) kernels.

On small corpora plain GloVe is weak; two options measured to help (see
``bench/glove.py``): ``target="pmi"`` fits PMI with smoothed context probabilities
instead of ``log X`` (the same fit, the biases no longer absorbing the context
distribution), and ``init="svd"`` starts from the PPMI matrix's truncated SVD.

The defaults here are Stanford GloVe's (x_max 100, alpha 0.75, learning rate 0.05, AdaGrad
with its sums of squares starting at 1, uniform initialisation in ±0.5/dim), so the class
names the published algorithm; ``diaphane train glove`` defaults instead to the best
measured setting (``target="pmi"``, ``init="svd"``, dim 100, 2 epochs, window 12).
Stanford's AdaGrad accumulates the squares of ``lr x gradient``; that is
``AdaGrad(lr=1, initial_accumulator=1/lr²)`` here, the same update.

Entry points: :class:`GloVeConfig`, :func:`train_glove`, :class:`GloVe`,
:func:`glove_loss`, :class:`GloVeBatches`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

import diaphane.numpy as dnp
from diaphane.autodiff.core import DiaphaneError
from diaphane.models._folder import VOCAB_FILE, WordModel
from diaphane.models._glove_kernel import row_dot
from diaphane.nn.optim import AdaGrad
from diaphane.nn.train import TrainConfig, TrainResult, train
from diaphane.text.vocab import Vocabulary

__all__ = [
    "GloVe",
    "GloVeBatches",
    "GloVeConfig",
    "glove_loss",
    "pmi_target",
    "svd_start",
    "train_glove",
    "weighting",
]

log = logging.getLogger(__name__)

KIND = "glove"


@dataclass
class GloVeConfig:
    """GloVe's hyperparameters (counting ones are recorded by the caller that counts).

    Attributes:
        dim: vector size.
        x_max: counts at or above this get full weight.
        alpha: exponent of the weighting below ``x_max``.
        lr: AdaGrad's learning rate, in Stanford's sense (see the module docs).
        epochs: passes over the non-zero entries.
        batch_size: non-zero entries per step (about: batches are drawn at random).
        seed: initialisation and shuffling.
        output: ``"sum"`` (``W + W̃``, Stanford's ``-model 2``) or ``"W"``.
        fused: use the fused :func:`row_dot` primitive (else plain engine gathers).
        target: what ``w . wc + b + bc`` fits: ``"log"`` (``log X``, GloVe's) or
            ``"pmi"`` (``log X_ij - log X_i* - log P_cds(j)``: the same fit with the
            context distribution smoothed, as PPMI does; much better on small corpora).
        cds: the smoothing exponent of ``"pmi"`` (and of the ``"svd"`` start).
        init: ``"random"`` (Stanford's) or ``"svd"``: start ``W`` and ``W̃`` from the
            truncated SVD of the PPMI matrix, ``U Σ^½`` and ``V Σ^½`` (deterministic).
        svd_oversample: extra sketch columns of the ``"svd"`` start's randomised SVD
            (more: a start closer to the exact SVD, at a cost linear in ``dim + this``;
            100 puts all 100 singular values of wiki+brown's PPMI within 1% of ARPACK's,
            20 within 3.4%, and at window 12 moves WS353 from 0.544 to 0.556).
    """

    dim: int = 50
    x_max: float = 100.0
    alpha: float = 0.75
    lr: float = 0.05
    epochs: int = 25
    batch_size: int = 65536
    seed: int = 0
    output: str = "sum"
    fused: bool = True
    target: str = "log"
    cds: float = 0.75
    init: str = "random"
    svd_oversample: int = 100

    def __post_init__(self) -> None:
        if self.dim < 1 or self.epochs < 0 or self.batch_size < 1:
            raise DiaphaneError("GloVe needs dim >= 1, epochs >= 0 and batch_size >= 1.")
        if not all(map(math.isfinite, (self.x_max, self.alpha, self.lr, self.cds))):
            raise DiaphaneError("GloVe needs finite x_max, alpha, lr and cds.")
        if self.x_max <= 0 or self.lr <= 0:
            raise DiaphaneError("GloVe needs a positive x_max and learning rate.")
        if self.output not in ("sum", "W"):
            raise DiaphaneError(f"output must be 'sum' or 'W', not {self.output!r}.")
        if self.target not in ("log", "pmi") or self.init not in ("random", "svd"):
            raise DiaphaneError(
                f"target must be 'log' or 'pmi' and init 'random' or 'svd', "
                f"not {self.target!r} and {self.init!r}."
            )
        if self.cds <= 0:
            raise DiaphaneError(f"cds must be positive, not {self.cds}.")
        if self.svd_oversample < 0:
            raise DiaphaneError(f"svd_oversample must be >= 0, not {self.svd_oversample}.")


def weighting(x: np.ndarray, x_max: float, alpha: float) -> np.ndarray:
    """GloVe's ``f(x) = min(1, (x / x_max)^alpha)``.

    >>> weighting(np.array([1.0, 10.0, 1000.0]), 10.0, 1.0)
    array([0.1, 1. , 1. ])
    """
    return np.minimum(1.0, (np.asarray(x) / x_max) ** alpha)


def init_params(vocab_size: int, dim: int, seed: int = 0, dtype: Any = np.float32) -> dict:
    """Stanford's initialisation: every parameter uniform in ``[-0.5/dim, 0.5/dim)``."""
    rng = np.random.default_rng(seed)

    def uniform(*shape: int) -> np.ndarray:
        return ((rng.random(shape) - 0.5) / dim).astype(dtype)

    return {
        "W": uniform(vocab_size, dim),
        "W_ctx": uniform(vocab_size, dim),
        "b": uniform(vocab_size),
        "b_ctx": uniform(vocab_size),
    }


def pmi_target(X: sp.spmatrix, cds: float = 0.75) -> sp.csr_matrix:
    """``log X_ij - log X_i* - log P_cds(j)`` on the non-zeros of ``X``, where
    ``P_cds(j) = X_*j^cds / sum_j' X_*j'^cds`` (Levy, Goldberg and Dagan 2015).

    >>> X = sp.csr_matrix(np.array([[0.0, 2.0], [2.0, 2.0]]))
    >>> np.round(pmi_target(X, cds=1.0).toarray(), 4)
    array([[ 0.    ,  0.4055],
           [ 0.4055, -0.2877]])
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    X.sum_duplicates()
    row_sums = np.asarray(X.sum(axis=1)).ravel()
    smoothed = np.asarray(X.sum(axis=0)).ravel() ** cds
    log_p = np.log(smoothed, where=smoothed > 0, out=np.zeros_like(smoothed))
    log_p -= np.log(smoothed.sum())
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    out = X.copy()
    out.data = np.log(X.data) - np.log(row_sums[rows]) - log_p[X.indices]
    return out


def svd_start(
    X: sp.spmatrix, dim: int, cds: float = 0.75, oversample: int = 100, dtype: Any = np.float32
) -> dict:
    """GloVe's parameters started from the PPMI matrix's truncated SVD ``U Σ Vᵀ``:
    ``W = U Σ^½``, ``W̃ = V Σ^½``, zero biases (deterministic)."""
    from diaphane.models.ppmi import ppmi_matrix, truncated_svd

    U, s, Vt = truncated_svd(ppmi_matrix(X, cds=cds), dim, oversample=oversample)
    root = np.sqrt(s)
    W, C = np.zeros((X.shape[0], dim)), np.zeros((X.shape[1], dim))
    W[:, : len(s)], C[:, : len(s)] = U * root, Vt.T * root
    n = X.shape[0]
    return {"W": W.astype(dtype), "W_ctx": C.astype(dtype), "b": np.zeros(n, dtype),
            "b_ctx": np.zeros(n, dtype)}  # fmt: skip


def glove_loss(
    params: dict,
    rows: np.ndarray,
    cols: np.ndarray,
    log_x: np.ndarray,
    weight: np.ndarray,
    fused: bool = True,
) -> Any:
    """Mean over the batch of ``1/2 f(X_ij) (w_i . wc_j + b_i + bc_j - log X_ij)^2``.

    ``weight`` is ``f(X_ij)``; ``fused=False`` spells the dot products with plain
    engine gathers (same value and gradient, slower).
    """
    W, C = params["W"], params["W_ctx"]
    dots = row_dot(W, C, rows, cols) if fused else dnp.sum(W[rows] * C[cols], axis=1)
    diff = dots + params["b"][rows] + params["b_ctx"][cols] - log_x
    return 0.5 * dnp.mean(weight * diff * diff)


class GloVeBatches:
    """Random minibatches of a co-occurrence matrix's non-zero entries.

    Each entry draws a batch at random (``np.random.default_rng((seed, epoch))``),
    and a stable sort by batch keeps the matrix's row order inside every batch:
    the batches are as random as a shuffle, and sorted by row, which lets
    :func:`row_dot` sum its row gradients without sorting. A batch is
    ``(rows, cols, log X, f(X))``. An epoch puts the entries in batch order once (a
    compiled counting sort, then one scatter per array), so a batch is four slices.
    """

    def __init__(
        self,
        X: sp.spmatrix,
        x_max: float,
        alpha: float,
        batch_size: int,
        seed: int = 0,
        target: sp.spmatrix | None = None,
    ):
        X = sp.csr_matrix(X)
        X.sum_duplicates()
        if X.nnz == 0:
            raise DiaphaneError("The co-occurrence matrix is empty: the corpus is too small.")
        if X.data.min() <= 0 or not np.all(np.isfinite(X.data)):
            raise DiaphaneError("Co-occurrence counts must be positive and finite.")
        coo = X.tocoo()
        index = np.int32 if max(X.shape) < 2**31 else np.int64  # halves the shuffle's traffic
        self.rows = coo.row.astype(index, copy=False)
        self.cols = coo.col.astype(index, copy=False)
        log_x = np.log(coo.data.astype(np.float64, copy=False))
        self.log_x = log_x.astype(np.float32)
        if target is not None:  # another target on the same non-zeros (pmi_target)
            self.log_x = self._target_values(X, target)
        # f(x) = min(1, (x / x_max)^alpha) as an exponential of the log at hand: NumPy's
        # pow is scalar code, its exp SIMD (10x faster; equal after rounding to float32).
        log_x -= np.log(x_max)
        log_x *= alpha
        self.weight = np.minimum(np.exp(log_x, out=log_x), 1.0).astype(np.float32)
        self.n = X.nnz
        self.n_batches = max(1, round(self.n / batch_size))
        self.seed = seed

    def __len__(self) -> int:
        return self.n_batches

    def _which(self, epoch: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, epoch))
        dtype = np.int16 if self.n_batches <= 2**15 else np.int32  # int16 sorts by radix
        return rng.integers(0, self.n_batches, self.n, dtype=dtype)

    def order(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The entries in batch order, and where each batch starts in it (the reference
        for the order :meth:`__call__` builds without sorting)."""
        which = self._which(epoch)
        bounds = np.zeros(self.n_batches + 1, np.int64)
        np.cumsum(np.bincount(which, minlength=self.n_batches), out=bounds[1:])
        return np.argsort(which, kind="stable"), bounds

    def __call__(self, epoch: int, start: int = 0) -> Iterator[tuple]:
        from diaphane.models._glove_numba import batch_positions

        bounds, where = batch_positions(self._which(epoch), self.n_batches)
        rows, cols, log_x, weight = (np.empty_like(a) for a in self._arrays())
        for source, target in zip(self._arrays(), (rows, cols, log_x, weight), strict=True):
            target[where] = source
        del where
        for b in range(start, self.n_batches):
            lo, hi = bounds[b], bounds[b + 1]
            # int64 ids: the one index type the compiled kernels are built for.
            ids = rows[lo:hi].astype(np.int64), cols[lo:hi].astype(np.int64)
            yield *ids, log_x[lo:hi], weight[lo:hi]

    @staticmethod
    def _target_values(X: sp.csr_matrix, target: sp.spmatrix) -> np.ndarray:
        target = sp.csr_matrix(target)
        target.sum_duplicates()
        same = np.array_equal(target.indptr, X.indptr) and np.array_equal(target.indices, X.indices)
        if not same:
            raise DiaphaneError("The target must have the co-occurrence matrix's non-zeros.")
        return target.tocoo().data.astype(np.float32)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return self.rows, self.cols, self.log_x, self.weight


class GloVe(WordModel):
    """A trained GloVe model: vocabulary, hyperparameters and the four parameter tables."""

    kind = KIND
    config_type = GloVeConfig

    def __init__(
        self, vocab: Vocabulary, config: GloVeConfig, params: dict, info: dict | None = None
    ) -> None:
        if params["W"].shape != (len(vocab), config.dim):
            raise DiaphaneError(
                f"GloVe's W has shape {params['W'].shape}, expected ({len(vocab)}, {config.dim})."
            )
        self.vocab, self.config, self.params = vocab, config, params
        self.info = dict(info or {})

    def __repr__(self) -> str:
        return f"GloVe(|V|={len(self.vocab)}, dim={self.config.dim})"

    @classmethod
    def tensor_shapes(cls, vocab_size: int, config: GloVeConfig) -> dict:
        """The four tables: word and context vectors ``(|V|, dim)`` and their biases."""
        table, bias = ((vocab_size, config.dim), "f"), ((vocab_size,), "f")
        return {"W": table, "W_ctx": table, "b": bias, "b_ctx": bias}

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """The words (``<unk>`` left out) and their float32 vectors, ``W + W̃`` by default."""
        W = self.params["W"]
        out = W + self.params["W_ctx"] if self.config.output == "sum" else W
        keep = [i for i, w in enumerate(self.vocab.words) if w != self.vocab.words[0]]
        return [self.vocab.words[i] for i in keep], np.asarray(out[keep], np.float32)


def train_glove(
    X: sp.spmatrix,
    vocab: Vocabulary,
    config: GloVeConfig | None = None,
    *,
    train_config: TrainConfig | None = None,
    info: dict | None = None,
    resume: bool = False,
) -> tuple[GloVe, TrainResult]:
    """Fit GloVe to the co-occurrence matrix ``X`` (``|V| x |V|``, rows and columns in
    ``vocab``'s order), with progress, checkpoints and exact resume from
    :func:`diaphane.nn.train.train`.

    Args:
        X: co-occurrence counts, e.g. from :func:`diaphane.text.cooccur.cooccurrence_matrix`.
        vocab: the words of its rows.
        config: GloVe's hyperparameters.
        train_config: checkpoint folder, progress bar, max steps (epochs come from ``config``).
        info: recorded in the model's ``config.json`` (corpus, fingerprint, window, ...).
        resume: continue from ``train_config.checkpoint_dir/last``.

    Returns:
        The model and the training result (``result.state.history`` holds the mean
        loss per epoch).
    """
    config = config or GloVeConfig()
    if X.shape != (len(vocab), len(vocab)):
        raise DiaphaneError(f"X is {X.shape}; the vocabulary has {len(vocab)} words.")
    target = pmi_target(X, config.cds) if config.target == "pmi" else None
    batches = GloVeBatches(X, config.x_max, config.alpha, config.batch_size, config.seed, target)
    if config.init == "svd":
        params = svd_start(X, config.dim, config.cds, config.svd_oversample)
    else:
        params = init_params(len(vocab), config.dim, config.seed)
    # Stanford's update with a batch-mean loss: see the module docs (scale-free in AdaGrad).
    scale = config.lr * batches.n / len(batches)
    optimizer = AdaGrad(lr=1.0, initial_accumulator=1.0 / scale**2)
    tc = train_config or TrainConfig()
    tc = TrainConfig(
        **{**asdict(tc), "epochs": config.epochs, "patience": 0, "loss_is_log_likelihood": False}
    )
    model = GloVe(vocab, config, params, info)
    fused = config.fused

    def loss(p: dict, rows: Any, cols: Any, log_x: Any, weight: Any) -> Any:
        return glove_loss(p, rows, cols, log_x, weight, fused)

    result = train(
        loss, params, optimizer, batches, config=tc, model_config=model.folder_config(),
        extra_files={VOCAB_FILE: vocab.save}, resume=resume,
    )  # fmt: skip
    model.params = result.params
    return model, result
