"""Measured phenomena of a GPT: agreement, induction, and the prompts it gets right.

Each probe runs the logit lens (:func:`diaphane.lens.rankings.logit_lens`) or the
attention maps on prepared inputs and reports numbers, never a verdict:

- :func:`agreement_by_layer`: on subject-verb agreement prompts with an attractor
  noun ("The keys to the cabinet" → " are", not " is"), whether each layer gives the
  grammatical verb the higher logit; the rate per layer and every prompt's ranks.
- :func:`induction_ranks`: a random sequence of word tokens shown twice; the rank of
  the correct next token per layer in each repeat (in the second, a model that
  copies from context can predict it), and each head's *induction stripe* — its
  attention from a token in the second repeat to the token that followed that
  token's first occurrence.
- :func:`score_candidates`, :func:`right_answers`: which (prompt, next token)
  pairs the model completes with its top-1 token, and from which layer on — how a
  report picks prompts the model gets right by measurement, not by hope.

Ranks start at 1 and break ties by token id, as everywhere in :mod:`diaphane.lens`.

Entry points: :func:`agreement_by_layer`, :func:`induction_ranks`,
:func:`right_answers`, :func:`score_candidates`; the default prompts,
:data:`AGREEMENT_PROMPTS` and :data:`CANDIDATE_PROMPTS`, live in :mod:`diaphane.lens.prompts`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diaphane.errors import DiaphaneError
from diaphane.lens.prompts import AGREEMENT_PROMPTS, CANDIDATE_PROMPTS
from diaphane.lens.rankings import encode, rank_of, token_text

__all__ = [
    "AGREEMENT_PROMPTS",
    "CANDIDATE_PROMPTS",
    "AgreementResult",
    "CandidateScore",
    "InductionResult",
    "agreement_by_layer",
    "induction_ranks",
    "last_position_lens",
    "right_answers",
    "score_candidates",
    "single_token",
    "word_token_ids",
]

_WORD = re.compile(r" [a-z]{3,}")  # an ordinary lower-case word after a space


def single_token(model: Any, text: str) -> int | None:
    """The id of ``text`` if the model's tokenizer makes it exactly one token, else None."""
    ids = model.encode(text)
    return int(ids[0]) if len(ids) == 1 else None


def _pieces(model: Any, text: str) -> str:
    """Why ``text`` cannot be scored: the tokens it splits into."""
    pieces = [token_text(model, i) for i in model.encode(text)]
    return f"{text!r} is {len(pieces)} tokens for this model ({pieces}), not one"


def _lens_at(model: Any, out: Any, where: Any) -> np.ndarray:
    """The logit lens, as :func:`~diaphane.lens.rankings.logit_lens` reads it, at the
    positions ``where`` indexes of a forward pass's output: ``[L+1, ..., V]``."""
    states = np.stack([np.asarray(h)[where] for h in out.hidden_states[:-1]])
    inner = np.asarray(model.unembed(model.final_norm(states)))
    return np.concatenate([inner, np.asarray(out.logits)[where][None]])


def last_position_lens(model: Any, prompts: Sequence[str], batch: int = 64) -> np.ndarray:
    """The logit lens at each prompt's last position: ``[P, L+1, V]``.

    Prompts run together, padded on the right: in a causal model a position never
    sees the padding after it, so each prompt's last position reads as if alone.
    """
    ids = [encode(model, p) for p in prompts]
    rows = []
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        last = np.asarray([len(i) - 1 for i in chunk])
        padded = np.zeros((len(chunk), last.max() + 1), dtype=np.int64)
        for r, i in enumerate(chunk):
            padded[r, : len(i)] = i
        out = model.forward(padded, output_hidden_states=True, output_attentions=False)
        rows.append(_lens_at(model, out, (np.arange(len(chunk)), last)).swapaxes(0, 1))
    return np.concatenate(rows)


# ----------------------------------------------------------------------------- agreement


