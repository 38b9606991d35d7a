"""Differentiable special functions: ``import diaphane.scipy.special as dsp``.

Names and signatures mirror :mod:`scipy.special`; values come from SciPy.
Derivatives are taken in the real (or complex) argument. Integer orders and
counts (``n`` of ``polygamma``, ``jn``, ``yn``; ``v`` of ``iv``, ``ive`` and ``jv``;
``d`` of ``multigammaln``) and the shape parameters of ``gammainc``,
``gammaincc`` and ``betainc`` have no derivative.

``logsumexp``, ``softmax`` and ``log_softmax`` are primitives of their own: the
values come from SciPy's numerically stable code and the rules are closed forms
in the result (``softmax`` VJP ``s * (g - sum(g * s))``), so nothing that could
overflow is traced. Their rules accept leading batch axes.

>>> import numpy as np
>>> from diaphane.autodiff import grad
>>> float(grad(lambda x: logsumexp(x))(np.zeros(4))[0])
0.25
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

import diaphane.numpy as dnp
from diaphane.autodiff.core import BATCH, defjvp, defvjp, getval, primitive
from diaphane.numpy._elementwise import _weak, _zero, defderiv, defpartials
from diaphane.numpy._util import align_tangent, unbroadcast

__all__ = [
    "beta",
    "betainc",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i1",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rgamma",
    "softmax",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
]

_SQRT_PI = math.sqrt(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _scipy(fun, name: str | None = None):
    """A primitive for the SciPy function ``fun``, keeping NumPy's precision rules.

    SciPy computes some float32 inputs in double (``polygamma``, ``yn``, any ufunc
    given a Python float); the result is cast back to the precision NumPy would
    give, so that float32 stays float32 and its tangents match it.
    """

    def raw(*args):
        out = fun(*args)
        inexact = [a for a in args if np.result_type(a).kind in "fc"]
        want = np.result_type(*inexact) if inexact else None
        if want is not None and out.dtype.kind == want.kind and out.dtype != want:
            out = out.astype(want)
        return out

    raw.__doc__ = fun.__doc__
    return primitive(raw, name or fun.__name__)


# ----------------------------------------------------------------------------- primitives

expit = _scipy(sc.expit)
logit = _scipy(sc.logit)
log_expit = _scipy(sc.log_expit)
erf = _scipy(sc.erf)
erfc = _scipy(sc.erfc)
erfcx = _scipy(sc.erfcx)
erfinv = _scipy(sc.erfinv)
erfcinv = _scipy(sc.erfcinv)
ndtr = _scipy(sc.ndtr)
log_ndtr = _scipy(sc.log_ndtr)
ndtri = _scipy(sc.ndtri)
gamma = _scipy(sc.gamma)
gammaln = _scipy(sc.gammaln)
loggamma = _scipy(sc.loggamma)
gammasgn = _scipy(sc.gammasgn)
rgamma = _scipy(sc.rgamma)
digamma = _scipy(sc.digamma, "digamma")
psi = digamma
polygamma = _scipy(sc.polygamma)
multigammaln = _scipy(sc.multigammaln)
gammainc = _scipy(sc.gammainc)
gammaincc = _scipy(sc.gammaincc)
beta = _scipy(sc.beta)
betaln = _scipy(sc.betaln)
betainc = _scipy(sc.betainc)
i0 = _scipy(sc.i0)
i1 = _scipy(sc.i1)
iv = _scipy(sc.iv)
ive = _scipy(sc.ive)
j0 = _scipy(sc.j0)
j1 = _scipy(sc.j1)
jn = _scipy(sc.jn, "jn")  # SciPy names it jv
jv = _scipy(sc.jv)
y0 = _scipy(sc.y0)
y1 = _scipy(sc.y1)
yn = _scipy(sc.yn)
xlogy = _scipy(sc.xlogy)
xlog1py = _scipy(sc.xlog1py)
entr = _scipy(sc.entr)
softmax = primitive(sc.softmax)
log_softmax = primitive(sc.log_softmax)


# ----------------------------------------------------------------------------- elementwise rules


def _psi(x):
    # digamma of a plain Python scalar must stay a Python scalar (float32 stays float32).
    return _weak(digamma(x))


def _multidigamma(a, d):
    """d/da multigammaln(a, d) = sum over j < d of digamma(a - j/2)."""
    total = digamma(a)
    for j in range(1, d):
        total = total + digamma(a - 0.5 * j)
    return total


def _xlogy_dy(ans, x, y):
    # x / y, but 0 where x == 0 (the value is 0 there for every y, even y == 0).
    return x / dnp.where(x == 0, 1.0, y)


def _gammainc_dx(ans, a, x):
    # x**(a-1) e**-x / Gamma(a), formed in logs so that large a does not overflow.
    return dnp.exp((a - 1.0) * dnp.log(x) - x - _weak(gammaln(a)))


def _betainc_dx(ans, a, b, x):
    return dnp.exp((a - 1.0) * dnp.log(x) + (b - 1.0) * dnp.log1p(-x) - _weak(betaln(a, b)))


# fmt: off
defderiv(expit,     lambda ans, x: ans * (1.0 - ans))
defderiv(logit,     lambda ans, x: 1.0 / (x * (1.0 - x)))
defderiv(log_expit, lambda ans, x: expit(-x))
defderiv(erf,       lambda ans, x: (2.0 / _SQRT_PI) * dnp.exp(-x * x))
defderiv(erfc,      lambda ans, x: (-2.0 / _SQRT_PI) * dnp.exp(-x * x))
defderiv(erfcx,     lambda ans, x: 2.0 * x * ans - 2.0 / _SQRT_PI)
defderiv(erfinv,    lambda ans, x: (_SQRT_PI / 2.0) * dnp.exp(ans * ans))
defderiv(erfcinv,   lambda ans, x: (-_SQRT_PI / 2.0) * dnp.exp(ans * ans))
defderiv(ndtr,      lambda ans, x: dnp.exp(-0.5 * x * x - _LOG_SQRT_2PI))
defderiv(log_ndtr,  lambda ans, x: dnp.exp(-0.5 * x * x - _LOG_SQRT_2PI - ans))
defderiv(ndtri,     lambda ans, x: dnp.exp(0.5 * ans * ans + _LOG_SQRT_2PI))
defderiv(gamma,     lambda ans, x: ans * digamma(x))
defderiv(gammaln,   lambda ans, x: digamma(x))
defderiv(loggamma,  lambda ans, x: digamma(x))
defderiv(rgamma,    lambda ans, x: -ans * digamma(x))
defderiv(digamma,   lambda ans, x: polygamma(1, x))
defderiv(i0,        lambda ans, x: i1(x))
defderiv(i1,        lambda ans, x: 0.5 * (i0(x) + iv(2, x)))
defderiv(j0,        lambda ans, x: -j1(x))
defderiv(j1,        lambda ans, x: 0.5 * (j0(x) - jn(2, x)))
defderiv(y0,        lambda ans, x: -y1(x))
defderiv(y1,        lambda ans, x: 0.5 * (y0(x) - yn(2, x)))
defderiv(entr,      lambda ans, x: -1.0 - dnp.log(x))

defpartials(polygamma,    None, lambda ans, n, x: polygamma(n + 1, x))
defpartials(jn,           None, lambda ans, n, x: 0.5 * (jn(n - 1, x) - jn(n + 1, x)))
defpartials(jv,           None, lambda ans, v, x: 0.5 * (jv(v - 1, x) - jv(v + 1, x)))
defpartials(yn,           None, lambda ans, n, x: 0.5 * (yn(n - 1, x) - yn(n + 1, x)))
defpartials(iv,           None, lambda ans, v, x: 0.5 * (iv(v - 1, x) + iv(v + 1, x)))
# ive(v, x) = iv(v, x) exp(-|x|).
defpartials(ive,          None, lambda ans, v, x: 0.5 * (ive(v - 1, x) + ive(v + 1, x))
                                                  - dnp.sign(x) * ans)
defpartials(multigammaln, lambda ans, a, d: _multidigamma(a, d), None)
defpartials(gammainc,     None, _gammainc_dx)
defpartials(gammaincc,    None, lambda ans, a, x: -_gammainc_dx(ans, a, x))
defpartials(betainc,      None, None, _betainc_dx)
defpartials(beta,         lambda ans, a, b: ans * (_psi(a) - digamma(a + b)),
                          lambda ans, a, b: ans * (_psi(b) - digamma(a + b)))
defpartials(betaln,       lambda ans, a, b: _psi(a) - digamma(a + b),
                          lambda ans, a, b: _psi(b) - digamma(a + b))
defpartials(xlogy,        lambda ans, x, y: dnp.log(y), _xlogy_dy)
defpartials(xlog1py,      lambda ans, x, y: dnp.log1p(y), lambda ans, x, y: x / (1.0 + y))
defvjp(gammasgn, _zero, batchable=True)
defjvp(gammasgn, _zero, batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- reductions


def _reduced(axis, ndim: int) -> tuple[int, ...]:
    """The reduced axes as sorted non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else axis
    return tuple(sorted(a % ndim for a in axes))


