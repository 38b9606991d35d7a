"""diaphane.numpy diff, gradient, cross and convolve: values against NumPy, derivatives
against finite differences (forward and reverse, second order) and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import diaphane.numpy as dnp
from diaphane.autodiff import check_grads, grad, jacobian

FLOATS = [np.float64, np.float32]


def rand(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((5,), {}),
        ((5,), {"n": 2}),
        ((3, 4), {"axis": 0}),
        ((3, 4), {"n": 2, "prepend": 1.5}),
        ((3, 4), {"axis": 0, "append": np.ones((1, 4))}),
        ((4,), {"n": 0}),
    ],
)
def test_diff(shape, kwargs, dtype):
    x = rand(*shape, dtype=dtype)
    out, want = dnp.diff(x, **kwargs), np.diff(x, **kwargs)
    np.testing.assert_array_equal(out, want)
    assert out.dtype == want.dtype
    check_grads(lambda x: dnp.diff(x, **kwargs), x)


def test_diff_traced_prepend_and_bad_order():
    x, p = rand(3, 4), rand(3, 1, seed=1)
    check_grads(lambda x, p: dnp.diff(x, prepend=p, append=p), x, p)
    with pytest.raises(ValueError, match="non-negative"):
        dnp.diff(x, n=-1)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "shape, args, kwargs",
    [
        ((6,), (), {}),
        ((6,), (0.5,), {"edge_order": 2}),
        ((4, 5), (), {"axis": 1}),
        ((4, 5), (0.5, 2.0), {}),
        ((4, 5), (0.3,), {"edge_order": 2}),
    ],
)
def test_gradient(shape, args, kwargs, dtype):
    x = rand(*shape, dtype=dtype)
    out, want = dnp.gradient(x, *args, **kwargs), np.gradient(x, *args, **kwargs)
    for o, w in zip(
        out if isinstance(out, tuple) else (out,),
        want if isinstance(want, tuple) else (want,),
        strict=True,
    ):
        np.testing.assert_allclose(o, w, rtol=1e-6 if dtype == np.float32 else 1e-14)
        assert o.dtype == dtype
    check_grads(lambda x: dnp.gradient(x, *args, **kwargs), x)


def test_gradient_rejects_coordinates_and_short_axes():
    with pytest.raises(NotImplementedError):
        dnp.gradient(rand(4), np.arange(4.0))
    with pytest.raises(ValueError, match="too small"):
        dnp.gradient(rand(2), edge_order=2)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional:DeprecationWarning")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "sa, sb, kwargs",
    [
        ((3,), (3,), {}),
        ((4, 3), (3,), {}),
        ((2, 4, 3), (4, 3), {}),
        ((3, 4), (4, 3), {"axisa": 0}),
        ((3, 4), (3, 4), {"axis": 0}),
        ((4, 3), (4, 3), {"axisc": 0}),
        ((4, 2), (4, 3), {}),
    ],
)
def test_cross(sa, sb, kwargs, dtype):
    a, b = rand(*sa, dtype=dtype), rand(*sb, dtype=dtype, seed=1)
    out = dnp.cross(a, b, **kwargs)
    np.testing.assert_allclose(out, np.cross(a, b, **kwargs), rtol=1e-6, atol=1e-6)
    assert out.dtype == dtype
    check_grads(lambda a, b: dnp.cross(a, b, **kwargs), a, b)


def test_cross_of_2_vectors_and_bad_length():
    a, b = rand(5, 2), rand(5, 2, seed=1)
    with pytest.warns(DeprecationWarning):
        want = np.cross(a, b)
    np.testing.assert_allclose(dnp.cross(a, b), want, rtol=1e-14)
    check_grads(dnp.cross, a, b)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        dnp.cross(rand(4), rand(4))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, m", [(6, 3), (5, 4), (3, 6), (1, 4), (4, 4)])
def test_convolve(n, m, mode, dtype):
    a, v = rand(n, dtype=dtype), rand(m, dtype=dtype, seed=1)
    out = dnp.convolve(a, v, mode)
    np.testing.assert_allclose(out, np.convolve(a, v, mode), rtol=1e-6, atol=1e-6)
    assert out.dtype == dtype
    check_grads(lambda a, v: dnp.convolve(a, v, mode), a, v)


def test_convolve_complex_and_mixed():
    a = rand(5) + 1j * rand(5, seed=2)
    v = rand(3, seed=1)
    np.testing.assert_allclose(dnp.convolve(a, v, "same"), np.convolve(a, v, "same"))
    check_grads(lambda a, v: dnp.convolve(a, v, "same"), a, v)
    assert grad(lambda v: dnp.sum(dnp.real(dnp.convolve(a, v))))(v).dtype == np.float64


def test_convolve_batched_jacobian_and_errors():
    a, v = rand(5), rand(3, seed=1)
    jac = jacobian(lambda a: dnp.convolve(a, v, "same"), batched=True)(a)
    np.testing.assert_allclose(jac, jacobian(lambda a: dnp.convolve(a, v, "same"))(a))
    with pytest.raises(ValueError, match="mode"):
        dnp.convolve(a, v, "circular")
    with pytest.raises(ValueError, match="1-D"):
        dnp.convolve(rand(2, 3), v)


def _torch_convolve(a, v, mode):
    # torch's conv1d correlates: flip the kernel; "full" pads by len(v) - 1 on both sides.
    out = torch.nn.functional.conv1d(a[None, None], v.flip(0)[None, None], padding=len(v) - 1)[0, 0]
    n, m = len(a), len(v)
    if mode == "valid":
        return out[m - 1 : n]
    return out


@pytest.mark.parametrize("mode", ["full", "valid"])
def test_convolve_and_cross_gradients_match_torch(mode):
    a, v = rand(7), rand(3, seed=1)
    u = rand(9 if mode == "full" else 5, seed=3)
    ta, tv = (torch.tensor(z, requires_grad=True) for z in (a, v))
    (torch.tensor(u) * _torch_convolve(ta, tv, mode)).sum().backward()
    ga, gv = grad(lambda a, v: dnp.sum(u * dnp.convolve(a, v, mode)), argnums=(0, 1))(a, v)
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gv, tv.grad.numpy(), rtol=1e-10, atol=1e-12)

    x, y = rand(4, 3), rand(4, 3, seed=1)
    tx, ty = (torch.tensor(z, requires_grad=True) for z in (x, y))
    torch.linalg.cross(tx, ty).pow(2).sum().backward()
    gx, gy = grad(lambda x, y: dnp.sum(dnp.cross(x, y) ** 2), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-10)