@dataclass
class AgreementResult:
    """Subject-verb agreement read from every layer. Layer 0 is the embeddings.

    Attributes:
        prompts: the prompts scored, as ``(prompt, grammatical, ungrammatical)``.
        good_rank, bad_rank: ``[P, L+1]`` ranks of the grammatical and ungrammatical verb.
        margin: ``[P, L+1]`` logit(grammatical) - logit(ungrammatical).
        skipped: ``(prompt triple, reason)`` for prompts whose verbs are not single tokens.
    """

    prompts: list[tuple[str, str, str]]
    good_rank: np.ndarray
    bad_rank: np.ndarray
    margin: np.ndarray
    skipped: list[tuple[tuple[str, str, str], str]] = field(default_factory=list)

    @property
    def correct(self) -> np.ndarray:
        """``[P, L+1]``: whether the grammatical verb has the strictly higher logit."""
        return self.margin > 0

    @property
    def rate(self) -> np.ndarray:
        """``[L+1]``: the fraction of prompts each layer gets right."""
        return self.correct.mean(axis=0)

    @property
    def n_layers(self) -> int:
        return self.margin.shape[1]

    def table(self) -> str:
        """One line per layer: the agreement rate and the median ranks of both verbs."""
        lines = [f"{'layer':>5}  {'rate':>6}  {'median rank good':>16}  {'bad':>6}"]
        for layer in range(self.n_layers):
            good = np.median(self.good_rank[:, layer])
            bad = np.median(self.bad_rank[:, layer])
            lines.append(f"{layer:>5}  {self.rate[layer]:6.3f}  {good:16g}  {bad:6g}")
        lines += [f"skipped {p[0]!r}: {why}" for p, why in self.skipped]
        return "\n".join(lines)


def agreement_by_layer(
    model: Any, prompts: Sequence[tuple[str, str, str]] = AGREEMENT_PROMPTS
) -> AgreementResult:
    """Whether each layer prefers the grammatical verb, over agreement prompts.

    Args:
        model: a :class:`diaphane.models.gpt.GPT` with a tokenizer.
        prompts: ``(prompt, grammatical verb, ungrammatical verb)`` triples; the verbs
            must be single tokens (mind the leading space). Those that are not are
            listed in ``skipped`` and left out of every rate.

    Returns:
        An :class:`AgreementResult`; ``.rate`` is the per-layer fraction right.

    Raises:
        DiaphaneError: no prompt could be scored.
    """
    kept, skipped, pairs = [], [], []
    for triple in prompts:
        _, yes, no = triple
        ids = [single_token(model, yes), single_token(model, no)]
        if None in ids:
            pieces = [_pieces(model, v) for v, i in zip((yes, no), ids, strict=True) if i is None]
            skipped.append((tuple(triple), "; ".join(pieces)))
        else:
            kept.append(tuple(triple))
            pairs.append(ids)
    if not kept:
        raise DiaphaneError(
            f"None of the {len(prompts)} agreement prompts has single-token verbs for this "
            "model's tokenizer; pass prompts whose verbs are one token each."
        )
    logits = last_position_lens(model, [p[0] for p in kept])  # [P, L+1, V]
    pair = np.ascontiguousarray(np.broadcast_to(np.asarray(pairs)[:, None], (*logits.shape[:2], 2)))
    ranks = rank_of(logits, pair)
    chosen = np.take_along_axis(logits, pair, axis=-1).astype(np.float64)
    margin = chosen[..., 0] - chosen[..., 1]
    return AgreementResult(kept, ranks[..., 0], ranks[..., 1], margin, skipped)


# ----------------------------------------------------------------------------- induction


