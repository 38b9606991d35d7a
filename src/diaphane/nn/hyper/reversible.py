"""Hypergradients by exact reversal of momentum SGD (Maclaurin, Duvenaud & Adams 2015).

Momentum SGD can be run backwards: ``w_t = w_{t+1} - lr v_{t+1}``, then
``v_t = (v_{t+1} + (1 - gamma) g(w_t)) / gamma``. In floating point the division
by ``gamma < 1`` amplifies rounding errors and after a few dozen steps the
recovered weights are noise. The paper's remedy, done here:

- weights and velocities are held as **fixed-point integers** (``int64`` counts of
  ``2**-52``), so adding a rounded quantity and subtracting the same one later is
  exact;
- multiplying by ``gamma`` is done **exactly** as multiplying by the fraction
  ``n / d`` nearest to it (``d = 2**16``): ``x -> (x // d) * n + r'``, where the remainder
  ``x mod d`` is pushed onto an **information buffer** and ``r' < n`` is popped
  from it. The buffer is one arbitrary-precision integer per parameter used as a
  stack in mixed radix (``push(r, base): B = B * base + r``; ``pop(base)``: the
  remainder of ``B // base``), so each multiplication costs only
  ``log2(d / n) = log2(1 / gamma)`` bits net, the information the product loses.
  (The popped ``r'`` sits in the lowest bits, so a product is off by less than
  ``n`` units of ``2**-52``: with ``d = 2**16``, under ``2**-36``.)

The reverse sweep undoes every operation in the opposite order and ends at the
initial integers, the buffer empty again: the initial weights come back bit for
bit, and memory is the state plus the buffer instead of ``T`` stored steps.

Entry points: :func:`reversible_hypergrad`, :class:`FixedPoint`, :class:`BitBuffer`,
:func:`momentum_ratio`, :func:`quantize_momentum`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from diaphane.autodiff import value_and_grad, vjp
from diaphane.errors import UsageError
from diaphane.nn.hyper.adjoint import adjoint_step, init_adjoint, zero_grads
from diaphane.nn.hyper.steps import Unroll, pick

__all__ = ["DENOMINATOR", "RADIX", "BitBuffer", "FixedPoint", "momentum_ratio"]
__all__ += ["quantize_momentum", "reversible_hypergrad"]

RADIX = 2**52  # fixed point: one unit is 2**-52
DENOMINATOR = 2**16  # momentum is the fraction n / 2**16 nearest to it (as in the paper)
INT_LIMIT = 2**62  # headroom below int64's 2**63 for one more addition
_bit_length = np.frompyfunc(int.bit_length, 1, 1)


class BitBuffer:
    """One arbitrary-precision integer per entry, used as a stack of digits in mixed radix.

    Args:
        shape: The shape of the array whose lost bits it keeps.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.store = np.zeros(shape, dtype=object)  # Python ints, exact at any size

    def push(self, digits: np.ndarray, base: int) -> None:
        """Append ``digits`` (integers in ``[0, base)``) to every entry's stack."""
        self.store = self.store * base + digits.astype(object)

    def pop(self, base: int) -> np.ndarray:
        """Take the last digit in radix ``base`` off every entry's stack."""
        digits = self.store % base
        self.store = self.store // base
        return digits.astype(np.int64)

    def bits(self) -> int:
        """The bits the buffer holds (sum of the entries' bit lengths)."""
        return int(np.sum(_bit_length(self.store))) if self.store.size else 0

    def nbytes(self) -> int:
        """Bytes held: the array of pointers plus every integer object it points to."""
        return self.store.nbytes + sum(sys.getsizeof(x) for x in self.store.flat)

    def is_empty(self) -> bool:
        return not np.any(self.store != 0)


