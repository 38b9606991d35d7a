"""The engine's core: boxes that trace, primitives that record, and the backward pass.

A *trace* starts when an operator such as :func:`~diaphane.autodiff.grad` wraps its
inputs in :class:`Box` objects. Every :func:`primitive` called on a box records a
node — just the primitive, its arguments and its result; the vector-Jacobian
product is only built in the backward pass, which keeps tracing cheap. Forward
mode uses the same boxes with nodes that carry a tangent instead of a history.

Entry points: :func:`primitive`, :func:`defvjp`, :func:`defjvp`, :func:`backward`,
:func:`new_box`, :func:`nondiff`, :func:`debug_nans`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from diaphane.autodiff.sparse import SparseRows, densify

__all__ = [
    "Box",
    "DiaphaneError",
    "JVPNode",
    "VJPNode",
    "backward",
    "debug_nans",
    "defjvp",
    "defjvp_all",
    "defjvp_is_linear",
    "defvjp",
    "defvjp_all",
    "getval",
    "is_box",
    "new_box",
    "nondiff",
    "primitive",
]


class DiaphaneError(Exception):
    """An error whose message names the cause and the fix."""


_trace_ids = itertools.count(1)


def new_trace_id() -> int:
    """A fresh trace id; later traces get larger ids so the innermost wins."""
    return next(_trace_ids)


class Box:
    """A value being traced: the value, its node in the trace, and the trace id.

    Array methods and operators (``x.T``, ``x @ y``, ``x.sum()``, ``x[i] = v``)
    are attached by :mod:`diaphane.numpy` and dispatch to differentiable primitives.
    """

    __slots__ = ("_node", "_trace", "_value")
    __array_priority__ = 100.0

    def __init__(self, value: Any, node: Any, trace: int) -> None:
        self._value = value
        self._node = node
        self._trace = trace

    def __repr__(self) -> str:
        return f"Box({self._value!r}, trace={self._trace})"

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise DiaphaneError(
            "A traced value reached plain NumPy, which cannot record gradients. "
            "Use the functions of `diaphane.numpy` (import diaphane.numpy as dnp) inside "
            "differentiated code; to write into an array use x = dnp.index_update(x, idx, v)."
        )

    def __bool__(self) -> bool:
        return bool(self._value)

    def __hash__(self) -> int:
        return id(self)


def is_box(x: Any) -> bool:
    """Whether ``x`` is a traced value."""
    return type(x) is Box


def getval(x: Any) -> Any:
    """The plain value under any number of boxes."""
    while type(x) is Box:
        x = x._value
    return x


# ----------------------------------------------------------------------------- nodes


class VJPNode:
    """A reverse-mode record: primitive, arguments, result, and the parents' nodes.

    Kept apart from the :class:`Box` so that ``x[i] = v`` can point a box at a new
    node while earlier uses of ``x`` keep the old one.
    """

    __slots__ = ("ans", "argnums", "args", "kwargs", "parents", "prim")

    def __init__(self, prim, args, kwargs, ans, parents, argnums) -> None:
        self.prim = prim
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.parents = parents
        self.argnums = argnums

    @classmethod
    def leaf(cls, value: Any) -> VJPNode:
        return cls(None, (), {}, value, (), ())

    def release(self) -> None:
        """Drop saved values once the backward pass is past this node."""
        self.args = self.kwargs = self.ans = None


class JVPNode:
    """A forward-mode record: only the tangent of the value it belongs to."""

    __slots__ = ("tangent",)
    parents = ()

    def __init__(self, tangent: Any) -> None:
        self.tangent = tangent


# ----------------------------------------------------------------------------- rules

VJPS: dict[Callable, tuple] = {}  # prim -> tuple of per-argument rules g, ans, *args -> grad
VJP_ALL: dict[Callable, Callable] = {}  # prim -> rule(argnums, g, ans, *args) -> grads
JVPS: dict[Callable, tuple] = {}  # prim -> tuple of per-argument rules t, ans, *args -> tangent
JVP_ALL: dict[Callable, Callable] = {}  # prim -> rule(argnums, tangents, ans, *args) -> tangent
BATCHABLE_VJP: set[Callable] = set()  # VJP rules that accept a leading batch axis on g
BATCHABLE_JVP: set[Callable] = set()  # JVP rules that accept a leading batch axis on t
NONDIFF: set[str] = set()  # names deliberately without gradients


def defvjp(prim: Callable, *rules: Callable | None, batchable: bool = False) -> None:
    """Register reverse-mode rules ``rule(g, ans, *args, **kwargs) -> grad`` per argument.

    Pass ``None`` for an argument that has no gradient.
    """
    VJPS[prim] = rules
    if batchable:
        BATCHABLE_VJP.add(prim)


def defvjp_all(prim: Callable, rule: Callable, batchable: bool = False) -> None:
    """Register one rule ``rule(argnums, g, ans, *args, **kwargs) -> grads`` for all arguments.

    Use it when the gradients share work (a re-run forward pass, a factorisation).
    """
    VJP_ALL[prim] = rule
    if batchable:
        BATCHABLE_VJP.add(prim)


def defjvp(prim: Callable, *rules: Callable | None, batchable: bool = False) -> None:
    """Register forward-mode rules ``rule(t, ans, *args, **kwargs) -> tangent`` per argument."""
    JVPS[prim] = rules
    if batchable:
        BATCHABLE_JVP.add(prim)


def defjvp_all(prim: Callable, rule: Callable, batchable: bool = False) -> None:
    """Register one rule ``rule(argnums, tangents, ans, *args, **kwargs) -> tangent``."""
    JVP_ALL[prim] = rule
    if batchable:
        BATCHABLE_JVP.add(prim)


def defjvp_is_linear(prim: Callable, nargs: int = 1, batchable: bool = False) -> None:
    """Forward rules for a primitive linear in each of its first ``nargs`` arguments."""

    def rule_for(i: int) -> Callable:
        def rule(t, ans, *args, **kwargs):
            args = list(args)
            args[i] = t
            return prim(*args, **kwargs)

        return rule

    defjvp(prim, *(rule_for(i) for i in range(nargs)), batchable=batchable)


# ----------------------------------------------------------------------------- tracing

_check_nans = False


def primitive(raw: Callable, name: str | None = None) -> Callable:
    """Wrap a plain function so that calls on boxes are recorded.

    When no argument is boxed the wrapper calls ``raw`` directly, so untraced code
    pays one loop over the positional arguments.
    """

    def prim(*args, **kwargs):
        for a in args:
            if type(a) is Box:
                return _apply(prim, args, kwargs, raw)
        return raw(*args, **kwargs)

    prim.__name__ = name or getattr(raw, "__name__", "primitive")
    prim.__qualname__ = prim.__name__
    prim.__doc__ = getattr(raw, "__doc__", None)
    prim.raw = raw  # type: ignore[attr-defined]
    return prim


_NO_KWARGS: dict = {}
_ARG0 = (0,)
_ARG1 = (1,)
_ARG01 = (0, 1)


def _apply(prim: Callable, args: tuple, kwargs: dict, raw: Callable | None = None) -> Box:
    """Record one call of ``prim`` on boxed arguments (at least one is a Box).

    Unary and binary calls — nearly all of them — take a fast path.
    """
    nargs = len(args)
    if nargs == 1:
        (x,) = args
        argvals = (x._value,)
        parents = (x._node,)
        argnums = _ARG0
        top = x._trace
    elif nargs == 2:
        x, y = args
        if type(x) is Box:
            if type(y) is Box and y._trace >= x._trace:
                if y._trace == x._trace:
                    argvals, parents, argnums = (x._value, y._value), (x._node, y._node), _ARG01
                else:
                    argvals, parents, argnums = (x, y._value), (y._node,), _ARG1
                top = y._trace
            else:
                argvals, parents, argnums, top = (x._value, y), (x._node,), _ARG0, x._trace
        else:
            argvals, parents, argnums, top = (x, y._value), (y._node,), _ARG1, y._trace
    else:
        argvals, parents, argnums, top = _unbox_top(args)
    for a in argvals:
        if type(a) is Box:  # boxes of outer traces remain: record those too
            ans = prim(*argvals, **kwargs)
            break
    else:
        ans = (raw or prim.raw)(*argvals, **kwargs)
    if _check_nans:
        _raise_on_nonfinite(prim, "forward", ans, argvals)
    if not kwargs:
        kwargs = _NO_KWARGS  # one shared empty dict keeps each node small
    if type(parents[0]) is VJPNode:
        return Box(ans, VJPNode(prim, argvals, kwargs, ans, parents, argnums), top)
    return Box(ans, JVPNode(_push_tangents(prim, argvals, kwargs, ans, parents, argnums, top)), top)


def _unbox_top(args: tuple) -> tuple:
    """Unwrap the boxes of the innermost trace among ``args``."""
    top = 0
    for a in args:
        if type(a) is Box and a._trace > top:
            top = a._trace
    argvals = list(args)
    parents = []
    argnums = []
    for i, a in enumerate(args):
        if type(a) is Box and a._trace == top:
            argvals[i] = a._value
            parents.append(a._node)
            argnums.append(i)
    return tuple(argvals), tuple(parents), tuple(argnums), top


def _push_tangents(prim, argvals, kwargs, ans, parents, argnums, trace):
    tangents = [p.tangent for p in parents]
    nb = TRACE_BATCH.get(trace, 0)
    old, BATCH.ndim = BATCH.ndim, nb  # rules see the batch axes of this trace's tangents only
    try:
        if nb and prim not in BATCHABLE_JVP:
            with batch_axes(0):
                slices = [
                    _tangent_of(
                        prim, argvals, kwargs, ans, [_slice(t, k) for t in tangents], argnums
                    )
                    for k in range(_batch_len(tangents[0]))
                ]
            tangent = stack_cotangents(slices)
        else:
            tangent = _tangent_of(prim, argvals, kwargs, ans, tangents, argnums)
    finally:
        BATCH.ndim = old
    if _check_nans:
        _raise_on_nonfinite(prim, "forward-mode tangent", tangent, argvals)
    return tangent


def _tangent_of(prim, argvals, kwargs, ans, tangents, argnums):
    if prim in JVP_ALL:
        return JVP_ALL[prim](argnums, tangents, ans, *argvals, **kwargs)
    rules = JVPS.get(prim)
    if rules is None:
        raise _missing_rule(prim, "forward-mode (JVP)")
    tangent = None
    for i, t_in in zip(argnums, tangents, strict=True):
        rule = rules[i] if i < len(rules) else None
        if rule is None:
            raise _missing_rule(prim, f"forward-mode (JVP) for argument {i}")
        t = rule(t_in, ans, *argvals, **kwargs)
        tangent = t if tangent is None else add_cotangents(tangent, t)
    return tangent


def new_box(value: Any, trace: int, node: Any) -> Box:
    """Start tracing ``value`` in ``trace``; rejects values that have no derivative."""
    raw = getval(value)
    dtype = getattr(raw, "dtype", None)
    if dtype is None and not isinstance(raw, float | complex):
        if isinstance(raw, bool | int):
            dtype = np.dtype(int)
        else:
            raise DiaphaneError(
                f"Cannot differentiate with respect to a {type(raw).__name__}: "
                "pass a float or complex NumPy array (or a tree of them)."
            )
    if dtype is not None and dtype.kind not in "fc":
        raise DiaphaneError(
            f"Cannot differentiate with respect to an array of dtype {dtype}: "
            "derivatives need floating-point inputs; convert with x.astype(float)."
        )
    return Box(value, node, trace)


def nondiff(fun: Callable, name: str | None = None) -> Callable:
    """Wrap a function with no useful derivative (argmax, shape, comparisons):
    boxes are unwrapped, the result is a plain value."""

    def wrapped(*args, **kwargs):
        return fun(*_unbox_all(args), **{k: _unbox_all(v) for k, v in kwargs.items()})

    wrapped.__name__ = name or getattr(fun, "__name__", "nondiff")
    wrapped.__qualname__ = wrapped.__name__
    wrapped.__doc__ = getattr(fun, "__doc__", None)
    wrapped.raw = fun  # type: ignore[attr-defined]
    NONDIFF.add(wrapped.__name__)
    return wrapped


def _unbox_all(x: Any) -> Any:
    if type(x) is Box:
        return getval(x)
    if type(x) in (list, tuple):
        return type(x)(_unbox_all(v) for v in x)
    return x


# ----------------------------------------------------------------------------- backward


def toposort(ends: Iterable[Any]) -> Iterator[Any]:
    """Nodes reachable from ``ends``, each after all of its children (iterative)."""
    ends = list(dict.fromkeys(ends))
    child_counts = _count_children(ends)
    ready = [n for n in ends if child_counts[n] == 0]
    while ready:
        node = ready.pop()
        yield node
        for parent in node.parents:
            count = child_counts[parent] - 1
            child_counts[parent] = count
            if count == 0:
                ready.append(parent)


def _count_children(ends: list) -> dict:
    """How many times each node reachable from ``ends`` is used as a parent."""
    child_counts: dict[Any, int] = dict.fromkeys(ends, 0)
    stack = list(ends)
    while stack:
        for parent in stack.pop().parents:
            if parent in child_counts:
                child_counts[parent] += 1
            else:
                child_counts[parent] = 1
                stack.append(parent)
    return child_counts


def backward(
    ends: list[tuple[VJPNode, Any]],
    keep_graph: bool = False,
    batched: bool = False,
) -> dict[VJPNode, Any]:
    """Run the reverse pass from ``(node, cotangent)`` pairs.

    Returns the accumulated cotangent of every leaf node reached. Unless
    ``keep_graph`` is set, each node's saved values are released as soon as the
    pass has gone past it. With ``batched`` the cotangents carry one leading
    batch axis; rules not marked batchable are applied slice by slice.
    """
    old, BATCH.ndim = BATCH.ndim, (1 if batched else 0)
    try:
        return _reverse_pass(ends, keep_graph, batched)
    finally:
        BATCH.ndim = old


def _reverse_pass(ends: list, keep_graph: bool, batched: bool) -> dict:
    outgrads: dict[Any, Any] = {}
    for node, g in ends:
        outgrads[node] = add_cotangents(outgrads[node], g) if node in outgrads else g
    roots = list(outgrads)
    child_counts = _count_children(roots)
    ready = [n for n in roots if child_counts[n] == 0]
    leaves = {}
    simple = not (batched or _check_nans)
    pop, get = outgrads.pop, outgrads.get
    while ready:
        node = ready.pop()
        g = pop(node, None)
        prim = node.prim
        if prim is None:
            leaves[node] = g
            continue
        parents = node.parents
        if g is not None:
            if type(g) is SparseRows or type(g) is tuple:
                g = densify(g)  # only leaves (the tables) take sparse rows
            rules = VJPS.get(prim) if simple else None
            rule = None
            if rules is not None and len(parents) == 1:
                i = node.argnums[0]
                rule = rules[i] if i < len(rules) else None
            if rule is not None:
                # The common case, inlined: one traced argument, a per-argument rule.
                parent = parents[0]
                pg = rule(g, node.ans, *node.args, **node.kwargs)
                prev = get(parent)
                outgrads[parent] = pg if prev is None else add_cotangents(prev, pg)
            else:
                _propagate(node, g, outgrads, batched)
        if not keep_graph:
            node.args = node.kwargs = node.ans = None
        for parent in parents:
            count = child_counts[parent] - 1
            child_counts[parent] = count
            if count == 0:
                ready.append(parent)
    return leaves


def _propagate(node: VJPNode, g: Any, outgrads: dict, batched: bool) -> None:
    args = node.args
    if batched and node.prim not in BATCHABLE_VJP:
        grads = _per_slice(node, g)
    else:
        grads = _rule_grads(node.prim, node.argnums, g, node.ans, args, node.kwargs)
    if _check_nans:
        for pg in grads:
            _raise_on_nonfinite(node.prim, "backward", pg, args)
    for parent, pg in zip(node.parents, grads, strict=True):
        prev = outgrads.get(parent)
        outgrads[parent] = pg if prev is None else add_cotangents(prev, pg)


def _rule_grads(prim, argnums, g, ans, args, kwargs) -> list:
    """The cotangents of the traced arguments ``argnums`` of one call of ``prim``."""
    if prim in VJP_ALL:
        return list(VJP_ALL[prim](argnums, g, ans, *args, **kwargs))
    rules = VJPS.get(prim)
    if rules is None:
        raise _missing_rule(prim, "reverse-mode (VJP)")
    grads = []
    for i in argnums:
        rule = rules[i] if i < len(rules) else None
        if rule is None:
            raise _missing_rule(prim, f"reverse-mode (VJP) for argument {i}")
        grads.append(rule(g, ans, *args, **kwargs))
    return grads


def _per_slice(node: VJPNode, g: Any) -> list:
    """Apply a rule that does not know batch axes to each slice of a batched cotangent."""
    with batch_axes(0):
        per_slice = [
            _rule_grads(node.prim, node.argnums, _slice(g, k), node.ans, node.args, node.kwargs)
            for k in range(_batch_len(g))
        ]
    return [stack_cotangents([row[j] for row in per_slice]) for j in range(len(node.parents))]


def _batch_len(g: Any) -> int:
    if type(g) is tuple:
        return next(_batch_len(x) for x in g if x is not None)
    return len(g)


def _slice(g: Any, k: int) -> Any:
    if type(g) is tuple:
        return tuple(_slice(x, k) for x in g)
    return None if g is None else g[k]


def stack_cotangents(parts: list) -> Any:
    from diaphane.autodiff.sparse import SparseRows

    if isinstance(parts[0], SparseRows):
        parts = [p.to_dense() for p in parts]
    if isinstance(parts[0], tuple):
        return tuple(stack_cotangents(list(col)) for col in zip(*parts, strict=True))
    import diaphane.numpy as dnp

    return dnp.stack(parts)


def add_cotangents(a: Any, b: Any) -> Any:
    """Sum two cotangents, where either may be ``None`` (zero), a tuple, or sparse rows."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is tuple:
        return tuple(add_cotangents(x, y) for x, y in zip(a, b, strict=True))
    return a + b


