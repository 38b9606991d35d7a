"""Hypergradients: the three ways agree with each other, with central finite differences
and with PyTorch; exact reversal is exact; checkpointing keeps O(sqrt(T)) states."""

from __future__ import annotations

import math

import numpy as np
import pytest

import diaphane.numpy as dnp
from diaphane.errors import UsageError
from diaphane.nn.hyper import adam, hypergrad, make_hyper, momentum_sgd, quantize_momentum
from diaphane.nn.hyper.checkpointed import segment_length
from diaphane.nn.hyper.reversible import DENOMINATOR, BitBuffer, FixedPoint
from diaphane.nn.hyper.steps import Unroll
from diaphane.nn.losses import cross_entropy

T = 25
TOL = 1e-6
METHODS = ("unrolled", "checkpoint", "reverse")
RNG = np.random.default_rng(7)
X = RNG.standard_normal((40, 5))
Y = RNG.integers(0, 3, 40)
BATCH = 10


def logits(p, x):
    return dnp.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def train_loss(p, t):
    rows = (t * BATCH + np.arange(BATCH)) % 30  # the first 30 rows train, cycled
    return cross_entropy(logits(p, X[rows]), Y[rows])


def valid_loss(p):
    return cross_entropy(logits(p, X[30:]), Y[30:])


def params0(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((5, 6)) / 2,
        "b1": 0.1 * rng.standard_normal(6),
        "W2": rng.standard_normal((6, 3)) / 2,
        "b2": 0.1 * rng.standard_normal(3),
    }


def varied_hyper(steps=T, seed=1):
    """Per-step, per-leaf values, momentum on the grid exact reversal uses."""
    rng = np.random.default_rng(seed)
    h = make_hyper(params0(), steps, per_leaf=True)
    h["lr"] = rng.uniform(0.2, 0.6, h["lr"].shape)
    h["momentum"] = rng.uniform(0.7, 0.95, h["momentum"].shape)
    h["l2"] = rng.uniform(1e-3, 1e-2, h["l2"].shape)
    h["init_scale"] = rng.uniform(0.8, 1.2, h["init_scale"].shape)
    return quantize_momentum(h)


def final_valid(step, hyper, p0=None, steps=T):
    """The validation loss after training, by a plain forward run (for differences)."""
    unroll = Unroll(step, params0() if p0 is None else p0)
    state = unroll.run(unroll.initial(hyper), hyper, 0, steps)
    return float(valid_loss(unroll.params(state[0])))


def directional_fd(step, hyper, key, direction, eps=1e-5):
    def at(s):
        return final_valid(step, {**hyper, key: hyper[key] + s * direction})

    return (at(eps) - at(-eps)) / (2 * eps)


def rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def momentum_results():
    h = varied_hyper()
    step = momentum_sgd(train_loss)
    return h, {m: hypergrad(step, valid_loss, h, params0(), T, method=m) for m in METHODS}


def test_three_methods_agree_with_each_other(momentum_results):
    _, results = momentum_results
    ref = results["unrolled"]
    assert ref.grad["lr"].shape == (T, 4) and ref.grad["l2"].shape == (4,)
    for method in ("checkpoint", "reverse"):
        r = results[method]
        assert abs(r.loss - ref.loss) <= TOL * abs(ref.loss)
        for key in ref.grad:
            assert rel(r.grad[key], ref.grad[key]) <= TOL, (method, key)
        for name in ref.params0_grad:
            assert rel(r.params0_grad[name], ref.params0_grad[name]) <= TOL, (method, name)
    # Reverse mode through stored states is the same arithmetic, in another order.
    assert rel(results["checkpoint"].grad["lr"], ref.grad["lr"]) < 1e-12


@pytest.mark.parametrize("key", ["lr", "momentum", "l2", "init_scale"])
def test_every_method_matches_central_differences(momentum_results, key):
    h, results = momentum_results
    direction = np.random.default_rng(3).standard_normal(h[key].shape) * h[key]
    fd = directional_fd(momentum_sgd(train_loss), h, key, direction)
    assert abs(fd) > 1e-4  # a real signal, not two zeros agreeing
    for method, r in results.items():
        ours = float(np.vdot(r.grad[key], direction))
        assert abs(ours - fd) <= TOL * abs(fd), (method, ours, fd)


def test_single_entries_match_central_differences(momentum_results):
    h, results = momentum_results
    for key, index in [("lr", (0, 0)), ("lr", (T - 1, 2)), ("l2", (1,)), ("init_scale", (3,))]:
        direction = np.zeros_like(h[key])
        direction[index] = 1.0
        fd = directional_fd(momentum_sgd(train_loss), h, key, direction, eps=1e-6)
        for method, r in results.items():
            assert abs(r.grad[key][index] - fd) <= TOL * abs(fd) + 1e-10, (method, key, index)


