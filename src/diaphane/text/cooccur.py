"""Word-word co-occurrence counts: the sparse matrix GloVe and PPMI models start from.

Windows never cross the boundary of a sequence (a sentence or a document, as the
caller splits the corpus). Counting is vectorised: for each distance ``d`` of the
window, the pairs ``(ids[k], ids[k + d])`` of a chunk of tokens become one int64
key each, which sorting reduces to counts; chunks are merged as they come, so
memory is bounded by the number of distinct pairs, never by ``|V|²`` or by the
corpus length.

Entry points: :func:`cooccurrence_matrix`, :func:`encode_sequences`,
:func:`corpus_sequences`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from diaphane.text.vocab import UNK, Vocabulary

__all__ = ["cooccurrence_matrix", "corpus_sequences", "encode_sequences"]

log = logging.getLogger(__name__)

# Tokens per chunk: 4 M tokens x window 10 makes 40 M pairs (320 MB of keys) at most.
CHUNK_TOKENS = 1 << 22


def corpus_sequences(
    spec: str, lowercase: bool = True, words_only: bool = True, unit: str = "sentence"
) -> tuple[list[list[str]], list[str]]:
    """The token sequences of one corpus or several joined by ``+`` (``"wiki+brown"``),
    and each corpus's fingerprint.

    Args:
        spec: corpus names or paths (see :func:`diaphane.text.load_corpus`), ``+``-joined.
        lowercase: fold tokens to lower case.
        words_only: drop tokens without a letter or digit (punctuation).
        unit: ``"sentence"`` or ``"document"``: the span co-occurrence windows stay in.
    """
    from diaphane.text.corpora import load_corpus

    if unit not in ("sentence", "document"):
        raise ValueError(f"unit must be 'sentence' or 'document', not {unit!r}")
    sequences: list[list[str]] = []
    fingerprints = []
    for name in spec.split("+"):
        corpus = load_corpus(name)
        fingerprints.append(corpus.fingerprint)
        for doc in corpus.documents():
            sents = [_clean(s, lowercase, words_only) for s in doc.sentences]
            if unit == "document":
                sents = [[w for s in sents for w in s]]
            sequences.extend(s for s in sents if s)
    return sequences, fingerprints


def _clean(tokens: Sequence[str], lowercase: bool, words_only: bool) -> list[str]:
    if words_only:
        tokens = [t for t in tokens if any(c.isalnum() for c in t)]
    return [t.lower() for t in tokens] if lowercase else list(tokens)


def encode_sequences(
    sequences: Iterable[Sequence[str]],
    min_count: int = 5,
    max_size: int | None = None,
) -> tuple[Vocabulary, list[np.ndarray]]:
    """A vocabulary of the words seen ``min_count`` times or more (at most ``max_size``
    words plus ``<unk>``), and each sequence as ``int32`` ids (rarer words are ``<unk>``, id 0).

    >>> vocab, ids = encode_sequences([["a", "b", "a"], ["a", "c"]], min_count=2)
    >>> vocab.words, [x.tolist() for x in ids]
    (['<unk>', 'a'], [[1, 0, 1], [1, 0]])
    """
    sequences = [list(s) for s in sequences]
    size = None if max_size is None else max_size + 1
    vocab = Vocabulary.build(sequences, min_count=min_count, max_size=size, specials=(UNK,))
    get = vocab.index.get
    ids = [np.fromiter((get(w, 0) for w in s), np.int32, len(s)) for s in sequences]
    return vocab, ids


def cooccurrence_matrix(
    sequences: Iterable[np.ndarray],
    vocab_size: int,
    window: int = 10,
    symmetric: bool = True,
    distance_weighting: bool = True,
    skip_id: int | None = 0,
    chunk_tokens: int = CHUNK_TOKENS,
) -> sp.csr_matrix:
    """Count co-occurrences within ``window`` words: a ``vocab_size``² CSR matrix (float64).

    Args:
        sequences: token-id arrays; windows stay inside each one.
        vocab_size: ids run from 0 to ``vocab_size - 1``.
        window: the largest distance counted.
        symmetric: count context on both sides (``X`` is symmetric); otherwise
            ``X[w, c]`` counts ``c`` *after* ``w`` only (Stanford GloVe's ``-symmetric 0``).
        distance_weighting: a pair ``d`` words apart adds ``1/d`` (GloVe); otherwise 1.
        skip_id: tokens with this id (``<unk>``) are removed first, as GloVe's
            ``cooccur`` drops out-of-vocabulary words; ``None`` keeps every token.
        chunk_tokens: tokens counted at a time (bounds the working memory).

    >>> X = cooccurrence_matrix([np.array([1, 2, 1])], 3, window=2)
    >>> X.toarray()
    array([[0., 0., 0.],
           [0., 1., 2.],
           [0., 2., 0.]])
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    merger = _Merger()
    for flat, seq_of in _chunks(sequences, skip_id, chunk_tokens):
        if flat.size and (flat.min() < 0 or flat.max() >= vocab_size):
            raise ValueError(f"token ids must lie in [0, {vocab_size}); got {flat.min()}..")
        merger.add(*_count_chunk(flat, seq_of, vocab_size, window, distance_weighting))
    keys, values = merger.result()
    rows, cols = np.divmod(keys, vocab_size)
    # The keys are sorted and unique, so they already are CSR's (row, column) order.
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=vocab_size))])
    X = sp.csr_matrix((values, cols, indptr), shape=(vocab_size, vocab_size))
    X.has_sorted_indices = True
    if symmetric:
        X = (X + X.T.tocsr()).tocsr()
    return X


