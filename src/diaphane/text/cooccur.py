"""Word-word co-occurrence counts: the sparse matrix GloVe and PPMI models start from.

Windows never cross the boundary of a sequence (a sentence or a document, as the
caller splits the corpus). A compiled kernel (:mod:`diaphane.text._cooccur_kernel`)
counts a chunk of tokens straight into sorted CSR rows; chunks are summed as they
come, so memory is bounded by the chunk and the number of distinct pairs, never by
``|V|²`` or by the corpus length. The vectorised NumPy counter it replaced
(:func:`diaphane.text._cooccur_numpy.cooccurrence_numpy`) stays as the tests' reference.

Weights are summed as whole numbers and divided once at the end, so the matrix has the
same bits however the tokens were chunked: streamed through disk in bounded memory
(:mod:`diaphane.text.cooccur_stream`) or counted in partitions on a Dask cluster
(:mod:`diaphane.text.dask_count`).

Entry points: :func:`cooccurrence_matrix` (with ``1/d``, flat or linear distance
weights), :func:`subsample` (word2vec's dropping of frequent words),
:func:`encode_sequences`, :func:`corpus_sequences`; for other counting paths,
:func:`counting_weights`, :func:`count_chunk` and :func:`scale_counts`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from diaphane.text import _cooccur_kernel as _kernel
from diaphane.text.vocab import UNK, Vocabulary

__all__ = [
    "WEIGHTINGS",
    "cooccurrence_matrix",
    "corpus_sequences",
    "encode_sequences",
    "subsample",
]

log = logging.getLogger(__name__)

# Tokens per chunk: 4 M tokens take about 70 MB of token arrays, plus 12 bytes for each
# distinct pair of the chunk (the NumPy reference needs 8 bytes a pair: 320 MB at window 10).
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
    distance_weighting: bool | str = True,
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
        distance_weighting: what a pair ``d`` words apart adds: ``True`` or
            ``"harmonic"``, ``1/d`` (GloVe); ``False`` or ``"none"``, 1; ``"linear"``,
            ``(window - d + 1) / window``, which is what word2vec's dynamic window (a
            window drawn uniformly from 1..``window``) gives in expectation (Levy,
            Goldberg & Dagan 2015).
        skip_id: tokens with this id (``<unk>``) are removed first, as GloVe's
            ``cooccur`` drops out-of-vocabulary words; ``None`` keeps every token.
        chunk_tokens: tokens counted at a time (bounds the working memory).

    >>> X = cooccurrence_matrix([np.array([1, 2, 1])], 3, window=2)
    >>> X.toarray()
    array([[0., 0., 0.],
           [0., 1., 2.],
           [0., 2., 0.]])
    """
    weights, scale = counting_weights(distance_weighting, window)
    merger = _Merger(_add_csr, lambda X: X.nnz)
    for raw, lengths in _chunks(sequences, chunk_tokens):
        merger.add(count_chunk(raw, lengths, vocab_size, weights, symmetric, skip_id))
    X = merger.result() if merger.runs else sp.csr_matrix((vocab_size, vocab_size))
    return scale_counts(X, scale)