def test_shared_scalar_hyperparameters():
    h = quantize_momentum(make_hyper(params0(), T, lr=0.4, momentum=0.9, l2=3e-3, init_scale=1.1))
    step = momentum_sgd(train_loss)
    results = {m: hypergrad(step, valid_loss, h, params0(), T, method=m) for m in METHODS}
    for key in ("momentum", "l2", "init_scale"):
        fd = directional_fd(step, h, key, np.asarray(1.0))
        for method, r in results.items():
            assert r.grad[key].shape == ()
            assert abs(float(r.grad[key]) - fd) <= TOL * abs(fd), (method, key)


def test_adam_unrolled_and_checkpointed_match_differences():
    h = make_hyper(params0(), T, lr=0.03, momentum=0.85, l2=1e-3, per_leaf=True)
    h["lr"] = np.random.default_rng(5).uniform(0.01, 0.05, h["lr"].shape)
    step = adam(train_loss)
    results = {m: hypergrad(step, valid_loss, h, params0(), T, method=m) for m in METHODS[:2]}
    assert rel(results["checkpoint"].grad["lr"], results["unrolled"].grad["lr"]) < 1e-12
    for key in ("lr", "momentum", "l2", "init_scale"):
        direction = np.random.default_rng(9).standard_normal(h[key].shape) * h[key]
        fd = directional_fd(step, h, key, direction)
        for method, r in results.items():
            ours = float(np.vdot(r.grad[key], direction))
            assert abs(ours - fd) <= TOL * abs(fd), (method, key)
    with pytest.raises(UsageError, match="Adam"):
        hypergrad(step, valid_loss, h, params0(), T, method="reverse")


# ----------------------------------------------------------------------------- exact reversal


