"""The multivariate normal distribution, as :mod:`scipy.stats.multivariate_normal`,
differentiable in ``x``, ``mean`` and ``cov``.

Points lie along the last axis of ``x``; the result drops it (a scalar for one point).
The covariance is used as given (not symmetrised), so its gradient is that of the
formula in all of ``cov``'s entries, as in autograd.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import getval

__all__ = ["logpdf", "pdf"]

_LOG_2PI = math.log(2.0 * math.pi)


def logpdf(x: Any, mean: Any = None, cov: Any = 1) -> Any:
    """The log density ``-(k log 2 pi + log det cov + d^T cov^-1 d) / 2``, ``d = x - mean``."""
    k = np.shape(getval(x))[-1] if np.ndim(getval(x)) else 1
    d = x if mean is None else x - mean
    if np.ndim(getval(cov)) < 2:
        cov = cov * dnp.eye(k, dtype=np.result_type(getval(d)))
    if np.ndim(getval(d)) == 0:
        d = dnp.reshape(d, (1,))
    quad = dnp.einsum("...i,ij,...j->...", d, dnp.linalg.inv(cov), d)
    _, logdet = dnp.linalg.slogdet(cov)
    return -0.5 * (k * _LOG_2PI + logdet + quad)


def pdf(x: Any, mean: Any = None, cov: Any = 1) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, mean, cov))
