"""Input saliency: which input tokens a prediction rests on.

A target scalar ``f`` — the probability (default), logit or log-probability of a
target token at the last position, or the difference of that quantity between
two candidates (" London" minus " Paris") — is attributed to each input token's
embedding (the ``inputs_embeds`` the model adds position embeddings to):

- ``"grad"``: the gradient ∂f/∂x (Captum's ``Saliency(abs=False)``);
- ``"gradxinput"``: x · ∂f/∂x (Captum's ``InputXGradient``);
- ``"ig"``: integrated gradients, (x - x') · ∫₀¹ ∂f/∂x(x' + a(x - x')) da, with the
  integral taken by Gauss-Legendre quadrature or a Riemann rule exactly as Captum
  places its points and weights. The steps run through the model in chunks, each
  chunk one batched forward and backward pass of diaphane's engine.

Per token, the attribution vector is summarised by its L2 norm, normalised to
sum to one (as Ecco and inseq show it), or by its signed sum. Integrated
gradients always report the convergence delta Σ attributions - (f(x) - f(x')),
and log a warning when it is large next to f(x) - f(x'): take more steps.

Entry points: :func:`saliency`, :class:`Saliency`, :func:`ig_points`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp
from diaphane.autodiff import vjp
from diaphane.autodiff.core import DiaphaneError
from diaphane.lens.rankings import encode, token_text, watch_ids

__all__ = ["METHODS", "QUANTITIES", "RULES", "Saliency", "ig_points", "saliency", "target_function"]

log = logging.getLogger(__name__)

METHODS = ("grad", "gradxinput", "ig")
QUANTITIES = ("prob", "logit", "logprob")
RULES = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")
AGGREGATES = ("l2", "sum")
_PAD_NAMES = ("<pad>", "[PAD]", "<|pad|>", "<|endoftext|>")
_UNK_NAMES = ("<unk>", "[UNK]", "<|unk|>", "<|endoftext|>")
_MEMORY = 512 * 2**20  # bytes of saved activations one chunk of IG steps may use


@dataclass
class Saliency:
    """Attributions of a target scalar to the input tokens.

    Attributes:
        tokens, ids: the input tokens (text and ids, length T).
        method, quantity, aggregate: how the attributions were made and summarised.
        target, target_id: the token whose ``quantity`` at the last position is explained.
        contrast, contrast_id: the token subtracted in a contrast (``None`` otherwise).
        attributions: ``[T, D]`` per embedding dimension.
        scores: ``[T]`` per token (L2 norms summing to one, or signed sums).
        value: f(x). baseline_value: f(x') (integrated gradients only).
        delta: the convergence delta Σ attributions - (f(x) - f(x')) (integrated gradients).
        n_steps, rule: the integration points (integrated gradients).
    """

    tokens: list[str]
    ids: np.ndarray
    method: str
    quantity: str
    aggregate: str
    target: str
    target_id: int
    contrast: str | None
    contrast_id: int | None
    attributions: np.ndarray
    scores: np.ndarray
    value: float
    baseline_value: float | None = None
    delta: float | None = None
    n_steps: int | None = None
    rule: str | None = None

    def table(self) -> str:
        """A plain-text listing: one token per line with its score, then the summary."""
        what = f"{self.quantity}({self.target!r})"
        if self.contrast is not None:
            what += f" - {self.quantity}({self.contrast!r})"
        lines = [f"{self.method} attributions of {what} = {self.value:.6g} ({self.aggregate})"]
        width = max(len(repr(t)) for t in self.tokens)
        for tok, s in zip(self.tokens, self.scores, strict=True):
            bar = "#" * round(20 * abs(s) / (np.abs(self.scores).max() or 1.0))
            lines.append(f"  {tok!r:<{width}}  {s:+.4f}  {bar}")
        if self.delta is not None:
            lines.append(
                f"f(x) - f(x') = {self.value - self.baseline_value:.6g}; sum of attributions "
                f"= {self.attributions.sum():.6g}; convergence delta = {self.delta:.3g} "
                f"({self.n_steps} steps, {self.rule})"
            )
        return "\n".join(lines)


def ig_points(n_steps: int, rule: str = "gausslegendre") -> tuple[np.ndarray, np.ndarray]:
    """Points a in [0, 1] and weights of an integration rule, placed as Captum places them.

    >>> a, w = ig_points(2, "riemann_trapezoid")
    >>> a.tolist(), w.tolist()
    ([0.0, 1.0], [0.25, 0.25])
    """
    if rule not in RULES:
        raise DiaphaneError(f"Unknown integration rule {rule!r}; pick one of {', '.join(RULES)}.")
    least = 1 if rule == "gausslegendre" else 2
    if int(n_steps) < least:
        raise DiaphaneError(f"The {rule} rule needs at least {least} steps, not {n_steps}.")
    n = int(n_steps)
    if rule == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)
        return 0.5 * (1.0 + x), 0.5 * w
    weights = np.full(n, 1.0 / n)
    kind = rule.split("_")[1]
    if kind == "trapezoid":  # Captum's weights: halves at both ends, summing to 1 - 1/n
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n), weights
    start, stop = {
        "left": (0.0, 1 - 1 / n),
        "right": (1 / n, 1.0),
        "middle": (0.5 / n, 1 - 0.5 / n),
    }[kind]
    return np.linspace(start, stop, n), weights


# ----------------------------------------------------------------------------- the target


def _quantity(logits: Any, token: int, quantity: str) -> Any:
    if quantity == "logit":
        return logits[..., token]
    logprob = logits[..., token] - dsp.logsumexp(logits, axis=-1)
    return logprob if quantity == "logprob" else dnp.exp(logprob)


def target_function(
    model: Any, target_id: int, quantity: str = "prob", contrast_id: int | None = None
) -> Callable[[Any], Any]:
    """``f(inputs_embeds [S, T, D]) -> [S]``: the quantity of the target at the last position.

    Only the last position is unembedded: the forward pass runs with a one-row
    stand-in for the (tied) unembedding, whose logits are thrown away, so the
    cost of the vocabulary is paid once per step instead of once per position.
    """
    if quantity not in QUANTITIES:
        raise DiaphaneError(f"Unknown quantity {quantity!r}; pick one of {', '.join(QUANTITIES)}.")
    wte = model.params["wte"]
    lean = dict(model.params, wte=np.zeros((1, wte.shape[1]), dtype=wte.dtype))

    def f(embeds: Any) -> Any:
        out = model.forward(
            None, params=lean, inputs_embeds=embeds,
            output_hidden_states=False, output_attentions=False,
        )  # fmt: skip
        logits = model.unembed(model.final_norm(out.final_residual[..., -1, :]))
        value = _quantity(logits, target_id, quantity)
        if contrast_id is not None:
            value = value - _quantity(logits, contrast_id, quantity)
        return value

    return f


# ----------------------------------------------------------------------------- the methods


def _baseline(model: Any, baseline: Any, ids: np.ndarray, like: np.ndarray) -> np.ndarray:
    if isinstance(baseline, str):
        if baseline == "zero":
            return np.zeros_like(like)
        names = {"pad": _PAD_NAMES, "unk": _UNK_NAMES}.get(baseline)
        if names is None:
            raise DiaphaneError(
                f"Unknown baseline {baseline!r}: use 'zero', 'pad', 'unk', a token id or an array."
            )
        baseline = _special_id(model, names, baseline)
    if isinstance(baseline, int | np.integer):
        return model.embed(np.full(len(ids), int(baseline)))
    arr = np.broadcast_to(np.asarray(baseline, dtype=like.dtype), like.shape)
    if not np.all(np.isfinite(arr)):
        raise DiaphaneError("The baseline holds NaN or inf.")
    return np.array(arr)


def _special_id(model: Any, names: Sequence[str], kind: str) -> int:
    tok = getattr(model, "tokenizer", None)
    for name in names:
        tid = tok.token_to_id(name) if tok is not None else None
        if tid is not None:
            return int(tid)
    raise DiaphaneError(
        f"The tokenizer has no {kind} token (looked for {', '.join(names)}); pass "
        "baseline='zero', a token id, or an array."
    )


def _chunk_size(model: Any, n_tokens: int, n_steps: int) -> int:
    """Steps per batched pass such that one pass keeps about ``_MEMORY`` bytes alive,
    the passes then evened out (52 points in chunks of 20 become 18 + 17 + 17)."""
    c = model.config
    # Measured on GPT-2 small: the traced forward keeps ~70 floats per width per token.
    per_step = c.n_layer * n_tokens * (72 * c.n_embd + 6 * c.n_head * n_tokens)
    most = max(1, _MEMORY // (per_step * np.dtype(c.dtype).itemsize))
    passes = -(-n_steps // most)
    return -(-n_steps // passes)


def _integrated(f, x, x0, n_steps, rule, chunk_size) -> tuple[np.ndarray, float, float]:
    """Integrated gradients: ``(x - x') * sum_k w_k grad f(x' + a_k (x - x'))``, plus
    f(x) and f(x').

    The points go through the model ``chunk_size`` at a time; f(x) and f(x') ride
    along in the first chunk with weight zero. The step weights are the cotangent
    of each chunk's backward pass, so it returns the weighted sum directly.
    """
    alphas, weights = ig_points(n_steps, rule)
    alphas, weights = np.concatenate([[1.0, 0.0], alphas]), np.concatenate([[0.0, 0.0], weights])
    total = np.zeros(x.shape, dtype=np.float64)
    ends: list[float] = []
    for start in range(0, len(alphas), chunk_size):
        a = alphas[start : start + chunk_size, None, None]
        points = (x0 + a * (x - x0)).astype(x.dtype)
        values, g = _weighted_grad(f, points, weights[start : start + chunk_size])
        total += g
        ends.extend(float(v) for v in values[: 2 - len(ends)])
    return (total * (x - x0)).astype(x.dtype), ends[0], ends[1]


def _weighted_grad(f, points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(points)`` and ``sum_k weights[k] * grad f(points[k])`` from one forward and one
    backward pass (each point's value depends on that point alone). The traced graph
    is released on return, before the next chunk is traced."""
    values, pull = vjp(f, points)
    g = pull(weights.astype(points.dtype))[0]
    return values, g.sum(axis=0, dtype=np.float64)


def _check_delta(delta: float, change: float, tolerance: float, n_steps: int) -> None:
    if abs(delta) > tolerance * abs(change) + 1e-12:
        log.warning(
            "Integrated gradients did not converge: the attributions sum to %.4g away from "
            "f(x) - f(x') = %.4g (delta %.3g); use more steps than %d or the gausslegendre rule.",
            delta, change, delta, n_steps,
        )  # fmt: skip


def _aggregate(attr: np.ndarray, how: str) -> np.ndarray:
    if how == "sum":
        return attr.sum(axis=-1)
    norms = np.linalg.norm(attr.astype(np.float64), axis=-1)
    total = norms.sum()
    return norms / total if total > 0 else norms


def saliency(
    model: Any,
    text_or_ids: str | Sequence[int],
    target: str | int | None = None,
    method: str = "ig",
    quantity: str = "prob",
    contrast: str | int | None = None,
    n_steps: int = 50,
    rule: str = "gausslegendre",
    baseline: Any = "zero",
    aggregate: str = "l2",
    chunk_size: int | None = None,
    delta_tolerance: float = 0.05,
) -> Saliency:
    """Attribute the target's quantity at the last position to each input token.

    Args:
        model: a :class:`diaphane.models.gpt.GPT`.
        text_or_ids: the input text (or its token ids).
        target: the token explained (a single-token string or an id); default the
            model's own top prediction.
        method: ``"grad"``, ``"gradxinput"`` or ``"ig"`` (integrated gradients).
        quantity: ``"prob"``, ``"logit"`` or ``"logprob"`` of the target.
        contrast: a second token; explain quantity(target) - quantity(contrast).
        n_steps, rule: integration points for ``"ig"`` (see :data:`RULES`).
        baseline: ``"zero"``, ``"pad"`` or ``"unk"`` (that token's embedding at every
            position), a token id, or an array ``[T, D]`` / ``[D]`` of embeddings.
        aggregate: per-token summary, ``"l2"`` (norms summing to one) or ``"sum"`` (signed).
        chunk_size: integration steps per batched pass; default from a 512 MiB budget.
        delta_tolerance: warn when |delta| exceeds this fraction of |f(x) - f(x')|.

    Returns:
        A :class:`Saliency`; ``.table()`` prints it.
    """
    if method not in METHODS:
        raise DiaphaneError(f"Unknown method {method!r}; pick one of {', '.join(METHODS)}.")
    if aggregate not in AGGREGATES:
        raise DiaphaneError(f"Unknown aggregate {aggregate!r}; use 'l2' or 'sum'.")
    ids = encode(model, text_or_ids)
    x = np.asarray(model.embed(ids))
    if target is None:
        logits = np.asarray(model.forward(ids, output_hidden_states=False).logits)
        target = int(np.argmax(logits[-1]))
    tid = int(watch_ids(model, [target])[0])
    cid = None if contrast is None else int(watch_ids(model, [contrast])[0])
    f = target_function(model, tid, quantity, cid)
    result = dict(baseline_value=None, delta=None, n_steps=None, rule=None)
    if method == "ig":
        x0 = _baseline(model, baseline, ids, x)
        chunk = int(chunk_size) if chunk_size else _chunk_size(model, len(ids), int(n_steps) + 2)
        attr, value, base_value = _integrated(f, x, x0, int(n_steps), rule, max(chunk, 1))
        delta = float(attr.sum(dtype=np.float64) - (value - base_value))
        _check_delta(delta, value - base_value, delta_tolerance, int(n_steps))
        result.update(baseline_value=base_value, delta=delta, n_steps=int(n_steps), rule=rule)
    else:
        values, g = _weighted_grad(f, x[None], np.ones(1))
        g = g.astype(x.dtype)
        attr = g * x if method == "gradxinput" else g
        value = float(values[0])
    return Saliency(
        tokens=[token_text(model, t) for t in ids],
        ids=ids,
        method=method,
        quantity=quantity,
        aggregate=aggregate,
        target=target if isinstance(target, str) else token_text(model, tid),
        target_id=tid,
        contrast=None
        if contrast is None
        else (contrast if isinstance(contrast, str) else token_text(model, cid)),
        contrast_id=cid,
        attributions=attr,
        scores=_aggregate(attr, aggregate),
        value=value,
        **result,
    )