def counting_weights(distance_weighting: bool | str, window: int) -> tuple[np.ndarray, float]:
    """What a pair ``d`` apart adds (``weights[d - 1]``) and the divisor of the sums.

    The weights are whole numbers where they can be (``1/d`` scaled by
    ``lcm(1..window)`` up to window 40), so that float64 sums of them are exact in
    any order: chunks, shards and cluster partitions then add up to the same bits,
    and dividing once at the end (:func:`scale_counts`) rounds correctly.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    weighting = _weighting_name(distance_weighting)
    whole = _whole_weights(weighting, window)
    return (_distance_weights(weighting, window), 1.0) if whole is None else whole


def count_chunk(
    raw: np.ndarray,
    lengths: np.ndarray,
    vocab_size: int,
    weights: np.ndarray,
    symmetric: bool,
    skip_id: int | None = 0,
) -> sp.csr_matrix:
    """The weight sums of one chunk (sequences concatenated in ``raw``, their
    ``lengths``), not yet divided: a CSR matrix with sorted indices."""
    flat = _layout(raw, lengths, skip_id, vocab_size)
    return _csr(_kernel.count_rows(flat, vocab_size, weights, 1.0, symmetric), vocab_size)


def scale_counts(X: sp.csr_matrix, scale: float) -> sp.csr_matrix:
    """``X / scale``, in place: summed weights to counts."""
    if X.nnz:
        check_exact(float(X.data.max()), scale)
    if scale != 1.0:
        X.data /= scale
    return X


def check_exact(largest_sum: float, scale: float) -> None:
    """Warn when whole-number sums reached 2**53, past which float64 rounds them."""
    if scale != 1.0 and largest_sum >= 2**53:
        log.warning(
            "co-occurrence sums passed 2**53 (the whole-number weights of a wide window on"
            " a big corpus): they are rounded, and may differ in the last bit between ways"
            " of counting"
        )


def subsample(
    ids: list[np.ndarray],
    vocab_counts: np.ndarray | Sequence[int],
    t: float = 1e-5,
    seed: int = 0,
    skip_id: int | None = 0,
) -> list[np.ndarray]:
    """Drop tokens of frequent words at random, as word2vec does before forming windows.

    A token of word ``w`` with corpus frequency ``f = count(w) / total`` is kept with
    probability ``min(1, sqrt(t / f))``: the formula of Mikolov et al. (2013),
    "Distributed representations of words and phrases", eq. 5. (word2vec's C code and
    gensim keep ``sqrt(t / f) + t / f`` instead, a little more.) Tokens with id
    ``skip_id`` (``<unk>``) are always kept and their count is left out of ``total``,
    as word2vec never counts out-of-vocabulary words; :func:`cooccurrence_matrix`
    drops them later. ``skip_id=None`` treats every id as a word.

    Args:
        ids: token-id arrays, e.g. from :func:`encode_sequences`.
        vocab_counts: corpus count of each id (e.g. :attr:`Vocabulary.counts`).
        t: the threshold; words rarer than ``t`` are never dropped.
        seed: the same seed gives the same output.
        skip_id: the id never dropped, or ``None``.

    Returns:
        The kept tokens of each sequence, in order, with the input dtypes.

    >>> ids = [np.array([1] * 1000 + [2])]
    >>> kept = subsample(ids, np.bincount(ids[0]), t=1e-3)[0]
    >>> int((kept == 2).sum()), 10 < int((kept == 1).sum()) < 60  # keeps ~3.2% of 1
    (1, True)
    """
    ids = list(ids)
    keep_p = _keep_probability(np.asarray(vocab_counts), t, skip_id)
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for raw, lengths in _chunks(ids, CHUNK_TOKENS):
        if raw.size and (raw.min() < 0 or raw.max() >= keep_p.size):
            raise ValueError(
                f"token ids must lie in [0, {keep_p.size}) (the length of vocab_counts);"
                f" got {raw.min()}..{raw.max()}: count the vocabulary the ids came from"
            )
        keep = rng.random(raw.size) < keep_p[raw]
        kept_before = np.r_[0, np.cumsum(keep)]
        out.extend(np.split(raw[keep], kept_before[np.cumsum(lengths)[:-1]]))
    return [kept.astype(seq.dtype, copy=False) for kept, seq in zip(out, ids, strict=True)]


def _keep_probability(counts: np.ndarray, t: float, skip_id: int | None) -> np.ndarray:
    if counts.ndim != 1 or (counts.size and counts.min() < 0):
        raise ValueError("vocab_counts must be a 1-D array of counts >= 0, one per id")
    if not t > 0:
        raise ValueError(f"the subsampling threshold t must be positive, not {t}")
    counts = counts.astype(np.float64)
    total = counts.sum() - (counts[skip_id] if skip_id is not None else 0.0)
    with np.errstate(divide="ignore"):
        keep = np.minimum(1.0, np.sqrt(t * total / counts))  # count 0: inf, kept
    if skip_id is not None:
        keep[skip_id] = 1.0
    return keep


# ----------------------------------------------------------------------------- weights


WEIGHTINGS = ("harmonic", "none", "linear")


def _weighting_name(value: bool | str) -> str:
    if isinstance(value, bool | np.bool_):
        return "harmonic" if value else "none"
    if value not in WEIGHTINGS:
        raise ValueError(
            f"distance_weighting must be True/'harmonic' (1/d), False/'none' (1) or"
            f" 'linear' ((window - d + 1)/window), not {value!r}"
        )
    return value


def _distance_weights(weighting: str, window: int) -> np.ndarray:
    """``w[d - 1]``: what a pair ``d`` words apart adds."""
    d = np.arange(1, window + 1)
    if weighting == "harmonic":
        return 1.0 / d
    return (window - d + 1) / window if weighting == "linear" else np.ones(window)


def _whole_weights(weighting: str, window: int) -> tuple[np.ndarray, int] | None:
    """The weights as whole-number numerators over one denominator (None if too large)."""
    if weighting == "linear":
        return np.arange(window, 0, -1, dtype=np.float64), window
    if weighting == "none":
        return np.ones(window), 1
    if window > 40:  # lcm(1..41) is past 2**53: not every weight is a float64 integer
        return None
    den = math.lcm(*range(1, window + 1))
    return np.array([den // d for d in range(1, window + 1)], np.float64), den


# ----------------------------------------------------------------------------- chunks


def _chunks(
    sequences: Iterable[np.ndarray], chunk_tokens: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Concatenated sequences of about ``chunk_tokens`` tokens, and their lengths."""
    parts: list[np.ndarray] = []
    size = 0
    for seq in sequences:
        parts.append(seq)
        size += len(seq)
        if size >= chunk_tokens:
            yield _concat(parts)
            parts, size = [], 0
    if parts:
        yield _concat(parts)


