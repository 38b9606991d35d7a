"""Vectorised n-gram counting with packed int64 ids (a reverse trie of sorted arrays).

Entry points: :func:`count_ngrams`, :class:`KeyIndex` and :func:`find_contexts`.

A context of length j is packed as ``index of its j-1 most recent words``  x  V +
``its oldest word``, and an n-gram (h, w) of order k as ``index of h``  x  V + ``w``.
Keys never exceed (number of contexts)  x  V, so any order fits in int64. Each level
is a sorted array of unique keys; :class:`KeyIndex` finds keys in it in O(1) (a
direct table for small keys, else a hash table), since binary search over arrays
of hundreds of thousands of keys is bound by cache misses.
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
        uniq, _, inv, _ = unique_inverse(cidx[-1] * V + stream[pos - j], first=False)
        contexts.append(uniq)
        cidx.append(inv)
    keys, counts, first, inverse = [], [], [], []
    target = stream[pos]
    for k in range(1, order + 1):
        # Only a representative of each k-gram (k > 1) and the k-gram of each position
        # (k < order) feed the continuation counts; skip what is not needed.
        uniq, idx, inv, cnt = unique_inverse(
            cidx[k - 1] * V + target, first=k > 1, inverse=k < order
        )
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


def unique_inverse(
    key: np.ndarray, first: bool = True, inverse: bool = True
) -> tuple[np.ndarray, ...]:
    """``np.unique(key, return_index, return_inverse, return_counts)`` for int64 keys ≥ 0.

    The index is of *some* occurrence of each key (not necessarily the first), which
    is all counting needs; the inverse may be int32; parts not asked for come back
    empty. Small keys are counted with ``np.bincount``; otherwise, when key and
    position fit together in 63 bits, one ``np.sort`` of ``key << bits | position``
    replaces the (several times slower) argsort.
    """
    n = len(key)
    empty = np.zeros(0, np.int64)
    if n == 0:
        return empty, empty, empty, empty
    top = int(key.max()) + 1
    if top <= 2 * n + 1024:
        return _unique_dense(key, top, first, inverse)
    bits = max(1, (n - 1).bit_length())
    if top.bit_length() + bits <= 63:
        packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
        order, skey = packed & ((1 << bits) - 1), packed >> bits
    else:
        order = np.argsort(key, kind="stable")
        skey = key[order]
    flag = np.empty(n, bool)
    flag[0] = True
    np.not_equal(skey[1:], skey[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    inv = empty
    if inverse:  # int32 when it fits: this scatter is bound by memory traffic
        dtype = np.int32 if len(starts) < 2**31 else np.int64
        inv = np.empty(n, dtype)
        inv[order] = np.cumsum(flag, dtype=dtype) - 1
    return skey[starts], order[starts] if first else empty, inv, np.diff(starts, append=n)


def _unique_dense(key: np.ndarray, top: int, first: bool, inverse: bool) -> tuple[np.ndarray, ...]:
    """:func:`unique_inverse` by direct addressing, for keys below ``top`` ≈ len(key)."""
    empty = np.zeros(0, np.int64)
    counts = np.bincount(key, minlength=top)
    uniq = np.flatnonzero(counts)
    idx = inv = empty
    if first:  # duplicate assignments keep one writer: some occurrence of each key
        where = np.empty(top, np.int64)
        where[key] = np.arange(len(key), dtype=np.int64)
        idx = where[uniq]
    if inverse:
        rank = np.cumsum(counts > 0, dtype=np.int64) - 1
        inv = rank[key]
    return uniq, idx, inv, counts[uniq]


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: Fibonacci hashing
# Collisions are resolved _PROBE slots per pass: few passes, so little per-call overhead.
_PROBE = 8
_AHEAD = np.arange(1, _PROBE + 1)


class KeyIndex:
    """Positions of int64 keys in a sorted array of unique keys, in O(1) per key.

    Keys below about 4x their number (level-1 contexts, unigrams) are looked up in a
    direct table; others in an open-addressing hash table with linear probing, at
    most half full, that stores positions into the sorted array (so a hit is
    confirmed by comparing with ``sorted_keys[position]``). Both are vectorised:
    one pass over all queries, then a few short passes for the rare collisions.

    >>> ix = KeyIndex(np.array([3, 10**12, 10**15]))
    >>> ix.find(np.array([10**15, 4, 3, -1])).tolist()
    [2, -1, 0, -1]
    """

    def __init__(self, sorted_keys: np.ndarray):
        self.keys = np.asarray(sorted_keys, np.int64)
        n = len(self.keys)
        # A sentinel -1 at position -1: empty slots (-1) then never match a real key.
        self._padded = np.append(self.keys, np.int64(-1))
        top = int(self.keys[-1]) + 1 if n else 0
        self.dense = top <= max(4 * n, 1 << 16)
        if self.dense:
            self.table = np.full(top + 1, -1, np.int32)  # slot ``top`` answers every miss
            self.table[self.keys] = np.arange(n, dtype=np.int32)
        else:
            bits = max(1, (2 * n - 1).bit_length())  # at most half full
            self.shift = np.uint64(64 - bits)
            self.table = _hash_table(self._slots(self.keys), 1 << bits)

    def _slots(self, key: np.ndarray) -> np.ndarray:
        return ((key.view(np.uint64) * _GOLDEN) >> self.shift).astype(np.intp)

    def find(self, key: np.ndarray) -> np.ndarray:
        """Position of each key in ``sorted_keys`` (int64), -1 where absent (or key < 0)."""
        key = np.asarray(key, np.int64)
        if self.dense:
            top = len(self.table) - 1
            return self.table[np.where((key >= 0) & (key < top), key, top)].astype(np.int64)
        slot = self._slots(key)
        pos = self.table[slot]
        hit = self._padded[pos] == key  # a -1 query "hits" an empty slot: -1, as wanted
        out = np.where(hit, pos, np.int64(-1))
        rest = np.flatnonzero(~hit & (pos >= 0))
        slot, key = slot[rest], key[rest]
        while len(rest):  # keys that met another key: read the next _PROBE slots at once
            pos = self.table[slot[:, None] + _AHEAD]
            hit = self._padded[pos] == key[:, None]
            stop = hit | (pos < 0)
            row, col = np.arange(len(rest)), stop.argmax(axis=1)
            found = hit[row, col]
            out[rest[found]] = pos[row, col][found]
            more = ~stop[row, col]  # no match and no empty slot yet: read further
            rest, slot, key = rest[more], slot[more] + _PROBE, key[more]
        return out

    def __len__(self) -> int:
        return len(self.keys)


def _hash_table(slot: np.ndarray, size: int) -> np.ndarray:
    """A linear-probing table holding position i at or after ``slot[i]`` (< ``size``).

    Placing the keys in order of their home slot makes each one's place a running
    maximum: ``place[i] = max(slot[i], place[i-1] + 1)``, that is
    ``i + max over j ≤ i of (slot[j] - j)`` — one sort, no insertion rounds. The
    table does not wrap around: it runs past the last home slot and ends with
    ``_PROBE`` empty slots, so a look-up may read that far ahead.
    """
    n = len(slot)
    bits = max(1, (n - 1).bit_length())
    packed = np.sort((slot.astype(np.int64) << bits) | np.arange(n, dtype=np.int64))
    home, who = packed >> bits, packed & ((1 << bits) - 1)
    i = np.arange(n, dtype=np.int64)
    place = np.maximum.accumulate(home - i) + i
    table = np.full(max(size, int(place[-1]) + 1) + _PROBE, -1, np.int32)
    table[place] = who
    return table


def find_contexts(index: list[KeyIndex], ids: np.ndarray, vocab_size: int) -> list[np.ndarray]:
    """Indices of the contexts of ``ids`` (rows, most recent word last) at each level.

    ``index[j]`` indexes the contexts of length j. Returns one array per context
    length 0..ids.shape[1]; -1 where that context was never seen (and so at every
    longer length too).
    """
    ids = np.asarray(ids, np.int64)
    found = [np.zeros(len(ids), np.int64)]
    for j in range(1, ids.shape[1] + 1):
        if j >= len(index):
            found.append(np.full(len(ids), -1, np.int64))
            continue
        # An unseen context (-1) makes a negative key, which no index holds.
        found.append(index[j].find(found[-1] * vocab_size + ids[:, -j]))
    return found


def lookup(sorted_keys: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions of ``key`` in ``sorted_keys``, -1 where absent (binary search)."""
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