class FixedPoint:
    """A float64 array held as ``int64`` multiples of ``2**-52``.

    Args:
        values: The starting values (rounded to the grid); must stay below ``2**10``.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.ints = _to_ints(np.asarray(values, dtype=np.float64))

    @property
    def value(self) -> np.ndarray:
        """The float64 values (a new array)."""
        return self.ints / RADIX

    def add(self, x: np.ndarray) -> None:
        """Add ``x`` rounded to the grid (undone exactly by :meth:`sub` of the same ``x``)."""
        self.ints = _checked(self.ints + _to_ints(x))

    def sub(self, x: np.ndarray) -> None:
        self.ints = _checked(self.ints - _to_ints(x))

    def mul(self, n: int, buffer: BitBuffer) -> None:
        """Multiply by ``n / DENOMINATOR`` exactly, keeping the lost bits in ``buffer``."""
        buffer.push(self.ints % DENOMINATOR, DENOMINATOR)
        self.ints = (self.ints // DENOMINATOR) * n + buffer.pop(n)

    def div(self, n: int, buffer: BitBuffer) -> None:
        """Undo :meth:`mul` by the same ``n``, taking the bits back from ``buffer``."""
        buffer.push(self.ints % n, n)
        self.ints = (self.ints // n) * DENOMINATOR + buffer.pop(DENOMINATOR)


def _to_ints(x: np.ndarray) -> np.ndarray:
    scaled = np.rint(np.asarray(x, dtype=np.float64) * RADIX)
    if scaled.size and not np.all(np.abs(scaled) < INT_LIMIT):
        raise UsageError(
            "exact reversal holds weights and velocities in 52-bit fixed point, so every "
            "value must stay below 1024 in magnitude; this run left that range (NaN or "
            "diverging): lower the learning rates."
        )
    return scaled.astype(np.int64)


def _checked(ints: np.ndarray) -> np.ndarray:
    if ints.size and int(np.max(np.abs(ints))) >= INT_LIMIT:
        raise UsageError(
            "exact reversal: a weight or velocity grew past 1024 in magnitude, outside the "
            "fixed-point range; lower the learning rates."
        )
    return ints


def momentum_ratio(gamma: float) -> int:
    """The numerator ``n`` of the fraction ``n / 2**16`` nearest to ``gamma``.

    Raises:
        UsageError: ``gamma`` is not in ``(0, 1]`` (reversal divides by it).
    """
    n = round(float(gamma) * DENOMINATOR)
    if not 0.0 < gamma <= 1.0 or n < 1:
        raise UsageError(f"exact reversal needs momentum in (0, 1], not {gamma}.")
    return n


def quantize_momentum(hyper: dict) -> dict:
    """``hyper`` with its momentum rounded to the fractions ``n / 2**16`` that exact
    reversal multiplies by, so that the other methods can be run on the same values.

    >>> float(quantize_momentum({"momentum": np.array(0.9)})["momentum"])
    0.899993896484375
    """
    momentum = np.asarray(hyper["momentum"], dtype=np.float64)
    return {**hyper, "momentum": np.asarray(np.rint(momentum * DENOMINATOR) / DENOMINATOR)}


def _quantised(hyper: dict, steps: int, n_leaves: int) -> tuple[dict, np.ndarray]:
    """``hyper`` with momentum replaced by the fractions the reversal multiplies by,
    and the numerators per step and leaf."""
    ratios = np.empty((steps, n_leaves), dtype=np.int64)
    for t in range(steps):
        for i in range(n_leaves):
            ratios[t, i] = momentum_ratio(pick(hyper, "momentum", t, i))
    momentum = hyper["momentum"]
    # The fraction, cast back into the user's shape (constant entries agree).
    exact = ratios / DENOMINATOR
    if momentum.ndim == 0:
        q = np.asarray(exact[0, 0])
    elif momentum.ndim == 1:
        q = exact[:, 0].copy()
    else:
        q = exact
    return {**hyper, "momentum": q}, ratios


class _Run:
    """The exact state of a momentum-SGD run: weights, velocities, buffers."""

    def __init__(self, unroll: Unroll, hyper: dict) -> None:
        w0 = unroll.initial(hyper)[0]
        self.w = [FixedPoint(x) for x in w0]
        self.v = [FixedPoint(np.zeros_like(x)) for x in w0]
        self.buffers = [BitBuffer(np.shape(x)) for x in w0]

    def weights(self) -> list:
        return [x.value for x in self.w]

    def velocities(self) -> list:
        return [x.value for x in self.v]

    def bits(self) -> int:
        return sum(b.bits() for b in self.buffers)

    def nbytes(self) -> int:
        state = sum(x.ints.nbytes for x in (*self.w, *self.v))
        return state + sum(b.nbytes() for b in self.buffers)


def _traced_gradient(unroll: Unroll, w: list, t: int) -> tuple[list, Callable]:
    """The training gradient at ``w`` and its pullback ``u -> H u``.

    The forward and the reverse sweep both take the gradient this one way, so it comes
    back bit for bit (a differently computed gradient could differ in the last bit,
    and the reversal would no longer be exact); the reverse sweep also keeps the
    pullback, the Hessian-vector product of the adjoint.
    """
    g, pull = vjp(lambda ws: unroll.gradient(ws, t), w)
    return list(g), lambda u: list(pull(u)[0])


def _forward(run: _Run, unroll: Unroll, hyper: dict, ratios: np.ndarray, steps: int) -> list:
    """Take the steps exactly; returns the buffer's size in bits after each step."""
    bits = [0]
    for t in range(steps):
        w = run.weights()
        g = unroll.with_l2(_traced_gradient(unroll, w, t)[0], w, hyper, t)
        for i, (wi, vi) in enumerate(zip(run.w, run.v, strict=True)):
            gamma = pick(hyper, "momentum", t, i)
            vi.mul(int(ratios[t, i]), run.buffers[i])
            vi.add(-(1.0 - gamma) * g[i])
            wi.add(pick(hyper, "lr", t, i) * vi.value)
        bits.append(run.bits())
    return bits


