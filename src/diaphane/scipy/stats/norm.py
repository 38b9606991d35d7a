"""The normal distribution, as :mod:`scipy.stats.norm`, differentiable in ``x``, ``loc``
and ``scale``.

>>> import numpy as np
>>> round(float(logpdf(0.0)), 6)
-0.918939
"""

from __future__ import annotations

import math
from typing import Any

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log density ``-z**2/2 - log(scale) - log(2 pi)/2`` with ``z = (x - loc)/scale``."""
    z = (x - loc) / scale
    return -0.5 * z * z - dnp.log(scale) - _LOG_SQRT_2PI


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The distribution function ``P(X <= x)``."""
    return dsp.ndtr((x - loc) / scale)


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log P(X <= x)``, accurate far in the left tail."""
    return dsp.log_ndtr((x - loc) / scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The survival function ``P(X > x)``."""
    return dsp.ndtr((loc - x) / scale)


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log P(X > x)``, accurate far in the right tail."""
    return dsp.log_ndtr((loc - x) / scale)
