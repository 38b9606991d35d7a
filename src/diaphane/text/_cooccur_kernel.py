"""Compiled co-occurrence counting: one chunk of tokens to sorted CSR rows.

The vectorised NumPy path (:func:`diaphane.text._cooccur_numpy.cooccurrence_numpy`) makes
one int64 key per pair and sorts them all: ``window x tokens`` keys, whose sort
dominates the run time. Here the token *positions* are bucketed by word with a
counting sort; each word's row is then summed into a dense ``|V|`` scratch vector
(small enough to stay in cache) from the windows around its occurrences, and the
touched columns are emitted in increasing order. Work is linear in the number of
pairs; memory is the chunk's tokens plus its distinct pairs, never ``|V|²``.

Weights are usually whole numbers (the caller scales ``1/d`` by ``lcm(1..window)``),
so a row's float64 sums are exact whatever the order of the additions, and dividing
once at the end gives the correctly rounded value: ``X[a, b]`` and ``X[b, a]`` come
out equal bit for bit although they are summed in different rows. (float64, not
int64, so that one compiled signature serves the fractional fallback too.)

The chunk comes as :func:`layout` writes it: ``int32`` ids with ``-1`` between
sequences and at both ends, so a window walk stops at the sentinel without a
bounds check or a second array to compare sequence numbers in.

Entry points: :func:`layout`, :func:`count_rows`.
"""

from __future__ import annotations

import numba
import numpy as np

# x & -x times this de Bruijn constant puts a distinct 6-bit pattern in the top bits.
_DEBRUIJN = 0x03F79D71B4CB0A89
_CTZ = np.zeros(64, np.int64)
for _i in range(64):
    _CTZ[((_DEBRUIJN << _i) & 0xFFFFFFFFFFFFFFFF) >> 58] = _i


@numba.njit(cache=True, nogil=True)
def layout(
    raw: np.ndarray, lengths: np.ndarray, skip_id: int, has_skip: bool, vocab_size: int
) -> tuple[np.ndarray, int]:
    """Sequences concatenated as ``int32`` with ``-1`` around each, ``skip_id`` tokens
    removed (and empty sequences with them); or, if some id lies outside
    ``[0, vocab_size)``, an empty array and the first such id's position in ``raw``."""
    out = np.empty(raw.size + lengths.size + 1, np.int32)
    out[0] = -1
    o, i = 1, 0
    for n in lengths:
        for j in range(i, i + n):
            t = raw[j]
            if has_skip and t == skip_id:
                continue
            if t < 0 or t >= vocab_size:
                return out[:0], j
            out[o] = t
            o += 1
        i += n
        if out[o - 1] != -1:
            out[o] = -1
            o += 1
    return out[:o].copy(), -1


