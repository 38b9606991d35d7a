"""The base of :mod:`diaphane.numpy.linalg`: the small matrix helpers its rules share, and
the inverse, the determinants and the linear solve.

``inv``, ``det``, ``slogdet`` and ``solve`` are holomorphic and take complex input. Every
rule is written with batched matrix products, so it works on stacks of matrices and on
the leading batch axes of batched Jacobians.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import BATCH, defjvp, defvjp, getval, primitive
from diaphane.numpy._axes import _shape
from diaphane.numpy._elementwise import imag, real
from diaphane.numpy._linear import _drop, _expand, _pad_batch, matmul, mT
from diaphane.numpy._reductions import sum
from diaphane.numpy._shape import reshape
from diaphane.numpy._util import unbroadcast

__all__ = [
    "_diag_embed",
    "_diag_part",
    "_eye",
    "_sym",
    "_zero_if_none",
    "det",
    "inv",
    "slogdet",
    "solve",
]


def _eye(n, like):
    return np.eye(n, dtype=np.result_type(getval(like)))


def _sym(x):
    return (x + mT(x)) * 0.5


def _diag_embed(d):
    """A (batch of) diagonal matrices with the vectors ``d`` on the diagonal."""
    return _expand(d, -1) * _eye(_shape(d)[-1], d)


def _diag_part(x):
    return sum(x * _eye(_shape(x)[-1], x), axis=-1)


def _zero_if_none(g, like, batch_from):
    """Replace a ``None`` (zero) entry of a tuple cotangent by zeros of the right shape."""
    if g is not None:
        return g
    ref = next(c for c in batch_from if c is not None)
    lead = _shape(ref)[: BATCH.ndim]
    return np.zeros(lead + _shape(like), np.result_type(getval(like)))


# ------------------------------------------------------------------ inverse, determinants


def _tuple_result(fun):
    """Wrap a NumPy routine returning a named tuple so that it returns a plain tuple."""

    def raw(*args, **kwargs):
        return tuple(fun(*args, **kwargs))

    raw.__name__ = fun.__name__
    raw.__doc__ = fun.__doc__
    return raw


inv = primitive(np.linalg.inv, "inv")
det = primitive(np.linalg.det, "det")
slogdet = primitive(_tuple_result(np.linalg.slogdet), "slogdet")


def _trailing(x, k=2):
    """``x`` with ``k`` size-1 axes appended (a scalar per matrix, ready to broadcast)."""
    return reshape(x, _shape(x) + (1,) * k)


def _inv_trace(t, a):
    """``tr(a^-1 t)`` per matrix, for tangents with leading batch axes."""
    return sum(mT(inv(a)) * t, axis=(-2, -1))


def _slogdet_vjp(g, ans, a):
    g_sign, g_log = g
    coef = None if g_log is None else _trailing(g_log)
    if g_sign is not None and np.iscomplexobj(getval(a)):
        # the phase moves with Im tr(a^-1 da); the log-modulus with its real part
        phase = 1j * _trailing(imag(g_sign * ans[0]))
        coef = phase if coef is None else coef + phase
    if coef is None:
        return _zero_if_none(None, a, g)
    return coef * mT(inv(a))


def _slogdet_jvp(t, ans, a):
    trace = _inv_trace(t, a)
    if not np.iscomplexobj(getval(a)):
        return (np.zeros(_shape(trace), np.result_type(getval(ans[0]))), trace)
    return (ans[0] * 1j * imag(trace), real(trace))


# fmt: off
defvjp(inv,     lambda g, ans, a: -matmul(mT(ans), matmul(g, mT(ans))), batchable=True)
defjvp(inv,     lambda t, ans, a: -matmul(ans, matmul(t, ans)), batchable=True)
defvjp(det,     lambda g, ans, a: _trailing(g * ans) * mT(inv(a)), batchable=True)
defjvp(det,     lambda t, ans, a: ans * _inv_trace(t, a), batchable=True)
defvjp(slogdet, _slogdet_vjp, batchable=True)
defjvp(slogdet, _slogdet_jvp, batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- solve

solve = primitive(np.linalg.solve, "solve")


def _as_matrix(b, x):
    """NumPy 2 treats ``b`` as a vector only when it is 1-D: give such ``x`` a column axis."""
    return _expand(x, -1) if np.ndim(getval(b)) == 1 else x


def _from_matrix(b, x):
    return _drop(x, -1) if np.ndim(getval(b)) == 1 else x


def _solve_vjp_b(g, ans, a, b):
    return unbroadcast(_from_matrix(b, solve(mT(a), _as_matrix(b, g))), b)


def _solve_vjp_a(g, ans, a, b):
    gb = solve(mT(a), _as_matrix(b, g))
    return unbroadcast(-matmul(gb, mT(_as_matrix(b, ans))), a)


def _solve_jvp_a(t, ans, a, b):
    ans = _as_matrix(b, ans)
    return _from_matrix(b, -solve(a, matmul(_pad_batch(t, a, ans), ans)))


def _solve_jvp_b(t, ans, a, b):
    tb = _pad_batch(_as_matrix(b, t), _as_matrix(b, getval(b)), a)
    return _from_matrix(b, solve(a, tb))


# fmt: off
defvjp(solve, _solve_vjp_a, _solve_vjp_b, batchable=True)
defjvp(solve, _solve_jvp_a, _solve_jvp_b, batchable=True)
# fmt: on
