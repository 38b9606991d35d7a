"""Compiled sparse AdaGrad: sum the repeated rows of a gradient and update the touched rows.

Why it exists: in NumPy a lazy AdaGrad step gathers the touched rows of the table and
of its sum of squares, runs five array operations on the copies and scatters both
back, each pass over memory allocating a temporary. Here one loop per touched row
adds ``g²`` to the sum and moves the parameter, in place, with the touched rows
shared out over threads. The arithmetic is :meth:`diaphane.nn.optim.AdaGrad.update`'s,
operation for operation in the parameter's dtype, so both give the same bits.

Kernels: :func:`adagrad_rows`; :func:`run_kernel` launches a parallel
one (GloVe's kernels in :mod:`diaphane.models._glove_numba` use it too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import njit, prange

# Below this many multiply-adds a parallel launch costs more than it saves, and on a busy
# machine far more (each launch waits for a second core: milliseconds): such calls run
# on the calling thread alone.
MIN_PARALLEL_WORK = 1 << 17


def run_kernel(kernel: Callable, work: int, *args: Any) -> Any:
    """``kernel(*args)``, on numba's threads only when ``work`` is worth a parallel launch."""
    threads = numba.get_num_threads()
    if work >= MIN_PARALLEL_WORK or threads == 1:
        return kernel(*args)
    numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(threads)


@njit(cache=True, parallel=True, nogil=True)
def adagrad_rows(p, total, ids, g, lr, eps, weight_decay):  # pragma: no cover - compiled
    """AdaGrad on rows ``ids`` (distinct) of ``p`` and its sum of squares ``total``.

    ``g[i]`` is the gradient of row ``ids[i]``; ``lr``, ``eps`` and ``weight_decay``
    come as scalars of the table's dtype, so the arithmetic stays in it.
    """
    for i in prange(ids.shape[0]):
        r = ids[i]
        for j in range(p.shape[1]):
            gj = g[i, j]
            if weight_decay != 0:
                gj = gj + weight_decay * p[r, j]
            s = total[r, j] + gj * gj
            total[r, j] = s
            p[r, j] -= lr * gj / (np.sqrt(s) + eps)
