"""Softmax cross-entropy: values and gradients against torch, stability, errors."""

import numpy as np
import pytest
import torch

import diaphane.numpy as dnp
from diaphane.autodiff import DiaphaneError, check_grads, value_and_grad
from diaphane.nn.losses import cross_entropy, log_softmax

RNG = np.random.default_rng(0)


def _torch_xent(logits, targets, reduction):
    x = torch.tensor(logits, requires_grad=True)
    t = torch.tensor(targets, dtype=torch.long)
    flat = torch.nn.functional.cross_entropy(
        x.reshape(-1, x.shape[-1]), t.reshape(-1), reduction=reduction
    )
    loss = flat.reshape(t.shape) if reduction == "none" else flat
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 6), (9,)])
def test_value_and_gradient_match_torch(reduction, shape):
    logits = RNG.standard_normal(shape) * 3
    targets = RNG.integers(0, shape[-1], shape[:-1])
    fun = lambda x: dnp.sum(cross_entropy(x, targets, reduction))
    value, grad = value_and_grad(fun)(logits)
    t_value, t_grad = _torch_xent(logits, targets, reduction)
    np.testing.assert_allclose(value, np.sum(t_value), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(grad, t_grad, rtol=0, atol=1e-10)
    per_row = cross_entropy(logits, targets, "none")
    np.testing.assert_allclose(per_row, _torch_xent(logits, targets, "none")[0], atol=1e-10)


def test_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-5e3, -5e3, -5e3]])
    targets = np.array([1, 2])
    value, grad = value_and_grad(cross_entropy)(logits, targets)
    t_value, t_grad = _torch_xent(logits, targets, "mean")
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(value, t_value, rtol=1e-12)
    np.testing.assert_allclose(grad, t_grad, atol=1e-10)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (6,)])
def test_derivatives_to_second_order(shape):
    logits = RNG.standard_normal(shape)
    targets = RNG.integers(0, shape[-1], shape[:-1])
    check_grads(lambda x: cross_entropy(x, targets), logits, order=2)
    check_grads(lambda x: cross_entropy(x, targets, "none"), logits, order=2)


def test_float32_stays_float32():
    logits = RNG.standard_normal((5, 4)).astype(np.float32)
    targets = RNG.integers(0, 4, 5)
    value, grad = value_and_grad(cross_entropy)(logits, targets)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    check_grads(lambda x: cross_entropy(x, targets), logits, order=1)


def test_log_softmax_matches_torch():
    x = RNG.standard_normal((3, 8)) * 50
    expected = torch.log_softmax(torch.tensor(x), -1).numpy()
    np.testing.assert_allclose(log_softmax(x), expected, atol=1e-10)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (np.array([0, 1]), "targets of shape"),
        (np.array([0.0, 1.0, 2.0]), "integer class targets"),
        (np.array([0, 1, 4]), r"must lie in \[0, 4\)"),
        (np.array([0, -1, 2]), r"must lie in \[0, 4\)"),
    ],
)
def test_bad_targets_get_clear_errors(targets, message):
    with pytest.raises(DiaphaneError, match=message):
        cross_entropy(np.zeros((3, 4)), targets)


def test_unknown_reduction():
    with pytest.raises(DiaphaneError, match="reduction"):
        cross_entropy(np.zeros((3, 4)), np.zeros(3, int), "max")
