"""Graph export: the computation a function performs, as plain data, DOT or JSON.

:func:`trace_graph` runs a function once under a reverse trace and returns a
:class:`Graph` — nodes with stable ids (their index in a forward topological
order), the edges between them, and optionally every node's forward value and
the cotangent that reaches it in the backward pass. :meth:`Graph.to_dot` and
:meth:`Graph.to_dict` are pure functions of that data, so the same function on
the same shapes always gives the same bytes; :meth:`Graph.render` draws it with
Graphviz's ``dot`` when it is installed.

Entry points: :func:`trace_graph`, :class:`Graph`.
"""

from __future__ import annotations

import inspect
import math
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diaphane.autodiff.backward import _propagate, toposort
from diaphane.autodiff.core import DiaphaneError, getval
from diaphane.autodiff.operators import _fit_gradient, _Traced
from diaphane.autodiff.sparse import SparseRows

__all__ = ["Graph", "GraphEdge", "GraphNode", "trace_graph"]

KINDS = ("input", "const", "op", "output")


@dataclass(frozen=True)
class GraphNode:
    """One value in the computation.

    Attributes:
        id: Index in a forward topological order (inputs first, in argument order).
        kind: ``'input'`` (an argument), ``'const'`` (an untraced array an operation
            used), ``'op'`` (a primitive's result) or ``'output'`` (a result returned).
        op: The primitive's name; ``None`` for inputs and constants.
        name: The argument's name (``params['W']`` inside trees) or the output's
            (``out``, ``out[1]``); ``None`` otherwise.
        signature: The primitive's untraced arguments, e.g. ``'(·, 2)'`` for ``x ** 2``
            or ``'(·, axis=1)'``; ``''`` when there are none to show.
        shape: The value's shape; ``None`` for a tuple of values.
        dtype: The dtype's name, or the types of a tuple's items.
        value: The forward value, when traced with ``values=True``.
        grad: The cotangent reaching the node, when traced with ``grads=True``.
    """

    id: int
    kind: str
    op: str | None
    name: str | None
    signature: str
    shape: tuple[int, ...] | None
    dtype: str
    value: Any = None
    grad: Any = None

    @property
    def type_str(self) -> str:
        """``dtype[shape]``, e.g. ``float64[256,512]``; ``float64[]`` for a scalar."""
        if self.shape is None:
            return self.dtype
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


@dataclass(frozen=True)
class GraphEdge:
    """The value of node ``src`` used as positional argument ``arg`` of node ``dst``."""

    src: int
    dst: int
    arg: int


