"""Minibatches for :func:`diaphane.nn.train.train`: the :class:`Batches` protocol and
:class:`ArrayBatches`, shuffled batches of aligned arrays whose order depends only on
``(seed, epoch)``, which is what makes resuming a run exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np

__all__ = ["ArrayBatches", "Batches"]


class Batches(Protocol):
    """Minibatches of one epoch, in an order that depends only on ``(seed, epoch)``."""

    def __len__(self) -> int: ...  # batches per epoch

    def __call__(self, epoch: int, start: int = 0) -> Iterator[tuple]: ...


class ArrayBatches:
    """Shuffled minibatches of aligned arrays (rows are examples).

    Epoch ``e`` visits the rows in the order of a permutation drawn from
    ``np.random.default_rng((seed, e))``; ``start`` skips whole batches without
    drawing anything else, which is what makes resuming exact.

    >>> b = ArrayBatches([np.arange(5), np.arange(5) * 10], batch_size=2, seed=0)
    >>> len(b), [x.tolist() for x in next(b(epoch=0))]
    (3, [[2, 4], [20, 40]])
    """

    def __init__(
        self, arrays: Sequence[np.ndarray], batch_size: int, seed: int = 0, shuffle: bool = True
    ) -> None:
        self.arrays = [np.asarray(a) for a in arrays]
        self.n = len(self.arrays[0])
        if any(len(a) != self.n for a in self.arrays):
            raise ValueError("ArrayBatches needs arrays with the same number of rows.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}.")
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n)
        return np.random.default_rng((self.seed, epoch)).permutation(self.n)

    def __call__(self, epoch: int, start: int = 0) -> Iterator[tuple]:
        order = self.order(epoch)
        for i in range(start * self.batch_size, self.n, self.batch_size):
            rows = order[i : i + self.batch_size]
            yield tuple(a[rows] for a in self.arrays)