def _chunks(
    sequences: Iterable[np.ndarray], skip_id: int | None, chunk_tokens: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Concatenated sequences of about ``chunk_tokens`` tokens, and each token's sequence number."""
    parts: list[np.ndarray] = []
    size = 0
    for seq in sequences:
        parts.append(seq)
        size += len(seq)
        if size >= chunk_tokens:
            yield _concat(parts, skip_id)
            parts, size = [], 0
    if parts:
        yield _concat(parts, skip_id)


def _concat(parts: list[np.ndarray], skip_id: int | None) -> tuple[np.ndarray, np.ndarray]:
    # One concatenation and one mask for the whole chunk: a Python step per sequence
    # would cost more than the counting itself.
    lengths = np.fromiter(map(len, parts), np.int64, len(parts))
    flat = np.concatenate(parts).astype(np.int64, copy=False).reshape(-1)
    seq_of = np.repeat(np.arange(len(parts)), lengths)
    if skip_id is not None:
        keep = flat != skip_id
        flat, seq_of = flat[keep], seq_of[keep]
    return flat, seq_of


def _count_chunk(
    flat: np.ndarray, seq_of: np.ndarray, vocab_size: int, window: int, weighting: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys ``w * V + c`` (``c`` after ``w``) and their weighted counts.

    The distance rides along in the key (``key * window + d - 1``), so one sort of
    plain integers, without an argsort to carry weights, groups equal pairs.
    """
    base = flat * vocab_size
    keys = []
    for d in range(1, min(window, flat.size - 1) + 1):
        same = seq_of[:-d] == seq_of[d:]
        k = base[:-d][same] + flat[d:][same]
        keys.append(k * window + (d - 1) if weighting else k)
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0)
    key = np.sort(np.concatenate(keys))
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[first, key.size]).astype(np.float64)
    key = key[first]
    if not weighting:
        return key, counts
    pair, dist = np.divmod(key, window)
    counts /= dist + 1
    first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return pair[first], np.add.reduceat(counts, first)


class _Merger:
    """Sums sorted ``(keys, values)`` runs, merging runs of similar size as they come
    (as a binary counter does), so the work stays O(n log chunks) and memory near
    the number of distinct keys."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.runs.append((keys, values))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(_merge(a, b))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.runs:
            return np.zeros(0, np.int64), np.zeros(0)
        while len(self.runs) > 1:
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(_merge(a, b))
        return self.runs[0]


def _merge(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([a[0], b[0]])
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], np.concatenate([a[1], b[1]])[order]
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[first], np.add.reduceat(values, first)
