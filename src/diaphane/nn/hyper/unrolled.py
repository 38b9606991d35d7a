"""Hypergradients by plain reverse mode through every step of training.

The whole run — every step's gradient computation included, a derivative nested
inside the derivative — is traced by the engine and pulled back once. This is the
reference the other two ways are checked against: simple, and exact to the last
bit the engine computes, but its trace holds every intermediate value of every
step, so memory grows with ``T`` times the size of one step's trace.

Entry point: :func:`unrolled_hypergrad`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diaphane.autodiff import value_and_grad
from diaphane.nn.hyper.steps import Unroll

__all__ = ["unrolled_hypergrad"]


def unrolled_hypergrad(
    unroll: Unroll, loss_valid: Callable[[Any], Any], hyper: dict, steps: int
) -> tuple[float, dict, list, list, dict]:
    """The validation loss after ``steps`` steps and its gradients, by one traced run.

    Returns:
        ``(loss, hyper_grads, final_w, params0_grads, stats)``; ``final_w`` and
        ``params0_grads`` are lists of leaves.
    """

    def meta(h: dict, p0: list) -> tuple:
        state = unroll.run(unroll.initial(h, p0), h, 0, steps)
        return loss_valid(unroll.params(state[0])), state[0]

    (loss, final_w), (grads, p0_grads) = value_and_grad(meta, argnums=(0, 1), has_aux=True)(
        hyper, list(unroll.params0)
    )
    grads = {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}
    return float(loss), grads, list(final_w), list(p0_grads), {"traced_steps": steps}
