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
:func:`pinv`, :func:`lstsq`, :func:`norm`, :func:`matrix_power`. The rules live in
private modules by family: inverse, determinants and solve in
:mod:`~diaphane.numpy._linalg_base`, factorisations in :mod:`~diaphane.numpy._decompositions`,
norms in :mod:`~diaphane.numpy._norms`; the pseudo-inverse and what builds on it here.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._axes import _shape
from diaphane.numpy._decompositions import cholesky, eigh, eigvalsh, qr, svd
from diaphane.numpy._linalg_base import _eye, det, inv, slogdet, solve
from diaphane.numpy._linear import matmul, mT
from diaphane.numpy._norms import norm
from diaphane.numpy._reductions import sum
from diaphane.numpy._shape import reshape

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


# ----------------------------------------------------------------------------- pseudo-inverse

pinv = primitive(np.linalg.pinv, "pinv")


def _projectors(a, p):
    """``I - a p`` and ``I - p a`` for ``p = pinv(a)``: the projectors off the column space
    and off the row space of ``a``."""
    m, n = _shape(a)[-2:]
    return _eye(m, a) - matmul(a, p), _eye(n, a) - matmul(p, a)


def _pinv_vjp(g, ans, a, *args, **kwargs):
    p, gt = ans, mT(g)
    left, right = _projectors(a, p)
    return (
        -matmul(mT(p), matmul(g, mT(p)))
        + matmul(left, matmul(gt, matmul(p, mT(p))))
        + matmul(mT(p), matmul(p, matmul(gt, right)))
    )


def _pinv_jvp(t, ans, a, *args, **kwargs):
    p, tt = ans, mT(t)
    left, right = _projectors(a, p)
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
