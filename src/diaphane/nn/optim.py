"""Optimisers for parameter trees: SGD, Momentum, AdaGrad, Adam.

An optimiser holds its state (one array per parameter per slot: a momentum
buffer, a sum of squares, ...) and ``step(params, grads)`` updates the
parameter arrays **in place** (and returns the same tree). ``params`` is a tree
(nested dicts, lists, tuples) of float NumPy arrays; ``grads`` has the same
structure, as :func:`~diaphane.autodiff.value_and_grad` returns it, with
``None`` for a parameter to leave alone this step.

A gradient leaf may be a :class:`~diaphane.autodiff.SparseRows` (from
``value_and_grad(..., sparse=True)`` on an embedding table): then only the
touched rows and their state are read and written — *lazy* updates, as
``torch.optim.SparseAdam`` does for Adam and GloVe does for AdaGrad. For SGD
and AdaGrad the result is exactly the dense update (a zero gradient row moves
nothing); for Momentum and Adam the state of untouched rows is not decayed.
Weight decay, for a sparse gradient, applies to the touched rows only.

Every update follows the formulas of ``torch.optim`` (``SGD``, ``Adagrad``,
``Adam``/``AdamW``), and float32 parameters stay float32.

The state is a flat dict of arrays (:meth:`Optimizer.state_dict`), ready for
safetensors: ``"step"`` and one ``"SLOT.PARAM.PATH"`` entry per slot and parameter.

Entry points: :class:`SGD`, :class:`Momentum`, :class:`AdaGrad`, :class:`Adam`,
:func:`inverse_time_decay`, :func:`linear_decay`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.autodiff.sparse import SparseRows

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "Momentum",
    "Optimizer",
    "inverse_time_decay",
    "linear_decay",
]

Schedule = Callable[[int], float]


# ----------------------------------------------------------------------------- schedules


def inverse_time_decay(lr: float, decay: float) -> Schedule:
    """``lr / (1 + decay * (step - 1))``: torch's Adagrad ``lr_decay``, for any optimiser.

    >>> inverse_time_decay(0.1, 1.0)(3)
    0.03333333333333333
    """
    return lambda step: lr / (1.0 + decay * (step - 1))


def linear_decay(lr: float, total_steps: int, final: float = 0.0) -> Schedule:
    """From ``lr`` at step 1 down to ``final`` at ``total_steps`` (word2vec's schedule), then flat.

    >>> linear_decay(1.0, 5)(3)
    0.5
    """
    span = max(total_steps - 1, 1)
    return lambda step: lr + (final - lr) * min(step - 1, span) / span


# ----------------------------------------------------------------------------- trees


def _named(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, leaf)`` pairs: dict keys and list/tuple positions joined with ``.``."""
    if type(tree) is dict:
        items = ((str(k), v) for k, v in tree.items())
    elif isinstance(tree, list | tuple):
        items = ((str(i), v) for i, v in enumerate(tree))
    else:
        yield prefix, tree
        return
    for key, value in items:
        yield from _named(value, f"{prefix}.{key}" if prefix else key)


def _pairs(params: Any, grads: Any) -> Iterator[tuple[str, np.ndarray, Any]]:
    named_grads = dict(_named(grads))
    for name, p in _named(params):
        if name not in named_grads:
            raise DiaphaneError(
                f"The gradients have no entry for parameter '{name}'; pass the gradient tree "
                "value_and_grad returns for these parameters (None to skip one)."
            )
        yield name, p, named_grads[name]


# ----------------------------------------------------------------------------- base class


class Optimizer:
    """The shared machinery: state per parameter, a step count, dense and sparse steps.

    A subclass names its state ``slots`` and writes one method, :meth:`update`,
    which changes a parameter and its state arrays in place given a gradient; the
    sparse step runs it on the touched rows gathered from the table.
    """

    slots: tuple[str, ...] = ()

    def __init__(self, lr: float | Schedule, weight_decay: float = 0.0) -> None:
        self.lr = lr
        self.weight_decay = weight_decay
        self.step_count = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, step={self.step_count})"

    def current_lr(self) -> float:
        """The learning rate of the step being (or last) taken."""
        return self.lr(max(self.step_count, 1)) if callable(self.lr) else self.lr

    def step(self, params: Any, grads: Any) -> Any:
        """Update ``params`` in place from ``grads`` (same tree; leaves may be sparse rows).

        Returns ``params``, so ``params = opt.step(params, grads)`` reads well too.
        """
        self.step_count += 1
        for name, p, g in _pairs(params, grads):
            if g is None:
                continue
            _check_param(name, p)
            state = self._state_for(name, p)
            if isinstance(g, SparseRows):
                self._sparse_step(p, g, state)
            else:
                g = np.asarray(g)
                if g.shape != p.shape:
                    raise DiaphaneError(
                        f"The gradient of '{name}' has shape {g.shape}, the parameter {p.shape}."
                    )
                self.update(p, g.astype(p.dtype, copy=False), state)
        return params

    def _sparse_step(self, p: np.ndarray, g: SparseRows, state: dict) -> None:
        rows = g.coalesce()
        ids = rows.indices
        p_rows = p[ids]
        s_rows = {k: v[ids] for k, v in state.items()}
        self.update(p_rows, rows.values.astype(p.dtype, copy=False), s_rows)
        p[ids] = p_rows
        for k, v in s_rows.items():
            state[k][ids] = v

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """Change ``p`` and the arrays of ``state`` in place, for gradient ``g``."""
        raise NotImplementedError

    def _decayed(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``g + weight_decay * p`` (L2 regularisation as torch adds it), without touching ``g``."""
        return g + self.weight_decay * p if self.weight_decay else g

    def _state_for(self, name: str, p: np.ndarray) -> dict[str, np.ndarray]:
        state = self.state.get(name)
        if state is None:
            state = self.state[name] = {k: self._initial(k, p) for k in self.slots}
        elif any(v.shape != p.shape for v in state.values()):
            raise DiaphaneError(
                f"The optimiser state for '{name}' does not fit the parameter's shape "
                f"{p.shape}; was it loaded for another model?"
            )
        return state

    def _initial(self, slot: str, p: np.ndarray) -> np.ndarray:
        return np.zeros_like(p)

    # -- saving and restoring

    def state_dict(self) -> dict[str, np.ndarray]:
        """The state as a flat dict of arrays: ``"step"`` and ``"SLOT.PARAM.PATH"`` entries."""
        out = {"step": np.array(self.step_count, dtype=np.int64)}
        for name, state in self.state.items():
            for slot, value in state.items():
                out[f"{slot}.{name}"] = value
        return out

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the state :meth:`state_dict` gave (copies the arrays)."""
        if "step" not in arrays:
            raise DiaphaneError("This optimiser state has no 'step' entry; it is not one.")
        state: dict[str, dict[str, np.ndarray]] = {}
        for key, value in arrays.items():
            if key == "step":
                continue
            slot, _, name = key.partition(".")
            if slot not in self.slots or not name:
                raise DiaphaneError(
                    f"Unknown optimiser state entry '{key}' for {type(self).__name__}, "
                    f"whose slots are {list(self.slots)}."
                )
            state.setdefault(name, {})[slot] = np.array(value, copy=True)
        self.step_count = int(arrays["step"])
        self.state = state


def _check_param(name: str, p: Any) -> None:
    if not isinstance(p, np.ndarray) or p.dtype.kind not in "fc" or not p.flags.writeable:
        raise DiaphaneError(
            f"Parameter '{name}' must be a writable float NumPy array to be updated in place; "
            f"it is {type(p).__name__}{'' if not hasattr(p, 'dtype') else ' ' + str(p.dtype)}."
        )


# ----------------------------------------------------------------------------- optimisers


class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr * (g + weight_decay * p)``.

    Args:
        lr: the learning rate, or a schedule ``lr(step)`` of the 1-based step
            (see :func:`linear_decay`, :func:`inverse_time_decay`).
        weight_decay: L2 penalty coefficient.

    >>> p = {"w": np.array([1.0, 2.0])}
    >>> SGD(lr=0.5).step(p, {"w": np.array([1.0, 1.0])})
    {'w': array([0.5, 1.5])}
    """

    def update(self, p, g, state):
        p -= self.current_lr() * self._decayed(p, g)


class Momentum(Optimizer):
    """Gradient descent with momentum (torch's ``SGD(momentum=...)``, no dampening).

    ``buf = momentum * buf + g``; ``p -= lr * buf``, or with Nesterov
    ``p -= lr * (g + momentum * buf)``.
    """

    slots = ("momentum",)

    def __init__(
        self,
        lr: float | Schedule,
        momentum: float = 0.9,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = momentum
        self.nesterov = nesterov

    def update(self, p, g, state):
        g = self._decayed(p, g)
        buf = state["momentum"]
        buf *= self.momentum
        buf += g
        p -= self.current_lr() * (g + self.momentum * buf if self.nesterov else buf)


class AdaGrad(Optimizer):
    """AdaGrad (torch's ``Adagrad``): ``sum += g**2``; ``p -= lr * g / (sqrt(sum) + eps)``.

    Args:
        lr: learning rate or schedule; torch's ``lr_decay`` is
            ``lr=inverse_time_decay(lr, lr_decay)``.
        initial_accumulator: the starting sum of squares (GloVe uses 1).
        eps: added to the root of the sum.
        weight_decay: L2 penalty coefficient.
    """

    slots = ("sum",)

    def __init__(
        self,
        lr: float | Schedule = 0.01,
        initial_accumulator: float = 0.0,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.initial_accumulator = initial_accumulator
        self.eps = eps

    def _initial(self, slot, p):
        return np.full_like(p, self.initial_accumulator)

    def update(self, p, g, state):
        g = self._decayed(p, g)
        total = state["sum"]
        total += g * g
        p -= self.current_lr() * g / (np.sqrt(total) + self.eps)

    def _sparse_step(self, p, g, state):
        # One compiled pass over the touched rows (see nn/_optim_numba.py): same bits as
        # the gather-update-scatter of the base class, without its copies.
        total = state["sum"]
        if not _fusable(p, total, g):
            super()._sparse_step(p, g, state)
            return
        kernels = _compiled_kernels()
        table, sums = p.reshape(len(p), -1), total.reshape(len(p), -1)
        ids, width = g.indices.astype(np.int64, copy=False), table.shape[1]
        if ids.size and ids.max() >= len(p):
            raise DiaphaneError(
                f"A sparse gradient touches row {ids.max()} of a table of {len(p)} rows; "
                "it was taken for another parameter."
            )
        values = g.values.reshape(len(ids), width)
        if not g.coalesced:
            rows = g.coalesce()
            ids, values = rows.indices.astype(np.int64), rows.values.reshape(-1, width)
        values = np.ascontiguousarray(values, dtype=p.dtype)
        cast = p.dtype.type
        kernels.run_kernel(
            kernels.adagrad_rows, values.size, table, sums, ids, values,
            cast(self.current_lr()), cast(self.eps), cast(self.weight_decay),
        )  # fmt: skip


_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fusable(p: np.ndarray, total: np.ndarray, g: SparseRows) -> bool:
    """Whether the compiled sparse AdaGrad step applies (plain float tables, row-major)."""
    return (
        p.dtype in _FUSED_DTYPES
        and total.dtype == p.dtype
        and p.ndim >= 1
        and p.flags.c_contiguous
        and total.flags.c_contiguous
        and g.values.dtype in _FUSED_DTYPES
    )


def _compiled_kernels() -> Any:
    """nn/_optim_numba.py, imported on first use (numba takes a while to load)."""
    from diaphane.nn import _optim_numba

    return _optim_numba


class Adam(Optimizer):
    """Adam with bias correction (torch's ``Adam``; ``decoupled=True`` is ``AdamW``).

    ``m = b1 m + (1-b1) g``; ``v = b2 v + (1-b2) g**2``;
    ``p -= lr / (1 - b1**t) * m / (sqrt(v / (1 - b2**t)) + eps)``, where ``t`` is
    the optimiser's step count. For sparse gradients this is lazy Adam: untouched
    rows keep their moments (``torch.optim.SparseAdam`` does the same, but adds
    ``eps`` before the bias correction of ``v``).

    Args:
        lr: learning rate or schedule.
        betas: decay rates of the first and second moments.
        eps: added to the root of the second moment.
        weight_decay: L2 penalty added to the gradient, or with ``decoupled``
            multiplied into the parameter (``p *= 1 - lr * weight_decay``).
        decoupled: AdamW's decoupled weight decay.
    """

    slots = ("m", "v")

    def __init__(
        self,
        lr: float | Schedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.betas = betas
        self.eps = eps
        self.decoupled = decoupled

    def update(self, p, g, state):
        b1, b2 = self.betas
        lr = self.current_lr()
        if self.decoupled:
            p *= 1.0 - lr * self.weight_decay
        else:
            g = self._decayed(p, g)
        m, v = state["m"], state["v"]
        # In place, through one scratch array: Adam is memory-bound on big tables.
        tmp = np.multiply(g, 1.0 - b1, out=np.empty_like(p))  # an array even for 0-d p
        m *= b1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v *= b2
        v += tmp
        t = self.step_count
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - b2**t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - b1**t)
        p -= tmp
