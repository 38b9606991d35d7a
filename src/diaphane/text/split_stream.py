"""Train/valid splits of a corpus read once into a token cache, for streamed n-gram counts.

The splits ``diaphane train ngram`` makes in memory, made from a
:class:`~diaphane.text.token_cache.TokenCache` instead of lists of sentences:

- **Bengio's** (:func:`~diaphane.text.bengio_split`): the vocabulary of the whole
  corpus, then the first 800k tokens to train and the next 200k to valid, in corpus
  order (a sentence that straddles a cut is cut). Only those tokens are kept on disk.
- **documents** (:func:`~diaphane.text.split_documents`): the documents shuffled with
  seed 0, 80% to train and 10% to valid; the vocabulary of the training documents.
  Counts do not depend on the order of sentences, so the training documents are read
  in corpus order; only ``--stream`` (one stream of the shuffled documents) is refused.

Entry point: :class:`StreamedSplit`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from diaphane.errors import CorpusError, UsageError
from diaphane.text.corpora import CORPORA, user_files
from diaphane.text.spill import SpillFolder
from diaphane.text.stream import corpus_parts, part_documents
from diaphane.text.token_cache import TokenCache
from diaphane.text.vocab import Vocabulary

__all__ = ["BENGIO_SIZES", "StreamedSplit", "choose_scheme"]

BENGIO_SIZES = (800_000, 200_000)  # bengio_split's n_train, n_valid
CHUNK = 1 << 20  # cached tokens read at a time


class StreamedSplit:
    """A corpus read once and split as ``train ngram`` splits it in memory.

    Args:
        corpus: a corpus name or path (one corpus).
        scheme: ``"auto"`` (Bengio's for Brown, else documents), ``"bengio"`` or
            ``"documents"``.
        min_count: rarer words become ``<unk>``.
        spill: the folder the cache goes to.
        word_limit: bytes the word table may take.
        counted: for Bengio's split, the whole corpus's word counts and tokens, counted
            elsewhere: then only the first tokens, the split's, are read here.
    """

    def __init__(
        self,
        corpus: str,
        scheme: str,
        min_count: int,
        spill: SpillFolder,
        word_limit: int,
        counted: tuple[Mapping[str, int], int] | None = None,
    ) -> None:
        parts = corpus_parts(corpus)
        self.scheme = scheme = choose_scheme(corpus, scheme)
        if counted is not None and scheme != "bengio":
            raise ValueError("word counts from elsewhere serve Bengio's split only")
        keep = sum(BENGIO_SIZES) if self.scheme == "bengio" else None
        self.cache = TokenCache(spill.new("tokens"), word_limit, keep_tokens=keep)
        try:
            self._read(parts, keep if counted is not None else None)
        finally:
            self.cache.close()
        if self.scheme == "bengio":
            self._bengio(corpus, min_count, counted)
        else:
            self._documents(corpus, min_count)
        self.cache.ids.clear()  # the vocabulary holds the words from here on

    def _read(self, parts, enough: int | None) -> None:
        """Every document of the parts, or (``enough``) only until that many tokens."""
        for part in parts:
            for doc in part_documents(part, None):
                self.cache.add_document(doc)
                if enough is not None and self.cache.n_pending() >= enough:
                    return

    def _bengio(self, corpus: str, min_count: int, counted) -> None:
        counts, total = counted if counted is not None else (None, self.cache.n_tokens)
        if total <= sum(BENGIO_SIZES):
            raise CorpusError(f"corpus {corpus} has {total} tokens, too few for this split")
        if counts is None:
            self.vocab, self.remap = self.cache.vocabulary(min_count, None, _SPECIALS)
        else:  # the whole corpus was counted elsewhere (on a cluster)
            self.vocab = Vocabulary.from_counts(counts, min_count, None, _SPECIALS)
            get, unk = self.vocab.index.get, self.vocab.unk_id
            words = self.cache.words()
            self.remap = np.fromiter((get(w, unk) for w in words), np.int32, len(words))
        n_train, n_valid = BENGIO_SIZES
        self._train = lambda: _token_range(self._chunks(), 0, n_train)
        self._valid = lambda: _token_range(self._chunks(), n_train, n_train + n_valid)

    def _documents(self, corpus: str, min_count: int) -> None:
        n = self.cache.n_docs
        order = np.random.default_rng(0).permutation(n)
        cut1 = round(0.8 * n)
        cut2 = cut1 + round(0.1 * n)
        per_doc = self.cache.doc_lengths()
        in_train, in_valid = np.zeros(n, bool), np.zeros(n, bool)
        in_train[order[:cut1]] = True
        in_valid[order[cut1:cut2]] = True
        train_seqs, valid_seqs = np.repeat(in_train, per_doc), np.repeat(in_valid, per_doc)
        counts = np.zeros(len(self.cache.ids), np.int64)
        for pids, _ in _selected(self.cache.chunks(CHUNK), train_seqs):
            counts += np.bincount(pids, minlength=len(counts))
        if not counts.any():
            raise CorpusError(f"corpus {corpus} has no training text")
        self.vocab, self.remap = self.cache.vocabulary(min_count, None, _SPECIALS, counts)
        self._train = lambda: _selected(self._chunks(), train_seqs)
        self._valid = lambda: _selected(self._chunks(), valid_seqs)

    def _chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for pids, lengths in self.cache.chunks(CHUNK):
            yield self.remap[pids], lengths

    def train(self, stream: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The training sentences as ``(ids, lengths)`` chunks, in corpus order."""
        self._check_stream(stream)
        return self._train()

    def valid(self, stream: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The validation sentences as ``(ids, lengths)`` chunks."""
        self._check_stream(stream)
        return self._valid()

    def _check_stream(self, stream: bool) -> None:
        if stream and self.scheme == "documents":
            raise UsageError(
                "--stream with the documents split joins the documents in shuffled order,"
                " which a streamed count cannot follow; use --no-stream, or leave out"
                " --memory and --dask"
            )


_SPECIALS = ("<unk>", "<s>", "</s>")


def choose_scheme(corpus: str, scheme: str) -> str:
    """``scheme``, or for ``"auto"`` the one ``load_split`` picks by the corpus's name."""
    if scheme != "auto":
        return scheme
    name = corpus if corpus in CORPORA else user_files(corpus)[0].name
    return "bengio" if name == "brown" else "documents"


def _selected(chunks, keep: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The chunks' sequences whose global number ``keep`` marks."""
    seen = 0
    for ids, lengths in chunks:
        mask = keep[seen : seen + len(lengths)]
        seen += len(lengths)
        if mask.any():
            yield ids[np.repeat(mask, lengths)], lengths[mask]


def _token_range(chunks, lo: int, hi: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Tokens ``lo:hi`` of the sequences, sequences cut where the range cuts them."""
    start = 0  # the first token's number in the current chunk
    for ids, lengths in chunks:
        end = start + len(ids)
        if end > lo and start < hi:
            yield _cut(ids, lengths, max(lo - start, 0), min(hi, end) - start)
        if end >= hi:
            return
        start = end


def _cut(ids: np.ndarray, lengths: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokens ``a:b`` of a chunk and the lengths of the (cut) sequences they fall in."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    first, last = np.searchsorted(ends, a, "right"), np.searchsorted(starts, b, "left")
    cut = np.minimum(ends[first:last], b) - np.maximum(starts[first:last], a)
    return ids[a:b], cut[cut > 0]
