"""The Poisson distribution, as :mod:`scipy.stats.poisson`, differentiable in ``mu``."""

from __future__ import annotations

from typing import Any

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp

__all__ = ["cdf", "logpmf", "pmf"]


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``k log mu - mu - log k!`` at ``k - loc``."""
    k = k - loc
    return dsp.xlogy(k, mu) - mu - dsp.gammaln(k + 1.0)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """The probability mass."""
    return dnp.exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``P(K <= k)``, the regularised upper incomplete gamma ``Q(floor(k) + 1, mu)``."""
    return dsp.gammaincc(dnp.floor(k - loc) + 1.0, mu)
