"""Layer rankings — the logit lens.

Every layer's hidden state, at every position, is read as if it were the last:
passed through the model's final LayerNorm and the unembedding, it gives a
distribution over the vocabulary. :func:`layer_rankings` reports, per layer and
position, the rank and probability of the token the model finally output, of
the actual next token in the text, and of any watched tokens (" is" vs " are"),
and the top-k predictions.

Ranks start at 1 (the top). Ties are broken by token id: the rank of token
``t`` is one plus the number of tokens with a strictly greater logit plus the
number with an equal logit and a smaller id — so ranks form a permutation of
``1..V``, the same order ``np.lexsort((ids, -logits))`` gives.

The default applies the final LayerNorm to every layer, which is what the model
itself does to its last layer: without it an intermediate state is read on a
scale and offset the unembedding never sees. ``ecco_compatible=True`` skips it
on intermediate layers, as Ecco does, to compare with published Ecco figures
(ranks there are often poor in middle layers mostly because of the missing
normalisation, not because the layer knows less).

Entry points: :func:`layer_rankings`, :func:`logit_lens`, :class:`LayerRankings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError

__all__ = [
    "LayerRankings",
    "encode",
    "layer_rankings",
    "logit_lens",
    "rank_of",
    "token_text",
    "top_k",
    "watch_ids",
]


def encode(model: Any, text_or_ids: str | Sequence[int] | np.ndarray) -> np.ndarray:
    """Token ids of a text (or the ids themselves), checked to be a non-empty 1-D sequence."""
    ids = model.encode(text_or_ids) if isinstance(text_or_ids, str) else text_or_ids
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or ids.size == 0:
        raise DiaphaneError(f"Expected a text or a 1-D list of token ids; got shape {ids.shape}.")
    return ids


def token_text(model: Any, token_id: int) -> str:
    """The text of a token, or ``"#id"`` for a model without a tokenizer."""
    if getattr(model, "tokenizer", None) is None:
        return f"#{int(token_id)}"
    return model.token_str(int(token_id))


def watch_ids(model: Any, watch: Sequence[str | int]) -> np.ndarray:
    """Ids of watched tokens, given as single-token strings (" London") or ids."""
    out = []
    for w in watch:
        if isinstance(w, str):
            ids = model.encode(w)
            if len(ids) != 1:
                pieces = [token_text(model, i) for i in ids]
                raise DiaphaneError(
                    f"{w!r} is {len(ids)} tokens for this model ({pieces}), not one; watch a "
                    "single token (mind the leading space: ' London')."
                )
            w = int(ids[0])
        out.append(int(w))
    return np.asarray(out, dtype=np.int64)


def logit_lens(model: Any, ids: np.ndarray, ecco_compatible: bool = False) -> np.ndarray:
    """Logits read from every layer: ``[n_layer + 1, T, V]`` (row 0: the embeddings).

    The last row is the model's own output logits.
    """
    out = model.forward(ids, output_hidden_states=True, output_attentions=False)
    states = np.stack([np.asarray(h) for h in out.hidden_states[:-1]])  # [L, T, D]
    if not ecco_compatible:
        states = np.asarray(model.final_norm(states))
    logits = np.asarray(model.unembed(states))
    return np.concatenate([logits, np.asarray(out.logits)[None]])


def rank_of(logits: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
    """Ranks (1 = top, ties by lower id) of ``token_ids[..., k]`` under ``logits[..., V]``.

    >>> rank_of(np.array([0.5, 2.0, 0.5, 1.0]), np.array([0, 1, 2, 3]))
    array([3, 1, 4, 2])
    """
    token_ids = np.asarray(token_ids)
    target = np.take_along_axis(logits, token_ids, axis=-1)  # [..., K]
    ranks = np.empty(token_ids.shape, dtype=np.int64)
    vocab = np.arange(logits.shape[-1])
    for k in range(token_ids.shape[-1]):  # one [..., V] comparison at a time bounds memory
        t = target[..., k : k + 1]
        above = (logits > t).sum(axis=-1)
        ties = ((logits == t) & (vocab < token_ids[..., k : k + 1])).sum(axis=-1)
        ranks[..., k] = 1 + above + ties
    return ranks


def top_k(logits: np.ndarray, k: int) -> np.ndarray:
    """Ids of the ``k`` top tokens of each row of ``logits[..., V]``, best first (ties by id)."""
    k = min(k, logits.shape[-1])
    flat = logits.reshape(-1, logits.shape[-1])
    cut = np.partition(flat, -k, axis=-1)[:, -k, None]  # the k-th largest value per row
    out = np.empty((flat.shape[0], k), dtype=np.int64)
    for r in range(flat.shape[0]):
        cand = np.flatnonzero(flat[r] >= cut[r])  # k or more (ties at the cut)
        out[r] = cand[np.lexsort((cand, -flat[r, cand]))[:k]]
    return out.reshape(*logits.shape[:-1], k)


def log_normalizer(logits: np.ndarray) -> np.ndarray:
    """``logsumexp`` over the vocabulary, kept as a trailing axis of size one (float64)."""
    m = logits.max(axis=-1, keepdims=True)
    return m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True, dtype=np.float64))


def _probs_of(logits: np.ndarray, lse: np.ndarray, token_ids: np.ndarray) -> np.ndarray:
    """Softmax probabilities of chosen tokens."""
    return np.exp(np.take_along_axis(logits, token_ids, axis=-1) - lse)


@dataclass
class LayerRankings:
    """The logit lens over one text. Layer 0 is the embeddings; layer L the model's output.

    Attributes:
        tokens: the input tokens' text, length T.
        ids: input token ids ``[T]``.
        output_ids: the model's top prediction at each position ``[T]``.
        output_rank, output_prob: ``[L+1, T]`` rank and probability of ``output_ids``.
        next_rank, next_prob: ``[L+1, T-1]`` the same for the actual next token.
        watch, watch_ids: watched tokens' text and ids (``[W]``).
        watch_rank, watch_prob: ``[L+1, T, W]``.
        topk_ids, topk_probs: ``[L+1, T, k]`` the top-k predictions per layer and position.
        ecco_compatible: whether intermediate layers skipped the final LayerNorm.
    """

    tokens: list[str]
    ids: np.ndarray
    output_ids: np.ndarray
    output_rank: np.ndarray
    output_prob: np.ndarray
    next_rank: np.ndarray
    next_prob: np.ndarray
    watch: list[str]
    watch_ids: np.ndarray
    watch_rank: np.ndarray
    watch_prob: np.ndarray
    topk_ids: np.ndarray
    topk_probs: np.ndarray
    topk_tokens: list[list[list[str]]]
    ecco_compatible: bool = False

    @property
    def n_layers(self) -> int:
        """Rows in the tables: the transformer blocks plus the embedding layer."""
        return self.output_rank.shape[0]

    def table(self, position: int = -1) -> str:
        """A plain-text table, one row per layer, for one position (default: the last)."""
        pos = range(len(self.ids))[position]
        head = f"{'layer':>5}  {'output ' + repr(self.tokens_out[pos]):>22}"
        head += "".join(f"  {w!r:>16}" for w in self.watch) + "  top predictions"
        lines = [f"position {pos} ({self.tokens[pos]!r})", head]
        for layer in range(self.n_layers):
            cells = [
                f"{layer:>5}",
                _cell(self.output_rank[layer, pos], self.output_prob[layer, pos], 22),
            ]
            for w in range(len(self.watch)):
                cells.append(
                    _cell(self.watch_rank[layer, pos, w], self.watch_prob[layer, pos, w], 16)
                )
            tops = " ".join(
                f"{t!r}:{p:.2f}"
                for t, p in zip(
                    self.topk_tokens[layer][pos], self.topk_probs[layer, pos], strict=True
                )
            )
            lines.append("  ".join(cells) + "  " + tops)
        return "\n".join(lines)

    @property
    def tokens_out(self) -> list[str]:
        """The text of the model's output token at each position."""
        return [
            self.topk_tokens[-1][p][0] if self.topk_tokens[-1][p] else ""
            for p in range(len(self.ids))
        ]


