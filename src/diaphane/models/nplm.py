"""Bengio et al. (2003)'s neural probabilistic language model, trained by diaphane's engine.

The n-1 context words are looked up in a shared embedding table ``C`` (|V| x m)
and concatenated into ``x``; a tanh hidden layer and, optionally, direct
connections from ``x`` give the logits of the next word::

    y = b + W x + U tanh(d + H x)

Training takes gradients with ``value_and_grad(..., sparse=True)``, so the
embedding table gets sparse row updates. Sentences are scored as the n-gram model
scores them: each one padded with ``<s>`` x (n-1) in front and ``</s>`` at the end,
every token after the padding predicted (``</s>`` included).

Entry points: :class:`NPLM`, :class:`NPLMConfig`, :func:`train_nplm`, :func:`nplm_logits`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import DiaphaneError
from diaphane.files import write_atomic
from diaphane.models._folder import VOCAB_FILE, WordModel
from diaphane.nn import init
from diaphane.nn.losses import cross_entropy, log_softmax
from diaphane.nn.train import ArrayBatches, TrainConfig, TrainResult, train
from diaphane.text.examples import pad_sentences, windows
from diaphane.text.vocab import UNK, Vocabulary

__all__ = ["NPLM", "NPLMConfig", "nplm_logits", "nplm_loss", "train_nplm"]

KIND = "nplm"
Sentences = Iterable[Sequence[str]]


@dataclass
class NPLMConfig:
    """Hyperparameters of the model (Bengio's names in brackets).

    Attributes:
        order: n, the context is n-1 words.
        dim: embedding size (m).
        hidden: hidden units (h); 0 for none (then ``direct`` must be on).
        direct: direct connections from the embeddings to the output (W).
        dtype: parameter dtype.
    """

    order: int = 5
    dim: int = 60
    hidden: int = 100
    direct: bool = True
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.order < 2:
            raise DiaphaneError(f"An NPLM needs order n >= 2 (one context word), not {self.order}.")
        if self.dim < 1 or self.hidden < 0 or (self.hidden == 0 and not self.direct):
            raise DiaphaneError(
                "An NPLM needs dim >= 1 and hidden units (hidden >= 1) or direct connections."
            )


# ----------------------------------------------------------------------------- the model function


def init_params(config: NPLMConfig, vocab_size: int, seed: int = 0, unigram=None) -> dict:
    """Fresh parameters; the output bias starts at the log unigram distribution when given
    (so training starts from the unigram model instead of the uniform one)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(config.dtype)
    ctx = (config.order - 1) * config.dim
    params = {"C": init.uniform(rng, (vocab_size, config.dim), 0.1, dt)}
    if config.hidden:
        params["H"] = init.xavier_uniform(rng, (ctx, config.hidden), dtype=dt)
        params["d"] = init.zeros((config.hidden,), dt)
        params["U"] = init.xavier_uniform(rng, (config.hidden, vocab_size), dtype=dt)
    if config.direct:
        params["W"] = init.xavier_uniform(rng, (ctx, vocab_size), dtype=dt)
    params["b"] = init.zeros((vocab_size,), dt)
    if unigram is not None:
        p = (np.asarray(unigram, np.float64) + 0.5) / (np.sum(unigram) + 0.5 * vocab_size)
        params["b"] = np.log(p).astype(dt)
    return params


def nplm_logits(params: dict, contexts: np.ndarray) -> Any:
    """Logits ``(batch, |V|)`` for integer contexts ``(batch, n-1)``; traceable."""
    x = dnp.reshape(params["C"][contexts], (len(contexts), -1))
    y = None
    if "H" in params:
        y = dnp.tanh(x @ params["H"] + params["d"]) @ params["U"]
    if "W" in params:
        direct = x @ params["W"]
        y = direct if y is None else y + direct
    return y + params["b"]


def nplm_loss(params: dict, contexts: np.ndarray, targets: np.ndarray, weight_decay: float = 0.0):
    """Mean cross-entropy of the next words, plus ``weight_decay`` x ‖H, U, W‖² (Bengio
    penalises the weights, not the biases or the embeddings)."""
    loss = cross_entropy(nplm_logits(params, contexts), targets)
    if weight_decay:
        for name in ("H", "U", "W"):
            if name in params:
                loss = loss + weight_decay * dnp.sum(params[name] * params[name])
    return loss


# ----------------------------------------------------------------------------- the model object


class NPLM(WordModel):
    """A trained (or freshly initialised) neural language model with its vocabulary.

    >>> from diaphane.text import Vocabulary
    >>> vocab = Vocabulary.build([["the", "cat", "sat"]])
    >>> model = NPLM(vocab, NPLMConfig(order=3, dim=4, hidden=5))
    >>> round(model.perplexity([["the", "cat"]]), 1) > 0
    True
    """

    kind = KIND
    config_type = NPLMConfig
    required_settings = ("order", "dim", "hidden", "direct")

    def __init__(
        self,
        vocab: Vocabulary,
        config: NPLMConfig | None = None,
        params: dict | None = None,
        seed: int = 0,
        info: dict | None = None,
    ) -> None:
        if vocab.bos_id < 0 or vocab.eos_id < 0:
            raise DiaphaneError("An NPLM needs a vocabulary with <s> and </s>; build it with them.")
        self.vocab = vocab
        self.config = config or NPLMConfig()
        self.params = params if params is not None else init_params(self.config, len(vocab), seed)
        self.info = dict(info or {})  # training data, history: written into config.json

    @property
    def order(self) -> int:
        return self.config.order

    @classmethod
    def tensor_shapes(cls, vocab_size: int, config: NPLMConfig) -> dict:
        """``C``, the output bias ``b``, and ``H``, ``d``, ``U`` / ``W`` as configured."""
        ctx = (config.order - 1) * config.dim
        shapes = {"C": (vocab_size, config.dim), "b": (vocab_size,)}
        if config.hidden:
            shapes |= {"H": (ctx, config.hidden), "d": (config.hidden,),
                       "U": (config.hidden, vocab_size)}  # fmt: skip
        if config.direct:
            shapes["W"] = (ctx, vocab_size)
        return {name: (shape, "f") for name, shape in shapes.items()}

    # -- scoring

    def _windows(self, sentences: Sentences) -> tuple[np.ndarray, np.ndarray]:
        stream = pad_sentences(sentences, self.vocab, self.order)
        return windows(stream, self.order, self.vocab.bos_id)

    def logits(self, contexts: np.ndarray) -> np.ndarray:
        """Logits for integer contexts ``(batch, n-1)``."""
        return np.asarray(nplm_logits(self.params, np.asarray(contexts)))

    def score_windows(self, contexts: np.ndarray, targets: np.ndarray, batch: int = 2048):
        """Natural-log probabilities of ``targets`` after ``contexts``, in batches."""
        out = np.empty(len(targets), np.float64)
        for i in range(0, len(targets), batch):
            logits = self.logits(contexts[i : i + batch])
            out[i : i + batch] = _target_log_softmax(logits, targets[i : i + batch])
        return out

    def logprob_ids(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Natural-log p(word | context) for rows of context ids (most recent last)."""
        contexts = np.asarray(contexts, np.int64).reshape(len(words), -1)
        return self.score_windows(contexts[:, -(self.order - 1) :], np.asarray(words, np.int64))

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """Natural-log probability of ``word`` after the words of ``context``."""
        return float(np.log(self.distribution(context)[self.vocab[word]]))

    def log_probs(self, sentences: Sentences) -> np.ndarray:
        """Natural-log probability of every predicted token (each sentence's words and
        its ``</s>``), in order."""
        ctx, tgt = self._windows(sentences)
        return self.score_windows(ctx, tgt)

    def score_sentences(self, sentences: Sentences) -> tuple[float, int]:
        """Summed natural-log probability of every word and ``</s>``, and how many there were."""
        lp = self.log_probs(sentences)
        return float(lp.sum()), len(lp)

    def perplexity(self, sentences: Sentences) -> float:
        """exp of the mean negative log-probability per predicted token."""
        total, n = self.score_sentences(sentences)
        if not n:
            raise DiaphaneError("Cannot compute perplexity of an empty text; give it some words.")
        return float(math.exp(-total / n))

    def _context_ids(self, context: str | Sequence[str]) -> np.ndarray:
        words = context.split() if isinstance(context, str) else list(context)
        ids = [self.vocab.bos_id] * (self.order - 1) + list(self.vocab.encode(words))
        return np.asarray(ids[len(ids) - (self.order - 1) :], np.int64)

    def distribution(self, context: str | Sequence[str]) -> np.ndarray:
        """p(w | the last n-1 words of ``context``) for every vocabulary id (``<s>`` fills
        in missing words)."""
        ids = self._context_ids(context)
        return np.exp(log_softmax(self.logits(ids[None]).astype(np.float64))[0])

    def next_words(self, context: str | Sequence[str], k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` likeliest next words and their probabilities, likeliest first.

        Raises:
            DiaphaneError: every word of the context is unknown to the vocabulary.
        """
        words = context.split() if isinstance(context, str) else list(context)
        if words and all(w not in self.vocab or w == UNK for w in words):
            raise DiaphaneError(
                f"None of the context words {words!r} is in the model's vocabulary; "
                "try words from the training corpus."
            )
        probs = self.distribution(words)
        top = np.argsort(-probs, kind="stable")[:k]
        return [(self.vocab.words[i], float(probs[i])) for i in top]

    def generate(
        self,
        prompt: str | Sequence[str] = (),
        length: int = 20,
        seed: int | None = 0,
        temperature: float = 1.0,
    ) -> list[str]:
        """Sample up to ``length`` words after ``prompt``; stops at ``</s>``. ``<s>`` and
        ``<unk>`` are never drawn; ``temperature`` < 1 sharpens the distribution."""
        rng = np.random.default_rng(seed)
        words = prompt.split() if isinstance(prompt, str) else list(prompt)
        out: list[str] = []
        banned = [self.vocab.bos_id, self.vocab.unk_id]
        for _ in range(length):
            logp = np.log(self.distribution(words + out) + 1e-300) / max(temperature, 1e-6)
            logp[banned] = -np.inf
            p = np.exp(logp - logp.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            if nxt == self.vocab.eos_id:
                break
            out.append(self.vocab.words[nxt])
        return out

    @property
    def meta(self) -> dict:
        """Where the training data came from (corpus, fingerprint, split scheme, ...)."""
        return dict(self.info.get("training_data", {}))

    # -- word vectors

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """The words and the rows of the embedding table ``C`` (|V| x m)."""
        return list(self.vocab.words), np.asarray(self.params["C"])

    def save_word2vec(self, path: str | os.PathLike) -> Path:
        """Write the embedding table in word2vec's text format, atomically."""
        words, vectors = self.vectors()
        bad = [w for w in words if not w or any(c.isspace() for c in w)]
        if bad:
            raise DiaphaneError(f"word2vec text format cannot hold words with spaces: {bad[:3]!r}")
        lines = [f"{len(words)} {vectors.shape[1]}"]
        lines += [
            w + " " + " ".join(f"{x:.6g}" for x in row)
            for w, row in zip(words, vectors, strict=True)
        ]
        return write_atomic(Path(path), "\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- training


def _target_log_softmax(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``log_softmax(logits)[row, target]`` for each row, in place on ``logits`` (float64
    out). Only the targets' entries are needed, so the full float64 matrix never is: the
    shifted exponentials stay in the logits' dtype and are summed in float64."""
    logits -= logits.max(axis=1, keepdims=True)
    picked = np.take_along_axis(logits, targets[:, None], 1)[:, 0].astype(np.float64)
    np.exp(logits, out=logits)
    return picked - np.log(logits.sum(axis=1, dtype=np.float64))


def make_optimizer(name: str, lr: float, decay: float = 0.0) -> Any:
    """Adam, or SGD with Bengio's learning-rate decay ``lr / (1 + decay x t)``."""
    from diaphane.nn import optim

    if name == "adam":
        return optim.Adam(lr=lr)
    if name == "sgd":
        return optim.SGD(lr=optim.inverse_time_decay(lr, decay) if decay else lr)
    raise DiaphaneError(f"Unknown optimiser {name!r}; use 'adam' or 'sgd'.")


def train_nplm(
    train_sentences: Sentences,
    vocab: Vocabulary,
    config: NPLMConfig | None = None,
    *,
    valid_sentences: Sentences | None = None,
    optimizer: str | Any = "adam",
    lr: float = 1e-3,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int = 256,
    seed: int = 0,
    train_config: TrainConfig | None = None,
    callbacks: Sequence[Callable] = (),
    data_info: dict | None = None,
    resume: bool = False,
) -> tuple[NPLM, TrainResult]:
    """Train an NPLM on ``train_sentences``; validation perplexity drives early stopping.

    Args:
        train_sentences, valid_sentences: sentences of tokens.
        vocab: the vocabulary (with ``<s>`` and ``</s>``).
        config: the model's hyperparameters.
        optimizer: ``"adam"``, ``"sgd"`` (with ``lr_decay``) or an optimiser object.
        weight_decay: L2 penalty on the weights H, U, W.
        seed: fixes the initial parameters and the order of every epoch.
        train_config: epochs, patience, checkpoints, progress (see :class:`TrainConfig`).
        data_info: a description of the training data (corpus, fingerprint, split),
            recorded in the model folder.
        resume: continue from the checkpoint in ``train_config.checkpoint_dir``.

    Returns:
        The model (best validation perplexity) and the training result.
    """
    config = config or NPLMConfig()
    model = NPLM(vocab, config, info={"training_data": dict(data_info or {})})
    ctx, tgt = model._windows(train_sentences)
    if not len(tgt):
        raise DiaphaneError("The training text is empty; give the NPLM some sentences.")
    model.params = init_params(config, len(vocab), seed, np.bincount(tgt, minlength=len(vocab)))
    opt = make_optimizer(optimizer, lr, lr_decay) if isinstance(optimizer, str) else optimizer
    evaluate = None
    if valid_sentences is not None:
        vctx, vtgt = model._windows(valid_sentences)
        evaluate = _perplexity_of(model, vctx, vtgt)
    model.info["training"] = {"optimizer": optimizer if isinstance(optimizer, str) else
                              type(optimizer).__name__, "lr": lr, "lr_decay": lr_decay,
                              "weight_decay": weight_decay, "batch_size": batch_size,
                              "seed": seed}  # fmt: skip
    loss = (lambda p, c, t: nplm_loss(p, c, t, weight_decay)) if weight_decay else nplm_loss
    result = train(
        loss, model.params, opt, ArrayBatches([ctx, tgt], batch_size, seed),
        evaluate=evaluate, config=train_config, callbacks=callbacks,
        model_config=model.folder_config(), extra_files={VOCAB_FILE: vocab.save}, resume=resume,
    )  # fmt: skip
    model.params = result.params
    model.info["training"]["history"] = result.state.history
    model.info["training"]["stopped"] = result.state.stopped
    return model, result


def _perplexity_of(model: NPLM, ctx: np.ndarray, tgt: np.ndarray) -> Callable[[dict], float]:
    def evaluate(params: dict) -> float:
        scorer = NPLM(model.vocab, model.config, params)
        return float(math.exp(-scorer.score_windows(ctx, tgt).mean()))

    return evaluate
