"""Products: dot, matmul (to be extended: tensordot, inner, outer, kron, einsum, cov)."""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._shape import moveaxis
from diaphane.numpy._util import unbroadcast

__all__ = ["dot", "matmul"]

matmul = primitive(np.matmul)


def _swap_last(a):
    return moveaxis(a, -1, -2) if np.ndim(getval(a)) >= 2 else a


def _matmul_vjp_x(g, ans, x, y):
    xv, yv = getval(x), getval(y)
    if np.ndim(yv) == 1:
        from diaphane.numpy._elementwise import multiply

        g = g[..., None] if np.ndim(xv) > 1 else g
        return unbroadcast(multiply(g, y), x)
    return unbroadcast(matmul(g, _swap_last(y)), x)


def _matmul_vjp_y(g, ans, x, y):
    xv, yv = getval(x), getval(y)
    from diaphane.numpy._elementwise import multiply

    if np.ndim(xv) == 1 and np.ndim(yv) == 1:
        return multiply(g, x)
    if np.ndim(xv) == 1:
        return unbroadcast(multiply(x[:, None], g[..., None, :]), y)
    if np.ndim(yv) == 1:
        return unbroadcast(matmul(g, x), y)
    return unbroadcast(matmul(_swap_last(x), g), y)


# fmt: off
defvjp(matmul, _matmul_vjp_x, _matmul_vjp_y)
defjvp(matmul, lambda t, ans, x, y: matmul(t, y),
               lambda t, ans, x, y: matmul(x, t))
# fmt: on
dot = matmul  # placeholder until dot gets its own rules (differs from matmul for ndim > 2)
