"""diaphane: see through neural networks.

A NumPy automatic-differentiation engine (:mod:`diaphane.autodiff`, with the
differentiable namespace :mod:`diaphane.numpy`), the classic models of word
representation trained with it, and figures that show what they learned.
"""

__version__ = "0.1.0"