@dataclass
class InductionResult:
    """A random token sequence repeated twice, read by the logit lens and the attention.

    Attributes:
        ids: ``[2 * length]`` the sequence and its repeat.
        tokens: their text.
        length: tokens in one repeat.
        seed: the seed the sequence was drawn with.
        ranks: ``[L+1, 2 * length - 1]`` rank of the actual next token at each position
            (the last position has no next token).
        stripe: ``[n_layer, n_head]`` mean attention from each position ``i`` of the second
            repeat to position ``i - length + 1`` (the token after ``i``'s first occurrence).
        previous: ``[n_layer, n_head]`` mean attention from each position to the one before
            (a previous-token head is the other half of an induction circuit).
    """

    ids: np.ndarray
    tokens: list[str]
    length: int
    seed: int
    ranks: np.ndarray
    stripe: np.ndarray
    previous: np.ndarray

    @property
    def first_ranks(self) -> np.ndarray:
        """``[L+1, length]`` ranks at the first repeat's positions (unpredictable tokens)."""
        return self.ranks[:, : self.length]

    @property
    def second_ranks(self) -> np.ndarray:
        """``[L+1, length - 1]`` ranks in the second repeat (each seen once before)."""
        return self.ranks[:, self.length :]

    @property
    def median_first(self) -> np.ndarray:
        return np.median(self.first_ranks, axis=1)

    @property
    def median_second(self) -> np.ndarray:
        return np.median(self.second_ranks, axis=1)

    @property
    def rank_one_layer(self) -> int | None:
        """The first layer whose median rank in the second repeat is 1 (None if none)."""
        hits = np.flatnonzero(self.median_second <= 1)
        return int(hits[0]) if hits.size else None

    @property
    def best_head(self) -> tuple[int, int]:
        """``(layer, head)`` of the strongest stripe, layers counted from 0."""
        layer, head = np.unravel_index(int(np.argmax(self.stripe)), self.stripe.shape)
        return int(layer), int(head)

    def induction_heads(self, threshold: float = 0.3) -> list[tuple[int, int, float]]:
        """``(layer, head, stripe score)`` of every head scoring at least ``threshold``,
        strongest first."""
        found = [(int(lay), int(h), float(self.stripe[lay, h])) for lay, h in np.argwhere(
            self.stripe >= threshold
        )]  # fmt: skip
        return sorted(found, key=lambda x: -x[2])

    def table(self) -> str:
        """Median rank per layer in each repeat, then the strongest stripe."""
        lines = [f"{'layer':>5}  {'median rank 1st':>15}  {'2nd':>6}"]
        for layer, (a, b) in enumerate(zip(self.median_first, self.median_second, strict=True)):
            lines.append(f"{layer:>5}  {a:15g}  {b:6g}")
        layer, head = self.best_head
        lines.append(f"strongest stripe: layer {layer} head {head}: {self.stripe[layer, head]:.3f}")
        return "\n".join(lines)


def word_token_ids(model: Any) -> np.ndarray:
    """Ids of ordinary word tokens: a space and three or more lower-case letters.

    A model without a tokenizer offers every id but 0.
    """
    tok = getattr(model, "tokenizer", None)
    n = model.config.vocab_size
    if tok is None:
        return np.arange(1, n, dtype=np.int64)
    n = min(n, tok.get_vocab_size())
    texts = tok.decode_batch([[i] for i in range(n)], skip_special_tokens=False)
    return np.asarray([i for i, t in enumerate(texts) if _WORD.fullmatch(t)], dtype=np.int64)


def _diagonal_mean(att: np.ndarray, offset: int, start: int) -> np.ndarray:
    """Mean of ``att[..., i, i - offset]`` over query positions ``i >= start``."""
    diag = np.diagonal(att, offset=-offset, axis1=-2, axis2=-1)  # entries for i = offset..T-1
    return diag[..., start - offset :].mean(axis=-1, dtype=np.float64)