@dataclass
class Graph:
    """A traced computation: nodes in forward topological order, edges, inputs, outputs."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-serialisable description (non-finite numbers become strings)."""
        return {
            "format": "diaphane.graph",
            "version": 1,
            "nodes": [_node_dict(n) for n in self.nodes],
            "edges": [{"src": e.src, "dst": e.dst, "arg": e.arg} for e in self.edges],
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
        }

    def to_dot(self) -> str:
        """Graphviz DOT text, left to right; inputs, constants and outputs styled apart."""
        n_in = [0] * len(self.nodes)
        for e in self.edges:
            n_in[e.dst] += 1
        outputs = set(self.outputs)
        lines = [
            "digraph diaphane {",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
            'fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
        ]
        lines += [f"  n{n.id} [{_dot_attrs(n, n.id in outputs)}];" for n in self.nodes]
        for e in self.edges:
            label = f' [label="{e.arg}"]' if n_in[e.dst] > 1 else ""
            lines.append(f"  n{e.src} -> n{e.dst}{label};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, format: str = "svg") -> bytes:
        """The graph drawn by Graphviz's ``dot`` as ``format`` (``svg``, ``png``, ...).

        Raises:
            DiaphaneError: when ``dot`` is not installed or fails.
        """
        return render_dot(self.to_dot(), format)


def render_dot(dot_text: str, format: str) -> bytes:
    """Run Graphviz's ``dot -T<format>`` on DOT text and return its output."""
    exe = shutil.which("dot")
    if exe is None:
        raise DiaphaneError(
            f"Rendering {format.upper()} needs Graphviz's `dot` program, which is not on PATH: "
            "install Graphviz (Debian/Ubuntu package `graphviz`) or use Graph.to_dot()."
        )
    done = subprocess.run(
        [exe, f"-T{format}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        raise DiaphaneError(f"Graphviz `dot` failed: {err[0] if err else done.returncode}.")
    return done.stdout


# ----------------------------------------------------------------------------- tracing


def trace_graph(f: Callable, *args: Any, values: bool = False, grads: bool = False) -> Graph:
    """Run ``f(*args)`` once and return the graph of operations behind its outputs.

    Args:
        f: A function written with :mod:`diaphane.numpy`; its arguments may be trees.
        *args: The arguments; every array leaf is traced (float or complex).
        values: Keep each node's forward value.
        grads: Run a backward pass and keep the cotangent reaching each node. The
            seed is ones for every output, i.e. the gradient of the sum of the outputs;
            on the inputs it equals :func:`~diaphane.autodiff.grad` for a scalar ``f``.

    >>> import numpy as np, diaphane.numpy as dnp
    >>> g = trace_graph(lambda x: dnp.sum(dnp.tanh(x)), np.zeros(3))
    >>> [(n.kind, n.op or n.name, n.type_str) for n in g.nodes]
    [('input', 'x', 'float64[3]'), ('op', 'tanh', 'float64[3]'), ('output', 'sum', 'float64[]')]
    """
    traced = _Traced(f, args)
    out_nodes = [b._node for b in traced.out_boxes if b is not None]
    order = list(toposort(dict.fromkeys(out_nodes)))
    order.reverse()  # toposort lists children before parents
    cotangents = _cotangents(traced, order) if grads else {}
    builder = _Builder(values, cotangents)
    names = _input_names(f, args)
    for node, x, name in zip(traced.in_nodes, traced.in_leaves, names, strict=True):
        g = _fit_gradient(cotangents.get(node), x, (), False) if grads else None
        builder.add_input(node, name, g)
    out_names = _tree_paths(traced.output(), "out")
    outputs: dict[Any, str] = {}
    for b, name in zip(traced.out_boxes, out_names, strict=True):
        if b is not None:
            outputs.setdefault(b._node, name)
    for node in order:
        if node.prim is not None:
            builder.add_op(node, outputs.get(node))
    graph = builder.graph
    graph.outputs = [builder.ids[b._node] for b in traced.out_boxes if b is not None]
    return graph


def _cotangents(traced: _Traced, order: list) -> dict:
    """The cotangent reaching every node, seeding each output with ones."""
    outgrads: dict = {}
    for b in traced.out_boxes:
        if b is not None:
            seed = np.ones_like(b._value)
            prev = outgrads.get(b._node)
            outgrads[b._node] = seed if prev is None else prev + seed
    seen = {}
    for node in reversed(order):
        g = outgrads.pop(node, None)
        seen[node] = g
        if node.prim is not None and g is not None:
            _propagate(node, g, outgrads, False)
    return seen


class _Builder:
    """Assigns ids in visiting order and collects nodes and edges."""

    def __init__(self, values: bool, cotangents: dict) -> None:
        self.graph = Graph()
        self.ids: dict = {}  # trace node -> id
        self.const_ids: dict[int, int] = {}  # id() of a constant array -> graph id
        self.values = values
        self.cotangents = cotangents

    def _new(self, kind, op, name, signature, value, grad) -> int:
        nid = len(self.graph.nodes)
        shape, dtype = _type_of(value)
        kept = _plain(value) if self.values else None
        self.graph.nodes.append(GraphNode(nid, kind, op, name, signature, shape, dtype, kept, grad))
        return nid

    def add_input(self, node, name: str, grad: Any) -> None:
        nid = self._new("input", None, name, "", node.ans, grad)
        self.ids[node] = nid
        self.graph.inputs.append(nid)

    def add_op(self, node, out_name: str | None) -> None:
        parents = dict(zip(node.argnums, node.parents, strict=True))
        sources = []  # (source id, argument position); constants get their ids first
        for i, a in enumerate(node.args):
            if i in parents:
                sources.append((self.ids[parents[i]], i))
            elif isinstance(getval(a), np.ndarray):
                sources.append((self._const(getval(a)), i))
        kind = "op" if out_name is None else "output"
        grad = _plain(self.cotangents.get(node)) if self.cotangents else None
        sig = _signature(node.args, node.kwargs, parents)
        nid = self._new(kind, node.prim.__name__, out_name, sig, node.ans, grad)
        self.ids[node] = nid
        self.graph.edges += [GraphEdge(src, nid, i) for src, i in sources]

    def _const(self, array: np.ndarray) -> int:
        key = id(array)  # only to share one node between uses of one array
        if key not in self.const_ids:
            self.const_ids[key] = self._new("const", None, None, "", array, None)
        return self.const_ids[key]


# ----------------------------------------------------------------------------- names and types


def _input_names(f: Callable, args: tuple) -> list[str]:
    """Names of the flattened argument leaves: parameter names plus tree paths."""
    names: list[str] = []
    for i, arg in enumerate(args):
        names += _tree_paths(arg, _param_name(f, i))
    return names


def _param_name(f: Callable, i: int) -> str:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return f"arg{i}"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if i < len(positional):
        return positional[i].name
    star = [p for p in params if p.kind is p.VAR_POSITIONAL]
    return f"{star[0].name}[{i - len(positional)}]" if star else f"arg{i}"


def _tree_paths(tree: Any, prefix: str) -> list[str]:
    """Paths to the leaves of ``tree`` in :func:`~diaphane.autodiff.flatten` order."""
    paths: list[str] = []
    stack = [(tree, prefix)]
    while stack:
        x, path = stack.pop()
        if type(x) is dict:
            stack += [(v, f"{path}[{k!r}]") for k, v in reversed(x.items())]
        elif isinstance(x, tuple) and hasattr(x, "_fields"):
            stack += [(v, f"{path}.{k}") for k, v in reversed(list(zip(x._fields, x, strict=True)))]
        elif type(x) in (list, tuple):
            stack += [(v, f"{path}[{j}]") for j, v in reversed(list(enumerate(x)))]
        else:
            paths.append(path)
    return paths


_DTYPE_NAMES: dict[np.dtype, str] = {}


def _type_of(value: Any) -> tuple[tuple[int, ...] | None, str]:
    value = getval(value)
    if type(value) is tuple:
        return None, "(" + ", ".join(_type_str(v) for v in value) + ")"
    dtype = value.dtype if isinstance(value, np.ndarray | np.generic) else np.result_type(value)
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = dtype.name  # dtype.name is slow enough to matter
    return tuple(np.shape(value)), name


def _type_str(value: Any) -> str:
    shape, dtype = _type_of(value)
    return dtype if shape is None else f"{dtype}[{','.join(map(str, shape))}]"


def _plain(value: Any) -> Any:
    """A plain NumPy value (or tuple of them) from a traced value or cotangent."""
    value = getval(value)
    if isinstance(value, SparseRows):
        value = value.to_dense()
    if type(value) is tuple:
        return tuple(_plain(v) for v in value)
    return None if value is None else np.asarray(value)


_SCALARS = (bool, int, float, complex, str, np.generic)
_SIMPLE = (*_SCALARS, slice, type(None), type(Ellipsis))


def _signature(args: tuple, kwargs: dict, traced: dict) -> str:
    """``(·, 2, axis=1)``: the call with traced and array arguments shown as ``·``."""
    shown = ["·" if i in traced else _short_repr(a) for i, a in enumerate(args)]
    shown += [f"{k}={_short_repr(v)}" for k, v in sorted(kwargs.items())]
    if all(s == "·" for s in shown):
        return ""
    return "(" + ", ".join(shown) + ")"


def _short_repr(x: Any) -> str:
    """A short, run-independent text for an untraced argument (never a memory address)."""
    x = getval(x)
    if isinstance(x, np.ndarray):
        return "·"
    if isinstance(x, _SIMPLE):
        text = _scalar_text(x)
        return text if len(text) <= 20 else text[:19] + "…"
    if type(x) in (tuple, list) and len(x) <= 6 and all(isinstance(v, _SIMPLE) for v in x):
        inner = ", ".join(_scalar_text(v) for v in x)
        return f"({inner},)" if type(x) is tuple and len(x) == 1 else f"({inner})"
    if callable(x):
        return getattr(x, "__name__", "…")
    return "…"


# ----------------------------------------------------------------------------- output formats


def _scalar_text(x: Any) -> str:
    if isinstance(x, slice):
        start, stop = ("" if v is None else _scalar_text(v) for v in (x.start, x.stop))
        return f"{start}:{stop}" + ("" if x.step is None else f":{_scalar_text(x.step)}")
    if x is Ellipsis:
        return "..."
    return repr(x.item() if isinstance(x, np.generic) else x)


def _node_dict(n: GraphNode) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "op": n.op,
        "name": n.name,
        "signature": n.signature,
        "shape": None if n.shape is None else list(n.shape),
        "dtype": n.dtype,
        "value": _json_value(n.value),
        "grad": _json_value(n.grad),
    }


def _json_value(value: Any) -> Any:
    """Nested lists of numbers; complex as ``[re, im]``; NaN and infinities as strings."""
    if value is None:
        return None
    if type(value) is tuple:
        return [_json_value(v) for v in value]
    a = np.asarray(value)
    if a.dtype.kind == "c":
        a = np.stack([a.real, a.imag], axis=-1)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        return np.vectorize(_finite_or_text, otypes=[object])(a).tolist()
    return a.tolist()


def _finite_or_text(v: float) -> float | str:
    if math.isfinite(v):
        return float(v)
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


_STYLE = {
    "input": 'shape=ellipse, fillcolor="#dbeafe", color="#1d4ed8"',
    "const": 'shape=note, style=filled, fillcolor="#f3f4f6", color="#9ca3af"',
    "op": 'fillcolor="#ffffff"',
    "output": 'fillcolor="#fde68a", color="#b45309", penwidth=2',
}


def _dot_attrs(n: GraphNode, is_output: bool) -> str:
    if n.kind == "input":
        head = [n.name or "input"]
    elif n.kind == "const":
        head = ["const"]
    else:
        head = [f"{n.op}{n.signature}"] + ([f"→ {n.name}"] if n.name else [])
    lines = [*head, n.type_str]
    if n.value is not None:
        lines.append(f"value {_summary(n.value)}")
    if n.grad is not None:
        lines.append(f"grad {_summary(n.grad)}")
    style = _STYLE[n.kind] + (", peripheries=2" if is_output else "")
    return f'label="{_dot_escape(chr(10).join(lines))}", {style}'


def _summary(value: Any) -> str:
    """A few numbers: the value itself when small, else its range."""
    if type(value) is tuple:
        return "(" + ", ".join(_summary(v) for v in value) + ")"
    if value is None:  # a zero entry of a tuple cotangent
        return "0"
    a = np.asarray(value)
    if a.size <= 4:
        items = [_num(v) for v in a.ravel()]
        return items[0] if a.ndim == 0 else "[" + ", ".join(items) + "]"
    if a.dtype.kind == "c":
        return f"|·| ≤ {_num(np.max(np.abs(a)))}"
    return f"{_num(np.min(a))} … {_num(np.max(a))}"


def _num(v: Any) -> str:
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


def _dot_escape(text: str) -> str:
    """Text for a double-quoted DOT string; newlines become centred line breaks."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
