"""N-gram language models of corpora past memory: streamed through disk, or counted on Dask.

Both fit the model ``NgramLM(...).fit`` fits on the split ``diaphane train ngram``
makes in memory, to the bit: the same vocabulary, the same training text, and
tables built from the top-order counts (:mod:`diaphane.text.ngram_stream`).

- :func:`fit_streamed` reads the corpus once into a token cache
  (:class:`~diaphane.text.split_stream.StreamedSplit`) and counts the training text
  with partial tables spilled to disk past a memory bound.
- :func:`fit_on_dask` counts on a cluster. With the documents split, workers count
  the documents of each part (after one pass that counts documents, so each knows
  which of its documents train); with Bengio's split (a fixed 800k training words)
  the cluster counts the vocabulary of the whole corpus, this process reads the
  split's first million tokens, and the workers count pieces of the training stream.

Entry points: :func:`fit_streamed`, :func:`fit_on_dask`, :class:`ScaledFit`.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy as np

from diaphane.errors import CorpusError, UsageError
from diaphane.models.ngram import NgramLM
from diaphane.text.examples import windows
from diaphane.text.ngram_stream import (
    GramCodec,
    SpillingGramCounter,
    counts_from_grams,
    pad_ids,
    padded_pieces,
)
from diaphane.text.spill import SpillFolder
from diaphane.text.split_stream import StreamedSplit, choose_scheme
from diaphane.text.stream import corpus_fingerprint, corpus_parts
from diaphane.text.vocab import Vocabulary

__all__ = ["ScaledFit", "fit_on_dask", "fit_streamed"]


@dataclass
class ScaledFit:
    """A fitted model and its validation score (``None`` without validation text)."""

    lm: NgramLM
    valid: tuple[float, int] | None  # summed natural-log probability, events
    scheme: str
    stream: bool

    @property
    def valid_perplexity(self) -> float | None:
        return None if not self.valid else float(np.exp(-self.valid[0] / self.valid[1]))


@dataclass(frozen=True)
class NgramJob:
    """What to fit: the options of ``diaphane train ngram``."""

    corpus: str
    order: int = 3
    smoothing: str = "kn"
    k: float = 1.0
    min_count: int = 4
    scheme: str = "auto"
    stream: bool | None = None

    def source(self, scheme: str, stream: bool) -> dict:
        """The training data as the model's ``meta`` records it."""
        return {
            "corpus": self.corpus, "fingerprint": corpus_fingerprint(self.corpus),
            "scheme": scheme, "split": "train", "stream": stream, "min_count": self.min_count,
        }  # fmt: skip