def _reverse_step(run: _Run, unroll: Unroll, hyper: dict, ratios, t: int, grads, cot) -> tuple:
    """Undo step ``t`` exactly and pull the cotangents back through it."""
    v_next = run.velocities()
    for i, wi in enumerate(run.w):
        wi.sub(pick(hyper, "lr", t, i) * v_next[i])
    w = run.weights()
    raw, hvp = _traced_gradient(unroll, w, t)
    g = unroll.with_l2(raw, w, hyper, t)
    for i, vi in enumerate(run.v):
        vi.sub(-(1.0 - pick(hyper, "momentum", t, i)) * g[i])
        vi.div(int(ratios[t, i]), run.buffers[i])
    return adjoint_step(hyper, grads, t, cot, (w, run.velocities()), v_next, g, hvp)


def reversible_hypergrad(
    unroll: Unroll, loss_valid: Callable[[Any], Any], hyper: dict, steps: int
) -> tuple[float, dict, list, list, dict]:
    """The validation loss after ``steps`` steps of momentum SGD and its gradients, by
    running training backwards exactly.

    Momentum is used as the nearest fraction ``n / 2**16`` (within ``7.7e-6``;
    :func:`quantize_momentum` gives the others the same value); the
    gradient with respect to it is taken there (``stats["momentum"]``).

    Returns:
        ``(loss, hyper_grads, final_w, params0_grads, stats)``; ``stats`` has the buffer's
        size after every step (``bits``), its peak bytes, the bits per parameter per step
        it needed against the ``log2(1 / gamma)`` the products lose, and
        ``recovered_exactly``: whether the reverse sweep ended on the initial integers
        with empty buffers.

    Raises:
        UsageError: for an optimiser other than momentum SGD, a momentum outside
            ``(0, 1]``, or values that leave the fixed-point range.
    """
    if unroll.train_step.optimizer != "momentum":
        raise UsageError(
            "exact reversal (method='reverse') runs momentum SGD backwards; Adam's update "
            "cannot be undone that way: use method='checkpoint' or 'unrolled'."
        )
    hyper, ratios = _quantised(hyper, steps, unroll.n_leaves)
    run = _Run(unroll, hyper)
    start = [x.ints.copy() for x in run.w]  # kept only to check the reversal
    bits = _forward(run, unroll, hyper, ratios, steps)
    peak_bytes = run.nbytes()
    final_w = run.weights()
    loss, dw = value_and_grad(lambda ws: loss_valid(unroll.params(ws)))(final_w)
    grads = zero_grads(hyper)
    cot = (list(dw), [np.zeros_like(x) for x in final_w])
    for t in reversed(range(steps)):
        cot = _reverse_step(run, unroll, hyper, ratios, t, grads, cot)
    p0_grads = init_adjoint(hyper, grads, list(cot[0]), unroll.params0)
    stats = _stats(run, start, bits, ratios, peak_bytes, hyper["momentum"])
    return float(loss), grads, final_w, p0_grads, stats


def _stats(run: _Run, start: list, bits: list, ratios, peak_bytes: int, momentum) -> dict:
    n_params = sum(x.ints.size for x in run.w)
    steps = len(bits) - 1
    exact = all(np.array_equal(x.ints, s) for x, s in zip(run.w, start, strict=True))
    exact = exact and all(not np.any(v.ints) for v in run.v)
    exact = exact and all(b.is_empty() for b in run.buffers)
    sizes = np.array([x.ints.size for x in run.w], dtype=np.float64)
    lost = np.log2(DENOMINATOR / ratios.astype(np.float64)) @ sizes  # bits lost per step
    return {
        "bits": np.asarray(bits, dtype=np.int64),
        "bits_per_param_per_step": bits[-1] / max(n_params * steps, 1),
        "theoretical_bits_per_param_per_step": float(lost.mean() / n_params) if steps else 0.0,
        "buffer_and_state_bytes": peak_bytes,
        "recovered_exactly": bool(exact),
        "momentum": momentum,
    }