def _axes(axis, ndim: int) -> tuple[int, ...]:
    """The reduced axes, shifted past any leading batch axes of a cotangent or tangent."""
    return tuple(BATCH.ndim + a for a in _reduced(axis, ndim))


def _softmax_rule(g, ans, x, axis=None):
    # Both the VJP and the JVP: s * (g - sum(g * s)), the Jacobian being symmetric.
    axes = _axes(axis, np.ndim(getval(x)))
    return ans * (g - dnp.sum(g * ans, axis=axes, keepdims=True))


def _log_softmax_vjp(g, ans, x, axis=None):
    axes = _axes(axis, np.ndim(getval(x)))
    return g - dnp.exp(ans) * dnp.sum(g, axis=axes, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis=None):
    axes = _axes(axis, np.ndim(getval(x)))
    return t - dnp.sum(t * dnp.exp(ans), axis=axes, keepdims=True)


defvjp(softmax, _softmax_rule, batchable=True)
defjvp(softmax, _softmax_rule, batchable=True)
defvjp(log_softmax, _log_softmax_vjp, batchable=True)
defjvp(log_softmax, _log_softmax_jvp, batchable=True)


def _logsumexp_raw(a, b, axis=None, keepdims=False, return_sign=False):
    out = sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    return out[0] if return_sign else out