def _cell(rank: int, prob: float, width: int) -> str:
    return f"{f'#{int(rank)} {prob:.3f}':>{width}}"


def layer_rankings(
    model: Any,
    text_or_ids: str | Sequence[int],
    watch: Sequence[str | int] = (),
    k: int = 5,
    ecco_compatible: bool = False,
) -> LayerRankings:
    """The logit lens: per layer and position, ranks and probabilities of chosen tokens.

    Args:
        model: a :class:`diaphane.models.gpt.GPT` (or anything with its interface).
        text_or_ids: the text, or its token ids.
        watch: tokens to follow through the layers, as single-token strings or ids.
        k: how many top predictions to keep per layer and position.
        ecco_compatible: skip the final LayerNorm on intermediate layers (Ecco's variant;
            see the module docstring for why the default applies it).

    Returns:
        A :class:`LayerRankings`; ``.table()`` prints it.
    """
    ids = encode(model, text_or_ids)
    wids = watch_ids(model, watch)
    logits = logit_lens(model, ids, ecco_compatible)  # [L+1, T, V]
    n_rows, n = logits.shape[0], len(ids)
    output_ids = top_k(logits[-1], 1)[:, 0]
    per_row = lambda t: np.broadcast_to(t, (n_rows, *t.shape))
    tracked = np.concatenate(
        [
            output_ids[:, None],
            np.append(ids[1:], 0)[:, None],
            np.broadcast_to(wids, (n, len(wids))),
        ],
        axis=1,
    )  # [T, 2 + W]: output, next (padding at the last position), watched
    tracked = np.ascontiguousarray(per_row(tracked))
    lse = log_normalizer(logits)
    ranks, probs = rank_of(logits, tracked), _probs_of(logits, lse, tracked)
    tk = top_k(logits, k)
    tk_probs = _probs_of(logits, lse, tk)
    names = {int(t): token_text(model, t) for t in np.unique(tk)}
    return LayerRankings(
        tokens=[token_text(model, t) for t in ids],
        ids=ids,
        output_ids=output_ids,
        output_rank=ranks[..., 0],
        output_prob=probs[..., 0],
        next_rank=ranks[:, :-1, 1],
        next_prob=probs[:, :-1, 1],
        watch=[w if isinstance(w, str) else token_text(model, w) for w in watch],
        watch_ids=wids,
        watch_rank=ranks[..., 2:],
        watch_prob=probs[..., 2:],
        topk_ids=tk,
        topk_probs=tk_probs,
        topk_tokens=[[[names[int(t)] for t in row] for row in layer] for layer in tk],
        ecco_compatible=ecco_compatible,
    )
