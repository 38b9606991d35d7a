"""The beta distribution, as :mod:`scipy.stats.beta`.

The densities are differentiable in ``x``, ``a``, ``b``, ``loc`` and ``scale``; ``cdf`` in
``x``, ``loc`` and ``scale`` (not the shapes ``a`` and ``b``, as in autograd).
"""

from __future__ import annotations

from typing import Any

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``(a-1) log z + (b-1) log(1-z) - log B(a, b) - log scale``, ``z = (x - loc)/scale``."""
    z = (x - loc) / scale
    return dsp.xlogy(a - 1.0, z) + dsp.xlog1py(b - 1.0, -z) - dsp.betaln(a, b) - dnp.log(scale)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``P(X <= x)``, the regularised incomplete beta (no derivative in ``a``, ``b``)."""
    return dsp.betainc(a, b, (x - loc) / scale)