_logsumexp = primitive(_logsumexp_raw, "logsumexp")


def _kept_shape(a, b, axis) -> tuple[int, ...]:
    """The broadcast shape of ``a`` and ``b`` with the reduced axes kept as length 1."""
    shape = np.broadcast_shapes(np.shape(getval(a)), np.shape(getval(b)))
    reduced = _reduced(axis, len(shape))
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


def _lse_weights(ans, a, b, axis, keepdims):
    """d lse/da = b exp(a - lse) and d lse/db = exp(a - lse), with lse broadcast back."""
    kept = _kept_shape(a, b, axis)
    e = dnp.exp(a - (ans if keepdims else dnp.reshape(ans, kept)))
    if b is None:
        return e, e
    # With negative weights lse is log|sum b e**a|, whose derivatives carry the sum's sign.
    weights = getval(b) * getval(e)
    reduced = _reduced(axis, np.ndim(weights))
    sign = _weak(np.sign(np.sum(weights, axis=reduced, keepdims=True)))
    return b * e * sign, e * sign


def _lse_vjp(i):
    def rule(g, ans, a, b, axis=None, keepdims=False, return_sign=False):
        weight = _lse_weights(ans, a, b, axis, keepdims)[i]
        kept = _kept_shape(a, b, axis)
        g = dnp.reshape(g, np.shape(getval(g))[: BATCH.ndim] + kept)
        return unbroadcast(g * weight, (a, b)[i])

    return rule


def _lse_jvp(i):
    def rule(t, ans, a, b, axis=None, keepdims=False, return_sign=False):
        weight = _lse_weights(ans, a, b, axis, keepdims)[i]
        axes = _axes(axis, np.ndim(getval(weight)))
        return dnp.sum(align_tangent(t, weight) * weight, axis=axes, keepdims=keepdims)

    return rule


defvjp(_logsumexp, _lse_vjp(0), _lse_vjp(1), batchable=True)
defjvp(_logsumexp, _lse_jvp(0), _lse_jvp(1), batchable=True)


def logsumexp(
    a: Any,
    axis: int | tuple[int, ...] | None = None,
    b: Any = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Any:
    """``log(sum(b * exp(a), axis))`` computed stably, differentiable in ``a`` and ``b``.

    Args:
        a: The array (may be traced).
        axis: Axis or tuple of axes to reduce; all axes by default.
        b: Optional weights broadcastable with ``a`` (may be traced).
        keepdims: Keep the reduced axes with length 1.
        return_sign: Also return the sign of the sum (a plain array); the first
            result is then ``log|sum|``, which stays finite for negative sums.

    Returns:
        The log-sum-exp, and with ``return_sign`` also its sign.

    >>> import numpy as np
    >>> round(float(logsumexp(np.array([0.0, np.log(3.0)]))), 6)
    1.386294
    """
    out = _logsumexp(a, b, axis=axis, keepdims=keepdims, return_sign=return_sign)
    if not return_sign:
        return out
    _, sign = sc.logsumexp(getval(a), axis=axis, b=getval(b), keepdims=keepdims, return_sign=True)
    return out, sign