def _concat(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    # One concatenation for the whole chunk: a Python step per sequence would cost
    # more than the counting itself.
    lengths = np.fromiter(map(len, parts), np.int64, len(parts))
    return np.concatenate(parts).astype(np.int64, copy=False), lengths


def _layout(raw: np.ndarray, lengths: np.ndarray, skip_id: int | None, vocab_size: int):
    if vocab_size >= 2**31 or raw.size >= 2**31 - len(lengths):
        raise ValueError(
            f"vocab_size ({vocab_size:,}) and the tokens of one chunk ({raw.size:,}) must be"
            " below 2**31: lower chunk_tokens, or split the sequences that are that long"
        )
    skip = -1 if skip_id is None else skip_id
    flat, bad = _kernel.layout(raw, lengths, skip, skip_id is not None, vocab_size)
    if bad >= 0:
        raise ValueError(
            f"token ids must lie in [0, {vocab_size}); got {raw[bad]}:"
            f" pass the vocab_size of the vocabulary that encoded them"
        )
    return flat


def _csr(parts: tuple[np.ndarray, np.ndarray, np.ndarray], vocab_size: int) -> sp.csr_matrix:
    indptr, indices, data = parts
    X = sp.csr_matrix((data, indices, indptr), shape=(vocab_size, vocab_size))
    X.has_sorted_indices = True  # the kernel emits each row's columns in order
    return X


def _add_csr(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    X = (a + b).tocsr()
    X.has_sorted_indices = True  # scipy adds sorted operands by a merge
    return X


class _Merger:
    """Sums runs (sorted ``(keys, values)`` pairs or CSR matrices), merging runs of
    similar size as they come (as a binary counter does), so the work stays
    O(n log chunks) and memory near the number of distinct keys."""

    def __init__(self, merge: Callable, size: Callable) -> None:
        self.merge, self.size = merge, size
        self.runs: list = []

    def add(self, run) -> None:
        self.runs.append(run)
        while len(self.runs) > 1 and self.size(self.runs[-2]) <= 2 * self.size(self.runs[-1]):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(self.merge(a, b))

    def result(self):
        while len(self.runs) > 1:
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(self.merge(a, b))
        return self.runs[0]
