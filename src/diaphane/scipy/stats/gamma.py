"""The gamma distribution, as :mod:`scipy.stats.gamma`.

The densities are differentiable in ``x``, ``a``, ``loc`` and ``scale``; ``cdf`` in ``x``,
``loc`` and ``scale`` (not the shape ``a``, as in autograd).
"""

from __future__ import annotations

from typing import Any

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``(a - 1) log z - z - log Gamma(a) - log scale`` with ``z = (x - loc)/scale``."""
    z = (x - loc) / scale
    return dsp.xlogy(a - 1.0, z) - z - dsp.gammaln(a) - dnp.log(scale)


def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``P(X <= x)``, the regularised lower incomplete gamma (no derivative in ``a``)."""
    return dsp.gammainc(a, (x - loc) / scale)
