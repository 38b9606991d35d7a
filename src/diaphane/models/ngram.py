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

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from diaphane.errors import ModelFileError
from diaphane.files import atomic_open
from diaphane.text.examples import pad_sentences, windows
from diaphane.text.ngrams import KeyIndex, count_ngrams, decode_contexts, find_contexts
from diaphane.text.vocab import Vocabulary

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
            raise ValueError(f"order must be at least 1, got {order}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"unknown smoothing {smoothing!r}; use one of {', '.join(SMOOTHINGS)}")
        if discounts is not None and len(discounts) != order:
            raise ValueError(f"give one discount per order ({order}), got {len(discounts)}")
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
            raise ValueError("cannot fit an n-gram model on an empty corpus")
        if stream.min() < 0 or stream.max() >= len(vocab):
            raise ValueError(
                f"ids must lie in [0, {len(vocab)}) for this vocabulary; "
                "encode with pad_sentences(sentences, vocab, order)"
            )
        self.vocab = vocab
        counts = count_ngrams(stream, self.order, len(self.vocab), self.vocab.bos_id)
        self.contexts, self.keys = counts.contexts, counts.keys
        self.counts = counts.continuation if self.smoothing == "kn" else counts.counts
        self.alpha, self.gamma, self.discounts = [], [], []
        for k in range(1, self.order + 1):
            alpha, gamma, disc = self._smooth(k)
            self.alpha.append(alpha)
            self.gamma.append(gamma)
            self.discounts.append(disc)
        self.meta = {"tokens": int(np.count_nonzero(stream != self.vocab.bos_id)), **(source or {})}
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
            raise ValueError("cannot compute perplexity of an empty text")
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
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
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
        from diaphane import __version__

        return {
            "kind": "ngram",
            "order": self.order,
            "smoothing": self.smoothing,
            "k": self.k,
            "discounts": self.discounts,
            "vocab_size": len(self.vocab),
            "vocab": "vocab.txt",
            "training": self.meta,
            "diaphane_version": __version__,
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

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the folder (``config.json``, ``model.safetensors``, ``vocab.txt``) whole:
        beside its place, then renamed in, with the weights' sha256 in ``config.json``."""
        from diaphane.nn.checkpoint import save_checkpoint

        tree: dict = {}
        for key, arr in self.tensors().items():
            name, index = key.split(".")
            tree.setdefault(name, {})[index] = arr
        return save_checkpoint(folder, tree, None, {}, self.config(),
                               {VOCAB_FILE: self.vocab.save})  # fmt: skip

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
    from diaphane.nn.checkpoint import load_checkpoint, read_config

    folder = Path(folder)
    cfg = read_config(folder)
    if cfg.get("kind") != "ngram":
        raise ModelFileError(
            f"{folder} holds a {cfg.get('kind')!r} model, not an n-gram model; use the "
            "command for that kind of model"
        )
    t = load_checkpoint(folder).params
    try:
        lm = NgramLM(int(cfg["order"]), cfg["smoothing"], float(cfg["k"]))
        lm.discounts, lm.meta = cfg["discounts"], cfg.get("training", {})
        # The vocabulary is always the folder's own file, whatever config.json names.
        lm.vocab = Vocabulary.load(folder / VOCAB_FILE)
        pick = lambda name, ks: [np.asarray(t[name][str(k)]) for k in ks]
        lm.contexts = pick("contexts", range(lm.order))
        lm.gamma = pick("gamma", range(lm.order))
        lm.keys = pick("ngrams", range(1, lm.order + 1))
        lm.counts = pick("counts", range(1, lm.order + 1))
        lm.alpha = pick("alpha", range(1, lm.order + 1))
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(
            f"{folder} is not a complete n-gram model ({type(err).__name__}: {err}); "
            "train it again with `diaphane train ngram`"
        ) from err
    if cfg.get("vocab_size") != len(lm.vocab):
        raise ModelFileError(
            f"{folder / VOCAB_FILE} holds {len(lm.vocab)} words but config.json says "
            f"{cfg.get('vocab_size')}; the folder is damaged. Train the model again."
        )
    lm._index_tables()
    return lm


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
