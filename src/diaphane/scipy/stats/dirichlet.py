"""The Dirichlet distribution, as :mod:`scipy.stats.dirichlet`, differentiable in ``x``
and ``alpha``.

As in SciPy, the components of ``x`` lie along its first axis.
"""

from __future__ import annotations

from typing import Any

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp

__all__ = ["logpdf", "pdf"]


def logpdf(x: Any, alpha: Any) -> Any:
    """The log density ``sum((alpha - 1) log x) + log Gamma(sum alpha) - sum log Gamma(alpha)``."""
    norm = dsp.gammaln(dnp.sum(alpha)) - dnp.sum(dsp.gammaln(alpha))
    if dnp.ndim(x) > 1:
        alpha = dnp.reshape(alpha, (-1,) + (1,) * (dnp.ndim(x) - 1))
    return dnp.sum(dsp.xlogy(alpha - 1.0, x), axis=0) + norm


def pdf(x: Any, alpha: Any) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, alpha))
