"""Parameter initialisers, each drawing from a caller's ``np.random.Generator``.

Passing the generator (rather than a global seed) keeps every model's start
reproducible from one seed, whatever else draws random numbers.

Entry points: :func:`uniform`, :func:`normal`, :func:`xavier_uniform`,
:func:`xavier_normal`, :func:`zeros`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["normal", "uniform", "xavier_normal", "xavier_uniform", "zeros"]

Shape = tuple[int, ...]


def uniform(
    rng: np.random.Generator, shape: Shape, scale: float = 0.05, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Values drawn uniformly from ``[-scale, scale)``.

    >>> uniform(np.random.default_rng(0), (2, 3)).dtype
    dtype('float32')
    """
    return rng.uniform(-scale, scale, size=shape).astype(dtype)


def normal(
    rng: np.random.Generator, shape: Shape, std: float = 0.01, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Values drawn from a normal distribution with mean 0 and standard deviation ``std``."""
    return (std * rng.standard_normal(size=shape)).astype(dtype)


def _fans(shape: Shape) -> tuple[int, int]:
    # Weights multiply from the right (x @ W), so shape is (fan_in, fan_out).
    if len(shape) < 2:
        raise ValueError(f"Xavier initialisation needs a matrix shape, not {shape}.")
    return shape[0], shape[1]


def xavier_uniform(
    rng: np.random.Generator, shape: Shape, gain: float = 1.0, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Glorot & Bengio's uniform initialiser for a ``(fan_in, fan_out)`` weight matrix."""
    fan_in, fan_out = _fans(shape)
    return uniform(rng, shape, gain * math.sqrt(6.0 / (fan_in + fan_out)), dtype)


def xavier_normal(
    rng: np.random.Generator, shape: Shape, gain: float = 1.0, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Glorot & Bengio's normal initialiser for a ``(fan_in, fan_out)`` weight matrix."""
    fan_in, fan_out = _fans(shape)
    return normal(rng, shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), dtype)


def zeros(shape: Shape, dtype: DTypeLike = np.float32) -> np.ndarray:
    """An array of zeros (biases)."""
    return np.zeros(shape, dtype=dtype)
