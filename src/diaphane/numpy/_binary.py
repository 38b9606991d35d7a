"""Binary elementwise primitives: arithmetic with broadcasting.

Each is registered from its partial derivatives with
:func:`~diaphane.numpy._elementwise.defbinary` (``add``, ``subtract`` and ``ldexp``, which
need no multiplication, have rules of their own); every rule accepts leading batch axes
and sums broadcast axes away.

Choices where the derivative does not exist:

- ``hypot`` takes the subgradient 0 at (0, 0) (not NaN).
- ``maximum``, ``minimum``, ``fmax``, ``fmin``: on ties the gradient is split
  evenly between the two arguments (autograd's behaviour; JAX does the same), so
  ``maximum(x, x)`` still has derivative 1 with respect to ``x``.

>>> import numpy as np, diaphane.numpy as dnp
>>> from diaphane.autodiff import grad
>>> grad(lambda x: dnp.sum(dnp.maximum(x, 1.0)))(np.array([0.0, 1.0, 2.0]))
array([0. , 0.5, 1. ])
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._elementwise import _mask, _replace_zero, _weak, defbinary, exp, exp2, log
from diaphane.numpy._util import align_tangent, broadcast_tangent, unbroadcast

__all__ = [
    "add",
    "arctan2",
    "copysign",
    "divide",
    "float_power",
    "fmax",
    "fmin",
    "fmod",
    "hypot",
    "ldexp",
    "logaddexp",
    "logaddexp2",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "power",
    "remainder",
    "subtract",
    "true_divide",
]

add = primitive(np.add)
subtract = primitive(np.subtract)
multiply = primitive(np.multiply)
divide = primitive(np.divide)
true_divide = divide
power = primitive(np.power)
float_power = primitive(np.float_power)
maximum = primitive(np.maximum)
minimum = primitive(np.minimum)
fmax = primitive(np.fmax)
fmin = primitive(np.fmin)
logaddexp = primitive(np.logaddexp)
logaddexp2 = primitive(np.logaddexp2)
arctan2 = primitive(np.arctan2)
hypot = primitive(np.hypot)
remainder = primitive(np.remainder)
mod = remainder
fmod = primitive(np.fmod)
copysign = primitive(np.copysign)
ldexp = primitive(np.ldexp)


def _power_dx(ans, x, y):
    # y x**(y-1); where y == 0 the exponent 0 stands in, avoiding 0 * 0**-1 (x**0 is constant).
    return y * power(x, _replace_zero(y, 1.0) - 1.0)


def _power_dy(ans, x, y):
    # d/dy x**y = x**y log x; where x == 0 the limit is 0 (for y > 0), and log 1 gives it.
    return ans * _weak(log(_replace_zero(x, 1.0)))


def _balanced(x, ans, y):
    """1 where ``x`` was chosen, 1/2 on ties, 0 elsewhere: ties split the gradient."""
    xv, av, yv = getval(x), getval(ans), getval(y)
    return _mask((xv == av) / (1.0 + (xv == yv)), ans)


def _chosen_x(ans, x, y):
    return _balanced(x, ans, y)


def _chosen_y(ans, x, y):
    return _balanced(y, ans, x)


def _ratio(x, y):
    """x / y, taken as 0 where y == 0."""
    return x / _replace_zero(y, 1.0)


def _copysign_dx(ans, x, y):
    return _mask(np.copysign(1.0, getval(x)) * np.copysign(1.0, getval(y)), ans)


def _quotient(rounding):
    """Partial of a remainder in its divisor: minus the rounded quotient (a constant)."""
    return lambda ans, x, y: -_mask(rounding(getval(x) / getval(y)), ans)


# fmt: off
defbinary(multiply,    lambda ans, x, y: y,                lambda ans, x, y: x)
# The commonest product gets its reverse rules without the generic partials' indirection.
defvjp(multiply, lambda g, ans, x, y: unbroadcast(g * _weak(y), x),
                 lambda g, ans, x, y: unbroadcast(g * _weak(x), y), batchable=True)
defbinary(divide,      lambda ans, x, y: 1.0 / y,          lambda ans, x, y: -ans / y)
defbinary(power,       _power_dx,                          _power_dy)
defbinary(float_power, lambda ans, x, y: y * float_power(x, y - 1.0),
                       lambda ans, x, y: ans * log(x))
defbinary(maximum,     _chosen_x,                          _chosen_y)
defbinary(minimum,     _chosen_x,                          _chosen_y)
defbinary(fmax,        _chosen_x,                          _chosen_y)
defbinary(fmin,        _chosen_x,                          _chosen_y)
defbinary(logaddexp,   lambda ans, x, y: exp(x - ans),     lambda ans, x, y: exp(y - ans))
defbinary(logaddexp2,  lambda ans, x, y: exp2(x - ans),    lambda ans, x, y: exp2(y - ans))
defbinary(arctan2,     lambda ans, x, y: y / (x * x + y * y),
                       lambda ans, x, y: -x / (x * x + y * y))
defbinary(hypot,       lambda ans, x, y: _ratio(x, ans),   lambda ans, x, y: _ratio(y, ans))
defbinary(remainder,   lambda ans, x, y: 1.0,              _quotient(np.floor))
defbinary(fmod,        lambda ans, x, y: 1.0,              _quotient(np.trunc))
defbinary(copysign,    _copysign_dx,                       lambda ans, x, y: 0.0)
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
# ldexp(x, i) = x * 2**i is linear in x; the integer exponent has no derivative.
defvjp(ldexp,
       lambda g, ans, x, i: unbroadcast(ldexp(g, i), x), None, batchable=True)  # fmt: skip
defjvp(ldexp,
       lambda t, ans, x, i: broadcast_tangent(ldexp(align_tangent(t, ans), i), ans), None,
       batchable=True)  # fmt: skip
