"""Hypergradients by reverse mode with checkpointing: memory ``O(sqrt(T))``.

The forward run keeps only the optimiser state at the start of every segment of
``k = ceil(sqrt(T))`` steps. The backward sweep then takes the segments from the
last to the first: it runs the segment again from its checkpoint, this time
traced, pulls the cotangents back through it, and drops it. At most ``T / k``
checkpoints and one segment of ``k`` traced steps are alive at once, so memory is
``O(sqrt(T))`` states, for one more forward run in time (Griewank's trade).

For momentum SGD the rerun keeps each step's gradient trace (``vjp`` of the
training gradient), and the backward sweep applies the hand-derived adjoint of
:mod:`~diaphane.nn.hyper.adjoint` with ``H_t u`` pulled back through that trace
(reverse over reverse: the rerun's trace is the Hessian-vector product's forward
half). For Adam the engine pulls back through the whole traced segment.

Entry points: :func:`checkpointed_hypergrad`, :func:`segment_length`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from diaphane.autodiff import value_and_grad, vjp
from diaphane.nn.hyper.adjoint import adjoint_step, init_adjoint, zero_grads
from diaphane.nn.hyper.steps import Unroll

__all__ = ["checkpointed_hypergrad", "segment_length"]


def segment_length(steps: int) -> int:
    """``ceil(sqrt(steps))``: the segment length that balances checkpoints against reruns."""
    return math.isqrt(max(steps, 1) - 1) + 1


def checkpointed_hypergrad(
    unroll: Unroll,
    loss_valid: Callable[[Any], Any],
    hyper: dict,
    steps: int,
    segment: int | None = None,
) -> tuple[float, dict, list, list, dict]:
    """The validation loss after ``steps`` steps and its gradients, with checkpointing.

    Args:
        unroll: The run.
        loss_valid: ``loss_valid(params)``, the validation loss.
        hyper: The hyperparameters (checked float64 arrays).
        steps: ``T``.
        segment: Steps per segment (default :func:`segment_length`).

    Returns:
        ``(loss, hyper_grads, final_w, params0_grads, stats)``; ``stats`` counts the
        checkpoints kept (``stored_states``), the segment length and the most states
        held at once (``peak_states``: checkpoints plus one segment's steps).
    """
    k = segment or segment_length(steps)
    checkpoints, final = _forward(unroll, hyper, steps, k)
    stats = {"segment": k, "stored_states": len(checkpoints)}
    stats["peak_states"] = len(checkpoints) + k
    loss, dw = value_and_grad(lambda ws: loss_valid(unroll.params(ws)))(list(final[0]))
    cot = _zero_cotangent(final, list(dw))
    grads = zero_grads(hyper)
    backward = _momentum_segment if unroll.train_step.optimizer == "momentum" else _segment
    for start in sorted(checkpoints, reverse=True):
        stop = min(start + k, steps)
        cot = backward(unroll, hyper, grads, checkpoints.pop(start), start, stop, cot)
    p0_grads = init_adjoint(hyper, grads, list(cot[0]), unroll.params0)
    return float(loss), grads, list(final[0]), p0_grads, stats


def _forward(unroll: Unroll, hyper: dict, steps: int, k: int) -> tuple[dict[int, tuple], tuple]:
    """The states at the start of every segment, and the final state."""
    state = unroll.initial(hyper)
    checkpoints = {0: state}
    for t in range(steps):
        state = unroll.advance(state, hyper, t)
        if (t + 1) % k == 0 and t + 1 < steps:
            checkpoints[t + 1] = state  # every step makes new arrays: no copy needed
    return checkpoints, state


def _zero_cotangent(state: tuple, dw: list) -> tuple:
    """``(dw, 0, ...)``: the validation loss depends on the final weights only."""
    rest = [[np.zeros_like(np.asarray(x, dtype=np.float64)) for x in part] for part in state[1:]]
    return (dw, *rest)


def _momentum_segment(unroll, hyper, grads, state, start, stop, cot) -> tuple:
    """Rerun a momentum-SGD segment keeping each step's gradient trace; pull back."""
    tape = []
    w, v = state
    for t in range(start, stop):
        raw_g, pull = vjp(lambda ws, t=t: unroll.gradient(ws, t), list(w))
        g = unroll.with_l2(list(raw_g), w, hyper, t)
        w_next, v_next = unroll.update((w, v), g, hyper, t)
        tape.append((t, w, v, v_next, g, pull))
        w, v = w_next, v_next
    while tape:
        t, w, v, v_next, g, pull = tape.pop()  # popping frees the step's trace
        cot = adjoint_step(hyper, grads, t, cot, (w, v), v_next, g, _hvp(pull))
    return cot


def _hvp(pull: Callable) -> Callable[[list], list]:
    """``u -> H u`` from the pullback of a gradient (the Hessian is symmetric)."""
    return lambda u: list(pull(u)[0])


def _segment(unroll, hyper, grads, state, start, stop, cot) -> tuple:
    """Pull ``cot`` back through a whole traced segment (any update rule)."""
    _, pull = vjp(lambda s, h: unroll.run(s, h, start, stop), state, hyper)
    cot_state, cot_hyper = pull(cot)
    for key, value in cot_hyper.items():
        grads[key] += value
    return cot_state
