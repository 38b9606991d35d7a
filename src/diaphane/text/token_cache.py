"""A streamed count's first pass: the corpus tokenised once, its tokens kept on disk as ids.

Reading and tokenising text costs more than counting it, so a streamed count reads
the corpus once. Each new word gets the next *provisional id* and the tokens go to
disk as int32 provisional ids, with the length of every sequence and the number of
sequences in every document. Once the corpus is read, the word counts give the
vocabulary, and a table maps provisional ids to the vocabulary's ids (rare words
to ``<unk>``) as the counting pass reads the tokens back in chunks.

The word table (about 100 bytes a word, plus the word) stays in memory; it is the
one thing whose size the corpus decides, and :class:`TokenCache` raises
:class:`~diaphane.errors.UsageError` when it outgrows the share it was given.

Entry point: :class:`TokenCache`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from diaphane.errors import UsageError
from diaphane.text.vocab import UNK, Vocabulary

__all__ = ["TokenCache"]

_FILES = ("tokens", "lengths", "docs")
_ENTRY_BYTES = 100  # a dict slot, the count and the id, beside the word itself


class TokenCache:
    """Tokens as provisional ids on disk, and each word's count in memory.

    Args:
        folder: an empty folder for the files (``tokens``: int32; ``lengths``,
            ``docs``: int64).
        word_limit: bytes the word table may take.
        keep_tokens: stop writing tokens once this many are on disk (whole sequences);
            words are still counted to the end. ``None`` keeps them all.
        flush_tokens: tokens held in memory before they go to disk.
    """

    def __init__(
        self,
        folder: Path,
        word_limit: int = sys.maxsize,
        keep_tokens: int | None = None,
        flush_tokens: int = 1 << 18,
    ) -> None:
        self.folder = Path(folder)
        self.ids: dict[str, int] = {}
        self.counts = np.zeros(1 << 12, np.int64)
        self.word_bytes = 0
        self.word_limit, self.keep_tokens, self.flush_tokens = word_limit, keep_tokens, flush_tokens
        self.n_tokens = self.n_cached = self.n_seqs = self.n_docs = 0
        self._buf: list[str] = []
        self._lengths: list[int] = []
        self._docs: list[int] = []
        self._files = {n: open(self.folder / n, "wb") for n in _FILES}  # noqa: SIM115

    # --- writing -------------------------------------------------------------------

    def add_document(self, sequences: Iterable[Sequence[str]]) -> None:
        """Add one document's token sequences (each non-empty)."""
        n = 0
        for seq in sequences:
            self._buf.extend(seq)
            self._lengths.append(len(seq))
            n += 1
            if len(self._buf) >= self.flush_tokens:
                self._flush()
        self._docs.append(n)
        self.n_docs += 1
        if len(self._docs) >= self.flush_tokens:
            self._flush()

    def n_pending(self) -> int:
        """Tokens added so far, on disk or not yet."""
        return self.n_tokens + len(self._buf)

    def close(self) -> TokenCache:
        """Write what is held and close the files; returns the cache."""
        self._flush()
        for f in self._files.values():
            f.close()
        return self

    def _flush(self) -> None:
        buf = self._buf
        for w in set(buf).difference(self.ids):
            self.ids[w] = len(self.ids)
            self.word_bytes += sys.getsizeof(w) + _ENTRY_BYTES
        if self.word_bytes > self.word_limit:
            raise UsageError(
                f"the corpus has {len(self.ids):,} different words so far, whose table takes"
                f" {self.word_bytes / 2**20:,.1f} MiB, more than the memory bound leaves for it"
                f" ({self.word_limit / 2**20:,.1f} MiB); raise --memory"
            )
        pids = np.fromiter(map(self.ids.__getitem__, buf), np.int32, len(buf))
        if len(self.ids) > len(self.counts):
            grown = np.zeros(max(len(self.ids), 2 * len(self.counts)), np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        if pids.size:
            self.counts[: pids.max() + 1] += np.bincount(pids)
        self.n_tokens += len(buf)
        self._write(pids, np.asarray(self._lengths, np.int64))
        np.asarray(self._docs, np.int64).tofile(self._files["docs"])
        self._buf, self._lengths, self._docs = [], [], []

    def _write(self, pids: np.ndarray, lengths: np.ndarray) -> None:
        if self.keep_tokens is not None:
            room = self.keep_tokens - self.n_cached
            if room <= 0:
                return
            # Whole sequences, up to the first that reaches keep_tokens.
            take = int(np.searchsorted(np.cumsum(lengths), room, "left")) + 1
            lengths = lengths[:take]
            pids = pids[: int(lengths.sum())]
        pids.tofile(self._files["tokens"])
        lengths.tofile(self._files["lengths"])
        self.n_cached += len(pids)
        self.n_seqs += len(lengths)

    # --- reading -------------------------------------------------------------------

    def words(self) -> list[str]:
        """Each provisional id's word."""
        return list(self.ids)

    def vocabulary(
        self,
        min_count: int,
        max_size: int | None,
        specials: Sequence[str] = (UNK,),
        counts: np.ndarray | None = None,
    ) -> tuple[Vocabulary, np.ndarray]:
        """The vocabulary the counts give (as :meth:`Vocabulary.build` makes it) and the
        int32 table from provisional ids to its ids (``<unk>`` for words left out).

        Args:
            counts: counts per provisional id to use instead of the whole corpus's.
        """
        words = self.words()
        counts = self.counts[: len(words)] if counts is None else counts[: len(words)]
        seen = {w: c for w, c in zip(words, counts.tolist(), strict=True) if c > 0}
        vocab = Vocabulary.from_counts(seen, min_count, max_size, specials)
        get, unk = vocab.index.get, vocab.unk_id
        remap = np.fromiter((get(w, unk) for w in words), np.int32, len(words))
        return vocab, remap

    def doc_lengths(self) -> np.ndarray:
        """The number of sequences in each document."""
        return np.fromfile(self.folder / "docs", np.int64)

    def chunks(self, chunk_tokens: int | Callable[[], int]) -> Iterator[tuple[np.ndarray, ...]]:
        """The cached sequences in order, as ``(provisional ids, lengths)`` of whole
        sequences, about ``chunk_tokens`` tokens at a time (a longer sequence alone);
        a callable is asked again for each chunk."""
        size = chunk_tokens if callable(chunk_tokens) else lambda: chunk_tokens
        with open(self.folder / "tokens", "rb") as ft, open(self.folder / "lengths", "rb") as fl:
            carry = np.zeros(0, np.int64)
            while (block := np.fromfile(fl, np.int64, count=1 << 20)).size:
                lengths = np.concatenate([carry, block])
                ends = np.cumsum(lengths)
                start, base = 0, 0
                while (k := int(np.searchsorted(ends, base + size(), "left"))) < len(ends):
                    yield (
                        np.fromfile(ft, np.int32, count=int(ends[k] - base)),
                        lengths[start : k + 1],
                    )
                    start, base = k + 1, int(ends[k])
                carry = lengths[start:]
            if carry.size:
                yield np.fromfile(ft, np.int32, count=int(carry.sum())), carry
