"""What an einsum computes, in words, loops, NumPy, and a worked example with numbers.

Pure functions of an :class:`~diaphane.viz._einsum_parse.EinsumSpec`:
:func:`formula` (``out[i,k] = Σ_j A[i,j]·B[j,k]``), :func:`loops_code` (the
equivalent nested Python loops), :func:`numpy_call` and :func:`equivalent` (an
einsum-free NumPy expression giving the same array), and :func:`worked_example`
(small arrays of counting numbers pushed through ``dnp.einsum``, with the sum
behind every output cell).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import string

import numpy as np

from diaphane.viz._einsum_parse import EinsumSpec

__all__ = ["equivalent", "formula", "loops_code", "numpy_call", "operand_names", "worked_example"]

MAX_EXAMPLE = 48  # elements per array before the example shrinks every size to 3
MAX_CELLS = 64  # output cells that get their sum spelled out
MAX_TERMS = 8  # terms written out per sum before "…"


def operand_names(spec: EinsumSpec) -> list[str]:
    """``A, B, C, …``, or ``x0, x1, …`` when the subscripts use capital letters themselves."""
    n = len(spec.operands)
    if any(x in string.ascii_uppercase for x in spec.sizes) or n > 26:
        return [f"x{k}" for k in range(n)]
    return list(string.ascii_uppercase[:n])


def _num(x: float) -> str:
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def _index(axes, shape, env, sizes) -> str:
    # A size-1 axis broadcast against a longer one is read at 0.
    parts = [
        "0" if n == 1 and sizes[x] != 1 else env.get(x, x) for x, n in zip(axes, shape, strict=True)
    ]
    return ", ".join(str(p) for p in parts)


def _ref(name, axes, shape, env, sizes) -> str:
    return f"{name}[{_index(axes, shape, env, sizes)}]" if axes else name


def formula(spec: EinsumSpec, env: dict | None = None) -> str:
    """The sum in index notation, e.g. ``out[i, k] = Σ_j A[i, j]·B[j, k]``.

    With ``env`` (letter → number), the output letters are filled in.
    """
    env = env or {}
    names = operand_names(spec)
    lhs = "out" + (f"[{', '.join(str(env.get(x, x)) for x in spec.output)}]" if spec.output else "")
    refs = [
        _ref(n, a, s, env, spec.sizes)
        for n, a, s in zip(names, spec.operands, spec.shapes, strict=True)
    ]
    total = f"Σ_{''.join(spec.summed)} " if spec.summed else ""
    return f"{lhs} = {total}{'·'.join(refs)}"


def loops_code(spec: EinsumSpec) -> str:
    """Nested Python loops that compute the same array, one loop per letter."""
    names = operand_names(spec)
    lines = [f"out = np.zeros({spec.out_shape})" if spec.output else "out = 0.0"]
    for depth, x in enumerate(spec.loop_order):
        lines.append("    " * depth + f"for {x} in range({spec.sizes[x]}):")
    refs = [
        _ref(n, a, s, {}, spec.sizes)
        for n, a, s in zip(names, spec.operands, spec.shapes, strict=True)
    ]
    target = f"out[{', '.join(spec.output)}]" if spec.output else "out"
    lines.append("    " * len(spec.loop_order) + f"{target} += {' * '.join(refs)}")
    return "\n".join(lines)


def numpy_call(spec: EinsumSpec) -> str:
    """The ``np.einsum`` call itself."""
    return f'np.einsum("{spec.subscripts}", {", ".join(operand_names(spec))})'


def equivalent(spec: EinsumSpec) -> str | None:
    """A NumPy expression without einsum giving the same array (None for diagonals)."""
    names = operand_names(spec)
    if any(len(set(a)) != len(a) for a in spec.operands):
        return _diagonal(spec, names)
    if len(spec.operands) == 1:
        return _single(spec, names[0])
    if len(spec.operands) == 2:
        found = _matmul(spec, names)
        if found:
            return found
    return _broadcast(spec, names)


def _transpose(expr: str, perm: list[int]) -> str:
    if perm == sorted(perm):
        return expr
    if perm == [1, 0]:
        return f"{expr}.T"
    return f"{expr}.transpose({', '.join(map(str, perm))})"


def _single(spec: EinsumSpec, name: str) -> str:
    axes = spec.operands[0]
    summed = [k for k, x in enumerate(axes) if x in spec.summed]
    expr = name
    if summed:
        axis = str(summed[0]) if len(summed) == 1 else str(tuple(summed))
        expr = f"{name}.sum(axis={axis})"
    kept = [x for x in axes if x not in spec.summed]
    return _transpose(expr, [kept.index(x) for x in spec.output])


def _matmul(spec: EinsumSpec, names: list[str]) -> str | None:
    (a, b), out, summed = spec.operands, spec.output, spec.summed
    A, B = names
    if len(summed) != 1:
        return None
    j = summed[0]
    if len(a) == 1 and len(b) == 1 and a == b and not out:
        return f"{A} @ {B}"
    if len(out) == 1 and a == (out[0], j) and b == (j,):
        return f"{A} @ {B}"
    if len(out) == 1 and a == (j,) and b == (j, out[0]):
        return f"{A} @ {B}"
    if len(out) < 2 or len(a) < 2 or len(b) < 2:
        return None
    batch, (i, k) = out[:-2], out[-2:]

    def batched(axes: tuple[str, ...], last: tuple[str, str]) -> bool:
        # matmul broadcasts missing leading batch axes, as einsum's '...' does.
        lead = axes[:-2]
        return axes[-2:] == last and (not lead or batch[len(batch) - len(lead) :] == lead)

    if not batched(a, (i, j)):
        return None
    if batched(b, (j, k)):
        return f"{A} @ {B}"
    if batched(b, (k, j)):
        return f"{A} @ {B}.T" if len(b) == 2 else f"{A} @ {B}.swapaxes(-1, -2)"
    return None


def _diagonal(spec: EinsumSpec, names: list[str]) -> str | None:
    if len(spec.operands) == 1 and len(spec.operands[0]) == 2:
        if not spec.output:
            return f"np.trace({names[0]})"
        if len(spec.output) == 1:
            return f"np.diagonal({names[0]}).copy()"
    return None


def _broadcast(spec: EinsumSpec, names: list[str]) -> str:
    """Line every operand up on all the letters (output first), multiply, sum the rest."""
    order = spec.loop_order
    parts = []
    for name, axes in zip(names, spec.operands, strict=True):
        perm = sorted(range(len(axes)), key=lambda k: order.index(axes[k]))
        expr = _transpose(name, perm)
        if set(axes) != set(order):
            expr += "[" + ", ".join(":" if x in axes else "None" for x in order) + "]"
        parts.append(expr)
    product = " * ".join(parts)
    if not spec.summed:
        return product
    axis = tuple(range(len(spec.output), len(order)))
    axis_text = str(axis[0]) if len(axis) == 1 else str(axis)
    return (
        f"({product}).sum(axis={axis_text})"
        if len(parts) > 1
        else f"{product}.sum(axis={axis_text})"
    )


def _example_sizes(spec: EinsumSpec) -> tuple[dict[str, int], bool]:
    """The letter sizes for the worked example: the real ones unless some array is big."""

    def biggest(sizes: dict[str, int]) -> int:
        shapes = [
            [1 if n == 1 else sizes[x] for x, n in zip(axes, shape, strict=True)]
            for axes, shape in zip(spec.operands, spec.shapes, strict=True)
        ]
        return max(math.prod(s) for s in [*shapes, [sizes[x] for x in spec.output]])

    if biggest(spec.sizes) <= MAX_EXAMPLE:
        return dict(spec.sizes), False
    for cap in (3, 2):
        sizes = {x: min(n, cap) for x, n in spec.sizes.items()}
        if biggest(sizes) <= 4 * MAX_EXAMPLE:
            break
    return sizes, True


def worked_example(spec: EinsumSpec) -> dict:
    """Counting-number operands, the result from ``dnp.einsum``, and each cell's sum.

    Returns:
        ``{"shrunk", "operands": [{"name", "letters", "shape", "values"}], "output":
        {"shape", "values"}, "cells": [{"index", "lines", "sources"}]}``; values are flat
        (C order), ``sources`` lists the flat positions each operand contributes.
    """
    import diaphane.numpy as dnp

    sizes, shrunk = _example_sizes(spec)
    names = operand_names(spec)
    shapes = [
        tuple(1 if n == 1 else sizes[x] for x, n in zip(axes, shape, strict=True))
        for axes, shape in zip(spec.operands, spec.shapes, strict=True)
    ]
    arrays = [np.arange(1, math.prod(s) + 1, dtype=float).reshape(s) for s in shapes]
    result = np.asarray(dnp.einsum(spec.subscripts, *arrays), dtype=float)
    small = dataclasses.replace(spec, shapes=tuple(shapes), sizes=sizes)
    cells = [
        _cell(small, names, arrays, shapes, idx, result[idx])
        for idx in itertools.islice(np.ndindex(*result.shape), MAX_CELLS)
    ]
    return {
        "shrunk": shrunk,
        "operands": [
            {"name": n, "letters": list(a), "shape": list(s), "values": arr.ravel()}
            for n, a, s, arr in zip(names, spec.operands, shapes, arrays, strict=True)
        ],
        "output": {
            "letters": list(spec.output),
            "shape": list(result.shape),
            "values": result.ravel(),
        },
        "cells": cells,
    }


def _cell(spec, names, arrays, shapes, idx, value) -> dict:
    env = dict(zip(spec.output, idx, strict=True))
    terms: list[str] = []
    sources: list[list[int]] = [[] for _ in arrays]
    for combo in np.ndindex(*(spec.sizes[x] for x in spec.summed)):
        env.update(zip(spec.summed, combo, strict=True))
        factors = []
        for k, (axes, shape, arr) in enumerate(zip(spec.operands, shapes, arrays, strict=True)):
            at = tuple(0 if n == 1 else env[x] for x, n in zip(axes, shape, strict=True))
            factors.append(_num(arr[at]))
            sources[k].append(int(np.ravel_multi_index(at, shape)) if shape else 0)
        terms.append("·".join(factors))
    shown = " + ".join(terms[:MAX_TERMS])
    if len(terms) > MAX_TERMS:
        shown += f" + … ({len(terms)} terms)"
    head = "out" + (f"[{', '.join(map(str, idx))}]" if idx else "")
    lines = [f"{head} = {_num(value)}", formula(spec, dict(zip(spec.output, idx, strict=True)))]
    lines += [f"= {shown}", f"= {_num(value)}"]
    return {"index": list(idx), "lines": lines, "sources": [sorted(set(s)) for s in sources]}
