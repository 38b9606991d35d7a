"""Products: matmul, dot, vdot, inner, outer, tensordot, kron, einsum, cov, corrcoef.

Two primitives carry the load. ``matmul`` keeps its own rules because it is the
hot path (BLAS). Every other product is, or rewrites itself into, one ``einsum``
over integer labels, whose VJP is itself an einsum: the cotangent contracted with
the other operands. Both rule sets accept leading batch axes on ``g``/``t`` (they
get labels of their own), so batched Jacobians go through in one call.
"""

from __future__ import annotations

import string

import numpy as np

from diaphane.autodiff.core import BATCH, defjvp, defjvp_all, defvjp, defvjp_all, getval, primitive
from diaphane.numpy._axes import _ndim, _shape
from diaphane.numpy._binary import multiply
from diaphane.numpy._join import stack
from diaphane.numpy._reductions import mean, sum
from diaphane.numpy._shape import broadcast_to, reshape, transpose
from diaphane.numpy._util import match_real, unbroadcast

__all__ = [
    "corrcoef",
    "cov",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "outer",
    "tensordot",
    "vdot",
]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # numpy's sublist label order


def mT(x):
    """Swap the last two axes (a batch of matrices transposed)."""
    n = _ndim(x)
    return transpose(x, (*range(n - 2), n - 1, n - 2))


def _expand(x, axis):
    """Insert a size-1 axis at negative position ``axis`` (reshape: batch axes untouched)."""
    shape = _shape(x)
    k = len(shape) + axis + 1
    return reshape(x, (*shape[:k], 1, *shape[k:]))


def _drop(x, axis):
    """Remove the size-1 axis at negative position ``axis``."""
    shape = _shape(x)
    k = len(shape) + axis
    return reshape(x, shape[:k] + shape[k + 1 :])


def _conj(x):
    import diaphane.numpy as dnp

    return dnp.conj(x) if np.iscomplexobj(getval(x)) else x


# ----------------------------------------------------------------------------- matmul


def _matmul_raw(x, y, **kwargs):
    # NumPy multiplies a stack by a shared matrix one slice at a time, without BLAS's
    # big-product speed (30x slower for [16,64,128] @ [128,512] here): fold the stack.
    if not kwargs and np.ndim(y) == 2 and np.ndim(x) > 2:
        x = np.asarray(x)
        folded = np.matmul(x.reshape(-1, x.shape[-1]), y)
        return folded.reshape(*x.shape[:-1], folded.shape[-1])
    return np.matmul(x, y, **kwargs)


matmul = primitive(_matmul_raw, "matmul")


def _promote(x, y, g):
    """Treat 1-D operands as a row (x) or column (y) matrix, and give ``g`` those axes back."""
    if _ndim(y) == 1:
        y, g = _expand(y, -1), _expand(g, -1)
    if _ndim(x) == 1:
        x, g = _expand(x, -2), _expand(g, -2)
    return x, y, g


def _matmul_vjp_x(g, ans, x, y):
    xp, yp, gp = _promote(x, y, g)
    gx = unbroadcast(matmul(gp, mT(yp)), xp)
    return _drop(gx, -2) if _ndim(x) == 1 else gx


def _matmul_vjp_y(g, ans, x, y):
    xp, yp, gp = _promote(x, y, g)
    if _ndim(y) == 2 and _ndim(x) > 2 and not BATCH.ndim:
        # A weight applied to a stack of rows: fold the stack into one product rather
        # than a stack of products summed afterwards.
        rows = reshape(xp, (-1, _shape(xp)[-1]))
        return match_real(matmul(mT(rows), reshape(gp, (-1, _shape(gp)[-1]))), y)
    gy = unbroadcast(matmul(mT(xp), gp), yp)
    return _drop(gy, -1) if _ndim(y) == 1 else gy


