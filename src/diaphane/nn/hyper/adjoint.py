"""One step of momentum SGD run backwards in derivatives: the adjoint that both the
checkpointed and the exact-reversal hypergradients apply, step by step from the last.

For the step ``t`` (see :mod:`~diaphane.nn.hyper.steps`)::

    g_t     = grad L_t(w_t) + l2 * w_t
    v_{t+1} = gamma_t v_t - (1 - gamma_t) g_t
    w_{t+1} = w_t + alpha_t v_{t+1}

the cotangents ``dw = dF/dw_{t+1}`` and ``dv = dF/dv_{t+1}`` of the final loss ``F``
pull back to the step's inputs and hyperparameters (Maclaurin et al. 2015, Algorithm 2)::

    dalpha_t += <dw, v_{t+1}>
    dv'       = dv + alpha_t dw
    dgamma_t += <dv', v_t + g_t>
    dg        = -(1 - gamma_t) dv'
    dl2      += <dg, w_t>
    dw_t      = dw + l2 dg + H_t dg          (H_t: the Hessian of L_t at w_t)
    dv_t      = gamma_t dv'

The two callers differ only in how they get ``w_t`` and ``v_t`` back: by running the
segment again from a checkpoint, or by exact reversal. ``H_t dg`` comes from the engine.

Entry points: :func:`zero_grads`, :func:`accumulate`, :func:`adjoint_step`,
:func:`init_adjoint`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from diaphane.nn.hyper.steps import PER_STEP, pick

__all__ = ["accumulate", "adjoint_step", "init_adjoint", "zero_grads"]


def zero_grads(hyper: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Zero cotangents shaped like ``hyper``."""
    return {k: np.zeros_like(v) for k, v in hyper.items()}


def accumulate(grads: dict[str, np.ndarray], key: str, step: int, leaf: int, value: float) -> None:
    """Add ``value`` where :func:`~diaphane.nn.hyper.steps.pick` reads ``hyper[key]``."""
    target = grads[key]
    index: tuple[int, ...] = ()
    ndim = target.ndim
    if key in PER_STEP and ndim:
        index, ndim = (step,), ndim - 1
    if ndim:
        index = (*index, leaf)
    target[index] += value


def adjoint_step(
    hyper: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    t: int,
    cot: tuple[list, list],
    before: tuple[list, list],
    v_after: list,
    g: list,
    hvp: Callable[[list], list],
) -> tuple[list, list]:
    """Pull ``cot = (dw, dv)`` of step ``t``'s outputs back to its inputs.

    Args:
        hyper: The hyperparameters (float64 arrays).
        grads: The hyperparameter cotangents, added to in place.
        t: The step.
        cot: ``(dw, dv)``, cotangents of ``w_{t+1}`` and ``v_{t+1}`` (lists of leaves).
        before: ``(w_t, v_t)``.
        v_after: ``v_{t+1}``.
        g: ``g_t``, the step's gradient including the L2 term.
        hvp: ``u -> H_t u`` for the training loss alone (no L2 term).

    Returns:
        ``(dw_t, dv_t)``.
    """
    dw, dv = cot
    w, v = before
    dgs, dvs = [], []
    for i in range(len(dw)):
        alpha, gamma = pick(hyper, "lr", t, i), pick(hyper, "momentum", t, i)
        accumulate(grads, "lr", t, i, np.vdot(dw[i], v_after[i]))
        dvt = dv[i] + alpha * dw[i]
        accumulate(grads, "momentum", t, i, np.vdot(dvt, v[i] + g[i]))
        dg = -(1.0 - gamma) * dvt
        accumulate(grads, "l2", t, i, np.vdot(dg, w[i]))
        dgs.append(dg)
        dvs.append(gamma * dvt)
    hdg = hvp(dgs)
    dws = [dw[i] + pick(hyper, "l2", t, i) * dgs[i] + hdg[i] for i in range(len(dw))]
    return dws, dvs


def init_adjoint(
    hyper: dict[str, np.ndarray], grads: dict[str, np.ndarray], dw0: list, params0: list
) -> list:
    """Pull ``dw_0`` back through ``w_0 = init_scale * params0``; returns ``dF/dparams0``."""
    out = []
    for i, (d, p) in enumerate(zip(dw0, params0, strict=True)):
        accumulate(grads, "init_scale", 0, i, np.vdot(d, p))
        out.append(pick(hyper, "init_scale", 0, i) * d)
    return out
