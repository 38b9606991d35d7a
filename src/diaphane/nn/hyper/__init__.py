"""Differentiating through training: hypergradients and a learned optimizer.

:func:`hypergrad` takes the gradient of the validation loss after ``T`` steps of
training (momentum SGD or Adam) with respect to the per-step learning rates, the
momentum, the L2 penalty and the initial-weight scale, three ways that agree:

- ``"unrolled"`` (:mod:`~diaphane.nn.hyper.unrolled`): reverse mode through the whole
  traced run, each step's own gradient a derivative nested inside it;
- ``"checkpoint"`` (:mod:`~diaphane.nn.hyper.checkpointed`): the same with only
  ``O(sqrt(T))`` states kept, segments run again in the backward sweep;
- ``"reverse"`` (:mod:`~diaphane.nn.hyper.reversible`): Maclaurin, Duvenaud & Adams's
  exact reversal of momentum SGD in fixed point, with the buffer of the bits that
  multiplying by the momentum loses; the initial weights come back bit for bit.

Two demonstrations build on it: :mod:`~diaphane.nn.hyper.schedule` learns
learning-rate schedules and per-layer L2 penalties of a small MLP on scikit-learn's
digits by gradient descent on the validation loss; :mod:`~diaphane.nn.hyper.learned`
trains a coordinate-wise LSTM optimizer on random quadratics (Andrychowicz et al.
2016) and compares it with tuned SGD and Adam.

Entry points: :func:`hypergrad`, :class:`HyperResult`, :class:`TrainStep`,
:func:`momentum_sgd`, :func:`adam`, :func:`make_hyper`, :func:`quantize_momentum`.
"""

from diaphane.nn.hyper.core import METHODS, HyperResult, hypergrad
from diaphane.nn.hyper.reversible import quantize_momentum
from diaphane.nn.hyper.steps import HYPER_KEYS, TrainStep, adam, make_hyper, momentum_sgd

__all__ = [
    "HYPER_KEYS",
    "METHODS",
    "HyperResult",
    "TrainStep",
    "adam",
    "hypergrad",
    "make_hyper",
    "momentum_sgd",
    "quantize_momentum",
]
