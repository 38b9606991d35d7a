"""Differentiable linear algebra: ``dnp.linalg``.

Every primitive has reverse and forward rules written with batched matrix
products, so they work on stacks of matrices (leading axes) and on the leading
batch axes of batched Jacobians. ``inv``, ``det``, ``slogdet`` and ``solve`` are
holomorphic and take complex input. ``cholesky`` and ``eigh`` treat their input
as symmetric: their derivatives are those of ``f((a + a.T) / 2)``, so gradients
come back symmetric. ``svd`` and ``pinv`` are for real matrices; ``svd`` needs
``full_matrices=False`` for non-square input. Tuple results (``slogdet``,
``eigh``, ``svd``, ``qr``) unpack as in NumPy: ``w, v = dnp.linalg.eigh(a)``.

Entry points: :func:`inv`, :func:`det`, :func:`slogdet`, :func:`solve`,
:func:`cholesky`, :func:`eigh`, :func:`eigvalsh`, :func:`svd`, :func:`qr`,
:func:`pinv`, :func:`lstsq`, :func:`norm`, :func:`matrix_power`.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import BATCH, DiaphaneError, defjvp, defvjp, getval, primitive
from diaphane.numpy._indexing import where
from diaphane.numpy._linear import _drop, _expand, _pad_batch, matmul, mT
from diaphane.numpy._reductions import repeat_to_shape, sum
from diaphane.numpy._shape import reshape, transpose
from diaphane.numpy._util import unbroadcast

__all__ = [
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
]


def _dnp():
    import diaphane.numpy as dnp

    return dnp


def _shape(x):
    return np.shape(getval(x))


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
        phase = 1j * _trailing(_dnp().imag(g_sign * ans[0]))
        coef = phase if coef is None else coef + phase
    if coef is None:
        return _zero_if_none(None, a, g)
    return coef * mT(inv(a))


def _slogdet_jvp(t, ans, a):
    dnp = _dnp()
    trace = _inv_trace(t, a)
    if not np.iscomplexobj(getval(a)):
        return (np.zeros(_shape(trace), np.result_type(getval(ans[0]))), trace)
    return (ans[0] * 1j * dnp.imag(trace), dnp.real(trace))


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


# --------------------------------------------------------------- symmetric factorisations

_cholesky = primitive(np.linalg.cholesky, "cholesky")


def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved."""
    n = _shape(x)[-1]
    mask = np.tril(np.ones((n, n), np.result_type(getval(x)))) - 0.5 * _eye(n, x)
    return x * mask


def _cholesky_vjp(g, ans, a):
    l_inv = inv(ans)
    p = _phi(matmul(mT(ans), g))
    return _sym(matmul(mT(l_inv), matmul(p, l_inv)))


def _cholesky_jvp(t, ans, a):
    l_inv = inv(ans)
    return matmul(ans, _phi(matmul(l_inv, matmul(_sym(t), mT(l_inv)))))


defvjp(_cholesky, _cholesky_vjp, batchable=True)
defjvp(_cholesky, _cholesky_jvp, batchable=True)


def cholesky(a, upper=False):
    """``np.linalg.cholesky`` of a (stack of) real symmetric positive-definite matrices."""
    return mT(_cholesky(a)) if upper else _cholesky(a)


def _eigh_raw(a, UPLO="L"):
    return tuple(np.linalg.eigh(a, UPLO))


_eigh = primitive(_eigh_raw, "eigh")


def _gaps(w, square=False):
    """``F[i, j] = 1 / (w[j] - w[i])`` (of squares with ``square``), zero on the diagonal."""
    row, col = _expand(w, -2), _expand(w, -1)
    diff = row * row - col * col if square else row - col
    eye = _eye(_shape(w)[-1], w)
    return 1.0 / (diff + eye) - eye


def _eigh_vjp(g, ans, a, UPLO="L"):
    w, v = ans
    g_w, g_v = g
    inner = _diag_embed(_zero_if_none(g_w, w, g))
    if g_v is not None:
        inner = inner + _gaps(w) * matmul(mT(v), g_v)
    return _sym(matmul(v, matmul(inner, mT(v))))


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans
    m = matmul(mT(v), matmul(_sym(t), v))
    return (_diag_part(m), matmul(v, _gaps(w) * m))


