"""Whole derivative matrices: :func:`jacobian` (reverse or forward mode, batched through
the rules that accept a batch axis), :func:`hessian` (forward over reverse) and
:func:`hvp` (a Hessian-vector product without the Hessian)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError, getval
from diaphane.autodiff.operators import (
    Argnums,
    _argnums_tuple,
    _jvp,
    _partial,
    _Traced,
    grad,
    jvp,
)

__all__ = ["hessian", "hvp", "jacobian"]


def jacobian(
    fun: Callable, argnums: Argnums = 0, mode: str = "rev", batched: bool = True
) -> Callable:
    """The Jacobian, shaped ``output.shape + input.shape``.

    ``mode="rev"`` pulls back one cotangent per output element; ``"fwd"`` pushes
    one tangent per input element. With ``batched`` all of them travel together
    as a leading batch axis through rules that accept one (the others run slice
    by slice), instead of a Python loop over whole passes.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if mode not in ("rev", "fwd"):
        raise DiaphaneError(f"jacobian mode must be 'rev' or 'fwd', not {mode!r}.")
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def jac_fun(*args, **kwargs):
        f = _partial(fun, args, kwargs, nums)
        chosen = tuple(args[i] for i in nums)
        jacs = _jac_rev(f, chosen, batched) if mode == "rev" else _jac_fwd(f, chosen, batched)
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    return jac_fun


def _eye_like(x: Any) -> np.ndarray:
    """One basis vector per element of ``x``, stacked along a new leading axis."""
    v = getval(x)
    n = np.size(v)
    return np.eye(n, dtype=np.result_type(v)).reshape((n, *np.shape(v)))


def _jac_rev(f: Callable, chosen: tuple, batched: bool) -> list:
    traced = _Traced(f, chosen)
    if len(traced.out_values) != 1:
        raise DiaphaneError("jacobian needs a function with one array output.")
    out = traced.out_values[0]
    out_shape = np.shape(out)
    seeds = _eye_like(out)
    if batched:
        rows = traced.pull([seeds], keep_graph=False, batched=True)
    else:
        per_row = [traced.pull([s], keep_graph=True) for s in seeds]
        rows = [_stack([r[j] for r in per_row]) for j in range(len(chosen))]
    return [
        _reshape(r, out_shape + np.shape(x)) for r, x in zip(rows, traced.in_leaves, strict=True)
    ]


def _jac_fwd(f: Callable, chosen: tuple, batched: bool) -> list:
    jacs = []
    for j, x in enumerate(chosen):
        seeds = _eye_like(x)

        def push(t, j=j, x=x):
            def only_j(xj):
                return f(*chosen[:j], xj, *chosen[j + 1 :])

            return _jvp(only_j, (x,), (t,), 1 if batched else 0)[1]

        cols = push(seeds) if batched else _stack([push(s) for s in seeds])
        out_shape = np.shape(getval(cols))[1:]
        jacs.append(_reshape(_moveaxis(cols, 0, -1), out_shape + np.shape(getval(x))))
    return jacs


def _stack(parts: list) -> Any:
    import diaphane.numpy as dnp

    return dnp.stack(parts)


def _reshape(x: Any, shape: tuple) -> Any:
    import diaphane.numpy as dnp

    return dnp.reshape(x, shape)


def _moveaxis(x: Any, a: int, b: int) -> Any:
    import diaphane.numpy as dnp

    return dnp.moveaxis(x, a, b)


def hessian(fun: Callable, argnums: int = 0) -> Callable:
    """The Hessian of a scalar function: forward-mode Jacobian of the reverse-mode gradient.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> hessian(lambda x: dnp.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(grad(fun, argnums), argnums, mode="fwd")


def hvp(fun: Callable, argnums: int = 0) -> Callable:
    """``hvp(f)(*args, v)``: the Hessian-vector product, forward over reverse, without
    forming the Hessian.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> hvp(lambda x: dnp.sum(x ** 3))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    g = grad(fun, argnums)

    @functools.wraps(fun)
    def hvp_fun(*args_and_v, **kwargs):
        *args, v = args_and_v
        f = _partial(g, tuple(args), kwargs, (argnums,))
        return jvp(f, (args[argnums],), (v,))[1]

    return hvp_fun
