"""N-gram tables of a corpus bigger than memory: top-order counts streamed, spilled, merged.

Every position of a padded stream (:func:`~diaphane.text.pad_sentences`) that
:func:`~diaphane.text.ngrams.count_ngrams` counts ends exactly one n-gram of the top
order, and every lower-order count, context and continuation count follows from
those: a k-gram's count is the sum over the top-order n-grams that end in it, the
contexts are their histories' suffixes. So counting on a stream needs only the
top-order table. It is counted a piece of the stream at a time (with the ``n-1``
ids before each piece), summed in memory, written to disk as sorted key shards when
it outgrows its share of the bound, and merged k ways (as KenLM's ``lmplz`` sorts
n-grams on disk); :func:`counts_from_grams` then builds the tables ``count_ngrams``
builds, to the bit.

An n-gram is one int64 key (its ids as digits base ``|V|``) when ``|V|**n`` fits,
else ``4n`` big-endian bytes, which sort the same way.

Entry points: :class:`GramCodec`, :func:`count_piece`, :func:`counts_from_grams`,
:class:`SpillingGramCounter`, :func:`padded_pieces`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

import numpy as np

from diaphane.text.ngrams import NgramCounts, unique_inverse
from diaphane.text.spill import KeyShard, SpillFolder, merge_key_shards, sum_sorted_runs
from diaphane.text.spill import write_key_shard as _write_key_shard

__all__ = [
    "GramCodec",
    "SpillingGramCounter",
    "count_piece",
    "counts_from_grams",
    "padded_pieces",
]

log = logging.getLogger(__name__)

# Bytes a piece holds per token while counted: ids, positions, keys, the sort.
PIECE_BYTES = 64


class GramCodec:
    """N-grams of ``order`` ids below ``vocab_size`` as sortable keys, and back.

    >>> codec = GramCodec(3, 10)
    >>> codec.keys(np.array([1, 2, 3, 4]), np.array([2, 3])).tolist()
    [123, 234]
    >>> codec.columns(np.array([123, 234])).tolist()
    [[1, 2, 3], [2, 3, 4]]
    """

    def __init__(self, order: int, vocab_size: int) -> None:
        self.order, self.vocab_size = order, vocab_size
        self.packed = vocab_size**order < 2**63
        self.dtype = np.dtype(np.int64) if self.packed else np.dtype(f"S{4 * order}")

    def keys(self, ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Keys of the n-grams ending at ``positions`` of ``ids``."""
        n, V = self.order, np.int64(self.vocab_size)
        ids = np.asarray(ids, np.int64)
        if self.packed:
            key = np.zeros(len(positions), np.int64)
            for i in range(n):
                key = key * V + ids[positions - (n - 1) + i]
            return key
        cols = np.stack([ids[positions - (n - 1) + i] for i in range(n)], axis=1)
        return cols.astype(">u4").view(self.dtype).ravel()

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """``(len(keys), order)`` int64 ids, oldest first."""
        if not self.packed:
            raw = np.ascontiguousarray(keys).view(">u4").reshape(len(keys), self.order)
            return raw.astype(np.int64)
        out = np.empty((len(keys), self.order), np.int64)
        rest = np.asarray(keys, np.int64)
        for i in range(self.order - 1, -1, -1):
            rest, out[:, i] = np.divmod(rest, self.vocab_size)
        return out


