"""Meta-optimising a training schedule: learning rates per step and per layer, and an L2
penalty per layer, learned by gradient descent on the validation loss.

The shape of Maclaurin, Duvenaud & Adams (2015)'s schedule experiment, on a small
MLP (64 inputs, one tanh hidden layer, 10 classes) trained on scikit-learn's 8x8
handwritten digits with momentum SGD on a fixed sequence of minibatches. Each
meta-iteration trains from the same start for ``T`` steps, takes the hypergradient
of the validation loss (:func:`~diaphane.nn.hyper.hypergrad`, exact reversal by
default) and moves the log learning rates and log penalties one Adam step along it.

scikit-learn ships the digits data set. It is a development dependency of diaphane
(and is installed with umap-learn, a runtime one); :func:`load_digits_split` says so
in one line when it is missing rather than making every install carry it.

Entry points: :class:`DigitsMLP`, :func:`load_digits_split`, :func:`learn_schedule`,
:class:`ScheduleResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.errors import UsageError
from diaphane.nn.hyper.core import hypergrad
from diaphane.nn.hyper.steps import momentum_sgd
from diaphane.nn.losses import cross_entropy
from diaphane.nn.optim import Adam

__all__ = ["LAYER_NAMES", "DigitsMLP", "ScheduleResult", "learn_schedule", "load_digits_split"]

LAYER_NAMES = ("layer 1 weights", "layer 1 biases", "layer 2 weights", "layer 2 biases")


def load_digits_split(n_train: int = 1000, n_valid: int = 400, seed: int = 0) -> tuple:
    """scikit-learn's digits, pixels scaled to ``[0, 1]``, shuffled and split three ways.

    Returns:
        ``(x_train, y_train, x_valid, y_valid, x_test, y_test)``; the test split holds
        what is left of the 1,797 images.

    Raises:
        UsageError: scikit-learn is missing, or the splits ask for more images than there are.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise UsageError(
            "the schedule demo trains on scikit-learn's digits: install scikit-learn "
            "(pip install scikit-learn)."
        ) from err
    x, y = load_digits(return_X_y=True)
    if n_train < 1 or n_valid < 1 or n_train + n_valid >= len(y):
        raise UsageError(
            f"digits has {len(y)} images: train ({n_train}) and validation ({n_valid}) "
            "must be positive and leave some for the test split."
        )
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order] / 16.0, y[order].astype(np.int64)
    cut = (n_train, n_train + n_valid)
    return (
        x[: cut[0]],
        y[: cut[0]],
        x[cut[0] : cut[1]],
        y[cut[0] : cut[1]],
        x[cut[1] :],
        y[cut[1] :],
    )


