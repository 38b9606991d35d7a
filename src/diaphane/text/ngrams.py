"""Vectorised n-gram counting with packed int64 ids (a reverse trie of sorted arrays).

Entry points: :func:`count_ngrams` and :func:`find_contexts`.

A context of length j is packed as ``index of its j-1 most recent words``  x  V +
``its oldest word``, and looked up level by level with ``np.searchsorted``; an
n-gram (h, w) of order k is packed as ``index of h``  x  V + ``w``. Keys never
exceed (number of contexts)  x  V, so any order fits in int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class NgramCounts:
    """Sorted packed keys and counts; list index j is context length / order-1."""

    order: int
    vocab_size: int
    contexts: list[np.ndarray]  # level j = 0..order-1; level 0 is the empty context
    keys: list[np.ndarray]  # order k = 1..order at index k-1
    counts: list[np.ndarray]  # raw counts, aligned with keys
    continuation: list[np.ndarray]  # N1+(• h w) for k < order; raw counts at k = order


def count_ngrams(stream: np.ndarray, order: int, vocab_size: int, bos_id: int) -> NgramCounts:
    """Count every k-gram (k ≤ order) that ends at a non-``<s>`` position of ``stream``.

    ``stream`` must start each sentence with order-1 ``<s>`` (see
    :func:`diaphane.text.pad_sentences`), so every lower-order k-gram is the suffix
    of a higher one and continuation counts are exact.
    """
    stream = np.asarray(stream, np.int64)
    pos = np.flatnonzero(stream != bos_id)
    pos = pos[pos >= order - 1]
    V = np.int64(vocab_size)
    cidx = [np.zeros(len(pos), np.int64)]
    contexts = [np.zeros(1, np.int64)]
    for j in range(1, order):
        uniq, _, inv, _ = unique_inverse(cidx[-1] * V + stream[pos - j])
        contexts.append(uniq)
        cidx.append(inv)
    keys, counts, first, inverse = [], [], [], []
    target = stream[pos]
    for k in range(1, order + 1):
        uniq, idx, inv, cnt = unique_inverse(cidx[k - 1] * V + target)
        keys.append(uniq)
        counts.append(cnt)
        first.append(idx)
        inverse.append(inv)
    continuation = [
        np.bincount(inverse[k][first[k + 1]], minlength=len(keys[k])).astype(np.int64)
        for k in range(order - 1)
    ]
    continuation.append(counts[-1])
    return NgramCounts(order, vocab_size, contexts, keys, counts, continuation)


def unique_inverse(key: np.ndarray) -> tuple[np.ndarray, ...]:
    """``np.unique(key, return_index, return_inverse, return_counts)`` for int64 keys ≥ 0.

    When key and position fit together in 63 bits, one ``np.sort`` of
    ``key << bits | position`` replaces the (several times slower) argsort.
    """
    n = len(key)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty
    bits = max(1, (n - 1).bit_length())
    if int(key.max()).bit_length() + bits <= 63:
        packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
        order, skey = packed & ((1 << bits) - 1), packed >> bits
    else:
        order = np.argsort(key, kind="stable")
        skey = key[order]
    flag = np.empty(n, bool)
    flag[0] = True
    np.not_equal(skey[1:], skey[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    inverse = np.empty(n, np.int64)
    inverse[order] = np.cumsum(flag) - 1
    return skey[starts], order[starts], inverse, np.diff(starts, append=n)


def find_contexts(contexts: list[np.ndarray], ids: np.ndarray, vocab_size: int) -> list[np.ndarray]:
    """Indices of the contexts of ``ids`` (rows, most recent word last) at each level.

    Returns one array per context length 0..ids.shape[1]; -1 where that context
    was never seen (and so at every longer length too).
    """
    ids = np.asarray(ids, np.int64)
    found = [np.zeros(len(ids), np.int64)]
    for j in range(1, ids.shape[1] + 1):
        level = contexts[j] if j < len(contexts) else np.zeros(0, np.int64)
        key = np.where(found[-1] >= 0, found[-1] * vocab_size + ids[:, -j], -1)
        found.append(lookup(level, key))
    return found


def lookup(sorted_keys: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions of ``key`` in ``sorted_keys``, -1 where absent."""
    idx = np.searchsorted(sorted_keys, key)
    hit = idx < len(sorted_keys)
    hit[hit] = sorted_keys[idx[hit]] == key[hit]
    return np.where(hit, idx, -1)


def decode_contexts(
    contexts: list[np.ndarray], level: int, idx: np.ndarray, vocab_size: int
) -> np.ndarray:
    """Word ids ``(len(idx), level)`` of contexts at ``level``, oldest word first."""
    out = np.zeros((len(idx), level), np.int64)
    cur = np.asarray(idx, np.int64)
    for j in range(level, 0, -1):
        key = contexts[j][cur]
        out[:, level - j] = key % vocab_size
        cur = key // vocab_size
    return out
