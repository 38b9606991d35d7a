"""Masked-language-model examples: which tokens a model must guess, and what it sees instead.

Two ways of choosing the tokens to hide, both at a 15% rate by default:

- :func:`bert_mask`, as BERT does (Devlin et al., 2019): ``round(rate · n)`` positions
  (at least one) chosen uniformly at random, scattered through the sentence.
- :func:`span_mask`, as SpanBERT does (Joshi et al., 2020): contiguous spans whose
  lengths are drawn from a geometric distribution (``p = 0.2``) truncated to
  ``1 … max_len = 10`` and renormalised (:func:`clipped_geometric_pmf`, mean ≈ 3.8),
  each placed at a uniform start where it does not overlap an earlier span, until at
  least ``round(rate · n)`` tokens are covered.

Either way each chosen unit (a token for BERT, a whole span for SpanBERT) then
becomes ``[MASK]`` with probability 0.8, a random vocabulary word with 0.1, or stays
as it is with 0.1 (:func:`corrupt`); the model is trained to predict the original
token at every chosen position, even the unchanged ones, so it cannot learn that an
unmasked word is always right.

The last span is kept whole rather than cut to the budget, so every span length is
a true draw from the distribution and the pooled mean span length equals the
distribution's mean; the price is that a short sentence can end up a little above
15% covered (by less than one span).

Entry points: :func:`bert_mask`, :func:`span_mask`, :class:`MaskedExample`,
:func:`clipped_geometric_pmf`, :func:`clipped_geometric_mean`, :func:`span_lengths`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diaphane.errors import UsageError

__all__ = [
    "ACTIONS",
    "MASK",
    "MaskedExample",
    "bert_mask",
    "bert_positions",
    "clipped_geometric_mean",
    "clipped_geometric_pmf",
    "corrupt",
    "mask_budget",
    "span_lengths",
    "span_mask",
    "span_positions",
]

MASK = "[MASK]"
ACTIONS = ("mask", "random", "keep")
BERT_RULE = (0.8, 0.1, 0.1)  # [MASK] / random word / unchanged
MAX_TRIES = 100  # span draws that find no room before span_positions gives up


@dataclass(frozen=True)
class MaskedExample:
    """One masked-LM example.

    Attributes:
        original: the sentence as it was.
        tokens: what the model reads: ``original`` with the chosen tokens replaced.
        positions: the chosen positions (sorted); the model predicts ``original`` there.
        actions: for each position, ``'mask'``, ``'random'`` or ``'keep'``.
        spans: ``(start, stop)`` half-open runs of chosen positions, in sentence order;
            BERT's are all of length one.
    """

    original: list[str]
    tokens: list[str]
    positions: list[int]
    actions: list[str]
    spans: list[tuple[int, int]]

    @property
    def rate(self) -> float:
        """The fraction of the sentence chosen."""
        return len(self.positions) / max(1, len(self.original))

    def span_of(self, position: int) -> int | None:
        """The index of the span holding ``position``, or ``None``."""
        for i, (start, stop) in enumerate(self.spans):
            if start <= position < stop:
                return i
        return None


# ----------------------------------------------------------------------------- distributions


def clipped_geometric_pmf(p: float = 0.2, max_len: int = 10) -> np.ndarray:
    """``P(length = k)`` for ``k = 1 … max_len`` (index ``k - 1``): a geometric
    distribution ``p (1 - p)^(k - 1)`` truncated at ``max_len`` and renormalised.

    Raises:
        UsageError: for ``p`` outside (0, 1] or ``max_len`` below 1.
    """
    if not 0.0 < p <= 1.0:
        raise UsageError(f"the geometric parameter p must lie in (0, 1], not {p}")
    if max_len < 1:
        raise UsageError(f"max_len must be at least 1, not {max_len}")
    k = np.arange(1, max_len + 1)
    weights = p * (1.0 - p) ** (k - 1)
    return weights / weights.sum()


def clipped_geometric_mean(p: float = 0.2, max_len: int = 10) -> float:
    """The mean of :func:`clipped_geometric_pmf` (3.797… at SpanBERT's p = 0.2, 10)."""
    pmf = clipped_geometric_pmf(p, max_len)
    return float(np.arange(1, max_len + 1) @ pmf)


def span_lengths(
    rng: np.random.Generator, size: int, p: float = 0.2, max_len: int = 10
) -> np.ndarray:
    """``size`` span lengths drawn from :func:`clipped_geometric_pmf` (``int64``)."""
    cdf = np.cumsum(clipped_geometric_pmf(p, max_len))
    # Inverse CDF; the minimum guards a uniform number above cdf[-1] by rounding.
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right") + 1, max_len)


def mask_budget(n: int, rate: float = 0.15) -> int:
    """How many of ``n`` tokens to choose: ``rate · n`` rounded half up, at least one."""
    if not 0.0 < rate <= 1.0:
        raise UsageError(f"the masking rate must lie in (0, 1], not {rate}")
    return max(1, int(np.floor(rate * n + 0.5))) if n > 0 else 0


# ----------------------------------------------------------------------------- choosing positions


def bert_positions(n: int, rng: np.random.Generator, rate: float = 0.15) -> list[int]:
    """BERT's choice: :func:`mask_budget` distinct positions of ``n``, uniformly, sorted."""
    chosen = rng.choice(n, size=mask_budget(n, rate), replace=False)
    return sorted(int(i) for i in chosen)


def _free_starts(taken: np.ndarray, length: int) -> np.ndarray:
    """Starts ``s`` where ``taken[s:s + length]`` holds no chosen position."""
    n = taken.size
    if length > n:
        return np.empty(0, np.int64)
    used = np.concatenate([[0], np.cumsum(taken)])
    return np.flatnonzero(used[length:] - used[: n - length + 1] == 0)


def span_positions(
    n: int,
    rng: np.random.Generator,
    rate: float = 0.15,
    p: float = 0.2,
    max_len: int = 10,
) -> list[tuple[int, int]]:
    """SpanBERT's choice: non-overlapping spans until ``mask_budget(n, rate)`` are covered.

    Each span draws its length from :func:`clipped_geometric_pmf`, then a start uniformly
    among those where the whole span is still free. A length that fits nowhere is drawn
    again (after :data:`MAX_TRIES` such misses the spans found so far are returned).

    Returns:
        ``(start, stop)`` half-open spans, sorted by start.
    """
    budget = mask_budget(n, rate)
    cdf = np.cumsum(clipped_geometric_pmf(p, max_len))
    taken = np.zeros(n, dtype=np.int64)
    spans: list[tuple[int, int]] = []
    covered = misses = 0
    while covered < budget and misses < MAX_TRIES:
        # Inverse CDF, as in span_lengths, without its per-call set-up.
        length = min(max_len, int(np.searchsorted(cdf, rng.random(), side="right")) + 1)
        starts = _free_starts(taken, length)
        if starts.size == 0:
            misses += 1
            continue
        start = int(starts[rng.integers(starts.size)])
        taken[start : start + length] = 1
        covered += length
        spans.append((start, start + length))
    return sorted(spans)


# ----------------------------------------------------------------------------- corrupting


def corrupt(
    tokens: Sequence[str],
    spans: Sequence[tuple[int, int]],
    vocabulary: Sequence[str],
    rng: np.random.Generator,
    rule: tuple[float, float, float] = BERT_RULE,
    mask_token: str = MASK,
) -> MaskedExample:
    """Replace each span: all ``[MASK]``, all random words, or all unchanged (``rule``).

    Args:
        tokens: the sentence.
        spans: ``(start, stop)`` runs to hide; one decision is drawn per span.
        vocabulary: the words a random replacement is drawn from, uniformly.
        rng: the generator.
        rule: probabilities of ``'mask'``, ``'random'`` and ``'keep'``.
        mask_token: what a masked token becomes.

    Raises:
        UsageError: for an empty vocabulary or a rule that is not a distribution.
    """
    if len(vocabulary) == 0:
        raise UsageError("random replacements need a vocabulary of at least one word")
    if len(rule) != 3 or min(rule) < 0 or not math.isclose(sum(rule), 1.0):
        raise UsageError(f"the rule must be three probabilities summing to 1, not {rule}")
    original = [str(t) for t in tokens]
    out = list(original)
    # One uniform number per span picks its fate; random words are drawn all at once.
    fate = np.searchsorted(np.cumsum(rule), rng.random(len(spans)), side="right")
    fate = np.minimum(fate, 2)
    sizes = [stop - start for start, stop in spans]
    picks = iter(rng.integers(len(vocabulary), size=sum(sizes)).tolist())
    positions: list[int] = []
    actions: list[str] = []
    for (start, stop), k in zip(spans, fate.tolist(), strict=True):
        action = ACTIONS[k]
        for i in range(start, stop):
            word = next(picks)  # one draw per chosen position, used only for 'random'
            if action == "mask":
                out[i] = mask_token
            elif action == "random":
                out[i] = str(vocabulary[word])
            positions.append(i)
            actions.append(action)
    order = np.argsort(positions, kind="stable")
    return MaskedExample(
        original=original,
        tokens=out,
        positions=[positions[i] for i in order],
        actions=[actions[i] for i in order],
        spans=sorted((int(a), int(b)) for a, b in spans),
    )


def bert_mask(
    tokens: Sequence[str],
    vocabulary: Sequence[str],
    rng: np.random.Generator,
    rate: float = 0.15,
    mask_token: str = MASK,
) -> MaskedExample:
    """Mask ``tokens`` as BERT does: scattered single tokens, 80/10/10 each.

    Args:
        tokens: the sentence (at least one token).
        vocabulary: words drawn for random replacements.
        rng: a NumPy generator; the same seed gives the same example.
        rate: the fraction of tokens to choose.
        mask_token: the mask symbol.
    """
    _check_tokens(tokens)
    spans = [(i, i + 1) for i in bert_positions(len(tokens), rng, rate)]
    return corrupt(tokens, spans, vocabulary, rng, BERT_RULE, mask_token)


def span_mask(
    tokens: Sequence[str],
    vocabulary: Sequence[str],
    rng: np.random.Generator,
    rate: float = 0.15,
    p: float = 0.2,
    max_len: int = 10,
    mask_token: str = MASK,
) -> MaskedExample:
    """Mask ``tokens`` as SpanBERT does: contiguous spans, 80/10/10 per span.

    Args:
        tokens: the sentence (at least one token).
        vocabulary: words drawn for random replacements.
        rng: a NumPy generator; the same seed gives the same example.
        rate: the fraction of tokens to cover (at least; the last span is kept whole).
        p: the geometric distribution's parameter.
        max_len: the longest span.
        mask_token: the mask symbol.
    """
    _check_tokens(tokens)
    spans = span_positions(len(tokens), rng, rate, p, max_len)
    return corrupt(tokens, spans, vocabulary, rng, BERT_RULE, mask_token)


def _check_tokens(tokens: Sequence[str]) -> None:
    if len(tokens) == 0:
        raise UsageError("a sentence to mask needs at least one token")
