"""Differentiable parts of SciPy, written on diaphane's engine.

Entry point: :mod:`diaphane.scipy.special` (``import diaphane.scipy.special as dsp``).
"""

from diaphane.scipy import special

__all__ = ["special"]
