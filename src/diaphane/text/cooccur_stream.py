"""Co-occurrence counts of a corpus bigger than memory: streamed, spilled to disk, merged.

Two passes, as Stanford GloVe's ``vocab_count`` and ``cooccur`` make them:

1. the corpus is read and tokenised once (:class:`~diaphane.text.token_cache.TokenCache`):
   word counts stay in memory, the tokens go to disk as provisional ids;
2. the tokens are read back in chunks and counted by the kernel
   :func:`~diaphane.text.cooccur.cooccurrence_matrix` uses; chunk matrices are summed
   in memory until they outgrow their share of the bound, then written out as a
   sorted CSR shard; at the end the shards are merged k ways
   (:func:`~diaphane.text.spill.merge_csr_shards`).

The sums are of whole numbers, so the matrix has the bits ``cooccurrence_matrix``
gives on the sequences of :func:`~diaphane.text.cooccur.corpus_sequences`.

How ``memory`` is shared: the word table may take up to three quarters (past that the
count is refused, naming the table's size); of what it leaves, a sixth goes to the
chunk being counted (its size adapts to the pairs a token brings), a quarter to the
partial counts (summing two of them briefly needs twice that), and half to a block
of the final merge.

Entry point: :func:`stream_cooccurrence`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from diaphane.errors import CorpusError
from diaphane.text.cooccur import (
    _add_csr,
    _Merger,
    check_exact,
    count_chunk,
    counting_weights,
    scale_counts,
)
from diaphane.text.spill import (
    CsrFileSink,
    CsrShard,
    SpillFolder,
    merge_csr_shards,
    write_csr_shard,
)
from diaphane.text.stream import Cleaning, corpus_fingerprints, part_documents, plan_parts
from diaphane.text.token_cache import TokenCache
from diaphane.text.vocab import Vocabulary

__all__ = ["StreamStats", "stream_cooccurrence"]

log = logging.getLogger(__name__)

# Bytes a chunk holds per token besides its pairs (ids in four forms, positions), and
# per distinct pair (the kernel's growing column and value arrays, then their copy).
TOKEN_BYTES = 24
PAIR_BYTES = 40


@dataclass
class StreamStats:
    """What a streamed count did: tokens read, shards written, time per pass."""

    fingerprints: list[str]
    tokens: int = 0
    chunks: int = 0
    shards: int = 0
    spilled_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def stream_cooccurrence(
    spec: str,
    memory: int,
    window: int = 10,
    symmetric: bool = True,
    distance_weighting: bool | str = True,
    min_count: int = 5,
    max_size: int | None = None,
    unit: str = "sentence",
    lowercase: bool = True,
    near: str | os.PathLike | None = None,
    tmp_dir: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    on_vocab: Callable[[Vocabulary, int], None] | None = None,
) -> tuple[Vocabulary, sp.csr_matrix | CsrShard, StreamStats]:
    """Count a corpus's co-occurrences holding about ``memory`` bytes of data at a time.

    The same as :func:`~diaphane.text.cooccur.corpus_sequences`,
    :func:`~diaphane.text.cooccur.encode_sequences` and
    :func:`~diaphane.text.cooccur.cooccurrence_matrix` with these arguments (punctuation
    dropped), to the bit; only the memory differs.

    Args:
        spec: corpus names or paths joined by ``+``.
        memory: bytes the count may hold (the interpreter and libraries come on top).
        window, symmetric, distance_weighting: as ``cooccurrence_matrix`` takes them.
        min_count, max_size: as ``encode_sequences`` takes them.
        unit, lowercase: as ``corpus_sequences`` takes them.
        near: make the spill folder beside this path (the output), unless ``tmp_dir``.
        tmp_dir: the folder to spill in (default: beside ``near``, else the system's).
        out: write the matrix here (raw CSR files, see :mod:`diaphane.text.spill`) and
            return it as a :class:`~diaphane.text.spill.CsrShard`, never holding it whole.
        on_vocab: called with the vocabulary and the number of tokens once the corpus
            has been read, before counting (to refuse a useless count early).

    Returns:
        The vocabulary, the matrix (or where it was written) and what the count did.
    """
    weights, scale = counting_weights(distance_weighting, window)
    stats = StreamStats(corpus_fingerprints(spec))
    with SpillFolder(near if out is None else out, tmp_dir) as spill:
        start = time.perf_counter()
        cache = _read_corpus(spec, unit, Cleaning(lowercase, True), spill, memory)
        stats.tokens = cache.n_tokens
        vocab, remap = cache.vocabulary(min_count, None if max_size is None else max_size + 1)
        if on_vocab is not None:
            on_vocab(vocab, cache.n_tokens)
        left = max(memory - cache.word_bytes, memory // 4)
        cache.ids.clear()  # the vocabulary holds the words from here on
        stats.seconds["read"] = time.perf_counter() - start
        counter = _SpillingCounter(len(vocab), weights, symmetric, spill, left, stats)
        for pids, lengths in cache.chunks(counter.chunk_tokens):
            counter.add(remap[pids].astype(np.int64), lengths)
        stats.seconds["count"] = time.perf_counter() - start - stats.seconds["read"]
        X = counter.result(scale, out)
        stats.seconds["merge"] = time.perf_counter() - start - sum(stats.seconds.values())
    return vocab, X, stats


def _read_corpus(spec: str, unit: str, cleaning: Cleaning, spill, memory: int) -> TokenCache:
    cache = TokenCache(spill.new("tokens"), word_limit=memory * 3 // 4)
    try:
        for part in plan_parts(spec, 1, split_files=unit == "sentence"):
            for doc in part_documents(part, cleaning):
                if unit == "sentence":
                    cache.add_document(doc)
                else:
                    words = [w for s in doc for w in s]
                    cache.add_document([words] if words else [])
    finally:
        cache.close()
    if cache.n_tokens == 0:
        raise CorpusError(f"corpus {spec} holds no words to count")
    return cache


class _SpillingCounter:
    """Chunk matrices summed in memory, written out as a shard when they outgrow
    ``memory / 4``; chunks sized to ``memory / 6`` from the pairs seen so far."""

    def __init__(self, n: int, weights, symmetric: bool, spill, memory: int, stats) -> None:
        self.n, self.weights, self.symmetric = n, weights, symmetric
        self.spill, self.stats = spill, stats
        self.run_limit, self.chunk_limit, self.merge_limit = memory // 4, memory // 6, memory // 2
        self.pairs_per_token = 2.0 * len(weights)  # the most a token can bring
        self.shards: list[CsrShard] = []
        self._new_merger()

    def _new_merger(self) -> None:
        self.merger = _Merger(_add_csr, lambda X: X.nnz)

    def chunk_tokens(self) -> int:
        per_token = TOKEN_BYTES + PAIR_BYTES * self.pairs_per_token
        return max(1024, int(self.chunk_limit / per_token))

    def add(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        X = count_chunk(ids, lengths, self.n, self.weights, self.symmetric)
        self.stats.chunks += 1
        if ids.size:  # a little headroom over what this chunk brought
            self.pairs_per_token = min(2.0 * len(self.weights), 1.25 * X.nnz / ids.size + 0.5)
        self.merger.add(X)
        if self._held() > self.run_limit:
            self._write_shard()

    def _held(self) -> int:
        return sum(12 * X.nnz + 4 * (self.n + 1) for X in self.merger.runs)

    def _write_shard(self) -> None:
        shard = write_csr_shard(self.spill.new("shard"), self.merger.result())
        self.shards.append(shard)
        self.stats.shards += 1
        self.stats.spilled_bytes += 12 * shard.nnz + 8 * (self.n + 1)
        self._new_merger()
        log.info("spilled shard %d: %s entries", len(self.shards), f"{shard.nnz:,}")

    def result(self, scale: float, out) -> sp.csr_matrix | CsrShard:
        if not self.shards:
            X = self.merger.result() if self.merger.runs else sp.csr_matrix((self.n, self.n))
            X = scale_counts(X, scale)
            return X if out is None else write_csr_shard(_empty_folder(out), X)
        if self.merger.runs:
            self._write_shard()
        if out is None:
            return scale_counts(merge_csr_shards(self.shards, self.n, self.merge_limit), scale)
        sink = CsrFileSink(_empty_folder(out), scale)
        merge_csr_shards(self.shards, self.n, self.merge_limit, sink)
        check_exact(sink.peak, scale)
        return sink.close(self.n)


def _empty_folder(path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise FileExistsError(f"{path} is not empty; name a new folder for the counts")
    return path
