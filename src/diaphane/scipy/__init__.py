"""Differentiable parts of SciPy, written on diaphane's engine.

Entry points: :mod:`diaphane.scipy.special` (``import diaphane.scipy.special as dsp``) and
:mod:`diaphane.scipy.stats` (``from diaphane.scipy.stats import norm``).
"""

from diaphane.scipy import special, stats

__all__ = ["special", "stats"]
