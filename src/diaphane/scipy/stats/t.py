"""Student's t distribution, as :mod:`scipy.stats.t`.

The densities are differentiable in ``x``, ``df``, ``loc`` and ``scale``; the
distribution functions in ``x``, ``loc`` and ``scale`` (not ``df``, as in autograd).
"""

from __future__ import annotations

import math
from typing import Any

import scipy.special as sc

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp
from diaphane.numpy._elementwise import defpartials
from diaphane.scipy.special import _scipy

__all__ = ["cdf", "logcdf", "logpdf", "pdf"]

_LOG_PI = math.log(math.pi)

# The standard t distribution function; its derivative in x is the standard density.
_stdtr = _scipy(sc.stdtr, "stdtr")


def _standard_logpdf(df: Any, z: Any) -> Any:
    half = 0.5 * (df + 1.0)
    norm = dsp.gammaln(half) - dsp.gammaln(0.5 * df) - 0.5 * (dnp.log(df) + _LOG_PI)
    return norm - half * dnp.log1p(z * z / df)


defpartials(_stdtr, None, lambda ans, df, z: dnp.exp(_standard_logpdf(df, z)))


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log density."""
    return _standard_logpdf(df, (x - loc) / scale) - dnp.log(scale)


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The distribution function ``P(X <= x)`` (no derivative in ``df``)."""
    return _stdtr(df, (x - loc) / scale)


def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log P(X <= x)`` (no derivative in ``df``)."""
    return dnp.log(cdf(x, df, loc, scale))
