"""Gradient checkpointing: keep none of a block's intermediate values and re-run the
block in the backward pass."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from diaphane.autodiff.core import defjvp_all, defvjp_all, getval, primitive
from diaphane.autodiff.operators import jvp, vjp
from diaphane.autodiff.tree import flatten, unflatten

__all__ = ["checkpoint"]


def _run_checkpointed(fun: Callable, structure: Any, *leaves: Any) -> Any:
    return fun(*unflatten(structure, list(leaves)))


_checkpointed = primitive(_run_checkpointed, "checkpoint")


def _checkpoint_vjp(argnums, g, ans, fun, structure, *leaves):
    _, pull = vjp(lambda *ls: _run_checkpointed(fun, structure, *ls), *leaves)
    grads = pull(g)
    return [grads[i - 2] for i in argnums]


def _checkpoint_jvp(argnums, tangents, ans, fun, structure, *leaves):
    full = [np.zeros(np.shape(getval(x)), np.result_type(getval(x))) for x in leaves]
    for i, t in zip(argnums, tangents, strict=True):
        full[i - 2] = t
    return jvp(lambda *ls: _run_checkpointed(fun, structure, *ls), leaves, tuple(full))[1]


defvjp_all(_checkpointed, _checkpoint_vjp)
defjvp_all(_checkpointed, _checkpoint_jvp)


def checkpoint(fun: Callable) -> Callable:
    """Trade compute for memory: keep no intermediate values of ``fun`` and re-run it
    in the backward pass. ``fun`` returns an array (or a tuple of arrays).

    >>> import numpy as np, diaphane.numpy as dnp
    >>> from diaphane.autodiff import grad
    >>> block = checkpoint(lambda w, x: dnp.tanh(x @ w))
    >>> grad(lambda w: dnp.sum(block(w, np.ones((2, 3)))))(np.zeros((3, 4))).shape
    (3, 4)
    """

    @functools.wraps(fun)
    def checkpointed(*args):
        leaves, structure = flatten(args)
        return _checkpointed(fun, structure, *leaves)

    return checkpointed