def count_piece(
    piece: np.ndarray, before: np.ndarray, codec: GramCodec, bos_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and counts of the top-order n-grams ending in ``piece``.

    Args:
        piece: the next ids of a padded stream.
        before: the ``order - 1`` ids before it (fewer at the stream's start).
        codec: the key packing.
        bos_id: ``<s>``: positions holding it end no counted n-gram.
    """
    ids = np.concatenate([before, piece]).astype(np.int64, copy=False)
    pos = np.arange(len(before), len(ids))
    pos = pos[(ids[pos] != bos_id) & (pos >= codec.order - 1)]
    if not pos.size:
        return np.zeros(0, codec.dtype), np.zeros(0, np.int64)
    keys, counts = np.unique(codec.keys(ids, pos), return_counts=True)
    return keys, counts.astype(np.int64)


def padded_pieces(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
    order: int,
    bos_id: int,
    eos_id: int,
    stream: bool,
) -> Iterator[np.ndarray]:
    """Pieces of the stream :func:`~diaphane.text.pad_sentences` makes, from chunks of
    ``(ids, sentence lengths)``; with ``stream``, of the one sentence all the ids form."""
    pad = np.full(order - 1, bos_id, np.int32)
    if stream:
        yield pad
        for ids, _ in chunks:
            yield ids.astype(np.int32, copy=False)
        yield np.array([eos_id], np.int32)
        return
    for ids, lengths in chunks:
        yield pad_ids(ids, lengths, order, bos_id, eos_id)


def pad_ids(
    ids: np.ndarray, lengths: np.ndarray, order: int, bos_id: int, eos_id: int
) -> np.ndarray:
    """Sentences of ids (concatenated, with their ``lengths``) padded as
    :func:`~diaphane.text.pad_sentences` pads sentences of words."""
    lengths = np.asarray(lengths, np.int64)
    starts = np.cumsum(lengths + order) - (lengths + order)
    out = np.full(int(lengths.sum()) + len(lengths) * order, bos_id, np.int32)
    word_pos = np.repeat(starts + order - 1 - (np.cumsum(lengths) - lengths), lengths)
    out[word_pos + np.arange(len(ids))] = ids
    out[starts + order - 1 + lengths] = eos_id
    return out


def counts_from_grams(grams: np.ndarray, counts: np.ndarray, vocab_size: int) -> NgramCounts:
    """The tables :func:`~diaphane.text.ngrams.count_ngrams` makes, from the distinct
    top-order n-grams of its stream (``(N, order)`` ids, oldest first) and their counts."""
    N, order = grams.shape
    V = np.int64(vocab_size)
    target = grams[:, -1]
    cidx = [np.zeros(N, np.int64)]
    contexts = [np.zeros(1, np.int64)]
    for j in range(1, order):  # contexts as count_ngrams numbers them, from the newest word
        uniq, _, inv, _ = unique_inverse(cidx[-1] * V + grams[:, order - 1 - j], first=False)
        contexts.append(uniq)
        cidx.append(inv)
    keys, totals, first, inverse = [], [], [], []
    for k in range(1, order + 1):
        uniq, idx, inv, _ = unique_inverse(cidx[k - 1] * V + target, first=k > 1)
        keys.append(uniq)
        # Counts stay whole numbers below 2**53, which float64 weights add exactly.
        totals.append(np.bincount(inv, weights=counts, minlength=len(uniq)).astype(np.int64))
        first.append(idx)
        inverse.append(inv)
    continuation = [
        np.bincount(inverse[k][first[k + 1]], minlength=len(keys[k])).astype(np.int64)
        for k in range(order - 1)
    ]
    continuation.append(totals[-1])
    return NgramCounts(order, vocab_size, contexts, keys, totals, continuation)


class SpillingGramCounter:
    """Top-order n-gram counts of a stream fed piece by piece, held within ``memory``
    bytes: partial tables go to disk as key shards past a quarter of it.

    Args:
        codec: the key packing (order and vocabulary size).
        bos_id: ``<s>``.
        spill: the folder shards go to.
        memory: bytes the counter may hold.
    """

    def __init__(self, codec: GramCodec, bos_id: int, spill: SpillFolder, memory: int) -> None:
        self.codec, self.bos_id, self.spill = codec, bos_id, spill
        self.run_limit, self.merge_limit = memory // 4, memory // 2
        self.piece_tokens = max(1024, memory // 6 // PIECE_BYTES)
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.shards: list[KeyShard] = []
        self.before = np.zeros(0, np.int32)

    def add(self, piece: np.ndarray) -> None:
        """Count the n-grams ending in the next piece of the stream."""
        for lo in range(0, len(piece), self.piece_tokens):
            part = piece[lo : lo + self.piece_tokens]
            self._add_run(count_piece(part, self.before, self.codec, self.bos_id))
            tail = np.concatenate([self.before, part])
            self.before = tail[len(tail) - min(len(tail), self.codec.order - 1) :]

    def _add_run(self, run: tuple[np.ndarray, np.ndarray]) -> None:
        self.runs.append(run)
        # Merge runs of like size as they come (a binary counter): O(n log n) in all.
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(sum_sorted_runs([a[0], b[0]], [a[1], b[1]]))
        if sum(len(k) * (k.itemsize + 8) for k, _ in self.runs) > self.run_limit:
            self._write_shard()

    def _merged_runs(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.runs:
            return np.zeros(0, self.codec.dtype), np.zeros(0, np.int64)
        run = sum_sorted_runs([k for k, _ in self.runs], [c for _, c in self.runs])
        self.runs = []
        return run

    def _write_shard(self) -> None:
        keys, counts = self._merged_runs()
        self.shards.append(_write_key_shard(self.spill.new("grams"), keys, counts))
        log.info("spilled n-gram shard %d: %s n-grams", len(self.shards), f"{len(keys):,}")

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct top-order n-grams (``(N, order)`` ids) and their counts."""
        if self.shards:
            if self.runs:
                self._write_shard()
            blocks = list(merge_key_shards(self.shards, self.merge_limit))
            keys = np.concatenate([k for k, _ in blocks])
            counts = np.concatenate([c for _, c in blocks])
        else:
            keys, counts = self._merged_runs()
        return self.codec.columns(keys), counts
