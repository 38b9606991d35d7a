"""Neural-network building blocks over parameter trees (nested dicts of arrays).

Optimisers live in :mod:`diaphane.nn.optim` and are re-exported here:
:class:`SGD`, :class:`Momentum`, :class:`AdaGrad`, :class:`Adam`. Initialisers,
losses and checkpoints are the submodules :mod:`~diaphane.nn.init`,
:mod:`~diaphane.nn.losses` and :mod:`~diaphane.nn.checkpoint`.
"""

from diaphane.nn.optim import (
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Optimizer,
    inverse_time_decay,
    linear_decay,
)

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "Momentum",
    "Optimizer",
    "inverse_time_decay",
    "linear_decay",
]
