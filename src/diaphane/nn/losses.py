"""Losses: softmax cross-entropy from logits with integer targets.

:func:`cross_entropy` is one fused primitive. Its forward pass computes the
log-sum-exp with the max subtracted (stable for any logits) and keeps the
softmax it had to compute anyway; its backward pass is then ``softmax - onehot``,
one pass over the logits instead of the half-dozen a composed
``logits - logsumexp(logits)`` followed by fancy indexing would need (see
bench/nplm.py). The rules are written with :mod:`diaphane.numpy`, so higher
derivatives work too.

Entry points: :func:`cross_entropy`, :func:`log_softmax`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import DiaphaneError, defjvp, defvjp, getval, is_box, primitive

__all__ = ["cross_entropy", "log_softmax"]

Reduction = Literal["mean", "sum", "none"]


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable ``log(softmax(logits))`` of plain arrays (no gradient; for scoring).

    >>> log_softmax(np.array([0.0, 0.0])).round(4)
    array([-0.6931, -0.6931])
    """
    logits = np.asarray(logits)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _xent_raw(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row losses and the softmax of ``logits`` (kept for the backward pass)."""
    shift = logits.max(axis=-1, keepdims=True)
    probs = np.subtract(logits, shift)
    np.exp(probs, out=probs)
    total = probs.sum(axis=-1, keepdims=True)
    probs /= total
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)
    losses = (np.log(total) + shift - picked)[..., 0]
    return losses, probs


_xent = primitive(_xent_raw, "softmax_cross_entropy")


def _onehot(targets: np.ndarray, like: Any) -> np.ndarray:
    v = getval(like)
    out = np.zeros(np.shape(v), dtype=np.result_type(v))
    np.put_along_axis(out, targets[..., None], 1, axis=-1)
    return out


def _xent_vjp(g, ans, logits, targets):
    g_loss, g_probs = g
    probs = ans[1]
    out = None
    if g_loss is not None:
        if not (is_box(g_loss) or is_box(probs)):
            # First derivatives: scale the saved softmax and subtract at the targets, in place.
            out = probs * g_loss[..., None]
            rows = np.take_along_axis(out, targets[..., None], -1)
            np.put_along_axis(out, targets[..., None], rows - g_loss[..., None], -1)
        else:
            out = g_loss[..., None] * (probs - _onehot(targets, probs))
    if g_probs is not None:
        # The softmax's own Jacobian, for functions that use the probabilities too.
        soft = probs * (g_probs - dnp.sum(g_probs * probs, axis=-1, keepdims=True))
        out = soft if out is None else out + soft
    return out


def _xent_jvp(t, ans, logits, targets):
    probs = ans[1]
    mean_t = dnp.sum(probs * t, axis=-1, keepdims=True)
    picked = t * _onehot(targets, t)
    return (dnp.sum(probs * t - picked, axis=-1), probs * (t - mean_t))


defvjp(_xent, _xent_vjp, None)
defjvp(_xent, _xent_jvp, None)


def _check_targets(logits: Any, targets: Any) -> np.ndarray:
    targets = np.asarray(getval(targets))
    shape = np.shape(getval(logits))
    if targets.dtype.kind not in "iu":
        raise DiaphaneError(
            f"cross_entropy needs integer class targets, got dtype {targets.dtype}; "
            "pass class indices (e.g. targets.astype(np.int64))."
        )
    if targets.shape != shape[:-1]:
        raise DiaphaneError(
            f"cross_entropy: logits of shape {shape} need targets of shape {shape[:-1]}, "
            f"got {targets.shape}."
        )
    if targets.size and (targets.min() < 0 or targets.max() >= shape[-1]):
        raise DiaphaneError(
            f"cross_entropy: targets must lie in [0, {shape[-1]}) (one per class of the "
            f"last axis); found {targets.min()}..{targets.max()}."
        )
    return targets


def cross_entropy(logits: Any, targets: Any, reduction: Reduction = "mean") -> Any:
    """Softmax cross-entropy ``-log softmax(logits)[target]`` over the last axis.

    Args:
        logits: unnormalised scores, shape ``(..., classes)``; may be traced.
        targets: integer class of each row, shape ``(...)``.
        reduction: ``"mean"`` (default) or ``"sum"`` over rows, or ``"none"`` for
            the loss of every row.

    >>> cross_entropy(np.array([[0.0, 0.0], [1000.0, 0.0]]), np.array([0, 0])).round(4)
    np.float64(0.3466)
    """
    targets = _check_targets(logits, targets)
    losses = _xent(logits, targets)[0]
    if reduction == "mean":
        return dnp.mean(losses)
    if reduction == "sum":
        return dnp.sum(losses)
    if reduction == "none":
        return losses
    raise DiaphaneError(
        f"cross_entropy: reduction must be 'mean', 'sum' or 'none', not {reduction!r}."
    )
