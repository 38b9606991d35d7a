"""Elementwise primitives: unary math, binary arithmetic with broadcasting, comparisons.

Holomorphic unary functions share one derivative table: both the VJP and the JVP
multiply by ``f'(x)`` (cotangents pair with tangents bilinearly, as in autograd
and JAX, so no conjugates appear). Every rule here accepts leading batch axes.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, primitive
from diaphane.numpy._util import align_tangent, broadcast_tangent, unbroadcast

# ----------------------------------------------------------------------------- primitives

sin = primitive(np.sin)
cos = primitive(np.cos)
tanh = primitive(np.tanh)
exp = primitive(np.exp)
log = primitive(np.log)
negative = primitive(np.negative)
add = primitive(np.add)
subtract = primitive(np.subtract)
multiply = primitive(np.multiply)
divide = primitive(np.divide)
true_divide = divide
power = primitive(np.power)


# ----------------------------------------------------------------------------- unary derivative table


def defderiv(prim, deriv) -> None:
    """Register ``g * deriv(ans, x)`` as both the VJP and the JVP of a unary primitive."""
    defvjp(prim, lambda g, ans, x: g * deriv(ans, x), batchable=True)
    defjvp(prim, lambda t, ans, x: t * deriv(ans, x), batchable=True)


# fmt: off
defderiv(sin,      lambda ans, x: cos(x))
defderiv(cos,      lambda ans, x: -sin(x))
defderiv(tanh,     lambda ans, x: 1.0 - ans * ans)
defderiv(exp,      lambda ans, x: ans)
defderiv(log,      lambda ans, x: 1.0 / x)
defderiv(negative, lambda ans, x: -1.0)
# fmt: on


# ----------------------------------------------------------------------------- binary arithmetic


def defbinary(prim, dx, dy) -> None:
    """Register a broadcasting binary primitive from its partial derivatives
    ``dx(ans, x, y)`` and ``dy(ans, x, y)``."""
    defvjp(
        prim,
        lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y), x),
        lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y), y),
        batchable=True,
    )
    defjvp(
        prim,
        lambda t, ans, x, y: broadcast_tangent(align_tangent(t, ans) * dx(ans, x, y), ans),
        lambda t, ans, x, y: broadcast_tangent(align_tangent(t, ans) * dy(ans, x, y), ans),
        batchable=True,
    )


# fmt: off
defbinary(multiply, lambda ans, x, y: y,           lambda ans, x, y: x)
defbinary(divide,   lambda ans, x, y: 1.0 / y,     lambda ans, x, y: -ans / y)
# fmt: on

# add and subtract need no multiplication by one.
defvjp(add,
       lambda g, ans, x, y: unbroadcast(g, x),
       lambda g, ans, x, y: unbroadcast(g, y), batchable=True)  # fmt: skip
defjvp(add,
       lambda t, ans, x, y: broadcast_tangent(t, ans),
       lambda t, ans, x, y: broadcast_tangent(t, ans), batchable=True)  # fmt: skip
defvjp(subtract,
       lambda g, ans, x, y: unbroadcast(g, x),
       lambda g, ans, x, y: unbroadcast(-g, y), batchable=True)  # fmt: skip
defjvp(subtract,
       lambda t, ans, x, y: broadcast_tangent(t, ans),
       lambda t, ans, x, y: broadcast_tangent(-t, ans), batchable=True)  # fmt: skip


def _power_dx(ans, x, y):
    return y * power(x, y - 1)


def _power_dy(ans, x, y):
    # d/dy x**y = x**y log x; where x == 0 the limit is 0 (for y > 0).
    safe = where(x == 0, 1.0, x)
    return where(x == 0, 0.0, ans * log(safe))


defbinary(power, _power_dx, _power_dy)

from diaphane.numpy._indexing import where  # noqa: E402  (where is defined with the indexing rules)

__all__ = [
    "add",
    "cos",
    "divide",
    "exp",
    "log",
    "multiply",
    "negative",
    "power",
    "sin",
    "subtract",
    "tanh",
    "true_divide",
]