def test_fixed_point_products_undo_exactly():
    rng = np.random.default_rng(0)
    values = np.round(rng.standard_normal(1000) * 2**30) / 2**30  # on the 2**-52 grid
    x, buf = FixedPoint(values), BitBuffer(values.shape)
    ratios = rng.integers(DENOMINATOR // 2, DENOMINATOR, 200)
    adds = [rng.standard_normal(1000) * 1e-3 for _ in ratios]
    for n, a in zip(ratios, adds, strict=True):
        x.mul(int(n), buf)
        x.add(a)
    assert buf.bits() > 0
    for n, a in zip(ratios[::-1], adds[::-1], strict=True):
        x.sub(a)
        x.div(int(n), buf)
    assert buf.is_empty()
    assert np.array_equal(x.value, values)  # bit for bit


def float_reversal_error(hyper, steps):
    """How far undoing the run in plain float64 (no buffer) lands from the start."""
    unroll = Unroll(momentum_sgd(train_loss), params0())
    w, v = unroll.run(unroll.initial(hyper), hyper, 0, steps)
    lr, gamma = float(hyper["lr"][0]), float(hyper["momentum"])
    for t in reversed(range(steps)):
        w = [wi - lr * vi for wi, vi in zip(w, v, strict=True)]
        g = unroll.gradient(w, t)
        v = [(vi + (1 - gamma) * gi) / gamma for vi, gi in zip(v, g, strict=True)]
    return max(np.max(np.abs(wi - p)) for wi, p in zip(w, unroll.params0, strict=True))


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_reversal_recovers_the_initial_weights_bit_for_bit(gamma):
    # Weights on the fixed-point grid, so the float64 start itself is recovered exactly.
    p0 = {k: np.round(v * 2**20) / 2**20 for k, v in params0().items()}
    h = make_hyper(p0, 50, lr=0.5, momentum=gamma)
    r = hypergrad(momentum_sgd(train_loss), valid_loss, h, p0, 50, method="reverse")
    assert r.stats["recovered_exactly"] is True
    bits = r.stats["bits"]
    assert bits[0] == 0 and np.all(np.diff(bits) >= 0)
    # About log2(1 / gamma) bits per parameter per step: what the products lose.
    theory = r.stats["theoretical_bits_per_param_per_step"]
    assert theory == pytest.approx(math.log2(1 / gamma), rel=1e-4)
    assert 0.5 * theory < r.stats["bits_per_param_per_step"] < theory + 2 / 50
    assert r.stats["buffer_and_state_bytes"] > 0


def test_float_reversal_without_the_buffer_loses_the_weights():
    # What the buffer is for: dividing by the momentum doubles every rounding error at
    # gamma = 0.5, and 50 steps later the "recovered" weights are far off.
    assert float_reversal_error(make_hyper(params0(), 50, lr=0.5, momentum=0.5), 50) > 1e-3


# ----------------------------------------------------------------------------- checkpointing


def quadratic_step(p, t):
    return dnp.sum((p["w"] - np.cos(t + np.arange(3))) ** 2)


def test_checkpointing_keeps_order_sqrt_t_states():
    p0 = {"w": np.zeros(3)}
    peaks = {}
    for steps in (16, 64, 256):
        h = make_hyper(p0, steps, lr=0.1, momentum=0.5)
        r = hypergrad(quadratic_step, lambda p: dnp.sum(p["w"] ** 2), h, p0, steps, "checkpoint")
        k = segment_length(steps)
        assert k == math.isqrt(steps)  # squares: k = sqrt(T)
        assert r.stats["stored_states"] == k
        peaks[steps] = r.stats["peak_states"]
        assert peaks[steps] <= 2 * math.isqrt(steps)
    assert peaks[256] / peaks[16] == 4  # sqrt(16), where the unrolled trace grows 16-fold
    assert segment_length(10) == 4 and segment_length(1) == 1


def test_checkpointing_reruns_each_step_once(monkeypatch):
    calls = []
    original = Unroll.gradient
    monkeypatch.setattr(
        Unroll, "gradient", lambda self, w, t: calls.append(t) or original(self, w, t)
    )
    h = make_hyper(params0(), T, lr=0.3)
    hypergrad(train_loss, valid_loss, h, params0(), T, method="checkpoint")
    assert sorted(calls) == sorted(list(range(T)) * 2)  # the forward run and one rerun


# ----------------------------------------------------------------------------- the API


def test_bad_arguments_are_usage_errors():
    h = make_hyper(params0(), T)
    with pytest.raises(UsageError, match="method"):
        hypergrad(train_loss, valid_loss, h, params0(), T, method="forward")
    with pytest.raises(UsageError, match="positive integer"):
        hypergrad(train_loss, valid_loss, h, params0(), 0)
    with pytest.raises(UsageError, match="shape"):
        hypergrad(train_loss, valid_loss, h, params0(), T + 1)
    with pytest.raises(UsageError, match="keys"):
        hypergrad(train_loss, valid_loss, {"lr": h["lr"]}, params0(), T)
    with pytest.raises(UsageError, match="NaN"):
        hypergrad(train_loss, valid_loss, {**h, "l2": np.asarray(np.nan)}, params0(), T)
    with pytest.raises(UsageError, match="momentum in"):
        bad = {**h, "momentum": np.asarray(0.0)}
        hypergrad(train_loss, valid_loss, bad, params0(), T, method="reverse")
    with pytest.raises(UsageError, match="1024"):
        hypergrad(train_loss, valid_loss, {**h, "lr": h["lr"] * 1e9}, params0(), T, "reverse")


def test_result_holds_trained_params_and_their_start_gradient():
    h = make_hyper(params0(), T, lr=0.3)
    r = hypergrad(train_loss, valid_loss, h, params0(), T)
    assert set(r.params) == set(r.params0_grad) == {"W1", "b1", "W2", "b2"}
    assert r.loss == pytest.approx(float(valid_loss(r.params)))
    assert r.loss < float(valid_loss(params0()))  # training helped


# ----------------------------------------------------------------------------- PyTorch


def test_unrolled_hypergradient_matches_torch():
    torch = pytest.importorskip("torch")
    h = varied_hyper()
    ours = hypergrad(momentum_sgd(train_loss), valid_loss, h, params0(), T)
    th = {k: torch.tensor(v, requires_grad=True) for k, v in h.items()}
    names = list(params0())
    w = [th["init_scale"][i] * torch.tensor(params0()[n]) for i, n in enumerate(names)]
    v = [torch.zeros_like(x) for x in w]
    x, y = torch.tensor(X), torch.tensor(Y)

    def net(ws, xs):
        return torch.tanh(xs @ ws[0] + ws[1]) @ ws[2] + ws[3]

    for t in range(T):
        rows = torch.tensor((t * BATCH + np.arange(BATCH)) % 30)
        loss = torch.nn.functional.cross_entropy(net(w, x[rows]), y[rows])
        grads = torch.autograd.grad(loss, w, create_graph=True)
        for i in range(4):
            gamma = th["momentum"][t, i]
            v[i] = gamma * v[i] - (1 - gamma) * (grads[i] + th["l2"][i] * w[i])
            w[i] = w[i] + th["lr"][t, i] * v[i]
    final = torch.nn.functional.cross_entropy(net(w, x[30:]), y[30:])
    final.backward()
    assert final.item() == pytest.approx(ours.loss, rel=1e-12)
    for key in h:
        assert rel(ours.grad[key], th[key].grad.numpy()) < 1e-9, key
