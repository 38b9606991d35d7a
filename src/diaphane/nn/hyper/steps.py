"""The training runs that hypergradients differentiate through: the update rules and
their hyperparameters.

A run starts from ``w_0 = init_scale * params0`` with zero optimiser state and takes
``steps`` updates on the training loss. Two update rules, written with
:mod:`diaphane.numpy` so that the engine can trace them:

- **momentum SGD** in the form of Maclaurin, Duvenaud & Adams (2015), whose exact
  reversal :mod:`~diaphane.nn.hyper.reversible` implements::

      g = grad L_t(w) + l2 * w
      v = momentum * v - (1 - momentum) * g
      w = w + lr * v

- **Adam**, with ``momentum`` as its first-moment decay ``b1``; the bias correction
  uses the product of the ``b1`` of the steps so far (``b1**t`` when it is constant),
  and ``eps`` sits inside the square root (optax's ``eps_root``) so that the update is
  smooth where a gradient is exactly zero::

      m = b1 m + (1 - b1) g;   s = b2 s + (1 - b2) g**2
      w = w - lr * (m / (1 - prod b1)) / sqrt(s / (1 - b2**t) + eps**2)

Hyperparameters are a dict of float arrays (:func:`make_hyper` builds one):

=============  ==============================  ==========================================
key            shapes                          meaning
=============  ==============================  ==========================================
``lr``         ``(T,)`` or ``(T, L)``          learning rate of each step (and leaf)
``momentum``   ``()``, ``(T,)`` or ``(T, L)``  momentum (Adam's ``b1``)
``l2``         ``()`` or ``(L,)``              L2 penalty, per leaf
``init_scale`` ``()`` or ``(L,)``              scale of the initial weights, per leaf
=============  ==============================  ==========================================

``T`` is the number of steps and ``L`` the number of leaves of the parameter tree, in
:func:`~diaphane.autodiff.flatten` order (for ``{"W1", "b1", "W2", "b2"}``: one
entry per weight matrix and bias vector).

Entry points: :class:`TrainStep`, :func:`momentum_sgd`, :func:`adam`,
:func:`make_hyper`, :func:`check_hyper`, :class:`Unroll`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff import flatten, getval, grad, unflatten
from diaphane.errors import UsageError

__all__ = [
    "HYPER_KEYS",
    "TrainStep",
    "Unroll",
    "adam",
    "check_hyper",
    "make_hyper",
    "momentum_sgd",
]

HYPER_KEYS = ("lr", "momentum", "l2", "init_scale")
PER_STEP = frozenset({"lr", "momentum"})
OPTIMIZERS = ("momentum", "adam")

Loss = Callable[[Any, int], Any]


@dataclass(frozen=True)
class TrainStep:
    """One step of training: the loss it descends and the update rule.

    Args:
        loss: ``loss(params, t)``, the training loss of step ``t`` (its minibatch) as a
            scalar; written with :mod:`diaphane.numpy` so that it can be traced.
        optimizer: ``"momentum"`` (Maclaurin's momentum SGD) or ``"adam"``.
        beta2: Adam's second-moment decay (fixed, not a hyperparameter here).
        eps: Adam's ``eps``.
    """

    loss: Loss
    optimizer: str = "momentum"
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}.")
        if not callable(self.loss):
            raise UsageError("a TrainStep needs a callable loss(params, t).")


def momentum_sgd(loss: Loss) -> TrainStep:
    """Momentum SGD on ``loss(params, t)`` (the rule of Maclaurin et al. 2015)."""
    return TrainStep(loss, "momentum")


def adam(loss: Loss, beta2: float = 0.999, eps: float = 1e-8) -> TrainStep:
    """Adam on ``loss(params, t)``; the ``momentum`` hyperparameter is its ``b1``."""
    return TrainStep(loss, "adam", beta2, eps)


def make_hyper(
    params0: Any,
    steps: int,
    lr: float = 0.1,
    momentum: float = 0.9,
    l2: float = 0.0,
    init_scale: float = 1.0,
    per_leaf: bool = False,
) -> dict[str, np.ndarray]:
    """Constant hyperparameters for ``steps`` steps, as float64 arrays.

    With ``per_leaf`` every leaf of ``params0`` gets its own learning rate at every
    step, its own momentum, L2 penalty and initial scale; otherwise one of each is
    shared (the learning rate still has one entry per step).

    >>> h = make_hyper({"w": np.zeros(3), "b": np.zeros(1)}, 5, per_leaf=True)
    >>> {k: v.shape for k, v in h.items()}
    {'lr': (5, 2), 'momentum': (5, 2), 'l2': (2,), 'init_scale': (2,)}
    """
    n = len(flatten(params0)[0])
    step_shape: tuple[int, ...] = (steps, n) if per_leaf else (steps,)
    leaf_shape: tuple[int, ...] = (n,) if per_leaf else ()
    return {
        "lr": np.full(step_shape, float(lr)),
        "momentum": np.full(step_shape if per_leaf else (), float(momentum)),
        "l2": np.full(leaf_shape, float(l2)),
        "init_scale": np.full(leaf_shape, float(init_scale)),
    }


def check_hyper(hyper: dict, steps: int, n_leaves: int) -> dict[str, np.ndarray]:
    """``hyper`` as float64 arrays, with every key present and every shape allowed.

    Raises:
        UsageError: a key is missing or unknown, a shape does not fit, a value is not finite.
    """
    if not isinstance(hyper, dict) or set(hyper) != set(HYPER_KEYS):
        got = sorted(hyper) if isinstance(hyper, dict) else type(hyper).__name__
        raise UsageError(f"hyper must be a dict with keys {list(HYPER_KEYS)}; got {got}.")
    out = {}
    for key in HYPER_KEYS:
        value = np.asarray(getval(hyper[key]), dtype=np.float64)
        allowed = _allowed_shapes(key, steps, n_leaves)
        if value.shape not in allowed:
            raise UsageError(
                f"hyper[{key!r}] has shape {value.shape}; it must be one of "
                f"{sorted(set(allowed))} (T = {steps} steps, L = {n_leaves} leaves)."
            )
        if not np.all(np.isfinite(value)):
            raise UsageError(f"hyper[{key!r}] holds a NaN or infinite value.")
        out[key] = value
    return out


def _allowed_shapes(key: str, steps: int, n: int) -> list[tuple[int, ...]]:
    if key == "lr":
        return [(steps,), (steps, n)]
    if key == "momentum":
        return [(), (steps,), (steps, n)]
    return [(), (n,)]


def pick(hyper: dict, key: str, step: int, leaf: int) -> Any:
    """The value of ``hyper[key]`` at ``step`` for ``leaf`` (traced values stay traced)."""
    value = hyper[key]
    ndim = np.ndim(getval(value))
    if key in PER_STEP and ndim:
        value, ndim = value[step], ndim - 1
    return value[leaf] if ndim else value


class Unroll:
    """A training run as functions of the optimiser state and the hyperparameters.

    The state is a tuple of lists of leaves: ``(w, v)`` for momentum SGD and
    ``(w, m, s, c1)`` for Adam (``c1`` holds each leaf's product of the ``b1`` so far).
    Every method works on plain arrays and on traced ones alike.

    Args:
        train_step: The loss and update rule.
        params0: The initial parameter tree (scaled by ``init_scale``).
    """

    def __init__(self, train_step: TrainStep, params0: Any) -> None:
        self.train_step = train_step
        self.params0, self.structure = flatten(params0)
        self.params0 = [np.asarray(p, dtype=np.float64) for p in self.params0]
        self.n_leaves = len(self.params0)

    def params(self, w: list) -> Any:
        """The leaves ``w`` as a parameter tree."""
        return unflatten(self.structure, list(w))

    def gradient(self, w: list, t: int) -> list:
        """The gradient of the training loss of step ``t`` at ``w`` (no L2 term)."""
        loss = self.train_step.loss
        return grad(lambda ws: loss(unflatten(self.structure, ws), t))(list(w))

    def initial(self, hyper: dict, params0: list | None = None) -> tuple:
        """The state before the first step."""
        p0 = self.params0 if params0 is None else params0
        w = [pick(hyper, "init_scale", 0, i) * p for i, p in enumerate(p0)]
        zeros = [np.zeros_like(p) for p in self.params0]
        if self.train_step.optimizer == "momentum":
            return (w, zeros)
        return (w, zeros, [np.zeros_like(p) for p in self.params0], [1.0] * self.n_leaves)

    def advance(self, state: tuple, hyper: dict, t: int) -> tuple:
        """The state after step ``t`` (counted from 0)."""
        return self.update(
            state, self.with_l2(self.gradient(state[0], t), state[0], hyper, t), hyper, t
        )

    def with_l2(self, g: list, w: list, hyper: dict, t: int) -> list:
        """The gradient ``g`` of the training loss plus the L2 term ``l2 * w``."""
        return [
            gi + pick(hyper, "l2", t, i) * wi for i, (gi, wi) in enumerate(zip(g, w, strict=True))
        ]

    def update(self, state: tuple, g: list, hyper: dict, t: int) -> tuple:
        """The state after step ``t`` given its gradient ``g`` (L2 term included)."""
        if self.train_step.optimizer == "momentum":
            return self._momentum(state, g, hyper, t)
        return self._adam(state, g, hyper, t)

    def _momentum(self, state: tuple, g: list, hyper: dict, t: int) -> tuple:
        w_new, v_new = [], []
        for i, (wi, vi, gi) in enumerate(zip(*state, g, strict=True)):
            gamma = pick(hyper, "momentum", t, i)
            vi = gamma * vi - (1.0 - gamma) * gi
            v_new.append(vi)
            w_new.append(wi + pick(hyper, "lr", t, i) * vi)
        return (w_new, v_new)

    def _adam(self, state: tuple, g: list, hyper: dict, t: int) -> tuple:
        b2, eps2 = self.train_step.beta2, self.train_step.eps**2
        out: tuple[list, list, list, list] = ([], [], [], [])
        for i, (wi, mi, si, ci, gi) in enumerate(zip(*state, g, strict=True)):
            b1 = pick(hyper, "momentum", t, i)
            ci = ci * b1
            mi = b1 * mi + (1.0 - b1) * gi
            si = b2 * si + (1.0 - b2) * gi * gi
            denom = dnp.sqrt(si / (1.0 - b2 ** (t + 1)) + eps2)
            out[0].append(wi - pick(hyper, "lr", t, i) * (mi / (1.0 - ci)) / denom)
            out[1].append(mi)
            out[2].append(si)
            out[3].append(ci)
        return out

    def run(self, state: tuple, hyper: dict, start: int, stop: int) -> tuple:
        """The state after steps ``start`` … ``stop - 1``."""
        for t in range(start, stop):
            state = self.advance(state, hyper, t)
        return state
