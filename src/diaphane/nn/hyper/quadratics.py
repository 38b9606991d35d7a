"""Random quadratics, the problem family of Andrychowicz et al. (2016), and the
hand-tuned optimisers a learned one is measured against.

A problem is ``f(theta) = ||W theta - y||^2`` with ``W`` (``d x d``) and ``y`` drawn
``N(0, 1)`` and ``theta`` starting near zero (``N(0, 0.01^2)``). A
:class:`Quadratics` holds a batch of them and evaluates all at once; the losses and
gradients are written with :mod:`diaphane.numpy`, so a learned optimizer can be
trained by differentiating through them.

:func:`run_sgd` and :func:`run_adam` give the loss curves of the classic optimisers,
and :func:`tune_lr` picks their learning rate on a grid by the median final loss on
training problems — the "tuned" baselines.

Entry points: :class:`Quadratics`, :func:`run_sgd`, :func:`run_adam`, :func:`tune_lr`,
:data:`LR_GRID`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.errors import UsageError

__all__ = ["LR_GRID", "Quadratics", "run_adam", "run_sgd", "tune_lr"]

LR_GRID = tuple(float(x) for x in np.logspace(-4, 1, 21))  # five decades, 4 per decade


@dataclass(frozen=True)
class Quadratics:
    """A batch of ``n`` problems ``||W theta - y||^2`` in ``d`` dimensions.

    Attributes:
        W: ``(n, d, d)``.
        y: ``(n, d)``.
        theta0: ``(n, d)``, where every optimiser starts.
    """

    W: np.ndarray
    y: np.ndarray
    theta0: np.ndarray

    @classmethod
    def sample(cls, n: int, dim: int = 10, seed: int | np.random.Generator = 0) -> Quadratics:
        """``n`` problems drawn from the family."""
        if n < 1 or dim < 1:
            raise UsageError(f"need at least one problem and one dimension, not {n} and {dim}.")
        rng = np.random.default_rng(seed)
        W = rng.standard_normal((n, dim, dim))
        y = rng.standard_normal((n, dim))
        return cls(W, y, 0.01 * rng.standard_normal((n, dim)))

    def __len__(self) -> int:
        return len(self.y)

    @property
    def dim(self) -> int:
        return self.y.shape[1]

    def residual(self, theta: Any) -> Any:
        return dnp.einsum("nij,nj->ni", self.W, theta) - self.y

    def loss(self, theta: Any) -> Any:
        """Each problem's loss, shape ``(n,)``."""
        r = self.residual(theta)
        return dnp.sum(r * r, axis=1)

    def gradient(self, theta: Any) -> Any:
        """Each problem's gradient, ``2 W^T (W theta - y)``, shape ``(n, d)``."""
        return 2.0 * dnp.einsum("nji,nj->ni", self.W, self.residual(theta))


def _curve(problems: Quadratics, steps: int, update: Callable[[np.ndarray, int], np.ndarray]):
    """The loss at every step of a run whose step is ``theta += update(grad, t)``."""
    theta = problems.theta0.copy()
    losses = [problems.loss(theta)]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            theta = theta + update(problems.gradient(theta), t)
            losses.append(problems.loss(theta))
    return np.stack(losses, axis=1)


def run_sgd(problems: Quadratics, lr: float, steps: int) -> np.ndarray:
    """Loss curves of plain gradient descent, ``(n, steps + 1)`` (inf where it diverged)."""
    return _finite(_curve(problems, steps, lambda g, t: -lr * g))


def run_adam(
    problems: Quadratics, lr: float, steps: int, b1: float = 0.9, b2: float = 0.999, eps=1e-8
) -> np.ndarray:
    """Loss curves of Adam (Kingma & Ba, with bias correction), ``(n, steps + 1)``."""
    m = np.zeros_like(problems.theta0)
    v = np.zeros_like(problems.theta0)

    def update(g: np.ndarray, t: int) -> np.ndarray:
        m[:] = b1 * m + (1 - b1) * g
        v[:] = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))
        return -lr * mhat / (np.sqrt(vhat) + eps)

    return _finite(_curve(problems, steps, update))


def _finite(curves: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(curves), curves, np.inf)


def tune_lr(
    run: Callable[[Quadratics, float, int], np.ndarray],
    problems: Quadratics,
    steps: int,
    grid: tuple[float, ...] = LR_GRID,
) -> tuple[float, dict[float, float]]:
    """The learning rate of ``grid`` with the lowest median final loss on ``problems``.

    Returns:
        ``(best_lr, {lr: median final loss})``.
    """
    scores = {lr: float(np.median(run(problems, lr, steps)[:, -1])) for lr in grid}
    return min(scores, key=lambda lr: scores[lr]), scores
