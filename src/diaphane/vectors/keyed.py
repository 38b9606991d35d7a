"""Word vectors: an ordered word list and a float32 matrix, one row per word.

:class:`WordVectors` is the one type every analysis in :mod:`diaphane.vectors`
takes. Build it from arrays, from any diaphane model with a ``vectors()`` method,
or from gensim's ``KeyedVectors``; turn it back into ``KeyedVectors`` (and from
there into the word2vec formats) with :meth:`WordVectors.to_gensim`.

Entry points: :class:`WordVectors`, :class:`UnknownWordError`, :func:`closest_spellings`.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.files import atomic_open

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

__all__ = ["UnknownWordError", "WordVectors", "closest_spellings"]


class UnknownWordError(DiaphaneError, LookupError):
    """A word that is not in the vocabulary; the message suggests close spellings."""

    def __init__(self, word: str, suggestions: Sequence[str] = ()):
        self.word = word
        self.suggestions = list(suggestions)
        hint = (
            "did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
            if self.suggestions
            else "no known word is spelled like it."
        )
        super().__init__(f"{word!r} is not in the vocabulary; {hint}")


def closest_spellings(word: str, vocabulary: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` words of ``vocabulary`` spelled most like ``word``.

    A different case of the same word comes first; then :func:`difflib.get_close_matches`
    over the words of about the same length (which keeps it fast on large vocabularies).

    >>> closest_spellings("pari", ["paris", "rome", "Paris", "pair"])
    ['paris', 'pair', 'Paris']
    """
    lower = word.lower()
    same_case = [w for w in vocabulary if w.lower() == lower and w != word]
    near = [w for w in vocabulary if abs(len(w) - len(word)) <= 2 and w not in same_case]
    close = difflib.get_close_matches(word, near, n=n, cutoff=0.6)
    return (same_case + close)[:n]