defvjp(_eigh, _eigh_vjp, batchable=True)
defjvp(_eigh, _eigh_jvp, batchable=True)


def eigh(a, UPLO="L"):
    """``np.linalg.eigh`` of a (stack of) real symmetric matrices: ``(w, v)``, ascending ``w``.

    Derivatives assume distinct eigenvalues.

    >>> import numpy as np
    >>> w, v = eigh(np.diag([2.0, 1.0]))
    >>> w
    array([1., 2.])
    """
    return _eigh(a, UPLO)


def eigvalsh(a, UPLO="L"):
    """``np.linalg.eigvalsh``: the eigenvalues of ``eigh``."""
    return _eigh(a, UPLO)[0]


# ----------------------------------------------------------------------------- SVD


def _svd_raw(a, full_matrices=True, compute_uv=True, hermitian=False):
    out = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
    return tuple(out) if compute_uv else out


svd = primitive(_svd_raw, "svd")
svd.__doc__ = """``np.linalg.svd`` of a (stack of) real matrices: ``(u, s, vh)``, or ``s`` alone
with ``compute_uv=False``. Derivatives assume distinct non-zero singular values and, for
non-square input, ``full_matrices=False``."""


def _check_reduced(a, full_matrices):
    m, n = _shape(a)[-2:]
    if full_matrices and m != n:
        raise DiaphaneError(
            "The derivative of svd of a non-square matrix with full_matrices=True is not "
            "defined (the extra singular vectors are arbitrary); pass full_matrices=False."
        )


def _svd_uv_vjp(g, u, s, vh, a):
    g_u, g_s, g_vh = g
    m, n = _shape(a)[-2:]
    s_row, s_col, f = _expand(s, -2), _expand(s, -1), _gaps(s, square=True)
    inner = _diag_embed(_zero_if_none(g_s, s, g))
    if g_u is not None:
        ut_gu = matmul(mT(u), g_u)
        inner = inner + f * (ut_gu - mT(ut_gu)) * s_row
    if g_vh is not None:
        vt_gv = matmul(vh, mT(g_vh))
        inner = inner + s_col * (f * (vt_gv - mT(vt_gv)))
    grad = matmul(u, matmul(inner, vh))
    if m > n and g_u is not None:  # the part of g_u outside the column space of u
        grad = grad + matmul((g_u - matmul(u, matmul(mT(u), g_u))) / s_row, vh)
    if n > m and g_vh is not None:
        g_v, v = mT(g_vh), mT(vh)
        grad = grad + matmul(u / s_row, mT(g_v - matmul(v, matmul(vh, g_v))))
    return grad


