"""Mixing language models: p(w | h) = Σ_k λ_k p_k(w | h), scored event by event.

Bengio et al. (2003) mixed their neural model 50/50 with a trigram and got their
best perplexities; any of our language models (n-gram, NPLM) can be mixed, as they
all score the same events (every word and each sentence's ``</s>``).
:func:`fit_mixture_weights` (and :func:`mixture_weights`, from log-probabilities already
computed) finds the weights that give held-out text its highest likelihood.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError

__all__ = ["fit_mixture_weights", "mixture_log_probs", "mixture_perplexity", "mixture_weights"]


def mixture_log_probs(
    models: Sequence[Any], sentences: Sequence[Sequence[str]], weights: Sequence[float]
) -> np.ndarray:
    """Natural-log probability of every event under the weighted mixture of ``models``.

    >>> from diaphane.models.ngram import NgramLM
    >>> text = [["a", "b", "a", "b"], ["b", "a"]]
    >>> uni, bi = NgramLM(1, "addk").fit(text), NgramLM(2, "addk").fit(text)
    >>> mixed = mixture_log_probs([uni, bi], text, [0.5, 0.5])
    >>> bool(np.allclose(np.exp(mixed), 0.5 * np.exp(uni.log_probs(text))
    ...                  + 0.5 * np.exp(bi.log_probs(text))))
    True
    """
    if len(models) != len(weights) or not models:
        raise DiaphaneError("Give one weight per model, for at least one model.")
    w = np.asarray(weights, dtype=np.float64)
    if np.any(w < 0) or not math.isclose(float(w.sum()), 1.0, rel_tol=1e-9):
        raise DiaphaneError(f"Mixture weights must be non-negative and sum to 1, not {weights}.")
    per_model = [np.asarray(m.log_probs(sentences), dtype=np.float64) for m in models]
    if len({len(lp) for lp in per_model}) != 1:
        raise DiaphaneError(
            "These models score different numbers of events on the same text; mix only "
            "models trained with the same vocabulary and sentence markers."
        )
    with np.errstate(divide="ignore"):
        logw = np.log(w)
    return np.logaddexp.reduce(np.stack(per_model) + logw[:, None], axis=0)


def mixture_perplexity(
    models: Sequence[Any], sentences: Sequence[Sequence[str]], weights: Sequence[float]
) -> float:
    """exp of the mean negative log-probability per event under the mixture."""
    lp = mixture_log_probs(models, sentences, weights)
    if not len(lp):
        raise DiaphaneError("Cannot compute perplexity of an empty text; give it some words.")
    return float(math.exp(-lp.mean()))


def fit_mixture_weights(
    models: Sequence[Any],
    sentences: Sequence[Sequence[str]],
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> list[float]:
    """The mixture weights that give ``sentences`` (held-out text) the lowest perplexity.

    >>> from diaphane.models.ngram import NgramLM
    >>> text = [["a", "b", "a", "b"], ["b", "a"]]
    >>> uni, bi = NgramLM(1, "addk").fit(text), NgramLM(2, "addk").fit(text)
    >>> w = fit_mixture_weights([uni, bi], text)
    >>> bool(w[1] > w[0]), round(sum(w), 9)
    (True, 1.0)
    """
    if not models:
        raise DiaphaneError("Give at least one model to mix.")
    return mixture_weights([m.log_probs(sentences) for m in models], tol, max_iter)


def mixture_weights(
    log_probs: Sequence[np.ndarray], tol: float = 1e-9, max_iter: int = 1000
) -> list[float]:
    """Maximum-likelihood mixture weights from each model's log-probabilities of the
    same events (the models' ``log_probs`` of one held-out text).

    The log-likelihood is concave in the weights, so a local optimum is the best
    mixture. For two models the weight is found to machine precision by bisection on
    the derivative (a weight of exactly 0 or 1 when the best lies on the edge); for
    more, by expectation-maximisation (each event's posterior share of every model,
    averaged over the events, is the next weight) until an iteration gains less than
    ``tol`` nats per event, and a single model's weight of 1 wins if it is better still.

    >>> a, b = np.log([0.5, 0.1]), np.log([0.1, 0.5])
    >>> [round(w, 3) for w in mixture_weights([a, b])]
    [0.5, 0.5]
    """
    per_model = [np.asarray(lp, dtype=np.float64) for lp in log_probs]
    if not per_model:
        raise DiaphaneError("Give at least one model to mix.")
    if len({len(lp) for lp in per_model}) != 1:
        raise DiaphaneError(
            "These models score different numbers of events on the same text; mix only "
            "models trained with the same vocabulary and sentence markers."
        )
    lp = np.stack(per_model)
    if not lp.shape[1]:
        raise DiaphaneError("Cannot fit mixture weights on an empty text; give it some words.")
    if np.isneginf(lp.max(axis=0)).any():
        raise DiaphaneError("Every model gives some event probability 0; smooth the models.")
    if len(lp) == 2:
        b = _bisect(lp[0], lp[1])
        return [1.0 - b, b]
    fitted = _em(lp, np.full(len(lp), 1.0 / len(lp)), tol, max_iter)
    vertices: list[list[float]] = np.eye(len(lp)).tolist()
    return max([fitted, *vertices], key=lambda v: _mean_log_lik(lp, np.asarray(v)))


def _mean_log_lik(lp: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(np.logaddexp.reduce(lp + np.log(w)[:, None], axis=0).mean())


def _bisect(la: np.ndarray, lb: np.ndarray, steps: int = 100) -> float:
    """The weight of ``b`` in the best mixture of two models: the root of the derivative
    of the mean log-likelihood, which falls as the weight grows (concavity)."""
    top = np.maximum(la, lb)  # scale both so the larger is 1: no overflow, no underflow
    pa, pb = np.exp(la - top), np.exp(lb - top)

    def slope(w: float) -> float:
        with np.errstate(divide="ignore"):  # p = 0 at an edge: an infinite slope, rightly
            return float(np.mean((pb - pa) / ((1.0 - w) * pa + w * pb)))

    if slope(0.0) <= 0.0:
        return 0.0
    if slope(1.0) >= 0.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if slope(mid) > 0.0 else (lo, mid)
    return 0.5 * (lo + hi)


def _em(lp: np.ndarray, w: np.ndarray, tol: float, max_iter: int) -> list[float]:
    best = -np.inf
    for _ in range(max_iter):
        with np.errstate(divide="ignore"):  # a weight can reach 0 exactly
            joint = lp + np.log(w)[:, None]
        total = np.logaddexp.reduce(joint, axis=0)
        mean = float(total.mean())
        if mean - best < tol:
            break  # w is the weight whose likelihood was just measured
        best = mean
        w = np.exp(joint - total).mean(axis=1)
        w = w / w.sum()
    return [float(x) for x in w]
