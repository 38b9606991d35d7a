"""Compiled loops behind GloVe's hot path: :func:`row_dot`'s forward and backward passes
and the per-epoch shuffle of :class:`~diaphane.models.glove.GloVeBatches`.

Why they exist: in NumPy the forward pass copies two ``(batch, dim)`` gathers before
multiplying, and the backward pass's scipy products run on one core and need
their operands gathered again. These loops read each table row where it lies, fuse
the gather with the multiply-add, and split the work over threads (numba's
``prange``) along row segments, so no two threads write the same gradient row.

The sums keep the order of the scipy products they replace (pairs in batch order
within a row), so results differ only by float rounding of fused multiply-adds and
the reassociated dot products.

Kernels: :func:`row_dot`, :func:`sort_segments`, :func:`run_starts`,
:func:`segment_grad`, :func:`batch_positions`, :func:`index_range`; parallel ones
are launched through :func:`~diaphane.nn._optim_numba.run_kernel`.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core.extending import intrinsic

from diaphane.nn._optim_numba import run_kernel

__all__ = ["batch_positions", "index_range", "row_dot", "run_kernel", "run_starts",
           "segment_grad", "sort_segments"]  # fmt: skip

# Reassociation lets the dot products use SIMD lanes; no-NaN/no-inf flags are left out
# on purpose, so a diverging run still shows NaN in its loss.
_FAST = {"reassoc", "contract"}
# How many pairs ahead to prefetch a table row: the loops wait on rows fetched at random
# from tables larger than L2; prefetching took 35-45% off these kernels (65,536 pairs, 50 d).
_AHEAD = 12


@intrinsic
def _prefetch(typingctx, table, i, j):  # pragma: no cover - compiled
    """Hint the CPU to fetch the cache line holding ``table[i, j]`` (LLVM's ``prefetch``)."""

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        byte_ptr = ir.IntType(8).as_pointer()
        strides = [builder.extract_value(array.strides, d) for d in (0, 1)]
        offset = builder.add(builder.mul(args[1], strides[0]), builder.mul(args[2], strides[1]))
        address = builder.gep(builder.bitcast(array.data, byte_ptr), [offset])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", fnty=fnty)
        builder.call(fn, [address, i32(0), i32(3), i32(1)])  # read, keep in all caches, data
        return context.get_dummy_value()

    return types.void(table, types.intp, types.intp), codegen


@njit(cache=True, nogil=True, inline="always")
def _prefetch_row(table, i):  # pragma: no cover - compiled
    step = max(1, 64 // table.itemsize)  # one hint per 64-byte line
    for j in range(0, table.shape[1], step):
        _prefetch(table, i, j)


@njit(cache=True, parallel=True, nogil=True, fastmath=_FAST)
def row_dot(W, C, rows, cols, out):  # pragma: no cover - compiled
    """``out[k] = W[rows[k]] · C[cols[k]]``, accumulated in ``out``'s dtype."""
    dim, n = W.shape[1], rows.shape[0]
    for k in prange(n):
        if k + _AHEAD < n:
            _prefetch_row(C, cols[k + _AHEAD])
        r, c = rows[k], cols[k]
        total = out[k]  # zeroed by the caller: a typed zero accumulator
        for j in range(dim):
            total += W[r, j] * C[c, j]
        out[k] = total


@njit(cache=True, nogil=True)
def run_starts(ids):  # pragma: no cover - compiled
    """Where each run of equal ids starts in a sorted ``ids`` (plus ``len(ids)``), and the ids."""
    n = ids.shape[0]
    runs = 1 if n else 0
    for k in range(1, n):
        if ids[k] != ids[k - 1]:
            runs += 1
    starts = np.empty(runs + 1, np.int64)
    uniq = np.empty(runs, np.int64)
    s = 0
    for k in range(n):
        if k == 0 or ids[k] != ids[k - 1]:
            starts[s], uniq[s] = k, ids[k]
            s += 1
    starts[runs] = n
    return starts, uniq


@njit(cache=True, nogil=True)
def sort_segments(keys, n_keys, g, other):  # pragma: no cover - compiled
    """A stable counting sort of ``(g, other)`` by ``keys`` in ``[0, n_keys)``.

    Returns the run starts, the distinct keys (increasing) and the sorted ``g`` and
    ``other``: one pass to count, one to place, O(len(keys) + n_keys).
    """
    n = keys.shape[0]
    pos = np.zeros(n_keys, np.int64)
    for k in range(n):
        pos[keys[k]] += 1
    runs = 0
    for v in range(n_keys):
        if pos[v]:
            runs += 1
    starts = np.empty(runs + 1, np.int64)
    uniq = np.empty(runs, np.int64)
    at, s = 0, 0
    for v in range(n_keys):
        count = pos[v]
        if count:
            starts[s], uniq[s] = at, v
            pos[v] = at
            at += count
            s += 1
    starts[runs] = n
    g_sorted = np.empty_like(g)
    other_sorted = np.empty_like(other)
    for k in range(n):
        p = pos[keys[k]]
        pos[keys[k]] = p + 1
        g_sorted[p] = g[k]
        other_sorted[p] = other[k]
    return starts, uniq, g_sorted, other_sorted


@njit(cache=True, nogil=True)
def _balanced(starts, chunks):  # pragma: no cover - compiled
    """Segment boundaries cutting the pairs into ``chunks`` parts of about equal size."""
    n_seg = starts.shape[0] - 1
    cuts = np.empty(chunks + 1, np.int64)
    cuts[0], cuts[chunks] = 0, n_seg
    s = 0
    for t in range(1, chunks):
        target = starts[n_seg] * t // chunks
        while s < n_seg and starts[s] < target:
            s += 1
        cuts[t] = s
    return cuts


@njit(cache=True, parallel=True, nogil=True, fastmath=_FAST)
def segment_grad(g, T, ids, starts, chunks, out):  # pragma: no cover - compiled
    """``out[s] = sum of g[k] * T[ids[k]]`` over the pairs k of segment s.

    Threads take whole segments (balanced by pair count), so each output row has
    one writer; within a segment the pairs are summed in order.
    """
    dim, n = T.shape[1], ids.shape[0]
    cuts = _balanced(starts, chunks)
    for t in prange(chunks):
        for s in range(cuts[t], cuts[t + 1]):
            row = out[s]
            row[:] = 0
            for k in range(starts[s], starts[s + 1]):
                if k + _AHEAD < n:
                    _prefetch_row(T, ids[k + _AHEAD])
                gk, source = g[k], T[ids[k]]
                for j in range(dim):
                    row[j] += gk * source[j]


@njit(cache=True, nogil=True)
def batch_positions(which, n_batches):  # pragma: no cover - compiled
    """Where each entry goes when sorted by batch, and where each batch starts.

    ``which[i]`` is entry i's batch; it goes to its batch's start plus the number of
    earlier entries in that batch: the order ``np.argsort(which, kind="stable")``
    gives, inverted, in two passes and without sorting.
    """
    bounds = np.zeros(n_batches + 1, np.int64)
    for i in range(which.shape[0]):
        bounds[which[i] + 1] += 1
    for b in range(n_batches):
        bounds[b + 1] += bounds[b]
    nxt = bounds[:-1].copy()
    pos = np.empty(which.shape[0], np.int64)
    for i in range(which.shape[0]):
        pos[i] = nxt[which[i]]
        nxt[which[i]] += 1
    return bounds, pos


@njit(cache=True, nogil=True)
def index_range(ids):  # pragma: no cover - compiled
    """The smallest and largest of ``ids`` (``(0, -1)`` when empty)."""
    if ids.shape[0] == 0:
        return 0, -1
    return ids.min(), ids.max()  # two SIMD reductions beat one branchy pass (4x)
