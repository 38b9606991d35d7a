"""A learned optimizer: a coordinate-wise LSTM trained by gradient descent on the
optimisation it performs (Andrychowicz et al. 2016, "Learning to learn by gradient
descent by gradient descent").

The optimizer is a two-layer LSTM applied to every coordinate of the optimisee
separately, with shared weights and a state per coordinate. It reads the gradient
(preprocessed as in the paper's appendix: ``(log|g| / p, sign g)`` for ``|g| >= e^-p``,
``(-1, e^p g)`` below) and writes the coordinate's update. Its weights are trained
on random quadratics (:mod:`~diaphane.nn.hyper.quadratics`) by backpropagating
through unrolled optimisation: every ``unroll`` steps of a ``horizon``-step run, the
mean optimisee loss over those steps is differentiated with respect to the LSTM's
weights (truncated backpropagation through time: the run continues from where it
is, its past no longer traced), and Adam takes one step on them.

Entry points: :class:`LSTMOptimizer`, :func:`train_learned_optimizer`,
:func:`compare_optimizers`, :class:`Comparison`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff import getval, value_and_grad
from diaphane.errors import UsageError
from diaphane.nn.hyper.quadratics import LR_GRID, Quadratics, run_adam, run_sgd, tune_lr
from diaphane.nn.optim import Adam
from diaphane.scipy.special import expit

__all__ = ["Comparison", "LSTMOptimizer", "compare_optimizers", "train_learned_optimizer"]

PREPROCESS_P = 10.0
LAYERS = 2
CLIP = 1.0  # global norm limit on each meta-gradient


def preprocess(g: Any, p: float = PREPROCESS_P) -> tuple[Any, Any]:
    """The paper's log-and-sign features of each gradient entry (two arrays, shape of ``g``)."""
    big = np.abs(getval(g)) >= np.exp(-p)
    safe = dnp.where(big, dnp.abs(g), 1.0)  # keeps log away from 0 where it is not used
    first = dnp.where(big, dnp.log(safe) / p, -1.0)
    second = dnp.where(big, dnp.sign(g), np.exp(p) * g)
    return first, second


@dataclass
class LSTMOptimizer:
    """A coordinate-wise two-layer LSTM that maps gradients to updates.

    Attributes:
        params: The weights: per layer ``Wx{k}``, ``Wh{k}``, ``b{k}`` (gates in the
            order input, forget, output, cell), and the output layer ``Wo``, ``bo``.
        hidden: LSTM units per layer.
        scale: The output is multiplied by this (the paper's output scale).
    """

    params: dict[str, np.ndarray]
    hidden: int = 20
    scale: float = 0.1

    @classmethod
    def create(cls, hidden: int = 20, scale: float = 0.1, seed: int = 0) -> LSTMOptimizer:
        """Fresh weights: uniform in ``±1/sqrt(hidden)``, forget gates biased open."""
        if hidden < 1:
            raise UsageError(f"the LSTM needs at least one hidden unit, not {hidden}.")
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(hidden)
        params: dict[str, np.ndarray] = {}
        n_in = 2
        for k in range(LAYERS):
            params[f"Wx{k}"] = rng.uniform(-bound, bound, (n_in, 4 * hidden))
            params[f"Wh{k}"] = rng.uniform(-bound, bound, (hidden, 4 * hidden))
            bias = np.zeros(4 * hidden)
            bias[hidden : 2 * hidden] = 1.0  # remember by default
            params[f"b{k}"] = bias
            n_in = hidden
        params["Wo"] = rng.uniform(-bound, bound, (hidden, 1))
        params["bo"] = np.zeros(1)
        return cls(params, hidden, scale)

    def initial_state(self, n: int) -> list:
        """Zero ``(h, c)`` for every layer, one row per coordinate."""
        return [(np.zeros((n, self.hidden)), np.zeros((n, self.hidden))) for _ in range(LAYERS)]

    def step(self, params: Any, grad: Any, state: list) -> tuple[Any, list]:
        """The update for every coordinate of ``grad`` (any shape) and the new state.

        ``params`` is passed in (rather than read from ``self``) so it can be traced.
        """
        shape = np.shape(getval(grad))
        first, second = preprocess(dnp.reshape(grad, (-1, 1)))
        x = dnp.concatenate([first, second], axis=1)
        new_state = []
        for k, (h, c) in enumerate(state):
            h, c = self._cell(params, k, x, h, c)
            new_state.append((h, c))
            x = h
        out = (x @ params["Wo"] + params["bo"]) * self.scale
        return dnp.reshape(out, shape), new_state

    def _cell(self, params: Any, k: int, x: Any, h: Any, c: Any) -> tuple[Any, Any]:
        z = x @ params[f"Wx{k}"] + h @ params[f"Wh{k}"] + params[f"b{k}"]
        n = self.hidden
        gates = expit(z[:, : 3 * n])  # one call for the three sigmoid gates
        i, f, o = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n :]
        c = f * c + i * dnp.tanh(z[:, 3 * n :])
        return o * dnp.tanh(c), c

    def run(self, problems: Quadratics, steps: int) -> np.ndarray:
        """Loss curves on ``problems``, ``(n, steps + 1)`` (inf where a run diverged)."""
        theta = problems.theta0.copy()
        state = self.initial_state(theta.size)
        losses = [problems.loss(theta)]
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                delta, state = self.step(self.params, problems.gradient(theta), state)
                theta = theta + delta
                losses.append(problems.loss(theta))
        curves = np.stack(losses, axis=1)
        return np.where(np.isfinite(curves), curves, np.inf)


