"""Optimisers: dense steps against torch.optim, sparse (lazy) steps, state round trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import diaphane.numpy as dnp
from diaphane.autodiff import DiaphaneError, SparseRows, value_and_grad
from diaphane.nn.optim import (
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    inverse_time_decay,
    linear_decay,
)

STEPS = 5

# (ours, torch class, torch kwargs) with the same hyperparameters.
DENSE_CASES = {
    "sgd": (lambda: SGD(0.1), torch.optim.SGD, {"lr": 0.1}),
    "sgd-decay": (
        lambda: SGD(0.1, weight_decay=0.01),
        torch.optim.SGD,
        {"lr": 0.1, "weight_decay": 0.01},
    ),
    "momentum": (lambda: Momentum(0.05, 0.9), torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "nesterov": (
        lambda: Momentum(0.05, 0.8, nesterov=True, weight_decay=0.1),
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
    ),
    "adagrad": (lambda: AdaGrad(0.1), torch.optim.Adagrad, {"lr": 0.1}),
    "adagrad-full": (
        lambda: AdaGrad(
            inverse_time_decay(0.1, 0.05), initial_accumulator=0.5, eps=1e-6, weight_decay=0.01
        ),
        torch.optim.Adagrad,
        {
            "lr": 0.1,
            "lr_decay": 0.05,
            "initial_accumulator_value": 0.5,
            "eps": 1e-6,
            "weight_decay": 0.01,
        },
    ),
    "adam": (lambda: Adam(0.01), torch.optim.Adam, {"lr": 0.01}),
    "adam-decay": (
        lambda: Adam(0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
    ),
    "adamw": (
        lambda: Adam(0.01, weight_decay=0.1, decoupled=True),
        torch.optim.AdamW,
        {"lr": 0.01, "weight_decay": 0.1},
    ),
}


def _params(rng, dtype=np.float64):
    return {
        "emb": rng.standard_normal((6, 3)).astype(dtype),
        "layer": {"w": rng.standard_normal((3, 2)).astype(dtype), "b": np.zeros(2, dtype)},
    }


def _leaves(tree):
    return [tree["emb"], tree["layer"]["w"], tree["layer"]["b"]]


@pytest.mark.parametrize("case", sorted(DENSE_CASES))
def test_dense_steps_match_torch(case):
    make_ours, torch_cls, kwargs = DENSE_CASES[case]
    rng = np.random.default_rng(0)
    params = _params(rng)
    tparams = [torch.tensor(p, requires_grad=True) for p in _leaves(params)]
    ours, theirs = make_ours(), torch_cls(tparams, **kwargs)
    for _ in range(STEPS):
        grads = _params(rng)
        ours.step(params, grads)
        for tp, g in zip(tparams, _leaves(grads), strict=True):
            tp.grad = torch.tensor(g)
        theirs.step()
    for p, tp in zip(_leaves(params), tparams, strict=True):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", sorted(DENSE_CASES))
def test_float32_stays_float32(case):
    rng = np.random.default_rng(1)
    params = _params(rng, np.float32)
    opt = DENSE_CASES[case][0]()
    grads = _params(rng, np.float64)  # float64 gradients are cast to the parameter's dtype
    grads["emb"] = SparseRows(np.array([0, 2, 0]), np.ones((3, 3), np.float32), (6, 3))
    for _ in range(2):
        opt.step(params, grads)
    assert all(p.dtype == np.float32 for p in _leaves(params))
    assert all(v.dtype == np.float32 for k, v in opt.state_dict().items() if k != "step")


def _sparse_grad(rng, shape, ids):
    return SparseRows(ids, rng.standard_normal((len(ids), *shape[1:])), shape)


@pytest.mark.parametrize(
    "make", [lambda: SGD(0.1, weight_decay=0.0), lambda: AdaGrad(0.5, initial_accumulator=1.0)]
)
def test_sparse_sgd_and_adagrad_equal_the_dense_update(make):
    rng = np.random.default_rng(2)
    table = rng.standard_normal((8, 4))
    sparse_p, dense_p = {"t": table.copy()}, {"t": table.copy()}
    sparse_opt, dense_opt = make(), make()
    for ids in ([1, 3, 1], [0, 3], [7, 7, 7, 2]):
        g = _sparse_grad(rng, table.shape, np.array(ids))
        sparse_opt.step(sparse_p, {"t": g})
        dense_opt.step(dense_p, {"t": g.to_dense()})
        np.testing.assert_array_equal(sparse_p["t"], dense_p["t"])
    for slot in sparse_opt.slots:
        np.testing.assert_array_equal(sparse_opt.state["t"][slot], dense_opt.state["t"][slot])
    untouched = [4, 5, 6]
    np.testing.assert_array_equal(sparse_p["t"][untouched], table[untouched])


def test_sparse_adam_matches_torch_sparse_adam():
    rng = np.random.default_rng(3)
    table = rng.standard_normal((10, 4))
    params = {"t": table.copy()}
    # SparseAdam adds eps before bias-correcting v; a tiny eps makes both placements agree.
    ours = Adam(0.05, eps=1e-12)
    tp = torch.tensor(table, requires_grad=True)
    theirs = torch.optim.SparseAdam([tp], lr=0.05, eps=1e-12)
    for ids in ([1, 3, 1], [0, 3], [9, 9, 2], [1, 2, 3, 4]):
        g = _sparse_grad(rng, table.shape, np.array(ids))
        ours.step(params, {"t": g})
        index = torch.tensor(np.array(ids)[None])
        tp.grad = torch.sparse_coo_tensor(
            index, torch.tensor(g.values), table.shape, check_invariants=True
        )
        theirs.step()
    np.testing.assert_allclose(params["t"], tp.detach().numpy(), rtol=1e-10, atol=1e-10)
    untouched = [5, 6, 7, 8]
    np.testing.assert_array_equal(params["t"][untouched], table[untouched])


def test_sparse_adam_first_step_equals_dense_adam():
    rng = np.random.default_rng(4)
    table = rng.standard_normal((6, 2))
    g = _sparse_grad(rng, table.shape, np.array([4, 1, 4]))
    sparse_p, dense_p = {"t": table.copy()}, {"t": table.copy()}
    Adam(0.1).step(sparse_p, {"t": g})
    Adam(0.1).step(dense_p, {"t": g.to_dense()})
    np.testing.assert_allclose(sparse_p["t"], dense_p["t"], rtol=1e-14, atol=0)


def test_sparse_momentum_is_lazy():
    table = np.zeros((4, 2))
    opt = Momentum(1.0, momentum=0.5)
    params = {"t": table}
    opt.step(params, {"t": SparseRows(np.array([0]), np.ones((1, 2)), (4, 2))})
    opt.step(params, {"t": SparseRows(np.array([1]), np.ones((1, 2)), (4, 2))})
    # Row 0's buffer was not decayed by the step that did not touch it.
    np.testing.assert_array_equal(opt.state["t"]["momentum"][:, 0], [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(table[:, 0], [-1.0, -1.0, 0.0, 0.0])


def test_training_an_embedding_with_sparse_gradients():
    rng = np.random.default_rng(5)
    params = {"emb": rng.standard_normal((50, 4)), "w": rng.standard_normal(4)}
    ids = np.array([3, 7, 3, 11])
    target = np.array([1.0, -1.0, 1.0, 0.5])

    def loss(p):
        return dnp.sum((p["emb"][ids] @ p["w"] - target) ** 2)

    opt = Adam(0.05)
    before = params["emb"].copy()
    first, grads = value_and_grad(loss, sparse=True)(params)
    assert isinstance(grads["emb"], SparseRows) and isinstance(grads["w"], np.ndarray)
    for _ in range(200):
        value, grads = value_and_grad(loss, sparse=True)(params)
        opt.step(params, grads)
    assert value < 1e-3 * first
    others = np.setdiff1d(np.arange(50), ids)
    np.testing.assert_array_equal(params["emb"][others], before[others])


def test_state_dict_round_trip_resumes_identically():
    rng = np.random.default_rng(6)
    params = _params(rng)
    grads = [_params(rng) for _ in range(4)]
    a = Adam(0.01)
    for g in grads[:2]:
        a.step(params, g)
    saved_params = {k: v for k, v in _named_copy(params).items()}
    state = a.state_dict()
    assert state["step"] == 2 and "m.layer.w" in state and "v.emb" in state
    assert all(isinstance(v, np.ndarray) for v in state.values())
    b = Adam(0.01)
    b.load_state_dict(state)
    resumed = _unnamed(saved_params)
    for g in grads[2:]:
        a.step(params, g)
        b.step(resumed, g)
    for x, y in zip(_leaves(params), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(x, y)


def _named_copy(p):
    return {"emb": p["emb"].copy(), "w": p["layer"]["w"].copy(), "b": p["layer"]["b"].copy()}


def _unnamed(named):
    return {"emb": named["emb"], "layer": {"w": named["w"], "b": named["b"]}}


def test_schedules_and_skipped_parameters():
    params = {"a": np.ones(2), "b": np.ones(2)}
    opt = SGD(linear_decay(1.0, total_steps=3))
    for _ in range(4):
        opt.step(params, {"a": np.ones(2), "b": None})
    np.testing.assert_array_equal(params["a"], 1.0 - (1.0 + 0.5 + 0.0 + 0.0))
    np.testing.assert_array_equal(params["b"], 1.0)
    assert inverse_time_decay(1.0, 0.5)(3) == 0.5


def test_clear_errors():
    with pytest.raises(DiaphaneError, match="writable float NumPy array"):
        SGD(0.1).step({"w": 1.0}, {"w": 1.0})
    with pytest.raises(DiaphaneError, match="no entry for parameter 'x'"):
        SGD(0.1).step({"x": np.ones(2)}, {"y": np.ones(2)})
    with pytest.raises(DiaphaneError, match="has shape"):
        SGD(0.1).step({"x": np.ones(2)}, {"x": np.ones(3)})
    opt = Adam()
    opt.step({"x": np.ones(2)}, {"x": np.ones(2)})
    with pytest.raises(DiaphaneError, match="does not fit"):
        opt.step({"x": np.ones(3)}, {"x": np.ones(3)})
    with pytest.raises(DiaphaneError, match="Unknown optimiser state entry"):
        SGD(0.1).load_state_dict({"step": np.array(1), "m.x": np.ones(2)})