def induction_ranks(model: Any, length: int = 32, seed: int = 0) -> InductionResult:
    """Rank of the next token per layer on a random sequence repeated twice, and each
    head's induction stripe.

    Args:
        model: a :class:`diaphane.models.gpt.GPT`.
        length: tokens in one repeat (distinct word tokens, drawn without replacement,
            so that each token of the second repeat has exactly one earlier occurrence).
        seed: the seed of the draw.

    Returns:
        An :class:`InductionResult`.

    Raises:
        DiaphaneError: ``2 * length`` does not fit the model's context, or the vocabulary
            has fewer than ``length`` word tokens.
    """
    length = int(length)
    if length < 2 or 2 * length > model.config.n_positions:
        raise DiaphaneError(
            f"length {length} must be at least 2 and at most half the model's context "
            f"({model.config.n_positions // 2})."
        )
    pool = word_token_ids(model)
    if len(pool) < length:
        raise DiaphaneError(
            f"The vocabulary has {len(pool)} word tokens, fewer than length={length}."
        )
    half = np.random.default_rng(seed).choice(pool, size=length, replace=False)
    ids = np.concatenate([half, half]).astype(np.int64)
    out = model.forward(ids, output_hidden_states=True, output_attentions=True)
    att = np.stack([np.asarray(a) for a in out.attentions])  # [layers, heads, T, T]
    logits = _lens_at(model, out, slice(None, -1))  # [L+1, T-1, V]: the last has no next
    nxt = np.broadcast_to(ids[1:, None], (len(logits), len(ids) - 1, 1))
    return InductionResult(
        ids=ids,
        tokens=[token_text(model, t) for t in ids],
        length=length,
        seed=int(seed),
        ranks=rank_of(logits, np.ascontiguousarray(nxt))[..., 0],
        stripe=_diagonal_mean(att, length - 1, length),
        previous=_diagonal_mean(att, 1, 1),
    )


# ----------------------------------------------------------------------------- right answers


@dataclass
class CandidateScore:
    """How the model ranks a candidate's expected next token at every layer.

    Attributes:
        prompt, expected: the candidate.
        expected_id: the expected token's id; None when it is not a single token.
        ranks: ``[L+1]`` its rank per layer (None when it is not a single token).
        prob: its probability at the output (0.0 when not a single token).
        top: the model's own top-1 token at the output.
        reason: why it could not be scored ("" when it was).
    """

    prompt: str
    expected: str
    expected_id: int | None
    ranks: np.ndarray | None
    prob: float
    top: str
    reason: str = ""

    @property
    def right(self) -> bool:
        """Whether the model's top-1 output is the expected token."""
        return self.ranks is not None and int(self.ranks[-1]) == 1

    @property
    def first_layer(self) -> int | None:
        """The first layer (0: the embeddings) at which the expected token is ranked 1."""
        if self.ranks is None:
            return None
        hits = np.flatnonzero(self.ranks == 1)
        return int(hits[0]) if hits.size else None

    @property
    def final_rank(self) -> int | None:
        return None if self.ranks is None else int(self.ranks[-1])


def _score(model: Any, prompt: str, expected: str, logits: np.ndarray) -> CandidateScore:
    top = token_text(model, int(np.argmax(logits[-1])))
    tid = single_token(model, expected)
    if tid is None:
        return CandidateScore(prompt, expected, None, None, 0.0, top, _pieces(model, expected))
    ranks = rank_of(logits, np.full((len(logits), 1), tid))[:, 0]
    last = logits[-1].astype(np.float64)
    prob = float(np.exp(last[tid] - last.max()) / np.exp(last - last.max()).sum())
    return CandidateScore(prompt, expected, tid, ranks, prob, top)


def score_candidates(
    model: Any, candidates: Sequence[tuple[str, str]] = CANDIDATE_PROMPTS
) -> list[CandidateScore]:
    """Score every ``(prompt, expected next token)`` candidate, in order.

    Expected tokens that are not single tokens for the model's tokenizer are kept
    with ``ranks=None`` and a ``reason``, so a caller can report them.
    """
    logits = last_position_lens(model, [c[0] for c in candidates])
    return [_score(model, p, e, lg) for (p, e), lg in zip(candidates, logits, strict=True)]


def right_answers(
    model: Any, candidates: Sequence[tuple[str, str]] = CANDIDATE_PROMPTS
) -> list[CandidateScore]:
    """The candidates whose final-layer top-1 prediction is the expected token, in order.

    Each carries ``first_layer``: the first layer of the logit lens at which the
    expected token already ranks first.

    >>> from diaphane.models.gpt import default_model
    >>> found = right_answers(default_model(), [("The United States of", " America")])
    >>> all(c.right for c in found)
    True
    """
    return [c for c in score_candidates(model, candidates) if c.right]