def fit_streamed(
    job: NgramJob,
    memory: int,
    near: str | os.PathLike | None = None,
    tmp_dir: str | os.PathLike | None = None,
) -> ScaledFit:
    """Fit within about ``memory`` bytes of data, spilling beside ``near`` (or in ``tmp_dir``)."""
    with SpillFolder(near, tmp_dir) as spill:
        split = StreamedSplit(job.corpus, job.scheme, job.min_count, spill, memory * 3 // 4)
        stream = split.scheme == "bengio" if job.stream is None else job.stream
        vocab = split.vocab
        left = max(memory - split.cache.word_bytes, memory // 4)
        counter = SpillingGramCounter(GramCodec(job.order, len(vocab)), vocab.bos_id, spill, left)
        for piece in padded_pieces(split.train(stream), job.order, *_pads(vocab), stream):
            counter.add(piece)
        lm = _fit(job, vocab, *counter.result(), job.source(split.scheme, stream))
        valid = _score(lm, split.valid(stream), stream)
    return ScaledFit(lm, valid, split.scheme, stream)


def fit_on_dask(
    job: NgramJob, client, near: str | os.PathLike | None = None, tmp_dir=None
) -> ScaledFit:
    """Fit with the counting done on the cluster of ``client`` (see the module's docstring)."""
    from diaphane.text import dask_count as dc

    scheme = choose_scheme(job.corpus, job.scheme)
    if scheme == "bengio":
        return _dask_bengio(job, client, near, tmp_dir)
    stream = False if job.stream is None else job.stream
    if stream:
        raise UsageError(
            "--stream with the documents split joins the documents in shuffled order,"
            " which the cluster cannot follow; use --no-stream, or leave out --dask"
        )
    parts = corpus_parts(job.corpus, dc.n_threads(client), split_files=False)
    train, valid = _document_masks(parts, dc.dask_doc_counts(client, parts))
    counts, _ = dc.dask_vocab_counts(client, parts, None, keep_docs=train)
    vocab = Vocabulary.from_counts(counts, job.min_count)
    if not counts:
        raise CorpusError(f"corpus {job.corpus} has no training text")
    grams, totals = dc.dask_ngram_counts(client, parts, vocab, job.order, train)
    lm = _fit(job, vocab, grams, totals, job.source(scheme, stream))
    scored = dc.dask_score(client, parts, lm, valid)
    return ScaledFit(lm, scored if scored[1] else None, scheme, stream)


def _dask_bengio(job: NgramJob, client, near, tmp_dir) -> ScaledFit:
    from diaphane.text import dask_count as dc

    parts = corpus_parts(job.corpus, dc.n_threads(client))
    counted = dc.dask_vocab_counts(client, parts, None)
    stream = True if job.stream is None else job.stream
    with SpillFolder(near, tmp_dir) as spill:
        split = StreamedSplit(job.corpus, "bengio", job.min_count, spill, 1 << 62, counted)
        vocab = split.vocab
        pieces = list(padded_pieces(split.train(stream), job.order, *_pads(vocab), stream))
        train = np.concatenate(pieces) if pieces else np.zeros(0, np.int32)
        grams, totals = dc.dask_piece_counts(client, train, job.order, len(vocab), vocab.bos_id)
        lm = _fit(job, vocab, grams, totals, job.source("bengio", stream))
        valid = _score(lm, split.valid(stream), stream)
    return ScaledFit(lm, valid, "bengio", stream)


def _document_masks(parts, per_part: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each part's training and validation documents, as ``split_documents`` picks them."""
    n = sum(per_part)
    order = np.random.default_rng(0).permutation(n)
    cut1 = round(0.8 * n)
    cut2 = cut1 + round(0.1 * n)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    ranks = [rank[numbers] for numbers in _doc_numbers(parts, per_part, n)]
    return [r < cut1 for r in ranks], [(cut1 <= r) & (r < cut2) for r in ranks]


def _doc_numbers(parts, per_part: list[int], n: int) -> list[np.ndarray]:
    """The corpus-order numbers of each part's documents: every ``stop``-th from
    ``start`` for a named corpus's parts, else runs in part order."""
    if parts and parts[0].kind == "named":
        return [np.arange(p.start, n, p.stop) for p in parts]
    bounds = np.cumsum([0, *per_part])
    return [np.arange(a, b) for a, b in itertools.pairwise(bounds)]


def _pads(vocab: Vocabulary) -> tuple[int, int]:
    return vocab.bos_id, vocab.eos_id


def _fit(job: NgramJob, vocab, grams: np.ndarray, counts: np.ndarray, source: dict) -> NgramLM:
    if not len(counts):
        raise CorpusError(f"corpus {job.corpus} has no training text")
    tables = counts_from_grams(grams, counts, len(vocab))
    lm = NgramLM(job.order, job.smoothing, job.k)
    return lm.fit_counts(tables, vocab, int(counts.sum()), source)


def _score(lm: NgramLM, chunks, stream: bool) -> tuple[float, int] | None:
    """Summed log probability and events of the validation text, chunk by chunk (one
    stream of it with ``stream``)."""
    bos, eos = _pads(lm.vocab)
    if stream:
        pieces = list(padded_pieces(chunks, lm.order, bos, eos, True))
        padded = [np.concatenate(pieces)] if len(pieces) > 2 else []
    else:
        padded = (pad_ids(ids, lengths, lm.order, bos, eos) for ids, lengths in chunks)
    total, n = 0.0, 0
    for piece in padded:
        ctx, tgt = windows(piece, lm.order, bos)
        total += float(lm.logprob_ids(ctx, tgt).sum())
        n += len(tgt)
    return (total, n) if n else None
