"""Small built-in functions to differentiate, draw and check.

Each example is a function written with :mod:`diaphane.numpy` plus the
arguments to call it with, made fresh (and deterministically) on every call of
:func:`load`. The ``diaphane graph`` and ``diaphane check`` commands use them.

Entry points: :func:`load`, :data:`EXAMPLES`.

>>> fun, args, description = load("logistic")
>>> float(fun(*args))  # doctest: +ELLIPSIS
0.0...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import DiaphaneError, getval

__all__ = ["EXAMPLES", "Example", "load", "log_softmax", "logistic_loss", "mlp_loss"]


class Example(NamedTuple):
    """A function, the arguments to call it with, and one line saying what it is."""

    fun: Callable
    args: tuple
    description: str


def logistic_loss(w: Any, x: Any, b: Any, t: Any) -> Any:
    """The squared error of one logistic unit: L = ½(sigmoid(w·x + b) - t)²."""
    s = 1.0 / (1.0 + dnp.exp(-(w * x + b)))
    return 0.5 * (s - t) ** 2


def log_softmax(z: Any) -> Any:
    """Log-probabilities over the last axis, computed without overflow.

    The shift by the row maximum is taken as a constant: log-softmax does not
    depend on it, so its derivatives (of any order) are exact without one.
    """
    shift = np.max(getval(z), axis=-1, keepdims=True)
    shifted = z - shift
    return shifted - dnp.log(dnp.sum(dnp.exp(shifted), axis=-1, keepdims=True))


def mlp_loss(params: dict, x: Any, t: Any) -> Any:
    """Mean softmax cross-entropy of a 2-layer tanh network on inputs ``x``, one-hot ``t``."""
    h = dnp.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    return -dnp.sum(t * log_softmax(logits)) / np.shape(getval(x))[0]


def _logistic() -> Example:
    args = tuple(np.array(v) for v in (0.8, 1.5, -0.2, 1.0))
    return Example(logistic_loss, args, "½(sigmoid(w·x + b) - t)² for scalars w, x, b, t")


def _mlp() -> Example:
    rng = np.random.default_rng(0)
    n, d, hidden, k = 8, 4, 5, 3
    params = {
        "W1": rng.standard_normal((d, hidden)) / np.sqrt(d),
        "b1": np.zeros(hidden),
        "W2": rng.standard_normal((hidden, k)) / np.sqrt(hidden),
        "b2": np.zeros(k),
    }
    x = rng.standard_normal((n, d))
    t = np.eye(k)[rng.integers(0, k, n)]
    description = f"2-layer tanh MLP ({d}→{hidden}→{k}), softmax cross-entropy on {n} examples"
    return Example(mlp_loss, (params, x, t), description)


EXAMPLES: dict[str, Callable[[], Example]] = {"logistic": _logistic, "mlp": _mlp}


def load(name: str) -> Example:
    """A fresh copy of the example called ``name``.

    Raises:
        DiaphaneError: for a name not in :data:`EXAMPLES`.
    """
    if name not in EXAMPLES:
        raise DiaphaneError(f"Unknown example {name!r}; known examples: {', '.join(EXAMPLES)}.")
    return EXAMPLES[name]()
