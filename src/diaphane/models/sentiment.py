"""The bag-of-words sentiment network of the sentiment-analysis lessons (Andrew Trask's).

A review is the *set* of its words. Each known word owns a row of ``W_in``
(|V| x h); the hidden layer is the sum of the rows of the words present (no
nonlinearity), and a sigmoid unit reads it::

    h = sum_{w in review} W_in[w]          p(positive) = sigmoid(h . w_out + b)

The forward pass never builds the |V|-wide input vector: it gathers the rows of
the words present and sums them per review (a segment sum over a minibatch of
reviews of different lengths, as ``torch.nn.EmbeddingBag`` does), so its gradient
is a :class:`~diaphane.autodiff.SparseRows` touching those rows only.

Noise reduction, as in the lessons: words seen in fewer than ``min_count``
training reviews and words whose positive/negative log-ratio is within
``polarity_cutoff`` of zero get no row. After training the rows of ``W_in`` are
word vectors: words that push the output the same way end up close together.

What the rows learn is one-dimensional (a single output unit: each row's gradient
is a multiple of ``w_out``), so a word's strength is its row's length along
``w_out``. The dot product ranks neighbours by that strength (the lessons' choice);
cosine ranks them by direction only, which Adam's per-coordinate steps blur for
words seen a few times, so its lists are noisier (see bench/sentiment.py).

Entry points: :class:`SentimentNetwork`, :class:`SentimentConfig`,
:func:`train_sentiment`, :func:`default_network`, :func:`polarity`,
:func:`build_vocabulary`, :class:`Bags`, :func:`sentiment_logits`, :func:`sentiment_loss`,
:func:`load_reviews`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff import value_and_grad
from diaphane.autodiff.core import DiaphaneError
from diaphane.nn import init
from diaphane.nn.checkpoint import save_checkpoint
from diaphane.nn.optim import SGD, Adam
from diaphane.text.tokenize import Tokenizer
from diaphane.text.vocab import UNK, Vocabulary

__all__ = [
    "Bags",
    "SentimentConfig",
    "SentimentNetwork",
    "build_vocabulary",
    "default_network",
    "default_sentiment_path",
    "load_reviews",
    "polarity",
    "sentiment_logits",
    "sentiment_loss",
    "stratified_split",
    "train_sentiment",
]

log = logging.getLogger(__name__)

KIND = "sentiment"
VOCAB_FILE = "vocab.txt"
Review = Sequence[str]


@dataclass
class SentimentConfig:
    """Hyperparameters of the network and of its vocabulary.

    Attributes:
        hidden: hidden units h (the length of the word vectors).
        min_count: keep words found in at least this many training reviews.
        polarity_cutoff: drop words whose |log-ratio| (see :func:`polarity`) is below this.
        max_vocab: keep at most this many words, the most frequent (None: no limit).
        features: ``"binary"`` (a word counts once, the lessons' choice) or ``"tf"``
            (each row weighted by how often the word occurs).
        normalize: divide each review's sum by the square root of its number of words
            (the bag's L2 norm when binary), so long reviews do not shout.
        init_scale: the input rows start uniform in ``[-init_scale, init_scale)``.
        dtype: parameter dtype.
    """

    hidden: int = 10
    min_count: int = 1
    polarity_cutoff: float = 0.0
    max_vocab: int | None = None
    features: str = "binary"
    normalize: bool = False
    init_scale: float = 0.01
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.hidden < 1 or self.min_count < 1 or self.polarity_cutoff < 0:
            raise DiaphaneError(
                "The sentiment network needs hidden >= 1, min_count >= 1 and polarity_cutoff "
                f">= 0 (got {self.hidden}, {self.min_count}, {self.polarity_cutoff})."
            )
        if self.features not in ("binary", "tf"):
            raise DiaphaneError(f"features must be 'binary' or 'tf', not {self.features!r}.")


# ----------------------------------------------------------------------------- vocabulary


def polarity(
    pos: np.ndarray, neg: np.ndarray, n_pos: int, n_neg: int, alpha: float = 1.0
) -> np.ndarray:
    """Per-word positive/negative log-ratio from document frequencies.

    ``log((pos + a) / (n_pos + 2a)) - log((neg + a) / (n_neg + 2a))``: the log of how
    much likelier a positive review is to contain the word than a negative one,
    Laplace-smoothed (the Bernoulli naive-Bayes weight of the word's presence).

    >>> polarity(np.array([9, 1]), np.array([1, 1]), 10, 10).round(3)
    array([1.609, 0.   ])
    """
    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    return np.log((pos + alpha) / (n_pos + 2 * alpha)) - np.log((neg + alpha) / (n_neg + 2 * alpha))


def _doc_frequencies(reviews: Iterable[Review], labels: np.ndarray) -> tuple[Counter, Counter]:
    pos: Counter[str] = Counter()
    neg: Counter[str] = Counter()
    for review, label in zip(reviews, labels, strict=True):
        (pos if label else neg).update(set(review))
    return pos, neg


def build_vocabulary(
    reviews: Sequence[Review], labels: Sequence[int], config: SentimentConfig
) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """The words that get a row, with their positive and negative document counts.

    Returns ``(vocab, pos, neg)``: ``vocab`` lists ``<unk>`` (id 0, never used by
    the network) and then the kept words by falling document frequency (ties
    alphabetical); ``pos[i]``/``neg[i]`` count the positive/negative training reviews
    that contain word ``i``.
    """
    labels = _check_labels(labels, len(reviews))
    pos, neg = _doc_frequencies(reviews, labels)
    words = sorted((set(pos) | set(neg)) - {UNK})
    p = np.array([pos[w] for w in words], np.int64)
    n = np.array([neg[w] for w in words], np.int64)
    ratio = polarity(p, n, int(labels.sum()), int(len(labels) - labels.sum()))
    keep = np.flatnonzero((p + n >= config.min_count) & (np.abs(ratio) >= config.polarity_cutoff))
    keep = keep[np.argsort(-(p + n)[keep], kind="stable")]  # `words` is alphabetical already
    if config.max_vocab is not None:
        keep = keep[: config.max_vocab]
    if not len(keep):
        raise DiaphaneError(
            "No word survives min_count, polarity_cutoff and max_vocab (--min-count, "
            "--polarity-cutoff, --max-vocab); lower them or use more reviews."
        )
    kept = [words[i] for i in keep]
    vocab = Vocabulary([UNK, *kept], [0, *(p + n)[keep]])
    return vocab, np.concatenate([[0], p[keep]]), np.concatenate([[0], n[keep]])


def _check_labels(labels: Sequence[int], n: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != (n,) or n == 0:
        raise DiaphaneError(f"Expected one label per review ({n} reviews), got shape {y.shape}.")
    if not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
        raise DiaphaneError(
            "Labels must be 0 (negative) and 1 (positive), both present; give reviews of "
            "both kinds (labelled 'pos' and 'neg')."
        )
    return y.astype(np.int64)


# ----------------------------------------------------------------------------- bags of words


@dataclass(frozen=True)
class Bags:
    """A minibatch of reviews as word ids: ``torch.nn.EmbeddingBag``'s input and offsets.

    Attributes:
        ids: word ids of all reviews, concatenated.
        segments: for each id, the review (0..n-1) it belongs to.
        weights: a weight per id (term counts, length normalisation), or None for 1.
        n: number of reviews.
    """

    ids: np.ndarray
    segments: np.ndarray
    weights: np.ndarray | None
    n: int

    @classmethod
    def pack(cls, docs: Sequence[tuple[np.ndarray, np.ndarray | None]]) -> Bags:
        """Concatenate per-review ``(ids, weights)`` pairs."""
        sizes = [len(ids) for ids, _ in docs]
        ids = np.concatenate([d[0] for d in docs]) if docs else np.zeros(0, np.int64)
        seg = np.repeat(np.arange(len(docs)), sizes)
        weights = None
        if docs and docs[0][1] is not None:
            weights = np.concatenate([d[1] for d in docs])
        return cls(ids, seg, weights, len(docs))


def sentiment_hidden(params: dict, bags: Bags) -> Any:
    """Hidden layer ``(n, h)``: per review, the (weighted) sum of its words' rows; traceable."""
    rows = params["W_in"][bags.ids]  # gather: the gradient stays sparse rows
    if bags.weights is not None:
        rows = rows * bags.weights[:, None]
    zeros = np.zeros((bags.n, params["W_in"].shape[1]), rows.dtype)
    return dnp.index_add(zeros, bags.segments, rows)  # segment sum per review


def sentiment_logits(params: dict, bags: Bags) -> Any:
    """Logit of "positive" for each review of ``bags``; traceable."""
    return sentiment_hidden(params, bags) @ params["w_out"] + params["b"]


def sentiment_loss(params: dict, bags: Bags, labels: np.ndarray) -> Any:
    """Mean binary cross-entropy, ``log(1 + e^z) - y z``, from the logits (stable)."""
    z = sentiment_logits(params, bags)
    return dnp.mean(dnp.logaddexp(0.0, z) - labels * z)


def init_params(config: SentimentConfig, vocab_size: int, seed: int = 0) -> dict:
    """Small random input rows (so untrained words stay near the origin and their cosine
    neighbours are the words training moved), ``w_out`` ~ N(0, 1/h) as in the lessons."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(config.dtype)
    return {
        "W_in": init.uniform(rng, (vocab_size, config.hidden), config.init_scale, dt),
        "w_out": init.normal(rng, (config.hidden,), config.hidden**-0.5, dt),
        "b": init.zeros((1,), dt),  # 1-d: Adam's in-place update needs an array
    }


# ----------------------------------------------------------------------------- the model object


class SentimentNetwork:
    """A bag-of-words sentiment network with its vocabulary and word statistics.

    Args:
        vocab: the words with rows (``<unk>`` first, unused).
        config: hyperparameters.
        params: ``{"W_in", "w_out", "b"}``; fresh ones from ``seed`` when None.
        pos, neg: positive/negative training-review counts per vocabulary word.
        n_pos, n_neg: numbers of positive/negative training reviews.
        info: training data description kept in ``config.json``.

    >>> net = SentimentNetwork(Vocabulary(["<unk>", "good", "bad"]), SentimentConfig(hidden=2))
    >>> net.predict_proba([["good", "film"]]).shape
    (1,)
    """

    def __init__(
        self,
        vocab: Vocabulary,
        config: SentimentConfig | None = None,
        params: dict | None = None,
        pos: np.ndarray | None = None,
        neg: np.ndarray | None = None,
        n_pos: int = 0,
        n_neg: int = 0,
        info: dict | None = None,
        seed: int = 0,
    ) -> None:
        self.vocab = vocab
        self.config = config or SentimentConfig()
        self.params = params if params is not None else init_params(self.config, len(vocab), seed)
        zeros = np.zeros(len(vocab), np.int64)
        self.pos = zeros if pos is None else np.asarray(pos, np.int64)
        self.neg = zeros if neg is None else np.asarray(neg, np.int64)
        self.n_pos, self.n_neg = n_pos, n_neg
        self.info = dict(info or {})

    # -- inputs

    def encode(self, review: Review) -> tuple[np.ndarray, np.ndarray | None]:
        """Sorted ids of the known words of ``review`` (each once) and their weights."""
        get = self.vocab.index.get
        if self.config.features == "tf":
            counts = Counter(review)
            ids = np.fromiter(map(get, counts, repeat(0)), np.int64, len(counts))
            weights = np.fromiter(counts.values(), np.float64, len(counts))
        else:  # a set: C-speed hashing, no per-token Python; sorted below for determinism
            words = set(review)
            ids = np.fromiter(map(get, words, repeat(0)), np.int64, len(words))
            weights = None
        keep = ids > 0  # <unk> (id 0) and unknown words have no row
        order = np.argsort(ids[keep], kind="stable")
        ids = ids[keep][order]
        if weights is None and not self.config.normalize:
            return ids, None
        weights = np.ones(len(ids)) if weights is None else weights[keep][order]
        if self.config.normalize and len(ids):
            weights /= math.sqrt(float(np.sum(weights * weights)))
        return ids, weights.astype(self.config.dtype)

    def bags(self, reviews: Iterable[Review]) -> Bags:
        """The reviews as a minibatch for :func:`sentiment_logits`."""
        return Bags.pack([self.encode(r) for r in reviews])

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Raw text as the lower-cased tokens the movie-review corpus uses."""
        return Tokenizer(lowercase=True).words(text)

    # -- predictions

    def predict_proba(self, reviews: Iterable[Review]) -> np.ndarray:
        """Probability that each review is positive."""
        z = np.asarray(sentiment_logits(self.params, self.bags(reviews)), np.float64)
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, reviews: Iterable[Review]) -> np.ndarray:
        """1 for positive, 0 for negative."""
        return (self.predict_proba(reviews) > 0.5).astype(np.int64)

    def accuracy(self, reviews: Sequence[Review], labels: Sequence[int]) -> float:
        """Share of ``reviews`` classified as ``labels`` says."""
        return float(np.mean(self.predict(reviews) == np.asarray(labels)))

    def explain(self, review: Review) -> tuple[float, list[tuple[str, float]]]:
        """The positive probability and each known word's share of the logit, largest
        first in size: the hidden layer is linear, so ``logit = b + sum of shares``."""
        ids, weights = self.encode(review)
        if not len(ids):
            raise DiaphaneError(
                "None of the words of this text is known to the model; write a longer "
                "text with ordinary English words."
            )
        share = self.params["W_in"][ids].astype(np.float64) @ self.params["w_out"]
        if weights is not None:
            share = share * weights
        z = float(share.sum() + self.params["b"][0])
        order = np.argsort(-np.abs(share), kind="stable")
        words = [(self.vocab.words[ids[i]], float(share[i])) for i in order]
        return 1.0 / (1.0 + math.exp(-z)), words

    # -- what the network learned

    def word_polarity(self) -> dict[str, float]:
        """Each vocabulary word's positive/negative log-ratio (see :func:`polarity`)."""
        ratio = polarity(self.pos[1:], self.neg[1:], self.n_pos, self.n_neg)
        return dict(zip(self.vocab.words[1:], ratio.tolist(), strict=True))

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """``(words, W_in rows)``: the input-to-hidden rows as word vectors (no ``<unk>``)."""
        return list(self.vocab.words[1:]), np.array(self.params["W_in"][1:])

    def word_vectors(self) -> Any:
        """The rows as :class:`diaphane.vectors.WordVectors`, scored by :meth:`word_polarity`."""
        from diaphane.vectors import WordVectors

        return WordVectors.from_model(self)

    def most_similar(
        self, word: str, k: int = 10, metric: str = "cosine"
    ) -> list[tuple[str, float]]:
        """The ``k`` words whose rows are nearest to ``word``'s (``cosine``, ``dot``,
        ``euclidean``; see :func:`diaphane.vectors.most_similar`)."""
        return self.word_vectors().neighbours(word, k, metric)

    # -- files

    def folder_config(self) -> dict:
        """What ``config.json`` holds besides the checkpoint bookkeeping."""
        from diaphane import __version__

        return {
            "kind": KIND,
            "diaphane_version": __version__,
            "hyperparameters": asdict(self.config),
            "n_pos": self.n_pos,
            "n_neg": self.n_neg,
            "data": self.info,
        }

    def save(self, folder: str | os.PathLike, force: bool = False) -> Path:
        """Write ``config.json``, ``model.safetensors`` and ``vocab.txt``, atomically; it
        replaces only a sentiment model folder, unless ``force``."""
        tree = {**self.params, "counts": {"pos": self.pos, "neg": self.neg}}
        return save_checkpoint(folder, tree, None, {}, self.folder_config(),
                               {VOCAB_FILE: self.vocab.save}, force=force)  # fmt: skip

    @classmethod
    def load(cls, folder: str | os.PathLike) -> SentimentNetwork:
        """Read a folder written by :meth:`save`, every file checked against the others.

        Raises:
            ModelFileError: the folder is missing or damaged, or holds another model.
        """
        from diaphane.models._checks import check_tensors, damaged, settings_from
        from diaphane.models._folder import open_folder

        folder = Path(folder)
        cfg, params, vocab = open_folder(folder, KIND, "a sentiment network",
                                         "diaphane train sentiment")  # fmt: skip
        key = "hyperparameters" if "hyperparameters" in cfg else "config"  # format 1: "config"
        config = settings_from(SentimentConfig, cfg.get(key), folder / "config.json", key,
                               ("hidden",))  # fmt: skip
        V, h = len(vocab), config.hidden
        check_tensors(folder / "model.safetensors", params, {
            "W_in": ((V, h), "f"), "w_out": ((h,), "f"), "b": ((1,), "f"),
            "counts.pos": ((V,), "i"), "counts.neg": ((V,), "i"),
        })  # fmt: skip
        n_pos, n_neg = cfg.get("n_pos"), cfg.get("n_neg")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                   for n in (n_pos, n_neg)):  # fmt: skip
            raise damaged(folder / "config.json", "n_pos and n_neg should be review counts")
        counts = params["counts"]
        data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
        return cls(vocab, config, {k: params[k] for k in ("W_in", "w_out", "b")}, counts["pos"],
                   counts["neg"], n_pos, n_neg, data)  # fmt: skip


# ----------------------------------------------------------------------------- training


def make_optimizer(name: str, lr: float, weight_decay: float = 0.0) -> Any:
    """``"adam"`` or ``"sgd"`` from :mod:`diaphane.nn.optim`."""
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    if name == "sgd":
        return SGD(lr, weight_decay=weight_decay)
    raise DiaphaneError(f"optimizer must be 'adam' or 'sgd', not {name!r}.")


def train_sentiment(
    reviews: Sequence[Review],
    labels: Sequence[int],
    config: SentimentConfig | None = None,
    *,
    optimizer: str = "adam",
    lr: float = 0.01,
    weight_decay: float = 0.0,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    info: dict | None = None,
) -> SentimentNetwork:
    """Build the vocabulary from ``reviews`` and train a network on them.

    Args:
        reviews: token lists; labels: 1 positive, 0 negative.
        config: network and vocabulary options (:class:`SentimentConfig`).
        optimizer: ``"adam"`` or ``"sgd"``; lr and weight_decay (L2) go to it.
        epochs, batch_size: minibatch passes over the shuffled reviews.
        seed: initial weights and the order of the reviews; equal seeds, equal models.
        info: description of the training data, kept in ``config.json``.
    """
    config = config or SentimentConfig()
    vocab, pos, neg = build_vocabulary(reviews, labels, config)
    y = np.asarray(labels, np.int64)
    net = SentimentNetwork(vocab, config, None, pos, neg, int(y.sum()), int(len(y) - y.sum()),
                           info, seed)  # fmt: skip
    docs = [net.encode(r) for r in reviews]
    target = y.astype(config.dtype)
    if batch_size < 1 or epochs < 1:
        raise DiaphaneError(
            f"epochs and batch_size must be at least 1, not {epochs}, {batch_size}."
        )
    step = value_and_grad(sentiment_loss, sparse=True)
    opt = make_optimizer(optimizer, lr, weight_decay)
    first, n_steps = None, 0
    for epoch in range(epochs):
        start, total = time.perf_counter(), 0.0
        order = np.random.default_rng((seed, epoch)).permutation(len(docs))
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            loss, grads = step(net.params, Bags.pack([docs[j] for j in rows]), target[rows])
            _check_loss(float(loss), first, n_steps + 1, epoch + 1)
            first = float(loss) if first is None else first
            opt.step(net.params, grads)
            n_steps += 1
            total += float(loss) * len(rows)
        log.info("epoch %d: loss %.4f (%.2fs)", epoch + 1, total / len(docs),
                 time.perf_counter() - start)  # fmt: skip
    return net


def _check_loss(loss: float, first: float | None, step: int, epoch: int) -> None:
    from diaphane.nn.train import TrainingDiverged, diverging

    if diverging(loss, first):
        what = (
            f"became {loss}" if not math.isfinite(loss) else f"rose from {first:.4g} to {loss:.4g}"
        )
        raise TrainingDiverged(
            f"The training loss {what} at step {step} (epoch {epoch}), so training diverged; "
            "nothing was saved. Train again with a lower learning rate (--lr)."
        )


# ----------------------------------------------------------------------------- data


def stratified_split(
    labels: Sequence[int], test: float | int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train, test)`` review indices, each class split in the same proportion.

    ``test`` is a share of the reviews (a float below 1) or a number of them (an int).

    >>> [a.tolist() for a in stratified_split([0, 0, 0, 1, 1, 1], 2, seed=0)]
    [[0, 1, 3, 4], [2, 5]]
    """
    y = np.asarray(labels)
    n_test = round(test * len(y)) if isinstance(test, float) else int(test)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        picked.append(members[: round(n_test * len(members) / len(y))])
    test_idx = np.sort(np.concatenate(picked))
    return np.setdiff1d(np.arange(len(y)), test_idx), test_idx


def default_sentiment_path() -> Path:
    """Where the sentiment network shipped with diaphane lives (trained on movie_reviews)."""
    return Path(__file__).resolve().parent.parent / "data" / "default_sentiment"


def default_network() -> SentimentNetwork:
    """The sentiment network shipped with diaphane: trained on all 2000 movie_reviews,
    its ``config.json`` records the command that rebuilds it, the corpus fingerprint and
    its 10-fold cross-validated accuracy (``docs/make_default_sentiment.py``)."""
    path = default_sentiment_path()
    if not (path / "model.safetensors").is_file():
        raise DiaphaneError(
            f"The default sentiment network is missing from {path}; reinstall diaphane, "
            "or pass a model folder written by 'diaphane train sentiment'."
        )
    return SentimentNetwork.load(path)


def load_reviews(name: str = "movie_reviews") -> tuple[list[list[str]], np.ndarray, dict]:
    """Labelled reviews as ``(token lists, labels, info)``: a corpus whose documents carry
    ``pos``/``neg`` labels (``movie_reviews``, a JSON-lines file), or ``pang_lee_sample``,
    the 200 one-line reviews in gensim's wheel (too few to learn sentiment from)."""
    if name == "pang_lee_sample":
        return _pang_lee_sample()
    from diaphane.text import load_corpus

    corpus = load_corpus(name)
    reviews, labels = [], []
    for doc in corpus:
        if doc.label not in ("pos", "neg"):
            raise DiaphaneError(
                f"Document {doc.id} of {corpus.name} is labelled {doc.label!r}; every review "
                "needs the label 'pos' or 'neg'."
            )
        reviews.append([w.lower() for s in doc.sentences for w in s])
        labels.append(int(doc.label == "pos"))
    return reviews, np.array(labels), {"corpus": name, "fingerprint": corpus.fingerprint}


def _pang_lee_sample() -> tuple[list[list[str]], np.ndarray, dict]:
    import importlib.util

    from diaphane.text.fetch import sha256_file

    # Found without importing gensim (seconds of start-up for one small file).
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        raise DiaphaneError("The pang_lee_sample reviews ship with gensim; pip install gensim.")
    path = Path(spec.origin).parent / "test" / "test_data" / "pang_lee_polarity.cor"
    reviews, labels = [], []
    for line in path.read_text(encoding="cp1252", errors="replace").splitlines():
        label, _, text = line.partition(" ")
        if label in ("__label__pos", "__label__neg"):
            reviews.append(text.split())
            labels.append(int(label == "__label__pos"))
    return (
        reviews,
        np.array(labels),
        {"corpus": "pang_lee_sample", "fingerprint": sha256_file(path)},
    )