def _segment_loss(opt: LSTMOptimizer, problems: Quadratics, unroll: int) -> Callable:
    """The mean optimisee loss over ``unroll`` steps, as a function of the LSTM weights
    and where the run stands; the new standing comes back as aux (no longer traced)."""

    def loss(params: Any, theta: Any, state: list) -> tuple[Any, tuple]:
        total = 0.0
        for _ in range(unroll):
            delta, state = opt.step(params, problems.gradient(theta), state)
            theta = theta + delta
            total = total + dnp.mean(dnp.log(problems.loss(theta)))
        return total / unroll, (theta, state)

    return loss


def train_learned_optimizer(
    meta_iterations: int = 400,
    dim: int = 10,
    batch: int = 32,
    horizon: int = 100,
    unroll: int = 20,
    meta_lr: float = 0.005,
    hidden: int = 20,
    seed: int = 0,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[LSTMOptimizer, list[float]]:
    """Train an :class:`LSTMOptimizer` on fresh random quadratics.

    Args:
        meta_iterations: Runs of ``horizon`` steps, each on a new batch of problems.
        dim: The problems' dimension.
        batch: Problems per run.
        horizon: Optimisation steps per run.
        unroll: Steps per truncation (one meta-gradient step each).
        meta_lr: Adam's step size on the LSTM weights.
        hidden: LSTM units per layer.
        seed: Seeds the weights and the problems.
        callback: Called as ``callback(iteration, meta_loss)`` after every run.

    Returns:
        ``(optimizer, meta_losses)``: the mean optimisee loss over each run's steps.
    """
    for name, value in (("meta_iterations", meta_iterations), ("unroll", unroll)):
        if value < 1:
            raise UsageError(f"{name} must be at least 1, not {value}.")
    opt = LSTMOptimizer.create(hidden, seed=seed)
    rng = np.random.default_rng(seed + 1)
    truncations = max(horizon // unroll, 1)
    meta_opt = Adam(lr=_cosine(meta_lr, meta_iterations * truncations))
    losses = []
    for it in range(meta_iterations):
        problems = Quadratics.sample(batch, dim, rng)
        theta, state = problems.theta0, opt.initial_state(batch * dim)
        segment = value_and_grad(_segment_loss(opt, problems, unroll), has_aux=True)
        total = 0.0
        for _ in range(truncations):
            (loss, (theta, state)), g = segment(opt.params, theta, state)
            meta_opt.step(opt.params, _clipped(g, CLIP))
            total += float(loss)
        losses.append(total / truncations)
        if callback is not None:
            callback(it, losses[-1])
    return opt, losses


def _cosine(lr: float, total: int) -> Callable[[int], float]:
    """From ``lr`` down to ``lr / 10`` along half a cosine over ``total`` steps: the late,
    small steps settle the weights that the early ones found."""
    return lambda step: lr * (0.1 + 0.45 * (1.0 + np.cos(np.pi * min(step - 1, total) / total)))


def _clipped(grads: dict[str, np.ndarray], limit: float) -> dict[str, np.ndarray]:
    """``grads`` scaled down to global norm ``limit`` if longer: one unlucky batch of
    problems (a run that blew up) must not throw the weights far."""
    norm = float(np.sqrt(sum(np.vdot(g, g) for g in grads.values())))
    if not np.isfinite(norm):
        return {k: np.zeros_like(v) for k, v in grads.items()}
    return grads if norm <= limit else {k: v * (limit / norm) for k, v in grads.items()}


@dataclass
class Comparison:
    """Loss curves of the learned optimizer and the tuned baselines on held-out problems.

    Attributes:
        curves: ``{name: (n, steps + 1)}`` for ``"learned"``, ``"SGD"``, ``"Adam"``.
        learning_rates: The tuned learning rate of each baseline.
        steps: Optimisation steps.
    """

    curves: dict[str, np.ndarray]
    learning_rates: dict[str, float]
    steps: int

    def median_final(self) -> dict[str, float]:
        """Each optimizer's median final loss over the held-out problems."""
        return {name: float(np.median(c[:, -1])) for name, c in self.curves.items()}


def compare_optimizers(
    learned: LSTMOptimizer,
    tune_problems: Quadratics,
    test_problems: Quadratics,
    steps: int = 100,
    grid: tuple[float, ...] = LR_GRID,
) -> Comparison:
    """Tune SGD's and Adam's learning rates on ``tune_problems``, then run all three on
    ``test_problems``."""
    lr_sgd, _ = tune_lr(run_sgd, tune_problems, steps, grid)
    lr_adam, _ = tune_lr(run_adam, tune_problems, steps, grid)
    curves = {
        "learned": learned.run(test_problems, steps),
        "SGD": run_sgd(test_problems, lr_sgd, steps),
        "Adam": run_adam(test_problems, lr_adam, steps),
    }
    return Comparison(curves, {"SGD": lr_sgd, "Adam": lr_adam}, steps)
