"""Composite functions of the kind the models are built from, differentiated end to end.

Each composite is written once against a NumPy-like namespace, so the same code runs
on ``diaphane.numpy`` and on ``jax.numpy``; PyTorch gets its own independent version
built on its fused functions (``logsumexp``, ``softmax``, ``layer_norm``, ``cov``).
Gradients of ``sum(out * R)`` must agree with both to 1e-10 in float64; the derivatives
are also checked against finite differences to second order, in single precision, and
as batched against looped Jacobians.
"""

from __future__ import annotations

import importlib
import math
import zlib

import numpy as np
import pytest
import scipy.special

import diaphane.numpy as dnp
from diaphane.autodiff import check_grads, jacobian, value_and_grad


class _Lazy:
    """A module imported on first use, so a missing one fails only the tests that need it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


def dsp() -> _Lazy:
    """``diaphane.scipy.special``, imported when a composite first uses it."""
    return _Lazy("diaphane.scipy.special")


# ----------------------------------------------------------------------------- composites
# Each: fn(xp, sp, params, c) -> array, torch_fn(torch, params, c) -> tensor, and
# inputs(rng) -> (params, consts); ``c`` holds constant data (arrays and options).


def mlp_xent(xp, sp, params, c):
    """Per-example softmax cross-entropy of a tanh MLP, logsumexp by max shift."""
    W1, b1, W2, b2 = params
    z = xp.tanh(c["X"] @ W1 + b1) @ W2 + b2
    m = xp.max(z, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(z - m), axis=1)) + m[:, 0]
    return lse - xp.sum(c["onehot"] * z, axis=1)


def mlp_xent_torch(torch, params, c):
    W1, b1, W2, b2 = params
    z = torch.tanh(torch.from_numpy(c["X"]) @ W1 + b1) @ W2 + b2
    return torch.logsumexp(z, 1) - (torch.from_numpy(c["onehot"]) * z).sum(1)


def mlp_inputs(rng):
    params = (
        rng.normal(size=(5, 4)),
        rng.normal(size=4),
        rng.normal(size=(4, 3)),
        rng.normal(size=3),
    )
    onehot = np.eye(3)[rng.integers(0, 3, 6)]
    return params, {"X": rng.normal(size=(6, 5)), "onehot": onehot}


def attention(xp, sp, params, c):
    """Single-head causal self-attention over a batch of sequences."""
    X, Wq, Wk, Wv, Wo = params
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    scores = xp.einsum("btd,bsd->bts", q, k) / math.sqrt(c["dk"])
    # The causal mask both ways: add a large negative, or select one.
    scores = scores + c["neg"] if c["additive_mask"] else xp.where(c["mask"], scores, -1e9)
    p = xp.exp(scores - xp.max(scores, axis=-1, keepdims=True))
    p = p / xp.sum(p, axis=-1, keepdims=True)
    return (p @ v) @ Wo


def attention_torch(torch, params, c):
    X, Wq, Wk, Wv, Wo = params
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    scores = torch.einsum("btd,bsd->bts", q, k) / math.sqrt(c["dk"])
    scores = scores.masked_fill(~torch.from_numpy(c["mask"]), float("-inf"))
    return (torch.softmax(scores, -1) @ v) @ Wo


def attention_inputs(rng, additive_mask=False):
    b, t, d, dk = 2, 5, 4, 3
    mask = np.tril(np.ones((t, t), dtype=bool))
    params = (
        rng.normal(size=(b, t, d)),
        *(rng.normal(size=(d, dk)) for _ in range(3)),
        rng.normal(size=(dk, d)),
    )
    neg = np.where(mask, 0.0, -1e9)
    return params, {"dk": dk, "mask": mask, "neg": neg, "additive_mask": additive_mask}


def layer_norm(xp, sp, params, c):
    X, gamma, beta = params
    mu = xp.mean(X, axis=-1, keepdims=True)
    var = xp.var(X, axis=-1, keepdims=True)
    return (X - mu) / xp.sqrt(var + 1e-5) * gamma + beta


def layer_norm_torch(torch, params, c):
    X, gamma, beta = params
    return torch.nn.functional.layer_norm(X, X.shape[-1:], gamma, beta, eps=1e-5)


def layer_norm_inputs(rng):
    return (rng.normal(size=(2, 3, 6)), rng.normal(size=6), rng.normal(size=6)), {}


def logsumexp(xp, sp, params, c):
    (x,) = params
    return sp.logsumexp(x, axis=c["axis"])


def logsumexp_torch(torch, params, c):
    (x,) = params
    axis = tuple(range(x.ndim)) if c["axis"] is None else c["axis"]
    return torch.logsumexp(x, axis)


def logsumexp_inputs(rng, axis=-1):
    x = rng.normal(size=(4, 5)) * 3.0
    x[0, 1] = 40.0  # a large entry: a naive log(sum(exp)) loses precision here
    return (x,), {"axis": axis}


def glove(xp, sp, params, c):
    """Per-pair GloVe loss f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2, rows gathered."""
    W, Wt, b, bt = params
    i, j = c["i"], c["j"]
    diff = xp.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - c["logX"]
    return c["f"] * diff**2


def glove_torch(torch, params, c):
    W, Wt, b, bt = params
    i, j = torch.from_numpy(c["i"]), torch.from_numpy(c["j"])
    diff = (W[i] * Wt[j]).sum(1) + b[i] + bt[j] - torch.from_numpy(c["logX"])
    return torch.from_numpy(c["f"]) * diff**2


def glove_inputs(rng):
    vocab, dim, nnz = 7, 3, 15
    counts = rng.integers(1, 200, nnz).astype(float)
    consts = {
        # repeated rows: their gradients must accumulate
        "i": rng.integers(0, vocab, nnz),
        "j": rng.integers(0, vocab, nnz),
        "logX": np.log(counts),
        "f": np.minimum(1.0, (counts / 100.0) ** 0.75),
    }
    params = (
        rng.normal(size=(vocab, dim)),
        rng.normal(size=(vocab, dim)),
        rng.normal(size=vocab),
        rng.normal(size=vocab),
    )
    return params, consts


def cov(xp, sp, params, c):
    (X,) = params
    return xp.cov(X, **c["kw"])


def cov_torch(torch, params, c):
    (X,) = params
    kw = c["kw"]
    rows = X if kw.get("rowvar", True) else X.T
    return torch.cov(rows, correction=kw.get("ddof", 1))


def cov_inputs(rng, **kw):
    shape = (3, 8) if kw.get("rowvar", True) else (8, 3)
    return (rng.normal(size=shape) + 2.0,), {"kw": kw}


COMPOSITES = {
    "mlp_xent": (mlp_xent, mlp_xent_torch, mlp_inputs),
    "attention_where": (attention, attention_torch, attention_inputs),
    "attention_additive": (
        attention,
        attention_torch,
        lambda rng: attention_inputs(rng, additive_mask=True),
    ),
    "layer_norm": (layer_norm, layer_norm_torch, layer_norm_inputs),
    "logsumexp_last_axis": (logsumexp, logsumexp_torch, logsumexp_inputs),
    "logsumexp_all": (logsumexp, logsumexp_torch, lambda rng: logsumexp_inputs(rng, None)),
    "glove": (glove, glove_torch, glove_inputs),
    "cov": (cov, cov_torch, cov_inputs),
    "cov_columns_ddof0": (cov, cov_torch, lambda rng: cov_inputs(rng, rowvar=False, ddof=0)),
}
NAMES = list(COMPOSITES)


# ----------------------------------------------------------------------------- helpers


def setup(name, dtype=np.float64):
    """The composite as a function of its parameters, its inputs, and output weights R."""
    fn, _, make = COMPOSITES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    params, consts = make(rng)
    params = tuple(p.astype(dtype) for p in params)
    consts = {
        k: v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        for k, v in consts.items()
    }
    out_shape = np.shape(fn(np, scipy.special, params, consts))
    R = rng.normal(size=out_shape).astype(dtype)
    return fn, params, consts, R


def ours_value_and_grads(name, dtype=np.float64):
    fn, params, consts, R = setup(name, dtype)
    loss = lambda ps: dnp.sum(fn(dnp, dsp(), ps, consts) * R)
    return value_and_grad(loss)(params)


def assert_close(ours, ref, rtol=1e-10):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * 1e-2 * max(np.abs(ref).max(), 1))


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", NAMES)
def test_value_matches_numpy(name):
    fn, params, consts, _ = setup(name)
    assert_close(fn(dnp, dsp(), params, consts), fn(np, scipy.special, params, consts), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    _, params, consts, R = setup(name)
    _, torch_fn, _ = COMPOSITES[name]
    leaves = [torch.tensor(p, requires_grad=True) for p in params]
    value = (torch_fn(torch, leaves, consts) * torch.from_numpy(R)).sum()
    grads = torch.autograd.grad(value, leaves)
    ours_value, ours_grads = ours_value_and_grads(name)
    assert_close(ours_value, value.detach().numpy())
    for g, ref in zip(ours_grads, grads, strict=True):
        assert_close(g, ref.numpy())


@pytest.mark.parametrize("name", NAMES)
def test_matches_jax(name):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    import jax.scipy.special as jsp

    fn, params, consts, R = setup(name)
    with jax.enable_x64(True):
        loss = lambda ps: jnp.sum(fn(jnp, jsp, ps, consts) * R)
        value, grads = jax.value_and_grad(loss)(tuple(jnp.asarray(p) for p in params))
        value, grads = np.asarray(value), [np.asarray(g) for g in grads]
    ours_value, ours_grads = ours_value_and_grads(name)
    assert_close(ours_value, value)
    for g, ref in zip(ours_grads, grads, strict=True):
        assert g.dtype == ref.dtype == np.float64
        assert_close(g, ref)


@pytest.mark.parametrize("name", NAMES)
def test_check_grads_second_order(name):
    fn, params, consts, _ = setup(name)
    check_grads(lambda *ps: fn(dnp, dsp(), ps, consts), *params, order=2)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    fn, params, consts, _ = setup(name, np.float32)
    assert fn(dnp, dsp(), params, consts).dtype == np.float32
    value32, grads32 = ours_value_and_grads(name, np.float32)
    value64, grads64 = ours_value_and_grads(name)
    assert np.asarray(value32).dtype == np.float32
    assert_close(value32, value64, rtol=1e-4)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        assert_close(g32, g64, rtol=1e-3)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("name", NAMES)
def test_jacobian_batched_matches_looped(name, mode):
    fn, params, consts, _ = setup(name)
    f = lambda p0: fn(dnp, dsp(), (p0, *params[1:]), consts)
    batched = jacobian(f, mode=mode, batched=True)(params[0])
    looped = jacobian(f, mode=mode, batched=False)(params[0])
    assert batched.shape == np.shape(f(params[0])) + params[0].shape
    assert_close(batched, looped, rtol=1e-12)