@numba.njit(cache=True, nogil=True)
def _bucket_by_word(flat: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Token positions grouped by word (a counting sort), and each word's start in them."""
    starts = np.zeros(vocab_size + 1, np.int64)
    for t in flat:
        if t >= 0:
            starts[t + 1] += 1
    for w in range(vocab_size):
        starts[w + 1] += starts[w]
    fill = starts[:-1].copy()
    positions = np.empty(starts[vocab_size], np.int32)
    for i in range(flat.size):
        t = flat[i]
        if t >= 0:
            positions[fill[t]] = i
            fill[t] += 1
    return positions, starts


@numba.njit(cache=True, nogil=True)
def _emit_sorted(scratch, touched, k, cols, vals, nnz, scale):
    # An insertion sort: used for short rows only, and far quicker to compile than np.sort.
    for j in range(k):
        c = touched[j]
        i = nnz + j
        while i > nnz and cols[i - 1] > c:
            cols[i] = cols[i - 1]
            i -= 1
        cols[i] = c
    for i in range(nnz, nnz + k):
        vals[i] = scratch[cols[i]] / scale
        scratch[cols[i]] = 0


@numba.njit(cache=True, nogil=True)
def _emit_bitmap(scratch, touched, k, bits, cols, vals, nnz, scale):
    # Mark the columns in a bitset and read it back in order: k + |V|/64 steps, where a
    # sort takes k log k, which is more for the frequent words' long rows.
    lo, hi = bits.size, 0
    for j in range(k):
        c = touched[j]
        bits[c >> 6] |= np.uint64(1) << np.uint64(c & 63)
        lo, hi = min(lo, c >> 6), max(hi, c >> 6)
    for word in range(lo, hi + 1):
        x = bits[word]
        bits[word] = 0
        while x:
            low = x & (~x + np.uint64(1))
            c = (word << 6) + _CTZ[(low * np.uint64(_DEBRUIJN)) >> np.uint64(58)]
            cols[nnz] = c
            vals[nnz] = scratch[c] / scale
            scratch[c] = 0
            nnz += 1
            x ^= low


@numba.njit(cache=True, nogil=True)
def _grow(array: np.ndarray, size: int, needed: int) -> np.ndarray:
    """``array`` with room for ``needed`` entries, its first ``size`` kept."""
    if needed <= array.size:
        return array
    bigger = np.empty(max(needed, array.size + array.size // 2), array.dtype)
    bigger[:size] = array[:size]
    return bigger


@numba.njit(cache=True, nogil=True)
def _emit_row(scratch, touched, k, bits, cols, vals, nnz, scale):
    """Write a row's ``k`` touched columns in increasing order and their sums (divided by
    ``scale``) at ``nnz``, clearing ``scratch``; returns ``cols, vals`` (maybe regrown)."""
    cols = _grow(cols, nnz, nnz + k)
    vals = _grow(vals, nnz, nnz + k)
    # Insertion sort costs about k²/4 steps, the bitmap k + |V|/64.
    if k * k < 4 * bits.size:
        _emit_sorted(scratch, touched, k, cols, vals, nnz, scale)
    else:
        _emit_bitmap(scratch, touched, k, bits, cols, vals, nnz, scale)
    return cols, vals


@numba.njit(cache=True, nogil=True)
def count_rows(
    flat: np.ndarray, vocab_size: int, weights: np.ndarray, scale: float, symmetric: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR ``(indptr, indices, data)`` of one chunk's co-occurrences, indices sorted.

    Args:
        flat: the chunk as :func:`layout` returns it.
        vocab_size: the matrix is ``vocab_size`` square.
        weights: ``weights[d - 1]`` is added for a pair ``d`` apart (all positive); its
            length is the window. Whole-number weights sum exactly.
        scale: every sum is divided by it.
        symmetric: count the context on both sides, else only the context after the word.
    """
    window = weights.size
    positions, starts = _bucket_by_word(flat, vocab_size)
    scratch = np.zeros(vocab_size, np.float64)
    touched = np.empty(vocab_size, np.int32)
    bits = np.zeros((vocab_size + 63) // 64, np.uint64)
    indptr = np.zeros(vocab_size + 1, np.int64)
    cols = np.empty(4 * positions.size + 16, np.int32)
    vals = np.empty(cols.size, np.float64)
    for w in range(vocab_size):
        k = 0
        # The window walks are written out here: as calls (even inlined ones) they ran
        # 30-40% slower.
        for i in range(starts[w], starts[w + 1]):
            p = positions[i]
            for d in range(window):
                c = flat[p + 1 + d]
                if c < 0:
                    break
                # Weights are positive, so zero means "not touched yet in this row".
                if scratch[c] == 0:
                    touched[k] = c
                    k += 1
                scratch[c] += weights[d]
            for d in range(window if symmetric else 0):
                c = flat[p - 1 - d]
                if c < 0:
                    break
                if scratch[c] == 0:
                    touched[k] = c
                    k += 1
                scratch[c] += weights[d]
        if k:
            cols, vals = _emit_row(scratch, touched, k, bits, cols, vals, indptr[w], scale)
        indptr[w + 1] = indptr[w] + k
    nnz = indptr[vocab_size]
    return indptr, cols[:nnz].copy(), vals[:nnz].copy()
