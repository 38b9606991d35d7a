"""``hypergrad``: the gradient of the validation loss after training with respect to the
hyperparameters of training, computed one of three ways.

Entry points: :func:`hypergrad`, :class:`HyperResult`, :data:`METHODS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diaphane.autodiff import flatten, unflatten
from diaphane.errors import UsageError
from diaphane.nn.hyper.checkpointed import checkpointed_hypergrad
from diaphane.nn.hyper.reversible import reversible_hypergrad
from diaphane.nn.hyper.steps import TrainStep, Unroll, check_hyper, momentum_sgd
from diaphane.nn.hyper.unrolled import unrolled_hypergrad

__all__ = ["METHODS", "HyperResult", "hypergrad"]

METHODS = ("unrolled", "checkpoint", "reverse")


@dataclass
class HyperResult:
    """What :func:`hypergrad` returns.

    Attributes:
        loss: The validation loss after the run.
        grad: Its gradient with respect to each hyperparameter, shaped like ``hyper``.
        params: The trained parameters (a tree like ``params0``).
        params0_grad: The gradient with respect to ``params0`` (a tree like it).
        method: The way it was computed.
        stats: What the method measured of itself (see each method's module).
    """

    loss: float
    grad: dict[str, np.ndarray]
    params: Any
    params0_grad: Any
    method: str
    stats: dict = field(default_factory=dict)


def hypergrad(
    train_step: TrainStep | Callable[[Any, int], Any],
    loss_valid: Callable[[Any], Any],
    hyper: dict[str, Any],
    params0: Any,
    steps: int,
    method: str = "unrolled",
    segment: int | None = None,
) -> HyperResult:
    """The gradient of the validation loss after ``steps`` steps of training with respect
    to per-step learning rates, momentum, L2 penalty and initial-weight scale.

    Args:
        train_step: A :class:`~diaphane.nn.hyper.steps.TrainStep` (momentum SGD or Adam),
            or a bare ``loss(params, t)`` for momentum SGD on it.
        loss_valid: ``loss_valid(params)``, the loss whose gradient is taken.
        hyper: The hyperparameters (:func:`~diaphane.nn.hyper.steps.make_hyper`); their
            shapes are described in :mod:`~diaphane.nn.hyper.steps`.
        params0: The initial parameters (a tree of arrays; computed in float64).
        steps: ``T``, the number of training steps.
        method: ``"unrolled"`` (reverse mode through the traced run), ``"checkpoint"``
            (the same with ``O(sqrt(T))`` memory) or ``"reverse"`` (exact reversal of
            momentum SGD, Maclaurin et al. 2015).
        segment: For ``"checkpoint"``: steps per segment (default ``ceil(sqrt(T))``).

    Returns:
        A :class:`HyperResult`.

    Raises:
        UsageError: an unknown method, a bad ``steps`` or ``hyper``, or Adam with
            ``method="reverse"``.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> from diaphane.nn.hyper import make_hyper
    >>> loss = lambda p, t: dnp.sum((p["w"] - 1.0) ** 2)
    >>> valid = lambda p: dnp.sum(p["w"] ** 2)
    >>> p0 = {"w": np.zeros(2)}
    >>> r = hypergrad(loss, valid, make_hyper(p0, 3, lr=0.1), p0, steps=3)
    >>> r.grad["lr"].round(4)
    array([0.0831, 0.1626, 0.2324])
    >>> round(r.loss, 4)
    0.0243
    """
    step = train_step if isinstance(train_step, TrainStep) else momentum_sgd(train_step)
    steps = _check_steps(steps)
    unroll = Unroll(step, params0)
    hyper = check_hyper(hyper, steps, unroll.n_leaves)
    if method == "unrolled":
        out = unrolled_hypergrad(unroll, loss_valid, hyper, steps)
    elif method == "checkpoint":
        out = checkpointed_hypergrad(unroll, loss_valid, hyper, steps, _check_segment(segment))
    elif method == "reverse":
        out = reversible_hypergrad(unroll, loss_valid, hyper, steps)
    else:
        raise UsageError(f"method must be one of {METHODS}, not {method!r}.")
    loss, grads, final_w, p0_grads, stats = out
    if not math.isfinite(loss):
        raise UsageError(f"the validation loss after training is {loss}: lower the learning rates.")
    return HyperResult(
        loss=loss,
        grad=grads,
        params=unroll.params(final_w),
        params0_grad=unflatten(flatten(params0)[1], list(p0_grads)),
        method=method,
        stats=stats,
    )


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise UsageError(f"steps must be a positive integer, not {steps!r}.")
    return int(steps)


def _check_segment(segment: Any) -> int | None:
    if segment is None:
        return None
    return _check_steps(segment)