# ----------------------------------------------------------------------------- batching state


class _Batch:
    ndim = 0


BATCH = _Batch()
TRACE_BATCH: dict[int, int] = {}  # forward trace id -> leading batch axes on its tangents


@contextlib.contextmanager
def batch_axes(ndim: int) -> Iterator[None]:
    """Within the block, rules see cotangents/tangents with ``ndim`` leading batch axes."""
    old = BATCH.ndim
    BATCH.ndim = ndim
    try:
        yield
    finally:
        BATCH.ndim = old


# ----------------------------------------------------------------------------- errors and NaNs


def _missing_rule(prim: Callable, what: str) -> DiaphaneError:
    name = getattr(prim, "__name__", repr(prim))
    return DiaphaneError(
        f"The primitive '{name}' has no {what} rule. Register one with "
        f"diaphane.autodiff.defvjp/defjvp, or compute this part outside the differentiated code."
    )


def _describe(values: Iterable[Any]) -> str:
    parts = []
    for v in values:
        v = getval(v)
        shape = getattr(v, "shape", None)
        dtype = getattr(v, "dtype", type(v).__name__)
        parts.append(f"{dtype}{list(shape)}" if shape is not None else str(dtype))
    return ", ".join(parts)


def _raise_on_nonfinite(prim: Callable, where: str, value: Any, args: Iterable[Any]) -> None:
    v = getval(value)
    if type(v) is tuple:
        for item in v:
            _raise_on_nonfinite(prim, where, item, args)
        return
    from diaphane.autodiff.sparse import SparseRows

    if isinstance(v, SparseRows):
        v = v.values
    if v is None or not np.issubdtype(np.asarray(v).dtype, np.inexact):
        return
    if not np.all(np.isfinite(v)):
        name = getattr(prim, "__name__", repr(prim))
        bad = "NaN" if np.any(np.isnan(v)) else "inf"
        raise FloatingPointError(
            f"debug_nans: '{name}' produced {bad} in the {where} pass "
            f"(inputs: {_describe(args)}; output: {_describe([v])})."
        )


@contextlib.contextmanager
def debug_nans(enabled: bool = True) -> Iterator[None]:
    """Raise on the first NaN or inf a primitive produces, forward or backward.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> from diaphane.autodiff import grad
    >>> with debug_nans():
    ...     grad(lambda x: dnp.sum(dnp.log(x)))(np.array([1.0, -1.0]))
    Traceback (most recent call last):
    FloatingPointError: debug_nans: 'log' produced NaN in the forward pass ...
    """
    global _check_nans
    old = _check_nans
    _check_nans = enabled
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            yield
    finally:
        _check_nans = old