@dataclass
class DigitsMLP:
    """A one-hidden-layer tanh MLP on the digits, with a fixed sequence of minibatches.

    Build it with :meth:`load`. ``train_loss(params, t)`` is the cross-entropy of the
    ``t``-th minibatch (the training images in a fixed shuffled order, cycled), so a
    run from the same start always sees the same data and the validation loss after
    ``T`` steps is a deterministic function of the hyperparameters.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    hidden: int = 50
    batch: int = 50

    @classmethod
    def load(
        cls, n_train: int = 1000, n_valid: int = 400, hidden: int = 50, batch: int = 50, seed=0
    ) -> DigitsMLP:
        """The digits split by :func:`load_digits_split`, and the network's sizes."""
        if hidden < 1 or batch < 1:
            raise UsageError(f"hidden ({hidden}) and batch ({batch}) must be at least 1.")
        x_train, y_train, x_valid, y_valid, x_test, y_test = load_digits_split(
            n_train, n_valid, seed
        )
        return cls(x_train, y_train, x_valid, y_valid, x_test, y_test, hidden, batch)

    def init_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Weights drawn ``N(0, 1 / fan_in)``, zero biases (float64)."""
        rng = np.random.default_rng(seed)
        n_in, n_out = self.x_train.shape[1], 10
        return {
            "W1": rng.standard_normal((n_in, self.hidden)) / np.sqrt(n_in),
            "b1": np.zeros(self.hidden),
            "W2": rng.standard_normal((self.hidden, n_out)) / np.sqrt(self.hidden),
            "b2": np.zeros(n_out),
        }

    @staticmethod
    def logits(params: Any, x: np.ndarray) -> Any:
        h = dnp.tanh(x @ params["W1"] + params["b1"])
        return h @ params["W2"] + params["b2"]

    def train_loss(self, params: Any, t: int) -> Any:
        """The mean cross-entropy of minibatch ``t``."""
        rows = (t * self.batch + np.arange(self.batch)) % len(self.y_train)
        return cross_entropy(self.logits(params, self.x_train[rows]), self.y_train[rows])

    def valid_loss(self, params: Any) -> Any:
        return cross_entropy(self.logits(params, self.x_valid), self.y_valid)

    def test_loss(self, params: Any) -> float:
        return float(cross_entropy(self.logits(params, self.x_test), self.y_test))

    def test_accuracy(self, params: Any) -> float:
        return float(np.mean(np.argmax(self.logits(params, self.x_test), -1) == self.y_test))


@dataclass
class ScheduleResult:
    """A learned schedule and how the validation loss fell while learning it.

    Attributes:
        lr: The learned learning rates, ``(T, L)``: one column per layer (``names``).
        lr_start: The schedule meta-optimisation started from.
        l2: The learned L2 penalty per layer, ``(L,)``; ``l2_start`` where it started.
        meta_losses: The validation loss after training at each meta-iteration; the
            last entry is measured with the final hyperparameters.
        test_loss / test_accuracy: ``(start, end)`` on the test split.
        names: The layers' names.
        method: The hypergradient method used.
    """

    lr: np.ndarray
    lr_start: np.ndarray
    l2: np.ndarray
    l2_start: np.ndarray
    meta_losses: list[float]
    test_loss: tuple[float, float]
    test_accuracy: tuple[float, float]
    names: tuple[str, ...] = LAYER_NAMES
    method: str = "reverse"


def learn_schedule(
    problem: DigitsMLP,
    steps: int = 100,
    meta_iterations: int = 20,
    meta_lr: float = 0.1,
    lr: float = 0.3,
    momentum: float = 0.9,
    l2: float = 1e-3,
    method: str = "reverse",
    seed: int = 0,
    callback: Callable[[int, float], None] | None = None,
) -> ScheduleResult:
    """Learn per-step, per-layer learning rates and per-layer L2 penalties.

    The meta-parameters are the logs of the rates and penalties (so they stay
    positive); each meta-iteration takes one Adam step of size ``meta_lr`` on them.

    Args:
        problem: The network and data.
        steps: ``T``, training steps per run.
        meta_iterations: Meta-gradient steps.
        meta_lr: Adam's step size on the log hyperparameters.
        lr, momentum, l2: Where the schedule starts (momentum stays fixed).
        method: The hypergradient method (``"reverse"``, ``"checkpoint"``, ``"unrolled"``).
        seed: Seeds the initial weights.
        callback: Called as ``callback(iteration, validation_loss)`` after every run.

    Returns:
        A :class:`ScheduleResult`.
    """
    params0 = problem.init_params(seed)
    n = len(params0)
    meta = {"log_lr": np.full((steps, n), np.log(lr)), "log_l2": np.full(n, np.log(l2))}
    start = {k: v.copy() for k, v in meta.items()}
    optimizer = Adam(lr=meta_lr)
    losses: list[float] = []
    step = momentum_sgd(problem.train_loss)
    for i in range(meta_iterations + 1):
        hyper = _hyper(meta, momentum)
        result = hypergrad(step, problem.valid_loss, hyper, params0, steps, method=method)
        losses.append(result.loss)
        if callback is not None:
            callback(i, result.loss)
        if i == 0:
            first = result.params
        if i < meta_iterations:
            grads = {
                "log_lr": result.grad["lr"] * hyper["lr"],
                "log_l2": result.grad["l2"] * hyper["l2"],
            }
            optimizer.step(meta, grads)
    return ScheduleResult(
        lr=np.exp(meta["log_lr"]),
        lr_start=np.exp(start["log_lr"]),
        l2=np.exp(meta["log_l2"]),
        l2_start=np.exp(start["log_l2"]),
        meta_losses=losses,
        test_loss=(problem.test_loss(first), problem.test_loss(result.params)),
        test_accuracy=(problem.test_accuracy(first), problem.test_accuracy(result.params)),
        method=method,
    )


def _hyper(meta: dict, momentum: float) -> dict[str, np.ndarray]:
    return {
        "lr": np.exp(meta["log_lr"]),
        "momentum": np.asarray(float(momentum)),
        "l2": np.exp(meta["log_l2"]),
        "init_scale": np.asarray(1.0),
    }