def _pad_batch(t, x, other):
    """Pad a (batched) tangent of ``x`` with size-1 axes after the batch axes so that the
    batch axes stay leftmost when matmul broadcasts it against ``other``."""
    nb = BATCH.ndim
    missing = _ndim(other) - _ndim(x)
    if not nb or missing <= 0:
        return t
    shape = _shape(t)
    return reshape(t, shape[:nb] + (1,) * missing + shape[nb:])


def _matmul_jvp(t, x, y, which):
    xp, yp, _ = _promote(x, y, x)
    tp = _expand(t, -2 if which == 0 else -1) if _ndim((x, y)[which]) == 1 else t
    tp = _pad_batch(tp, (xp, yp)[which], (xp, yp)[1 - which])
    out = matmul(tp, yp) if which == 0 else matmul(xp, tp)
    if _ndim(y) == 1:
        out = _drop(out, -1)
    return _drop(out, -1 if _ndim(y) == 1 else -2) if _ndim(x) == 1 else out


# fmt: off
defvjp(matmul, _matmul_vjp_x, _matmul_vjp_y, batchable=True)
defjvp(matmul, lambda t, ans, x, y: _matmul_jvp(t, x, y, 0),
               lambda t, ans, x, y: _matmul_jvp(t, x, y, 1), batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- einsum


def _einsum_raw(subs, out, *operands, optimize=False):
    args = [v for pair in zip(operands, subs, strict=True) for v in pair]
    return np.einsum(*args, list(out), optimize=optimize)


_einsum = primitive(_einsum_raw, "einsum")


def _fresh(used, count):
    free = [i for i in range(len(_LETTERS)) if i not in used]
    if len(free) < count:
        raise ValueError("einsum: more than 52 distinct labels are needed")
    return free[:count]


def _einsum_vjp_one(k, g, subs, out, operands, optimize):
    """The cotangent of operand ``k``: ``g`` contracted with every other operand."""
    x = operands[k]
    dtype = np.result_type(getval(x))
    used = {lab for s in subs for lab in s} | set(out)
    batch = _fresh(used, BATCH.ndim + len(subs[k]))
    batch, spare = batch[: BATCH.ndim], batch[BATCH.ndim :]
    # A label repeated within operand k (a diagonal) gets fresh copies tied by identities.
    own, eyes, seen = [], [], set()
    for lab, n in zip(subs[k], _shape(x), strict=True):
        if lab in seen:
            new = spare.pop()
            eyes.append((np.eye(n, dtype=dtype), [lab, new]))
            lab = new
        seen.add(lab)
        own.append(lab)
    args, labels = [g], [batch + list(out)]
    for j, (op, s) in enumerate(zip(operands, subs, strict=True)):
        if j != k:
            args.append(op)
            labels.append(list(s))
    for eye, s in eyes:
        args.append(eye)
        labels.append(s)
    present = {lab for s in labels for lab in s}
    kept = [lab for lab in own if lab in present]
    gx = _einsum(tuple(map(tuple, labels)), tuple(batch + kept), *args, optimize=optimize)
    if len(kept) < len(own):
        gx = _spread(gx, [lab in present for lab in own], _shape(x))
    return unbroadcast(gx, x)


def _spread(gx, present, shape):
    """Broadcast ``gx`` over the axes of ``shape`` it lacks (labels summed inside x only)."""
    nb = BATCH.ndim
    sizes = iter(_shape(gx)[nb:])
    got = [next(sizes) if p else None for p in present]
    lead = _shape(gx)[:nb]
    gx = reshape(gx, lead + tuple(1 if n is None else n for n in got))
    return broadcast_to(
        gx, lead + tuple(m if n is None else n for n, m in zip(got, shape, strict=True))
    )


def _einsum_vjp(argnums, g, ans, subs, out, *operands, optimize=False):
    return [_einsum_vjp_one(i - 2, g, subs, out, operands, optimize) for i in argnums]


def _einsum_jvp(argnums, tangents, ans, subs, out, *operands, optimize=False):
    batch = _fresh({lab for s in subs for lab in s} | set(out), BATCH.ndim)
    total = None
    for i, t in zip(argnums, tangents, strict=True):
        k = i - 2
        labels = [tuple(batch) + tuple(s) if j == k else s for j, s in enumerate(subs)]
        args = [t if j == k else op for j, op in enumerate(operands)]
        term = _einsum(tuple(labels), tuple(batch) + tuple(out), *args, optimize=optimize)
        total = term if total is None else total + term
    return total


defvjp(_einsum, batchable=True)  # the einsum rules give batch axes labels of their own
defjvp(_einsum, batchable=True)
defvjp_all(_einsum, _einsum_vjp)
defjvp_all(_einsum, _einsum_jvp)


def _parse(spec, ndims):
    """Integer labels per operand and for the output, from an einsum subscript string."""
    spec = spec.replace(" ", "")
    ins, arrow, outs = spec.partition("->")
    terms = ins.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: {len(terms)} subscripts for {len(ndims)} operands")
    letters = [t.replace("...", "") for t in terms]
    n_ell = [n - len(s) if "..." in t else 0 for t, s, n in zip(terms, letters, ndims, strict=True)]
    ell = _fresh({_LETTERS.index(c) for t in letters for c in t}, max(n_ell, default=0))
    subs = []
    for term, e in zip(terms, n_ell, strict=True):
        head, _, tail = term.partition("...")
        labels = [_LETTERS.index(c) for c in head]
        if "..." in term:
            labels += ell[len(ell) - e :] + [_LETTERS.index(c) for c in tail]
        subs.append(tuple(labels))
    if arrow:
        if ell and "..." not in outs:
            raise ValueError("einsum: output subscripts need '...' to keep the broadcast axes")
        head, _, tail = outs.partition("...")
        out = [_LETTERS.index(c) for c in head]
        out += (ell if "..." in outs else []) + [_LETTERS.index(c) for c in tail]
    else:
        flat = "".join(letters)
        out = ell + sorted(_LETTERS.index(c) for c in set(flat) if flat.count(c) == 1)
    return tuple(subs), tuple(out)


def _sublist_spec(sub):
    return "".join("..." if lab is Ellipsis else _LETTERS[lab] for lab in sub)


def einsum(*operands, optimize=False):
    """``np.einsum``: subscript string (``"ij,jk->ik"``, implicit output, ``...``, repeated
    labels such as ``"ii->i"``) or sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    >>> import numpy as np
    >>> einsum("ij,jk->ik", np.eye(2), np.ones((2, 3))).shape
    (2, 3)
    """
    if isinstance(operands[0], str):
        spec, arrays = operands[0], operands[1:]
    else:
        arrays = operands[0::2][: len(operands) // 2]
        spec = ",".join(_sublist_spec(s) for s in operands[1::2][: len(arrays)])
        if len(operands) % 2:
            spec += "->" + _sublist_spec(operands[-1])
    subs, out = _parse(spec, [_ndim(a) for a in arrays])
    return _einsum(subs, out, *arrays, optimize=optimize)


def _auto_optimize(subs, arrays):
    """Let numpy route a large two-operand contraction to BLAS (the path search costs ~0.1 ms)."""
    sizes = {}
    for s, a in zip(subs, arrays, strict=True):
        sizes.update(zip(s, _shape(a), strict=True))
    return len(arrays) == 2 and float(np.prod(list(sizes.values()))) > 1e5


def _contract(subs, out, *arrays):
    return _einsum(subs, out, *arrays, optimize=_auto_optimize(subs, arrays))


# ----------------------------------------------------------------------------- other products


def tensordot(a, b, axes=2):
    """``np.tensordot``: sum over ``axes`` (an int n: last n of ``a`` with first n of ``b``;
    or a pair of axis sequences)."""
    na, nb = _ndim(a), _ndim(b)
    if np.ndim(axes) == 0:
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = ([ax] if np.ndim(ax) == 0 else list(ax) for ax in axes)
    axes_a = [ax % na for ax in axes_a]
    axes_b = [ax % nb for ax in axes_b]
    la = list(range(na))
    lb = list(range(na, na + nb))
    for i, j in zip(axes_a, axes_b, strict=True):
        lb[j] = la[i]
    out = [la[i] for i in range(na) if i not in axes_a] + [
        lb[j] for j in range(nb) if j not in axes_b
    ]
    return _contract((tuple(la), tuple(lb)), tuple(out), a, b)


def dot(a, b):
    """``np.dot``: for N-D ``a`` and M-D ``b`` (M >= 2), sums ``a``'s last axis against
    ``b``'s second-to-last (unlike ``matmul``, which broadcasts stacks)."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return multiply(a, b)
    if _ndim(b) <= 2:
        return matmul(a, b)
    return tensordot(a, b, ([_ndim(a) - 1], [_ndim(b) - 2]))


def inner(a, b):
    """``np.inner``: sum over the last axes of ``a`` and ``b``."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return multiply(a, b)
    return tensordot(a, b, ([-1], [-1]))


def outer(a, b):
    """``np.outer``: every element of ``a`` (flattened) times every element of ``b``."""
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def vdot(a, b):
    """``np.vdot``: the flattened dot product, conjugating ``a``."""
    return _contract(((0,), (0,)), (), _conj(reshape(a, (-1,))), reshape(b, (-1,)))


def kron(a, b):
    """``np.kron``: the Kronecker product (the shorter shape gets leading ones)."""
    nd = max(_ndim(a), _ndim(b))
    sa = (1,) * (nd - _ndim(a)) + _shape(a)
    sb = (1,) * (nd - _ndim(b)) + _shape(b)
    ra = reshape(a, tuple(v for n in sa for v in (n, 1)))
    rb = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(multiply(ra, rb), tuple(m * n for m, n in zip(sa, sb, strict=True)))


# ----------------------------------------------------------------------------- statistics


def _as_rows(x, rowvar):
    x = reshape(x, (1, -1)) if _ndim(x) < 2 else x
    return transpose(x) if not rowvar and _shape(x)[0] != 1 else x


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """``np.cov``: the covariance matrix of the variables in the rows of ``m`` (columns when
    ``rowvar`` is false), with ``y`` as further variables; weights are constants."""
    x = _as_rows(m, rowvar)
    if y is not None:
        rows = [*_as_rows(y, rowvar)]
        x = stack([*x, *rows])
    if ddof is None:
        ddof = 0 if bias else 1
    w = _weights(fweights, aweights, x)
    if w is None:
        centred = x - mean(x, axis=1, keepdims=True)
        fact = _shape(x)[1] - ddof
        c = matmul(centred, mT(_conj(centred))) / fact
    else:
        w_sum = w.sum()
        centred = x - sum(x * w, axis=1, keepdims=True) / w_sum
        spent = 1.0 if aweights is None else (w * np.asarray(getval(aweights))).sum() / w_sum
        fact = float(w_sum - ddof * spent)
        c = matmul(centred * w, mT(_conj(centred))) / fact
    return reshape(c, tuple(n for n in _shape(c) if n != 1))


def _weights(fweights, aweights, x):
    """The product of the (constant) frequency and analytic weights, in x's real precision."""
    w = None
    for weights in (fweights, aweights):
        if weights is not None:
            weights = np.asarray(getval(weights), dtype=float)
            w = weights if w is None else w * weights
    real = np.finfo(np.result_type(getval(x), np.float32)).dtype
    return None if w is None else w.astype(real)


def corrcoef(x, y=None, rowvar=True):
    """``np.corrcoef``: the covariance matrix scaled to unit diagonal (no clipping to [-1, 1])."""
    import diaphane.numpy as dnp

    c = cov(x, y, rowvar)
    if _ndim(c) == 0:
        return c / c
    d = _einsum(((0, 0),), (0,), c)
    d = dnp.real(d) if np.iscomplexobj(getval(d)) else d
    std = d**0.5
    return c / reshape(std, (-1, 1)) / reshape(std, (1, -1))