class WordVectors:
    """Words and their vectors (a float32 matrix), with optional per-word scores and labels.

    Args:
        words: the vocabulary, in order (most frequent first where that is known).
        matrix: ``(len(words), dim)`` array, one row per word; stored as float32.
        scores: optional number per word (a sentiment log-ratio, a frequency, ...).
        labels: optional label per word (a part of speech, a cluster, ...).
        counts: optional corpus count per word.

    >>> wv = WordVectors(["a", "b"], [[1.0, 0.0], [0.0, 2.0]])
    >>> wv["b"]
    array([0., 2.], dtype=float32)
    >>> len(wv), wv.dim, "a" in wv
    (2, 2, True)
    """

    def __init__(
        self,
        words: Sequence[str],
        matrix: Any,
        *,
        scores: Any = None,
        labels: Sequence[str] | None = None,
        counts: Any = None,
    ):
        matrix = np.asarray(matrix, dtype=np.float32)
        words = [str(w) for w in words]
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise DiaphaneError(
                f"Word vectors need a (words, dim) matrix with one row per word: got "
                f"{len(words)} words and a matrix of shape {matrix.shape}."
            )
        if not len(words):
            raise DiaphaneError("Word vectors need at least one word; the vocabulary is empty.")
        if not np.isfinite(matrix).all():
            bad = words[int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])]
            raise DiaphaneError(
                f"The vector of {bad!r} holds NaN or infinity; the model diverged or the "
                "file is damaged. Retrain (lower the learning rate) or use another file."
            )
        self.words = words
        self.matrix = np.ascontiguousarray(matrix)
        self.index = {w: i for i, w in enumerate(words)}
        if len(self.index) != len(words):
            dup = next(w for i, w in enumerate(words) if self.index[w] != i)
            raise DiaphaneError(f"The word {dup!r} appears twice; word vectors need unique words.")
        self.scores = _per_word(scores, len(words), "scores", np.float64)
        self.labels = None if labels is None else [str(x) for x in labels]
        if self.labels is not None and len(self.labels) != len(words):
            raise DiaphaneError(f"{len(self.labels)} labels for {len(words)} words.")
        self.counts = _per_word(counts, len(words), "counts", np.int64)
        self._unit: np.ndarray | None = None

    # -- lookups

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.matrix[self.id(word)]

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.dim} dims)"

    @property
    def dim(self) -> int:
        """The number of dimensions."""
        return int(self.matrix.shape[1])

    @property
    def norms(self) -> np.ndarray:
        """Euclidean length of each row."""
        return np.linalg.norm(self.matrix, axis=1)

    @property
    def unit(self) -> np.ndarray:
        """The rows scaled to unit length (zero rows stay zero); computed once."""
        if self._unit is None:
            norms = self.norms[:, None]
            self._unit = self.matrix / np.where(norms > 0, norms, 1).astype(np.float32)
        return self._unit

    def id(self, word: str) -> int:
        """The row of ``word``.

        Raises:
            UnknownWordError: ``word`` is not in the vocabulary (with suggestions).
        """
        i = self.index.get(word)
        if i is None:
            raise UnknownWordError(word, closest_spellings(word, self.words))
        return i

    def ids(self, words: Iterable[str]) -> np.ndarray:
        """Rows of ``words`` as an int64 array (:class:`UnknownWordError` on the first unknown)."""
        return np.array([self.id(w) for w in words], dtype=np.int64)

    # -- subsets

    def take(self, ids: Sequence[int] | np.ndarray) -> WordVectors:
        """The words at rows ``ids`` (in that order), with their scores, labels and counts."""
        ids = np.asarray(ids, dtype=np.int64)
        return WordVectors(
            [self.words[i] for i in ids],
            self.matrix[ids],
            scores=None if self.scores is None else self.scores[ids],
            labels=None if self.labels is None else [self.labels[i] for i in ids],
            counts=None if self.counts is None else self.counts[ids],
        )

    def subset(self, words: Iterable[str]) -> WordVectors:
        """The given words, in the given order."""
        return self.take(self.ids(words))

    def head(self, n: int) -> WordVectors:
        """The first ``n`` words (the ``n`` most frequent where the order is by frequency)."""
        return self.take(np.arange(min(n, len(self))))

    def normalized(self) -> WordVectors:
        """A copy with unit-length rows."""
        out = self.take(np.arange(len(self)))
        out.matrix = self.unit.copy()
        return out

    # -- analysis (thin wrappers; the work is in the sibling modules)

    def neighbours(
        self, word: str | np.ndarray, k: int = 10, metric: str = "cosine"
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest words; see :func:`diaphane.vectors.neighbours.most_similar`."""
        from diaphane.vectors.neighbours import most_similar

        return most_similar(self, word, k=k, metric=metric)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        from diaphane.vectors.neighbours import similarity

        return similarity(self, a, b)

    def analogy(
        self, a: str, b: str, c: str, k: int = 1, method: str = "3cosadd"
    ) -> list[tuple[str, float]]:
        """``a : b :: c : ?``; see :func:`diaphane.vectors.analogies.analogy`."""
        from diaphane.vectors.analogies import analogy

        return analogy(self, a, b, c, k=k, method=method)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the others' unit vectors."""
        from diaphane.vectors.neighbours import doesnt_match

        return doesnt_match(self, words)

    # -- interop

    @classmethod
    def from_model(cls, model: Any, drop_specials: bool = True) -> WordVectors:
        """The word vectors of a diaphane model.

        The model offers ``vectors()`` (or ``word_vectors()``) returning ``(words, matrix)``,
        and optionally per-word scores — ``word_scores()`` (an array) or
        ``word_polarity()`` (a dict, the sentiment network's log-ratio) — and a ``vocab``
        with counts. ``<unk>``, ``<s>`` and ``</s>`` are dropped unless ``drop_specials``
        is false.
        """
        get = getattr(model, "vectors", None) or getattr(model, "word_vectors", None)
        if not callable(get):
            raise DiaphaneError(
                f"A {type(model).__name__} has no word vectors (no vectors() method)."
            )
        got = get()
        if isinstance(got, WordVectors):
            words, matrix = got.words, got.matrix
        else:
            words, matrix = got
        wv = cls(words, matrix, scores=_model_scores(model, words), counts=_counts(model, words))
        return wv.without_specials() if drop_specials else wv

    def without_specials(self) -> WordVectors:
        """These vectors without ``<unk>``, ``<s>``, ``</s>`` and ``<pad>``."""
        specials = {"<unk>", "<s>", "</s>", "<pad>"}
        keep = [i for i, w in enumerate(self.words) if w not in specials]
        return self if len(keep) == len(self) else self.take(keep)

    @classmethod
    def from_gensim(cls, kv: KeyedVectors) -> WordVectors:
        """Copy a gensim ``KeyedVectors`` (its keys, vectors and any ``count`` attribute)."""
        counts = None
        if "count" in getattr(kv, "expandos", {}):
            counts = np.asarray(kv.expandos["count"])
        return cls([str(k) for k in kv.index_to_key], kv.vectors, counts=counts)

    def to_gensim(self) -> KeyedVectors:
        """A gensim ``KeyedVectors`` holding a copy of these vectors, in the same order."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.dim, count=0, dtype=np.float32)
        kv.add_vectors(self.words, self.matrix)
        if self.counts is not None:
            kv.expandos["count"] = self.counts.copy()
        return kv

    def save_word2vec(self, path: str | os.PathLike, binary: bool = False) -> Path:
        """Write word2vec's text (or ``binary``) format through gensim, atomically."""
        bad = [w for w in self.words if not w or any(ch.isspace() for ch in w)]
        if bad:
            raise DiaphaneError(f"The word2vec format cannot hold words with spaces: {bad[:3]!r}")
        gensim_log = logging.getLogger("gensim.models.keyedvectors")
        level = gensim_log.level
        try:
            # sort_attr=None keeps our order (gensim would sort by count) and makes gensim
            # warn that it does so; the warning is noise here
            gensim_log.setLevel(logging.ERROR)
            with atomic_open(path, "wb") as f:
                # gensim wants a file name: it writes the temporary file by its name
                self.to_gensim().save_word2vec_format(f.name, binary=binary, sort_attr=None)
        finally:
            gensim_log.setLevel(level)
        return Path(path)


def _model_scores(model: Any, words: Sequence[str]) -> np.ndarray | None:
    if callable(getattr(model, "word_scores", None)):
        return model.word_scores()
    if callable(getattr(model, "word_polarity", None)):
        polarity = model.word_polarity()
        return np.array([polarity.get(w, np.nan) for w in words], dtype=np.float64)
    return None


def _counts(model: Any, words: Sequence[str]) -> np.ndarray | None:
    vocab = getattr(model, "vocab", None)
    index, counts = getattr(vocab, "index", None), getattr(vocab, "counts", None)
    if index is None or counts is None or not all(w in index for w in words):
        return None
    return np.asarray(counts)[[index[w] for w in words]]


def _per_word(values: Any, n: int, what: str, dtype: Any) -> np.ndarray | None:
    if values is None:
        return None
    values = np.asarray(values, dtype=dtype)
    if values.shape != (n,):
        raise DiaphaneError(f"{what} must hold one number per word: {values.shape} for {n} words.")
    return values
