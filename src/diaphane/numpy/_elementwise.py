"""Elementwise primitives: unary math, and the rule builders the binary ones share.

Holomorphic unary functions share one derivative table: both the VJP and the JVP
multiply by ``f'(x)`` (cotangents pair with tangents bilinearly, as in autograd
and JAX, so no conjugates appear). Functions that are not holomorphic on complex
inputs (``abs``, ``real``, ``imag``, ``conj``, ``angle``, ``sign``) have rules of
their own. Broadcasting functions are registered from their partial derivatives
with :func:`defpartials`; the binary arithmetic built that way lives in
:mod:`diaphane.numpy._binary`. Every rule here accepts leading batch axes.

Choices where the derivative does not exist:

- ``abs`` and ``fabs`` take the subgradient 0 at 0 (not NaN).
- ``sign``, ``floor``, ``ceil``, ``round``, ``rint``, ``trunc``, ``fix`` are
  primitives with zero derivatives, so code using them stays differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._indexing import where
from diaphane.numpy._util import align_tangent, broadcast_tangent, dtype_of, unbroadcast

__all__ = [
    "abs",
    "absolute",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "around",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "fix",
    "floor",
    "imag",
    "log",
    "log1p",
    "log2",
    "log10",
    "nan_to_num",
    "negative",
    "positive",
    "rad2deg",
    "radians",
    "real",
    "reciprocal",
    "rint",
    "round",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_DEG = 180.0 / math.pi  # degrees per radian

# ----------------------------------------------------------------------------- primitives

absolute = primitive(np.absolute)
abs = absolute
fabs = primitive(np.fabs)
sign = primitive(np.sign)
floor = primitive(np.floor)
ceil = primitive(np.ceil)
round = primitive(np.round)
around = round
rint = primitive(np.rint)
trunc = primitive(np.trunc)
fix = primitive(np.fix)
exp = primitive(np.exp)
exp2 = primitive(np.exp2)
expm1 = primitive(np.expm1)
log = primitive(np.log)
log2 = primitive(np.log2)
log10 = primitive(np.log10)
log1p = primitive(np.log1p)
sqrt = primitive(np.sqrt)
cbrt = primitive(np.cbrt)
square = primitive(np.square)
reciprocal = primitive(np.reciprocal)
sin = primitive(np.sin)
cos = primitive(np.cos)
tan = primitive(np.tan)
arcsin = primitive(np.arcsin)
arccos = primitive(np.arccos)
arctan = primitive(np.arctan)
sinh = primitive(np.sinh)
cosh = primitive(np.cosh)
tanh = primitive(np.tanh)
arcsinh = primitive(np.arcsinh)
arccosh = primitive(np.arccosh)
arctanh = primitive(np.arctanh)
sinc = primitive(np.sinc)
deg2rad = primitive(np.deg2rad)
radians = primitive(np.radians)
rad2deg = primitive(np.rad2deg)
degrees = primitive(np.degrees)
real = primitive(np.real)
imag = primitive(np.imag)
conj = primitive(np.conj)
conjugate = conj
angle = primitive(np.angle)
positive = primitive(np.positive)
negative = primitive(np.negative)
nan_to_num = primitive(np.nan_to_num)


# ----------------------------------------------------------------------------- helpers


def _weak(d):
    """A plain 0-d derivative as a Python scalar.

    NumPy scalars and 0-d arrays promote float32 to float64; Python scalars do not,
    so a derivative computed from a scalar argument must not stay a NumPy scalar.
    """
    if type(d) is np.ndarray:  # the common case first: rules run once per node
        return d.item() if d.ndim == 0 else d
    if isinstance(d, np.generic):
        return d.item()
    return d


def _replace_zero(v, fill):
    """``v`` with its zeros replaced by ``fill`` (Python scalars stay Python scalars)."""
    if isinstance(v, int | float | complex):
        return fill if v == 0 else v
    return where(v == 0, fill, v)


def _mask(cond, like):
    """A constant 0/1 (or 0/½/1) array in the floating dtype of ``like``."""
    dtype = dtype_of(like)
    return _weak(np.asarray(cond).astype(dtype if dtype.kind in "fc" else float))


def _is_complex(x) -> bool:
    return dtype_of(x).kind == "c"


def _zero(g, ans, *args, **kwargs):
    """The rule of a piecewise-constant function: a zero shaped like ``g`` (batch axes kept)."""
    return np.zeros_like(getval(g))


# ----------------------------------------------------------------------------- unary derivatives


def defderiv(prim, deriv) -> None:
    """Register ``g * deriv(ans, x)`` as both the VJP and the JVP of a unary primitive."""

    def vjp(g, ans, x, **kw):
        d = deriv(ans, x)
        return g * (d if type(d) is np.ndarray and d.ndim else _weak(d))

    defvjp(prim, vjp, batchable=True)
    defjvp(prim, lambda t, ans, x, **kw: t * _weak(deriv(ans, x)), batchable=True)


def _sinc_deriv(ans, x):
    # (cos(pi x) - sinc x) / x cancels badly near 0, where its Taylor series takes over.
    small = np.abs(getval(x)) < 0.05
    safe = where(small, 1.0, x)
    u = (math.pi * x) ** 2
    series = (math.pi**2 * x) * (-1 / 3 + u * (1 / 30 + u * (-1 / 840 + u / 45360)))
    return where(small, series, (cos(math.pi * safe) - ans) / safe)


# fmt: off
defderiv(exp,        lambda ans, x: ans)
defderiv(exp2,       lambda ans, x: ans * _LN2)
defderiv(expm1,      lambda ans, x: ans + 1.0)
defderiv(log,        lambda ans, x: 1.0 / x)
defderiv(log2,       lambda ans, x: 1.0 / (x * _LN2))
defderiv(log10,      lambda ans, x: 1.0 / (x * _LN10))
defderiv(log1p,      lambda ans, x: 1.0 / (x + 1.0))
defderiv(sqrt,       lambda ans, x: 0.5 / ans)
defderiv(cbrt,       lambda ans, x: 1.0 / (3.0 * ans * ans))
defderiv(square,     lambda ans, x: 2.0 * x)
defderiv(reciprocal, lambda ans, x: -ans * ans)
defderiv(sin,        lambda ans, x: cos(x))
defderiv(cos,        lambda ans, x: -sin(x))
defderiv(tan,        lambda ans, x: 1.0 + ans * ans)
defderiv(arcsin,     lambda ans, x: 1.0 / sqrt(1.0 - x * x))
defderiv(arccos,     lambda ans, x: -1.0 / sqrt(1.0 - x * x))
defderiv(arctan,     lambda ans, x: 1.0 / (1.0 + x * x))
defderiv(sinh,       lambda ans, x: cosh(x))
defderiv(cosh,       lambda ans, x: sinh(x))
defderiv(tanh,       lambda ans, x: 1.0 - ans * ans)
defderiv(arcsinh,    lambda ans, x: 1.0 / sqrt(x * x + 1.0))
# The product keeps arccosh's branch cut for complex x; 1/sqrt(x*x - 1) would not.
defderiv(arccosh,    lambda ans, x: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)))
defderiv(arctanh,    lambda ans, x: 1.0 / (1.0 - x * x))
defderiv(sinc,       _sinc_deriv)
defderiv(fabs,       lambda ans, x: sign(x))
# fmt: on

# Linear functions: the rule is the function itself.
for _prim in (deg2rad, radians, rad2deg, degrees, positive, negative, conj):
    defvjp(_prim, lambda g, ans, x, _p=_prim: _p(g), batchable=True)
    defjvp(_prim, lambda t, ans, x, _p=_prim: _p(t), batchable=True)

for _prim in (floor, ceil, round, rint, trunc, fix):
    defvjp(_prim, _zero, batchable=True)
    defjvp(_prim, _zero, batchable=True)


# ----------------------------------------------------------------------------- non-holomorphic


def _abs_vjp(g, ans, x):
    if _is_complex(x):
        return g * conj(x) / _replace_zero(ans, 1.0)
    return g * sign(x)


def _abs_jvp(t, ans, x):
    if _is_complex(x):
        return real(t * conj(x)) / _replace_zero(ans, 1.0)
    return t * sign(x)


def _sign_vjp(g, ans, x):
    # Complex sign is x / |x|: d = (dx - s Re(conj(s) dx)) / |x|, taken as 0 at 0.
    if not _is_complex(x):
        return _zero(g, ans)
    r = _replace_zero(absolute(x), 1.0)
    return (g - real(g * ans) * conj(ans)) / r * _mask(getval(ans) != 0, x)


def _sign_jvp(t, ans, x):
    if not _is_complex(x):
        return _zero(t, ans)
    r = _replace_zero(absolute(x), 1.0)
    return (t - ans * real(conj(ans) * t)) / r * _mask(getval(ans) != 0, x)


def _angle_scale(deg):
    return _DEG if deg else 1.0


def _angle_vjp(g, ans, x, deg=False):
    # d angle = Im(conj(x) dx) / |x|^2 = Re(-1j conj(x) dx) / |x|^2.
    if not _is_complex(x):
        return _zero(g, ans)
    return g * (-1j * _angle_scale(deg)) * conj(x) / _replace_zero(real(x * conj(x)), 1.0)


def _angle_jvp(t, ans, x, deg=False):
    if not _is_complex(x):
        return _zero(t, ans)
    return imag(conj(x) * t) * _angle_scale(deg) / _replace_zero(real(x * conj(x)), 1.0)


def _finite_only(g, ans, x, *args, **kwargs):
    return where(np.isfinite(getval(x)), g, 0.0)


# fmt: off
defvjp(absolute,   _abs_vjp,                                        batchable=True)
defjvp(absolute,   _abs_jvp,                                        batchable=True)
defvjp(sign,       _sign_vjp,                                       batchable=True)
defjvp(sign,       _sign_jvp,                                       batchable=True)
defvjp(angle,      _angle_vjp,                                      batchable=True)
defjvp(angle,      _angle_jvp,                                      batchable=True)
defvjp(real,       lambda g, ans, x: g,                             batchable=True)
defjvp(real,       lambda t, ans, x: real(t),                       batchable=True)
defvjp(imag,       lambda g, ans, x: -1j * g if _is_complex(x) else _zero(g, ans),
                                                                    batchable=True)
defjvp(imag,       lambda t, ans, x: imag(t),                       batchable=True)
defvjp(nan_to_num, _finite_only,                                    batchable=True)
defjvp(nan_to_num, _finite_only,                                    batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- broadcasting


def _vjp_rule(i, partial):
    if partial is None:
        return None
    return lambda g, ans, *args, **kw: unbroadcast(g * _weak(partial(ans, *args)), args[i])


def _jvp_rule(partial):
    if partial is None:
        return None
    return lambda t, ans, *args, **kw: broadcast_tangent(
        align_tangent(t, ans) * _weak(partial(ans, *args)), ans
    )


def defpartials(prim, *partials) -> None:
    """Register a broadcasting primitive from its partial derivatives ``d(ans, *args)``,
    one per positional argument (``None`` for an argument without a derivative)."""
    defvjp(prim, *(_vjp_rule(i, d) for i, d in enumerate(partials)), batchable=True)
    defjvp(prim, *(_jvp_rule(d) for d in partials), batchable=True)


def defbinary(prim, dx, dy) -> None:
    """Register a broadcasting binary primitive from ``dx(ans, x, y)`` and ``dy(ans, x, y)``."""
    defpartials(prim, dx, dy)
