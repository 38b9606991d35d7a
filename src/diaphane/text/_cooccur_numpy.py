"""Co-occurrence counting by sorting int64 pair keys with NumPy: the implementation
the compiled kernel (:mod:`diaphane.text._cooccur_kernel`) replaced, kept as the
reference the tests and ``bench/glove.py count`` compare it with.

Entry point: :func:`cooccurrence_numpy` (same arguments and result as
:func:`diaphane.text.cooccur.cooccurrence_matrix`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from diaphane.text.cooccur import (
    CHUNK_TOKENS,
    _chunks,
    _distance_weights,
    _Merger,
    _weighting_name,
)

__all__ = ["cooccurrence_numpy"]


def cooccurrence_numpy(
    sequences: Iterable[np.ndarray],
    vocab_size: int,
    window: int = 10,
    symmetric: bool = True,
    distance_weighting: bool | str = True,
    skip_id: int | None = 0,
    chunk_tokens: int = CHUNK_TOKENS,
) -> sp.csr_matrix:
    """:func:`cooccurrence_matrix` by sorting int64 pair keys with NumPy: the
    implementation the compiled kernel replaced, kept as the tests' reference."""
    weighting = _weighting_name(distance_weighting)
    weights = None if weighting == "none" else _distance_weights(weighting, window)
    merger = _Merger(_merge, lambda run: len(run[0]))
    for raw, lengths in _chunks(sequences, chunk_tokens):
        flat, seq_of = raw, np.repeat(np.arange(len(lengths)), lengths)
        if skip_id is not None:
            keep = flat != skip_id
            flat, seq_of = flat[keep], seq_of[keep]
        if flat.size and (flat.min() < 0 or flat.max() >= vocab_size):
            raise ValueError(f"token ids must lie in [0, {vocab_size}); got {flat.min()}..")
        merger.add(_count_chunk_numpy(flat, seq_of, vocab_size, window, weights))
    keys, values = merger.result() if merger.runs else (np.zeros(0, np.int64), np.zeros(0))
    rows, cols = np.divmod(keys, vocab_size)
    # The keys are sorted and unique, so they already are CSR's (row, column) order.
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=vocab_size))])
    X = sp.csr_matrix((values, cols, indptr), shape=(vocab_size, vocab_size))
    X.has_sorted_indices = True
    return (X + X.T.tocsr()).tocsr() if symmetric else X


def _count_chunk_numpy(
    flat: np.ndarray,
    seq_of: np.ndarray,
    vocab_size: int,
    window: int,
    weights: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys ``w * V + c`` (``c`` after ``w``) and their weighted counts
    (``weights[d - 1]`` a pair ``d`` apart, 1 if ``None``).

    The distance rides along in the key (``key * window + d - 1``), so one sort of
    plain integers, without an argsort to carry weights, groups equal pairs.
    """
    base = flat * vocab_size
    keys = []
    for d in range(1, min(window, flat.size - 1) + 1):
        same = seq_of[:-d] == seq_of[d:]
        k = base[:-d][same] + flat[d:][same]
        keys.append(k if weights is None else k * window + (d - 1))
    key = np.sort(np.concatenate(keys)) if keys else np.zeros(0, np.int64)
    if not key.size:  # no two tokens of a sequence within the window
        return key, np.zeros(0)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[first, key.size]).astype(np.float64)
    key = key[first]
    if weights is None:
        return key, counts
    pair, dist = np.divmod(key, window)
    counts *= weights[dist]
    first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return pair[first], np.add.reduceat(counts, first)


def _merge(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([a[0], b[0]])
    if not keys.size:  # two empty chunks
        return a
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], np.concatenate([a[1], b[1]])[order]
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[first], np.add.reduceat(values, first)
