"""Reductions: values match NumPy, derivatives match finite differences (both modes, second
order), batched Jacobians match unbatched ones, and key gradients match PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import diaphane.numpy as dnp
from diaphane.autodiff import check_grads, grad, hessian, jacobian, jvp

RNG = np.random.default_rng(0)


def _x(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _check(f, np_f, x, order=2):
    """Value equals NumPy's; derivatives in float64 (to ``order``) and float32."""
    np.testing.assert_allclose(f(x), np_f(x), rtol=1e-12)
    check_grads(f, x, order=order)
    check_grads(f, x.astype(np.float32), order=1)


def _check_batched(f, x):
    """Batched and unbatched Jacobians agree, in both modes, and so do batched Hessians."""
    for mode in ("rev", "fwd"):
        a = jacobian(f, mode=mode, batched=True)(x)
        b = jacobian(f, mode=mode, batched=False)(x)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    s = lambda y: dnp.sum(dnp.sin(f(y)))
    h1 = jacobian(grad(s), mode="fwd", batched=True)(x)
    h2 = jacobian(grad(s), mode="fwd", batched=False)(x)
    np.testing.assert_allclose(h1, h2, rtol=1e-12, atol=1e-12)
    h3 = jacobian(grad(s), mode="rev", batched=True)(x)
    np.testing.assert_allclose(h3, h2, rtol=1e-10, atol=1e-12)


REDUCTIONS = [
    ("sum", dnp.sum, np.sum, {}),
    ("mean", dnp.mean, np.mean, {}),
    ("prod", dnp.prod, np.prod, {}),
    ("max", dnp.max, np.max, {}),
    ("min", dnp.min, np.min, {}),
    ("amax", dnp.amax, np.amax, {}),
    ("amin", dnp.amin, np.amin, {}),
    ("nanmax", dnp.nanmax, np.nanmax, {}),
    ("nanmin", dnp.nanmin, np.nanmin, {}),
    ("var", dnp.var, np.var, {}),
    ("var_ddof", dnp.var, np.var, {"ddof": 1}),
    ("std", dnp.std, np.std, {}),
    ("std_ddof", dnp.std, np.std, {"ddof": 1}),
    ("nansum", dnp.nansum, np.nansum, {}),
    ("nanmean", dnp.nanmean, np.nanmean, {}),
    ("ptp", dnp.ptp, np.ptp, {}),
]
AXES = [None, 0, -1, (0, 2), (-1, 0, 1)]


@pytest.mark.parametrize("name,f,np_f,kw", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_values_and_grads(name, f, np_f, kw, axis, keepdims):
    x = _x(2, 3, 4)
    g = lambda y: f(y, axis=axis, keepdims=keepdims, **kw)
    _check(g, lambda y: np_f(y, axis=axis, keepdims=keepdims, **kw), x)


@pytest.mark.parametrize("name,f,np_f,kw", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
def test_reduction_batched_jacobians(name, f, np_f, kw, axis):
    _check_batched(lambda y: f(y, axis=axis, **kw), _x(2, 3, 2))


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    data=st.data(),
    which=st.sampled_from(["sum", "mean", "prod", "var", "max"]),
)
def test_reductions_random_shapes(shape, data, which):
    ndim = len(shape)
    axis = None
    if ndim:
        axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    keepdims = data.draw(st.booleans())
    f, np_f = getattr(dnp, which), getattr(np, which)
    x = RNG.standard_normal(shape)
    g = lambda y: f(y, axis=axis, keepdims=keepdims)
    _check(g, lambda y: np_f(y, axis=axis, keepdims=keepdims), x)


def test_scalar_and_python_float_inputs():
    check_grads(dnp.sum, 1.5)
    check_grads(dnp.prod, np.float64(2.0))
    assert grad(dnp.max)(2.0) == 1.0


# ----------------------------------------------------------------------------- max/min ties


def test_max_ties_split_evenly_like_torch_amax():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0]])
    ours = grad(lambda y: dnp.sum(dnp.max(y, axis=1) * np.array([1.0, 2.0])))(x)
    np.testing.assert_allclose(ours, [[0, 0.5, 0.5, 0], [2 / 3, 2 / 3, 2 / 3, 0]])
    xt = torch.tensor(x, requires_grad=True)
    (torch.amax(xt, dim=1) * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=1e-10)
    _, t = jvp(lambda y: dnp.min(y, axis=0), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, [1.0, 1.0, 1.0, 1.0])


