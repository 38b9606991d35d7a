"""Matrix factorisations for :mod:`diaphane.numpy.linalg`: ``cholesky``, ``eigh``,
``eigvalsh``, ``svd`` and ``qr``.

``cholesky`` and ``eigh`` treat their input as symmetric: their derivatives are those of
``f((a + a.T) / 2)``, so gradients come back symmetric. ``svd`` is for real matrices and
needs ``full_matrices=False`` for non-square input; ``qr`` needs ``mode="reduced"`` and at
least as many rows as columns. Tuple results unpack as in NumPy.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import DiaphaneError, defjvp, defvjp, getval, primitive
from diaphane.numpy._axes import _shape
from diaphane.numpy._linalg_base import (
    _diag_embed,
    _diag_part,
    _eye,
    _sym,
    _zero_if_none,
    inv,
    solve,
)
from diaphane.numpy._linear import _expand, matmul, mT

__all__ = [
    "cholesky",
    "eigh",
    "eigvalsh",
    "qr",
    "svd",
]


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
