"""N-gram language models: MLE, add-k and interpolated modified Kneser-Ney.

Entry points: :class:`NgramLM` (``fit``, ``logprob``, ``perplexity``,
``next_words``, ``generate``, ``save``, ``to_arpa``) and :func:`load_ngram`.

Every smoothing is written in one interpolated form, computed for whole arrays
of n-grams at once::

    p_k(w | h) = alpha_k(h, w) + gamma(h) · p_{k-1}(w | h')   if h was seen,
               = p_{k-1}(w | h')                               otherwise,

with p_0 uniform over the predictable words (all but ``<s>``). MLE has gamma = 0
(so it uses the longest seen context); add-k mixes the top-order counts with the
uniform floor; modified Kneser-Ney (Chen & Goodman 1998) discounts counts 1, 2 and
3+ by D1, D2, D3+ estimated per order from count-of-counts, and uses continuation
counts N1+(• h w) below the top order. This form is also ARPA's: alpha + gamma·p
is the listed probability, gamma the back-off weight. Scoring finds the table row
of every n-gram and context through hash indexes (:class:`~diaphane.text.ngrams.KeyIndex`),
all n-grams of a batch at once, one pass per order.

>>> lm = NgramLM(order=2, smoothing="kn").fit([["a", "b"], ["a", "c"], ["b", "a"]])
>>> round(float(lm.distribution([]).sum()), 12)
1.0
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from diaphane.errors import CorpusError, UsageError
from diaphane.files import atomic_open
from diaphane.models._checks import check_tensors, damaged, settings_from
from diaphane.text.examples import pad_sentences, windows
from diaphane.text.ngrams import (
    KeyIndex,
    NgramCounts,
    count_ngrams,
    decode_contexts,
    find_contexts,
)
from diaphane.text.vocab import Vocabulary

KIND = "ngram"
SMOOTHINGS = ("mle", "addk", "kn")
VOCAB_FILE = "vocab.txt"
_CHUNK = 1 << 20


class NgramLM:
    """An n-gram language model over a :class:`~diaphane.text.Vocabulary`.

    Args:
        order: n, the number of words in the longest n-gram.
        smoothing: ``"mle"``, ``"addk"`` (``k=1`` is Laplace) or ``"kn"``.
        k: the pseudo-count for add-k.
        discounts: for ``"kn"``, fixed discounts per order (index 0 = unigrams),
            each a number or a (D1, D2, D3+) triple; ``None`` estimates them.
    """

    def __init__(
        self,
        order: int = 3,
        smoothing: str = "kn",
        k: float = 1.0,
        discounts: Sequence[float | Sequence[float]] | None = None,
    ):
        if order < 1:
            raise UsageError(f"order must be at least 1, got {order}")
        if smoothing not in SMOOTHINGS:
            raise UsageError(f"unknown smoothing {smoothing!r}; use one of {', '.join(SMOOTHINGS)}")
        if not (math.isfinite(k) and k > 0):
            raise UsageError(f"the add-k pseudo-count k must be a finite number above 0, not {k}")
        if discounts is not None and len(discounts) != order:
            raise UsageError(f"give one discount per order ({order}), got {len(discounts)}")
        self.order, self.smoothing, self.k = order, smoothing, float(k)
        self.fixed_discounts = None if discounts is None else [_triple(d) for d in discounts]
        self.meta: dict = {}

    # --- fitting ------------------------------------------------------------------

    def fit(
        self,
        sentences: Iterable[Sequence[str]],
        vocab: Vocabulary | None = None,
        min_count: int = 1,
        source: dict | None = None,
    ) -> NgramLM:
        """Count the n-grams of ``sentences`` and precompute the smoothed tables."""
        sentences = list(sentences)
        vocab = vocab or Vocabulary.build(sentences, min_count=min_count)
        return self.fit_stream(pad_sentences(sentences, vocab, self.order), vocab, source)

    def fit_stream(
        self, stream: np.ndarray, vocab: Vocabulary, source: dict | None = None
    ) -> NgramLM:
        """Fit on word ids already padded by ``pad_sentences(sentences, vocab, order)``.

        The same as :meth:`fit` without the encoding of words to ids, which for a
        large corpus takes longer than the counting itself.
        """
        stream = np.asarray(stream)
        if not len(stream):
            raise CorpusError("cannot fit an n-gram model on an empty corpus; give it some text")
        if stream.min() < 0 or stream.max() >= len(vocab):
            raise ValueError(
                f"ids must lie in [0, {len(vocab)}) for this vocabulary; "
                "encode with pad_sentences(sentences, vocab, order)"
            )
        counts = count_ngrams(stream, self.order, len(vocab), vocab.bos_id)
        tokens = int(np.count_nonzero(stream != vocab.bos_id))
        return self.fit_counts(counts, vocab, tokens, source)

    def fit_counts(
        self, counts: NgramCounts, vocab: Vocabulary, tokens: int, source: dict | None = None
    ) -> NgramLM:
        """Fit on n-gram tables already counted: by :func:`~diaphane.text.ngrams.count_ngrams`,
        streamed through disk or summed over a cluster (:mod:`diaphane.text.ngram_stream`).

        Args:
            counts: the tables, of this model's order, over ``vocab``'s ids.
            tokens: the events counted (positions predicted), recorded in :attr:`meta`.
        """
        if counts.order != self.order or counts.vocab_size != len(vocab):
            raise ValueError(
                f"counts of order {counts.order} over {counts.vocab_size} ids do not fit an "
                f"order-{self.order} model over a vocabulary of {len(vocab)}"
            )
        self.vocab = vocab
        self.contexts, self.keys = counts.contexts, counts.keys
        self.counts = counts.continuation if self.smoothing == "kn" else counts.counts
        self.alpha, self.gamma, self.discounts = [], [], []
        for k in range(1, self.order + 1):
            alpha, gamma, disc = self._smooth(k)
            self.alpha.append(alpha)
            self.gamma.append(gamma)
            self.discounts.append(disc)
        self.meta = {"tokens": tokens, **(source or {})}
        self._index_tables()
        return self

    def _index_tables(self) -> None:
        """Hash the sorted keys for O(1) look-ups, and pad alpha and gamma for misses.

        A miss finds position -1, where the padding puts alpha = 0 and gamma = 1, so
        ``alpha[g] + gamma[c] * p`` needs no masking: an unseen context passes p through.
        """
        self._ctx_index = [KeyIndex(c) for c in self.contexts]
        self._index = [KeyIndex(k) for k in self.keys]
        self._alpha = [np.append(a, 0.0) for a in self.alpha]
        self._gamma = [np.append(g, 1.0) for g in self.gamma]

    def _smooth(self, k: int) -> tuple[np.ndarray, np.ndarray, list[float]]:
        """alpha for order-k n-grams and gamma for their contexts (length k-1)."""
        c = self.counts[k - 1].astype(np.float64)
        ctx = self.keys[k - 1] // len(self.vocab)
        total = np.bincount(ctx, weights=c, minlength=len(self.contexts[k - 1]))
        if self.smoothing == "mle":
            return c / total[ctx], np.zeros_like(total), [0.0] * 3
        if self.smoothing == "addk":
            if k < self.order:  # only the top order counts; lower ones pass the floor through
                return np.zeros_like(c), np.ones_like(total), [0.0] * 3
            denom = total + self.k * self.n_predictable
            return c / denom[ctx], self.k * self.n_predictable / denom, [0.0] * 3
        disc = self.fixed_discounts[k - 1] if self.fixed_discounts else kn_discounts(c)
        d = np.asarray(disc)[np.minimum(c, 3).astype(np.int64) - 1]
        mass = np.bincount(ctx, weights=np.minimum(d, c), minlength=len(total))
        return np.maximum(c - d, 0.0) / total[ctx], mass / total, list(disc)

    @property
    def n_predictable(self) -> int:
        """Words the model can predict: the vocabulary less ``<s>``."""
        return len(self.vocab) - (self.vocab.bos_id >= 0)

    # --- scoring ------------------------------------------------------------------

    def logprob_ids(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Natural-log p(word | context) for rows of context ids (most recent last)."""
        contexts = np.asarray(contexts, np.int64).reshape(len(words), -1)[
            :, -(self.order - 1) or 0 :
        ]
        if self.order == 1:
            contexts = contexts[:, :0]
        words = np.asarray(words, np.int64)
        out = np.empty(len(words))
        with np.errstate(divide="ignore"):  # MLE gives unseen events log 0 = -inf
            for s in range(0, len(words), _CHUNK):
                out[s : s + _CHUNK] = np.log(
                    self._prob(contexts[s : s + _CHUNK], words[s : s + _CHUNK])
                )
        return out

    def _prob(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        V = len(self.vocab)
        p = np.where(words == self.vocab.bos_id, 0.0, 1.0 / self.n_predictable)
        found = find_contexts(self._ctx_index, contexts, V)
        for k in range(1, contexts.shape[1] + 2):
            c = found[k - 1]
            g = self._index[k - 1].find(c * V + words)  # c = -1 gives a negative key: a miss
            p = self._alpha[k - 1][g] + self._gamma[k - 1][c] * p
        return p

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """Natural-log probability of ``word`` after the words of ``context``."""
        ctx = self.vocab.encode(context)[None, :]
        return float(self.logprob_ids(ctx, np.array([self.vocab[word]]))[0])

    def log_probs(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """Natural-log probability of every predicted token (each sentence's words and
        its ``</s>``), in order — the same events any of our language models scores."""
        ctx, tgt = windows(
            pad_sentences(sentences, self.vocab, self.order), self.order, self.vocab.bos_id
        )
        return self.logprob_ids(ctx, tgt)

    def score_sentences(self, sentences: Iterable[Sequence[str]]) -> tuple[float, int]:
        """Summed natural-log probability of every word and ``</s>``, and how many there were."""
        lp = self.log_probs(sentences)
        return float(lp.sum()), len(lp)

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """exp(-mean log p) over every word and ``</s>``; unknown words score as ``<unk>``."""
        total, n = self.score_sentences(sentences)
        if n == 0:
            raise UsageError("cannot compute perplexity of an empty text; give it some words")
        return float(np.exp(-total / n))

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """p(w | context) for every vocabulary id (``<s>`` gets 0)."""
        return self._distribution(self.vocab.encode(context))

    def _distribution(self, ids: np.ndarray) -> np.ndarray:
        V = len(self.vocab)
        ids = np.asarray(ids, np.int64)[len(ids) - min(len(ids), self.order - 1) :]
        p = np.full(V, 1.0 / self.n_predictable)
        if self.vocab.bos_id >= 0:
            p[self.vocab.bos_id] = 0.0
        found = find_contexts(self._ctx_index, ids[None, :], V)
        for k in range(1, len(ids) + 2):
            c = int(found[k - 1][0])
            if c < 0:
                break
            lo, hi = np.searchsorted(self.keys[k - 1], [c * V, (c + 1) * V])
            p = self.gamma[k - 1][c] * p
            p[self.keys[k - 1][lo:hi] - c * V] += self.alpha[k - 1][lo:hi]
        return p

    def next_words(self, context: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` likeliest next words after ``context`` with their probabilities."""
        p = self.distribution(context)
        top = np.argsort(-p, kind="stable")[:k]
        return [(self.vocab.words[i], float(p[i])) for i in top]

    def generate(
        self,
        prompt: Sequence[str] = (),
        length: int = 20,
        seed: int | None = 0,
        temperature: float = 1.0,
    ) -> list[str]:
        """Sample up to ``length`` words after ``prompt`` (stops at ``</s>``); a
        ``temperature`` below 1 sharpens the distribution (p ** (1/T), renormalised)."""
        if not (math.isfinite(temperature) and temperature > 0):
            raise UsageError(f"temperature must be a finite number above 0, not {temperature}")
        rng = np.random.default_rng(seed)
        bos = [self.vocab.bos_id] * (self.order - 1)
        ids = [*bos, *self.vocab.encode(prompt).tolist()]
        out: list[str] = []
        for _ in range(length):
            p = self._distribution(np.array(ids))
            if temperature != 1.0:
                p = p ** (1.0 / temperature)
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            if nxt == self.vocab.eos_id:
                break
            out.append(self.vocab.words[nxt])
            ids.append(nxt)
        return out

    # --- files --------------------------------------------------------------------

    def config(self) -> dict:
        """``config.json``: the kind, the settings, the vocabulary size, the training data."""
        from diaphane import __version__

        settings = NgramSettings(self.order, self.smoothing, self.k, self.discounts)
        return {
            "kind": KIND,
            "diaphane_version": __version__,
            "hyperparameters": asdict(settings),
            "vocab_size": len(self.vocab),
            "vocab": VOCAB_FILE,
            "training": self.meta,
        }

    def tensors(self) -> dict[str, np.ndarray]:
        """Arrays ``contexts.J``, ``gamma.J``, ``ngrams.K``, ``counts.K``, ``alpha.K``."""
        out = {}
        for j, arr in enumerate(self.contexts):
            out[f"contexts.{j}"] = arr
            out[f"gamma.{j}"] = self.gamma[j]
        for k in range(1, self.order + 1):
            out[f"ngrams.{k}"] = self.keys[k - 1]
            out[f"counts.{k}"] = self.counts[k - 1]
            out[f"alpha.{k}"] = self.alpha[k - 1]
        return {k: np.ascontiguousarray(v) for k, v in out.items()}

    def save(self, folder: str | os.PathLike, force: bool = False) -> Path:
        """Write the folder (``config.json``, ``model.safetensors``, ``vocab.txt``) whole:
        beside its place, then swapped in, with the weights' sha256 in ``config.json``.
        It replaces only an n-gram model folder, unless ``force``."""
        from diaphane.nn.checkpoint import save_checkpoint

        tree: dict = {}
        for key, arr in self.tensors().items():
            name, index = key.split(".")
            tree.setdefault(name, {})[index] = arr
        return save_checkpoint(folder, tree, None, {}, self.config(),
                               {VOCAB_FILE: self.vocab.save}, force=force)  # fmt: skip

    def to_arpa(self, path: str | os.PathLike) -> None:
        """Write the model in ARPA back-off format (log10), loadable by KenLM and SRILM."""
        sections = [self._arpa_order(k) for k in range(1, self.order + 1)]
        with atomic_open(path, "w", encoding="utf-8") as f:
            f.write("\\data\\\n")
            for k, lines in enumerate(sections, 1):
                f.write(f"ngram {k}={len(lines)}\n")
            for k, lines in enumerate(sections, 1):
                f.write(f"\n\\{k}-grams:\n")
                f.writelines(lines)
            f.write("\n\\end\\\n")

    def _arpa_order(self, k: int) -> list[str]:
        V = len(self.vocab)
        if k == 1:
            grams = np.arange(V, dtype=np.int64)[:, None]
        else:
            ctx = decode_contexts(self.contexts, k - 1, self.keys[k - 1] // V, V)
            grams = np.column_stack([ctx, self.keys[k - 1] % V])
        # Contexts that end in <s> are not n-grams but need a line for their back-off weight.
        if k < self.order:
            sent = decode_contexts(self.contexts, k, np.arange(len(self.contexts[k])), V)
            grams = np.vstack([grams, sent[sent[:, -1] == self.vocab.bos_id]])
            grams = np.unique(grams, axis=0)
        with np.errstate(divide="ignore"):
            logp = self.logprob_ids(grams[:, :-1], grams[:, -1]) / np.log(10)
            bow = np.full(len(grams), np.nan)
            if k < self.order:
                c = find_contexts(self._ctx_index, grams, V)[k]
                bow = np.where(c >= 0, np.log10(self.gamma[k][np.maximum(c, 0)]), np.nan)
        logp = np.where(np.isfinite(logp), logp, -99.0)
        bow = np.where(np.isneginf(bow), -99.0, bow)
        words = self.vocab.words
        return [
            f"{lp:.10g}\t{' '.join(words[i] for i in g)}"
            + ("" if np.isnan(b) else f"\t{b:.10g}")
            + "\n"
            for lp, g, b in zip(logp.tolist(), grams.tolist(), bow.tolist(), strict=True)
        ]


def load_ngram(folder: str | os.PathLike) -> NgramLM:
    """Load a model saved by :meth:`NgramLM.save`, checking its files against each other.

    Raises:
        ModelFileError: the folder is missing, damaged, or holds another kind of model.
    """
    from diaphane.models._folder import open_folder

    folder = Path(folder)
    cfg, t, vocab = open_folder(folder, KIND, "an n-gram model", "diaphane train ngram")
    config_path = folder / "config.json"
    # Folders of format 1 kept the settings at the top level.
    values = cfg.get("hyperparameters", cfg)
    settings = settings_from(NgramSettings, values, config_path, "hyperparameters",
                             ("order", "smoothing", "discounts"))  # fmt: skip
    if cfg.get("vocab_size") != len(vocab):
        raise damaged(folder / VOCAB_FILE, f"it holds {len(vocab)} words but config.json says "
                                           f"{cfg.get('vocab_size')!r}")  # fmt: skip
    check_tensors(folder / "model.safetensors", t, _expected_tensors(t, settings.order))
    lm = NgramLM(settings.order, settings.smoothing, settings.k)
    lm.discounts, lm.vocab = settings.discounts, vocab
    meta = cfg.get("training", {})
    lm.meta = meta if isinstance(meta, dict) else {}
    pick = lambda name, ks: [t[name][str(k)] for k in ks]
    lm.contexts, lm.gamma = pick("contexts", range(lm.order)), pick("gamma", range(lm.order))
    lm.keys = pick("ngrams", range(1, lm.order + 1))
    lm.counts = pick("counts", range(1, lm.order + 1))
    lm.alpha = pick("alpha", range(1, lm.order + 1))
    _check_tables(lm, folder / "model.safetensors")
    lm._index_tables()
    return lm


def _check_tables(lm: NgramLM, path: Path) -> None:
    """Refuse tables that right shapes alone do not make sound: keys out of order or range."""
    V = len(lm.vocab)
    levels = [("contexts", j, c) for j, c in enumerate(lm.contexts)]
    levels += [("ngrams", k, g) for k, g in enumerate(lm.keys, start=1)]
    for name, k, keys in levels:
        if len(keys) and (keys[0] < 0 or keys[-1] >= float(V) ** k or np.any(np.diff(keys) <= 0)):
            raise damaged(path, f"{name}.{k} is not a sorted list of word-id keys below {V}^{k}")
    for name, arrays in (("counts", lm.counts), ("alpha", lm.alpha), ("gamma", lm.gamma)):
        for k, arr in enumerate(arrays):
            if len(arr) and (not np.all(np.isfinite(arr)) or np.any(arr < 0)):
                raise damaged(path, f"{name}.{k} holds negative or non-finite values")


def _expected_tensors(t: dict, order: int) -> dict:
    """The tables of an order-``order`` model: each level's arrays of equal length."""

    def size(name: str, key: int) -> int | None:
        arr = t.get(name, {}).get(str(key)) if isinstance(t.get(name), dict) else None
        return len(arr) if isinstance(arr, np.ndarray) and arr.ndim == 1 else None

    expected: dict = {}
    for j in range(order):
        expected[f"contexts.{j}"] = ((None,), "i")
        expected[f"gamma.{j}"] = ((size("contexts", j),), "f")
    for k in range(1, order + 1):
        expected[f"ngrams.{k}"] = ((None,), "i")
        expected[f"counts.{k}"] = ((size("ngrams", k),), "i")
        expected[f"alpha.{k}"] = ((size("ngrams", k),), "f")
    return expected


@dataclass
class NgramSettings:
    """An n-gram model's settings as ``config.json`` records them."""

    order: int = 3
    smoothing: str = "kn"
    k: float = 1.0
    discounts: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.order < 1 or self.smoothing not in SMOOTHINGS or not self.k > 0:
            raise UsageError(f"order {self.order}, smoothing {self.smoothing!r} and k {self.k} "
                             "are not an n-gram model's settings")  # fmt: skip
        ok = len(self.discounts) == self.order and all(
            isinstance(d, list) and len(d) == 3
            and all(isinstance(x, int | float) and math.isfinite(x) for x in d)
            for d in self.discounts
        )  # fmt: skip
        if not ok:
            raise UsageError(f"discounts should be {self.order} triples of numbers")


def kn_discounts(counts: np.ndarray) -> list[float]:
    """Chen & Goodman's D1, D2, D3+ from the count-of-counts n1..n4 of ``counts``.

    >>> kn_discounts(np.array([1, 1, 1, 1, 2, 2, 3, 4]))
    [0.5, 1.25, 1.0]
    """
    n = [float(np.count_nonzero(counts == i)) for i in (1, 2, 3, 4)]
    y = n[0] / (n[0] + 2 * n[1]) if n[0] + n[1] > 0 else 0.5
    raw = [
        1 - 2 * y * _ratio(n[1], n[0]),
        2 - 3 * y * _ratio(n[2], n[1]),
        3 - 4 * y * _ratio(n[3], n[2]),
    ]
    # Tiny corpora can leave a count-of-count empty; keep each discount within [0, i].
    return [float(min(max(d, 0.0), i)) for i, d in enumerate(raw, 1)]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def _triple(d: float | Sequence[float]) -> list[float]:
    return [float(d)] * 3 if np.isscalar(d) else [float(x) for x in d]  # type: ignore[arg-type,union-attr]