def test_max_ignores_entries_excluded_by_where_and_nan_propagates():
    x = np.array([4.0, 1.0, 4.0])
    g = grad(lambda y: dnp.max(y, where=np.array([False, True, True]), initial=-np.inf))(x)
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0])
    g = grad(dnp.max)(np.array([1.0, np.nan, 2.0]))
    np.testing.assert_allclose(g, [0.0, 1.0, 0.0])
    g = grad(dnp.nanmax)(np.array([1.0, np.nan, 2.0]))
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0])


# ----------------------------------------------------------------------------- prod with zeros


@pytest.mark.parametrize(
    "x",
    [
        np.array([2.0, 0.0, 3.0, -1.5]),
        np.array([0.0, 2.0, 0.0, 3.0]),
        np.array([[0.0, 1.5, 2.0], [3.0, -1.0, 0.5]]),
    ],
    ids=["one-zero", "two-zeros", "matrix"],
)
def test_prod_with_zeros_matches_torch_to_second_order(x):
    f = lambda y: dnp.prod(y)
    check_grads(f, x, order=3)
    xt = torch.tensor(x, requires_grad=True)
    torch.prod(xt).backward()
    np.testing.assert_allclose(grad(f)(x), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    h_torch = torch.autograd.functional.hessian(lambda y: torch.prod(y), torch.tensor(x))
    np.testing.assert_allclose(hessian(f)(x), h_torch.numpy(), rtol=1e-10, atol=1e-12)


def test_prod_with_zeros_along_axis():
    x = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [4.0, 5.0, 6.0]])
    _check(lambda y: dnp.prod(y, axis=1), lambda y: np.prod(y, axis=1), x, order=2)
    _check(lambda y: dnp.prod(y, axis=0, keepdims=True), lambda y: np.prod(y, 0, keepdims=True), x)
    _check_batched(lambda y: dnp.prod(y, axis=0), x)


# ----------------------------------------------------------------------------- cumulative


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("f,np_f", [(dnp.cumsum, np.cumsum), (dnp.cumprod, np.cumprod)])
def test_cumulative(f, np_f, axis):
    x = _x(3, 5)
    _check(lambda y: f(y, axis=axis), lambda y: np_f(y, axis=axis), x)
    _check_batched(lambda y: f(y, axis=axis), _x(2, 3))


def test_cumprod_with_zeros_matches_torch():
    x = np.array([1.5, 0.0, 2.0, 0.0, -3.0, 0.5])
    u = np.linspace(-1.0, 1.0, 6)
    check_grads(lambda y: dnp.cumprod(y), x, order=3)
    ours = grad(lambda y: dnp.sum(dnp.cumprod(y) * u))(x)
    xt = torch.tensor(x, requires_grad=True)
    (torch.cumprod(xt, 0) * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    h = torch.autograd.functional.hessian(
        lambda y: (torch.cumprod(y, 0) * torch.tensor(u)).sum(), torch.tensor(x)
    )
    np.testing.assert_allclose(
        hessian(lambda y: dnp.sum(dnp.cumprod(y) * u))(x), h.numpy(), rtol=1e-10, atol=1e-12
    )


def test_cumsum_dtype_argument():
    x = _x(4)
    out = dnp.cumsum(x, dtype=np.float32)
    assert out.dtype == np.float32
    check_grads(lambda y: dnp.cumsum(y, dtype=np.float64), x.astype(np.float32), order=1)


# ----------------------------------------------------------------------------- var, std


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)])
def test_var_std_match_torch(ddof, axis):
    x = _x(3, 4, 2)
    dim = None if axis is None else axis
    for ours_f, torch_f in [(dnp.var, torch.var), (dnp.std, torch.std)]:
        w = _x(*np.shape(ours_f(x, axis=axis, ddof=ddof)))
        ours = grad(lambda y, f=ours_f, w=w: dnp.sum(f(y, axis=axis, ddof=ddof) * w))(x)
        xt = torch.tensor(x, requires_grad=True)
        (torch_f(xt, dim=dim, correction=ddof) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_var_std_complex():
    x = _x(3, 4) + 1j * _x(3, 4)
    for f, np_f in [(dnp.var, np.var), (dnp.std, np.std)]:
        np.testing.assert_allclose(f(x, axis=0), np_f(x, axis=0))
        check_grads(lambda y, f=f: f(y, axis=0), x, order=2)
        check_grads(lambda y, f=f: f(y), x.astype(np.complex64), order=1)


def test_prod_complex():
    x = _x(3, 2) + 1j * _x(3, 2)
    check_grads(lambda y: dnp.prod(y, axis=0), x, order=2)
    check_grads(lambda y: dnp.cumprod(y, axis=0), x, order=2)


# ----------------------------------------------------------------------------- nan reductions


def test_nan_reductions_skip_nans():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]])
    np.testing.assert_allclose(dnp.nansum(x, axis=1), np.nansum(x, axis=1))
    np.testing.assert_allclose(grad(dnp.nansum)(x), [[1, 0, 1], [0, 0, 1]])
    g = grad(lambda y: dnp.sum(dnp.nanmean(y, axis=1)))(x)
    np.testing.assert_allclose(g, [[0.5, 0, 0.5], [0, 0, 1.0]])
    _, t = jvp(lambda y: dnp.nanmean(y, axis=1), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, [1.0, 1.0])


