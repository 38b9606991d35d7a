"""Mixing language models: p(w | h) = Σ_k λ_k p_k(w | h), scored event by event.

Bengio et al. (2003) mixed their neural model 50/50 with a trigram and got their
best perplexities; any of our language models (n-gram, NPLM) can be mixed, as they
all score the same events (every word and each sentence's ``</s>``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError

__all__ = ["mixture_log_probs", "mixture_perplexity"]


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
