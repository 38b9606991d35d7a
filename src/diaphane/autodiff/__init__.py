"""diaphane's automatic differentiation engine.

Trace a function of NumPy arrays written with :mod:`diaphane.numpy`, then pull
cotangents back (reverse mode) or push tangents forward (forward mode).

Entry points: :func:`grad`, :func:`value_and_grad`, :func:`vjp`, :func:`jvp`,
:func:`jacobian`, :func:`hessian`, :func:`hvp`, :func:`elementwise_grad`,
:func:`checkpoint`, :func:`check_grads`, :func:`trace_graph`, :func:`debug_nans`;
:func:`primitive`, :func:`defvjp` and :func:`defjvp` to add your own operations.
"""

from diaphane.autodiff.checkpointing import checkpoint
from diaphane.autodiff.core import (
    Box,
    DiaphaneError,
    debug_nans,
    defjvp,
    defjvp_all,
    defjvp_is_linear,
    defvjp,
    defvjp_all,
    getval,
    is_box,
    nondiff,
    primitive,
)
from diaphane.autodiff.jacobians import hessian, hvp, jacobian
from diaphane.autodiff.operators import elementwise_grad, grad, jvp, value_and_grad, vjp
from diaphane.autodiff.sparse import SparseRows
from diaphane.autodiff.tree import flatten, tree_map, unflatten

__all__ = [
    "Box",
    "DiaphaneError",
    "SparseRows",
    "check_grads",
    "checkpoint",
    "debug_nans",
    "defjvp",
    "defjvp_all",
    "defjvp_is_linear",
    "defvjp",
    "defvjp_all",
    "elementwise_grad",
    "flatten",
    "getval",
    "grad",
    "hessian",
    "hvp",
    "is_box",
    "jacobian",
    "jvp",
    "nondiff",
    "primitive",
    "tree_map",
    "unflatten",
    "value_and_grad",
    "vjp",
]


def __getattr__(name: str):
    # check_grads and trace_graph need the numpy namespace; import them on first use.
    if name == "check_grads":
        from diaphane.autodiff.check import check_grads

        return check_grads
    if name in ("trace_graph", "Graph"):
        from diaphane.autodiff import graph

        return getattr(graph, name)
    raise AttributeError(name)