# ----------------------------------------------------------------------------- compositions


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_average(axis):
    x = _x(3, 4)
    w = RNG.uniform(0.5, 2.0, size=(3, 4))
    _check(lambda y: dnp.average(y, axis=axis), lambda y: np.average(y, axis=axis), x)
    _check(
        lambda y: dnp.average(y, axis=axis, weights=w),
        lambda y: np.average(y, axis=axis, weights=w),
        x,
    )
    check_grads(lambda v: dnp.average(x, axis=axis, weights=v), w, order=2)
    if axis is not None:
        w1 = RNG.uniform(0.5, 2.0, size=x.shape[axis])
        _check(
            lambda y: dnp.average(y, axis=axis, weights=w1),
            lambda y: np.average(y, axis=axis, weights=w1),
            x,
        )
        avg, scale = dnp.average(x, axis=axis, weights=w1, returned=True)
        np_avg, np_scale = np.average(x, axis=axis, weights=w1, returned=True)
        np.testing.assert_allclose(avg, np_avg)
        np.testing.assert_allclose(scale, np_scale)
        check_grads(lambda v: dnp.average(x, axis=axis, weights=v), w1, order=2)


def test_average_errors_like_numpy():
    with pytest.raises(TypeError):
        dnp.average(_x(3, 4), weights=np.ones(4))
    with pytest.raises(ZeroDivisionError):
        dnp.average(_x(3), weights=np.zeros(3))


@pytest.mark.parametrize("offset,a1,a2", [(0, 0, 1), (1, 0, 1), (-1, 1, 2), (0, -1, 0)])
def test_trace(offset, a1, a2):
    x = _x(3, 4, 3)
    _check(
        lambda y: dnp.trace(y, offset, a1, a2), lambda y: np.trace(y, offset, a1, a2), x, order=2
    )
    _check_batched(lambda y: dnp.trace(y, offset, a1, a2), _x(2, 3, 2))


def test_sum_and_mean_with_where():
    x = _x(3, 4)
    mask = np.array([True, False, True, True])
    for f, np_f in [(dnp.sum, np.sum), (dnp.mean, np.mean)]:
        _check(
            lambda y, f=f: f(y, axis=1, where=mask), lambda y, np_f=np_f: np_f(y, 1, where=mask), x
        )
        g = grad(lambda y, f=f: f(y, where=mask))(x)
        assert np.all(g[:, 1] == 0.0) and np.all(g[:, 0] > 0.0)


def test_box_methods_reduce():
    x = _x(2, 3)
    f = lambda y: y.sum(axis=0) + y.mean(0) + y.max(1).sum() + y.min() + y.prod(axis=1).sum()
    check_grads(f, x, order=2)
    check_grads(lambda y: y.var(ddof=1) + y.std(axis=1).sum() + y.cumsum(axis=0).sum(), x)
