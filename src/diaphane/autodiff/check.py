"""Checking derivatives against central finite differences.

:func:`check_grads` compares forward-mode and reverse-mode derivatives of a
function with finite differences along random directions, to any order, and
checks that single-precision inputs get single-precision derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from diaphane.autodiff.operators import jvp, vjp
from diaphane.autodiff.tree import flatten, tree_map

__all__ = ["check_grads"]

_LOW = {np.dtype(np.float32): np.float64, np.dtype(np.complex64): np.complex128}


def _random_like(x: Any, rng: np.random.Generator) -> np.ndarray:
    x = np.asarray(x)
    v = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        v = v + 1j * rng.standard_normal(x.shape)
    return v.astype(x.dtype) if x.dtype.kind in "fc" else v


def _inner(a: Any, b: Any) -> float:
    """The real bilinear pairing of two trees (no conjugate), as cotangents pair with tangents."""
    la, _ = flatten(a)
    lb, _ = flatten(b)
    pairs = zip(la, lb, strict=True)
    return float(sum(np.real(np.sum(np.asarray(x) * np.asarray(y))) for x, y in pairs))


def _axpy(alpha: float, v: Any, x: Any) -> Any:
    return tree_map(lambda xi, vi: np.asarray(xi + alpha * vi, dtype=np.result_type(xi)), x, v)


def _upcast(tree: Any) -> Any:
    return tree_map(
        lambda x: (
            np.asarray(x).astype(_LOW[np.asarray(x).dtype]) if np.asarray(x).dtype in _LOW else x
        ),
        tree,
    )


def _has_low_precision(tree: Any) -> bool:
    return any(np.asarray(x).dtype in _LOW for x in flatten(tree)[0])


def _fd(fun: Callable, args: tuple, v: Any, eps: float) -> Any:
    plus = fun(*_axpy(eps, v, args))
    minus = fun(*_axpy(-eps, v, args))
    return tree_map(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * eps), plus, minus)


def _close(name: str, ours: Any, numeric: Any, rtol: float, atol: float, worst: dict) -> None:
    lo, _ = flatten(ours)
    ln, _ = flatten(numeric)
    mode = "fwd" if name.startswith("forward") else "rev"
    for a, b in zip(lo, ln, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape == b.shape and a.size:
            scale = max(float(np.max(np.abs(b))), np.finfo(float).tiny)
            worst[mode] = max(worst.get(mode, 0.0), float(np.max(np.abs(a - b))) / scale)
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
            raise AssertionError(
                f"{name} derivative disagrees with finite differences:\n"
                f"  ours:    {a!r}\n  numeric: {b!r}\n  max |diff| "
                f"{np.max(np.abs(a - b)) if a.shape == b.shape else 'shape ' + str(a.shape)}"
            )


def _dtype_check(fun: Callable, args: tuple, modes: Sequence[str], rng) -> None:
    """Derivatives of single-precision inputs come back in single precision."""
    out = fun(*args)
    if "rev" in modes:
        _, pull = vjp(fun, *args)
        grads = pull(tree_map(lambda o: _random_like(o, rng), out))
        for g, x in zip(flatten(grads)[0], flatten(args)[0], strict=True):
            if np.asarray(g).dtype != np.asarray(x).dtype:
                raise AssertionError(
                    f"reverse-mode gradient has dtype {np.asarray(g).dtype} for an input of "
                    f"dtype {np.asarray(x).dtype}"
                )
    if "fwd" in modes:
        tangents = tree_map(lambda x: _random_like(x, rng), args)
        out, t_out = jvp(fun, args, tangents)
        for t, o in zip(flatten(t_out)[0], flatten(out)[0], strict=True):
            o_dtype = np.asarray(o).dtype
            if o_dtype.kind in "fc" and np.asarray(t).dtype != o_dtype:
                raise AssertionError(
                    f"forward-mode tangent has dtype {np.asarray(t).dtype} for an output of "
                    f"dtype {o_dtype}"
                )


def check_grads(
    fun: Callable,
    *args: Any,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
    errors: dict[str, float] | None = None,
) -> dict[str, float]:
    """Assert that ``fun``'s derivatives at ``args`` match central finite differences.

    For each mode, a random direction ``v`` (and for reverse mode a random
    cotangent ``u``) is drawn; forward mode compares ``J v``, reverse mode
    compares ``<u, J v>`` through ``vjp``. With ``order > 1`` the derivative
    functions themselves are checked, recursively. Single-precision inputs are
    checked in double precision, and their derivatives must stay single.

    Returns the largest relative error seen in each mode, e.g. ``{"fwd": 2e-10, "rev": 3e-10}``;
    pass a dict as ``errors`` to have it filled even when the check fails.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> errors = check_grads(lambda x: dnp.sin(x) * x, np.array([0.3, 1.2]))
    >>> sorted(errors), errors["rev"] < 1e-8
    (['fwd', 'rev'], True)
    """
    rng = np.random.default_rng(seed)
    if _has_low_precision(args):
        _dtype_check(fun, args, modes, rng)
        args = _upcast(args)
    worst: dict[str, float] = {} if errors is None else errors
    _check(fun, tuple(args), tuple(modes), order, eps, rtol, atol, rng, worst)
    return worst


def _check(fun, args, modes, order, eps, rtol, atol, rng, worst) -> None:
    v = tree_map(lambda x: _random_like(x, rng), args)
    numeric = _fd(fun, args, v, eps)
    if "fwd" in modes:
        _, ours = jvp(fun, args, v)
        _close("forward-mode", ours, numeric, rtol, atol, worst)
        if order > 1:

            def push(*a):
                return jvp(fun, a, v)[1]

            _check(push, args, modes, order - 1, eps, rtol, atol, rng, worst)
    if "rev" in modes:
        out = fun(*args)
        u = tree_map(lambda o: _random_like(o, rng), out)
        _, pull = vjp(fun, *args)
        _close("reverse-mode", _inner(pull(u), v), _inner(u, numeric), rtol, atol, worst)
        if order > 1:

            def pull_at(*a):
                return vjp(fun, *a)[1](u)

            _check(pull_at, args, modes, order - 1, eps, rtol, atol, rng, worst)