def _svd_vjp(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        u, _, vh = svd(a, full_matrices=False)
        return matmul(u * _expand(g, -2), vh)
    _check_reduced(a, full_matrices)
    return _svd_uv_vjp(g, *ans, a)


def _svd_jvp(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        u, _, vh = svd(a, full_matrices=False)
        return _diag_part(matmul(mT(u), matmul(t, mT(vh))))
    _check_reduced(a, full_matrices)
    u, s, vh = ans
    v = mT(vh)
    m, n = _shape(a)[-2:]
    dp = matmul(mT(u), matmul(t, v))
    s_row, s_col, f = _expand(s, -2), _expand(s, -1), _gaps(s, square=True)
    dp_s, s_dp = dp * s_row, s_col * dp
    du = matmul(u, f * (dp_s + mT(dp_s)))
    dv = matmul(v, f * (s_dp + mT(s_dp)))
    if m > n:
        tv = matmul(t, v)
        du = du + (tv - matmul(u, matmul(mT(u), tv))) / s_row
    if n > m:
        tu = matmul(mT(t), u)
        dv = dv + (tu - matmul(v, matmul(vh, tu))) / s_row
    return (du, _diag_part(dp), mT(dv))


defvjp(svd, _svd_vjp, batchable=True)
defjvp(svd, _svd_jvp, batchable=True)


# ----------------------------------------------------------------------------- QR


def _qr_raw(a, mode="reduced"):
    out = np.linalg.qr(a, mode=mode)
    return tuple(out) if isinstance(out, tuple) else out


qr = primitive(_qr_raw, "qr")
qr.__doc__ = """``np.linalg.qr`` of a (stack of) real matrices: ``(q, r)``. Derivatives need
``mode="reduced"`` and at least as many rows as columns."""


def _strict_lower(x):
    n = _shape(x)[-1]
    return x * np.tril(np.ones((n, n), np.result_type(getval(x))), -1)


def _check_qr(a, mode):
    m, n = _shape(a)[-2:]
    if mode != "reduced" or m < n:
        raise DiaphaneError(
            "qr is differentiable only with mode='reduced' and at least as many rows as "
            f"columns (got mode={mode!r} and shape {m}x{n})."
        )


def _qr_vjp(g, ans, a, mode="reduced"):
    _check_qr(a, mode)
    q, r = ans
    g_q, g_r = _zero_if_none(g[0], q, g), _zero_if_none(g[1], r, g)
    m = matmul(mT(q), g_q) - matmul(g_r, mT(r))
    n = _strict_lower(m - mT(m)) - m
    return mT(solve(r, mT(g_q + matmul(q, n))))


def _qr_jvp(t, ans, a, mode="reduced"):
    _check_qr(a, mode)
    q, r = ans
    t_rinv = mT(solve(mT(r), mT(t)))
    c = matmul(mT(q), t_rinv)
    low = _strict_lower(c)
    omega = low - mT(low)
    return (matmul(q, omega - c) + t_rinv, matmul(c - omega, r))


defvjp(qr, _qr_vjp, batchable=True)
defjvp(qr, _qr_jvp, batchable=True)


# ----------------------------------------------------------------------------- pseudo-inverse

pinv = primitive(np.linalg.pinv, "pinv")


def _pinv_vjp(g, ans, a, *args, **kwargs):
    p, gt = ans, mT(g)
    m, n = _shape(a)[-2:]
    left = _eye(m, a) - matmul(a, p)  # projects off the column space of a
    right = _eye(n, a) - matmul(p, a)
    return (
        -matmul(mT(p), matmul(g, mT(p)))
        + matmul(left, matmul(gt, matmul(p, mT(p))))
        + matmul(mT(p), matmul(p, matmul(gt, right)))
    )


def _pinv_jvp(t, ans, a, *args, **kwargs):
    p, tt = ans, mT(t)
    m, n = _shape(a)[-2:]
    left = _eye(m, a) - matmul(a, p)
    right = _eye(n, a) - matmul(p, a)
    return (
        -matmul(p, matmul(t, p))
        + matmul(p, matmul(mT(p), matmul(tt, left)))
        + matmul(right, matmul(tt, matmul(mT(p), p)))
    )


defvjp(pinv, _pinv_vjp, batchable=True)
defjvp(pinv, _pinv_jvp, batchable=True)


def lstsq(a, b, rcond=None):
    """``np.linalg.lstsq``: ``(x, residuals, rank, s)`` for the least-squares ``a @ x ~ b``.

    ``x`` is ``pinv(a) @ b`` (the minimum-norm solution); its derivative assumes ``a``'s
    rank does not change nearby. ``rank`` is a plain integer.
    """
    av = getval(a)
    m, n = np.shape(av)
    s = svd(a, compute_uv=False)
    cutoff = (np.finfo(av.dtype).eps * max(m, n) if rcond is None else rcond) * np.max(getval(s))
    rank = int(np.sum(getval(s) > cutoff))
    x = matmul(pinv(a, rcond=cutoff / np.max(getval(s))), b)
    if rank == n and m > n:
        residuals = sum((matmul(a, x) - b) ** 2, axis=0)
        residuals = reshape(residuals, (1,)) if np.ndim(getval(b)) == 1 else residuals
    else:
        residuals = np.zeros(0, np.finfo(np.result_type(av, np.float32)).dtype)
    return x, residuals, rank, s


def matrix_power(a, n):
    """``np.linalg.matrix_power`` by repeated squaring (``inv`` first for negative ``n``)."""
    if n == 0:
        return np.broadcast_to(_eye(_shape(a)[-1], a), _shape(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


# ----------------------------------------------------------------------------- norms


def _norm2_raw(x, axis=None, keepdims=False):
    sq = x.real * x.real + x.imag * x.imag if np.iscomplexobj(x) else x * x
    return np.sqrt(np.sum(sq, axis=axis, keepdims=keepdims))


_norm2 = primitive(_norm2_raw, "norm")


def _nonzero(ans):
    """``ans`` with zeros replaced by one: at the zero vector the gradient is the
    subgradient 0 (the numerator is zero there), not 0/0."""
    return where(getval(ans) == 0, 1.0, ans)


def _norm2_vjp(g, ans, x, axis=None, keepdims=False):
    dnp = _dnp()
    xc = dnp.conj(x) if np.iscomplexobj(getval(x)) else x
    return repeat_to_shape(g / _nonzero(ans), x, axis, keepdims) * xc


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    nd = np.ndim(getval(x))
    axes = tuple(range(-nd, 0)) if axis is None else tuple(a - nd for a in axis)
    dnp = _dnp()
    prod = dnp.real(dnp.conj(x) * t) if np.iscomplexobj(getval(x)) else x * t
    return sum(prod, axis=axes, keepdims=keepdims) / _nonzero(ans)


defvjp(_norm2, _norm2_vjp, batchable=True)
defjvp(_norm2, _norm2_jvp, batchable=True)


def _vector_norm(x, ord, axis, keepdims):
    dnp = _dnp()
    if ord is None or ord == 2:
        return _norm2(x, axis, keepdims)
    if ord == 0:
        return np.sum(getval(x) != 0, axis=axis, keepdims=keepdims).astype(_real(x))
    ax = tuple(a - np.ndim(getval(x)) for a in axis)
    if ord == np.inf:
        return dnp.max(dnp.abs(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return dnp.min(dnp.abs(x), axis=ax, keepdims=keepdims)
    if ord == 1:
        return sum(dnp.abs(x), axis=ax, keepdims=keepdims)
    total = sum(dnp.abs(x) ** ord, axis=ax, keepdims=keepdims)
    zero = getval(total) == 0
    return where(zero, 0.0, where(zero, 1.0, total) ** (1.0 / ord))


def _real(x):
    return np.finfo(np.result_type(getval(x), np.float32)).dtype


def _matrix_norm(x, ord, axis, keepdims):
    dnp = _dnp()
    nd = np.ndim(getval(x))
    row, col = axis
    if ord in (None, "fro"):
        return _norm2(x, axis, keepdims)
    if ord in ("nuc", 2, -2):
        others = [i for i in range(nd) if i not in axis]
        s = svd(transpose(x, (*others, row, col)), compute_uv=False)
        out = {"nuc": sum, 2: dnp.max, -2: dnp.min}[ord](s, axis=-1)
    elif ord in (1, -1, np.inf, -np.inf):
        summed, reduced = (row, col) if ord in (1, -1) else (col, row)
        reduced -= reduced > summed
        best = dnp.max if ord > 0 else dnp.min
        out = best(sum(dnp.abs(x), axis=summed), axis=reduced)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    if keepdims:
        shape = list(_shape(x))
        shape[row] = shape[col] = 1
        out = reshape(out, tuple(shape))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``: vector norms (``ord`` 2, 1, inf, -inf, 0, p) over one axis,
    matrix norms (``"fro"``, ``"nuc"``, 2, -2, 1, -1, inf, -inf) over two.

    The gradient of the 2-norm at the zero vector is the subgradient 0.

    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    nd = np.ndim(getval(x))
    if axis is None:
        if ord is None:
            return _norm2(x, None, keepdims)
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axis = tuple(a % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")
