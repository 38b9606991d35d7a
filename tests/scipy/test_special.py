"""diaphane.scipy.special: values against SciPy, derivatives against finite differences
(forward and reverse, second order), batched Jacobians, stability, and torch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import diaphane.scipy.special as dsp
from diaphane.autodiff import check_grads, elementwise_grad, grad, hessian, jacobian

FLOATS = [np.float64, np.float32]


def points(lo, hi, shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


# name -> domain (lo, hi)
UNARY = {
    "expit": (-3, 3), "logit": (0.1, 0.9), "log_expit": (-3, 3), "erf": (-2, 2),
    "erfc": (-2, 2), "erfcx": (-1, 3), "erfinv": (-0.9, 0.9), "erfcinv": (0.1, 1.9),
    "ndtr": (-3, 3), "log_ndtr": (-5, 3), "ndtri": (0.1, 0.9), "gamma": (0.3, 4),
    "gammaln": (0.3, 4), "loggamma": (0.3, 4), "rgamma": (0.3, 4), "digamma": (0.3, 4),
    "psi": (0.3, 4), "i0": (-2, 2), "i1": (-2, 2), "j0": (-5, 5), "j1": (-5, 5),
    "y0": (0.5, 5), "y1": (0.5, 5), "entr": (0.2, 2),
}  # fmt: skip

# name -> (order argument, domain of x): derivative in x only
ORDERED = {
    "polygamma": (np.array([[0], [1], [2]]), (0.5, 3)),
    "jn": (np.array([[0], [1], [3]]), (-4, 4)),
    "yn": (np.array([[0], [1], [2]]), (0.5, 4)),
    "iv": (np.array([[0.0], [1.5], [2.0]]), (0.2, 2)),
    "ive": (np.array([[0], [1], [2]]), (-2, 2)),
}

# name -> (domain of first, domain of second)
BINARY = {
    "beta": ((0.5, 3), (0.5, 3)),
    "betaln": ((0.5, 3), (0.5, 3)),
    "xlogy": ((-2, 2), (0.3, 3)),
    "xlog1py": ((-2, 2), (-0.5, 3)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grads_and_values(name, dtype):
    f = getattr(dsp, name)
    for shape in [(), (2, 3)]:
        x = points(*UNARY[name], shape, dtype)
        check_grads(f, x)
        np.testing.assert_array_equal(f(x), getattr(sc, name)(x))
        assert np.result_type(f(x)) == dtype


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(ORDERED))
def test_ordered_functions(name, dtype):
    f = getattr(dsp, name)
    n, dom = ORDERED[name]
    x = points(*dom, (4,), dtype)
    check_grads(lambda x: f(n, x), x)  # the order broadcasts against x
    check_grads(lambda x: f(1, x), x)
    np.testing.assert_allclose(f(n, x), getattr(sc, name)(n, x), rtol=1e-6)
    assert f(1, x).dtype == dtype  # float32 stays float32 even where SciPy computes in double


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting(name, dtype):
    f = getattr(dsp, name)
    da, db = BINARY[name]
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (3,))]:
        a, b = points(*da, sa, dtype, 1), points(*db, sb, dtype, 2)
        check_grads(f, a, b)
        check_grads(lambda b: f(1.5, b), b)  # Python scalars do not promote float32
        np.testing.assert_allclose(f(a, b), getattr(sc, name)(a, b), rtol=1e-6)


def test_incomplete_gamma_and_beta_in_x():
    x = points(0.1, 0.9, (4,))
    a = np.array([[0.7], [2.5]])
    for f in (dsp.gammainc, dsp.gammaincc):
        check_grads(lambda x, f=f: f(a, x), x)
        check_grads(lambda x, f=f: f(2.5, x), x.astype(np.float32))
    check_grads(lambda x: dsp.betainc(a, 1.5, x), x)
    check_grads(lambda x: dsp.betainc(2.0, 3.0, x), x.astype(np.float32))
    np.testing.assert_allclose(dsp.betainc(a, 1.5, x), sc.betainc(a, 1.5, x))
    # d/dx gammainc is the Gamma(a) density.
    np.testing.assert_allclose(
        elementwise_grad(lambda x: dsp.gammainc(2.5, x))(x),
        x**1.5 * np.exp(-x) / sc.gamma(2.5),
        rtol=1e-12,
    )


@pytest.mark.parametrize("dtype", FLOATS)
def test_multigammaln(dtype):
    a = np.array([2.3, 4.1, 3.0], dtype)
    check_grads(lambda a: dsp.multigammaln(a, 3), a)
    np.testing.assert_allclose(dsp.multigammaln(a, 3), sc.multigammaln(a, 3), rtol=1e-6)
    assert dsp.multigammaln(a, 3).dtype == dtype


def test_gammasgn_has_zero_derivative():
    x = np.array([-2.5, -0.5, 1.5])
    check_grads(dsp.gammasgn, x)
    np.testing.assert_array_equal(
        elementwise_grad(lambda x: dsp.gammasgn(x) * x)(x), sc.gammasgn(x)
    )


def test_xlogy_at_zero():
    g = grad(lambda x, y: dsp.xlogy(x, y), argnums=(0, 1))
    with np.errstate(divide="ignore"):  # d/dx = log(0) = -inf
        assert g(0.0, 0.0)[1] == 0.0  # the value is 0 for every y when x == 0
    assert g(0.0, 2.0) == (np.log(2.0), 0.0)
    assert grad(lambda x: dsp.entr(x))(1.0) == -1.0


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_arguments(dtype):
    rng = np.random.default_rng(3)
    z = (rng.uniform(0.5, 2, 4) + 1j * rng.uniform(-1, 1, 4)).astype(dtype)
    for name in ("erf", "erfc"):
        check_grads(getattr(dsp, name), z)
        np.testing.assert_allclose(getattr(dsp, name)(z), getattr(sc, name)(z), rtol=1e-6)
    # SciPy's polygamma takes no complex argument, so these are checked to first order.
    for name in ("loggamma", "gamma"):
        check_grads(getattr(dsp, name), z, order=1, rtol=1e-4)


# ----------------------------------------------------------------------------- reductions

AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_logsumexp(axis, keepdims):
    x = points(-2, 2, (2, 3, 4))
    b = points(0.1, 2, (3, 1), seed=4)
    f = lambda x, b=None: dsp.logsumexp(x, axis=axis, b=b, keepdims=keepdims)
    check_grads(f, x)
    check_grads(f, x, b)
    check_grads(f, x.astype(np.float32), b.astype(np.float32))
    np.testing.assert_allclose(f(x), sc.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-13)
    np.testing.assert_allclose(
        f(x, b), sc.logsumexp(x, axis=axis, b=b, keepdims=keepdims), rtol=1e-13
    )
    assert f(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("axis", AXES)
def test_softmax_and_log_softmax(axis):
    x = points(-2, 2, (2, 3, 4))
    for name in ("softmax", "log_softmax"):
        f = getattr(dsp, name)
        check_grads(lambda x, f=f: f(x, axis=axis), x)
        check_grads(lambda x, f=f: f(x, axis=axis), x.astype(np.float32))
        np.testing.assert_allclose(f(x, axis=axis), getattr(sc, name)(x, axis=axis), rtol=1e-13)
    check_grads(lambda x: dsp.softmax(x, axis), x)  # axis given positionally


def test_logsumexp_with_negative_weights_and_sign():
    x = np.array([0.1, 0.7, -0.3])
    b = np.array([1.0, -2.0, 0.5])
    out, sign = dsp.logsumexp(x, b=b, return_sign=True)
    ref_out, ref_sign = sc.logsumexp(x, b=b, return_sign=True)
    assert (out, sign) == (pytest.approx(ref_out, rel=1e-13), ref_sign) and sign == -1.0
    check_grads(lambda x, b: dsp.logsumexp(x, b=b, return_sign=True)[0], x, b)
    assert np.isnan(dsp.logsumexp(x, b=b))  # as SciPy: no real log of a negative sum


def test_reductions_are_stable_for_large_inputs():
    x = np.array([1000.0, 1000.0, -1000.0, 999.0])
    g = grad(lambda x: dsp.logsumexp(x))(x)
    np.testing.assert_allclose(g, sc.softmax(x), rtol=1e-13)
    for f in (dsp.softmax, dsp.log_softmax):
        assert np.all(np.isfinite(jacobian(f)(x)))
    np.testing.assert_allclose(dsp.log_softmax(x), x - sc.logsumexp(x), rtol=1e-13)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_batched_jacobians_match_slice_by_slice(mode):
    x = points(0.2, 0.8, (2, 3))
    b = points(0.5, 1.5, (3,), seed=5)

    def f(x, b):
        s = dsp.softmax(x, axis=1) + dsp.log_softmax(x, axis=0) * dsp.expit(x)
        lse = dsp.logsumexp(x, axis=-1, b=b, keepdims=True)
        special = dsp.gammaln(x + b) + dsp.polygamma(1, x) + dsp.ive(1, x) + dsp.xlogy(x, b)
        return s * lse + special + dsp.logsumexp(x * b, axis=0) + dsp.erfinv(x - 0.5)

    batched = jacobian(f, (0, 1), mode=mode, batched=True)(x, b)
    looped = jacobian(f, (0, 1), mode=mode, batched=False)(x, b)
    for a, c in zip(batched, looped, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- against torch


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    ts = torch.special
    x = points(0.2, 0.8, (3, 4), seed=8)
    y = points(0.5, 2.0, (4,), seed=9)

    def ours(x, y):
        a = dsp.erf(x) * dsp.expit(y) + dsp.gammaln(y) * dsp.digamma(x + 1.0) + dsp.i0(x)
        b = dsp.erfinv(x - 0.5) + dsp.logit(x) + dsp.xlogy(x, y) + dsp.entr(x) + dsp.ndtri(x)
        c = dsp.softmax(a, axis=1) + dsp.log_softmax(b, axis=0) + dsp.erfcx(y) + dsp.i1(x)
        return (c * dsp.logsumexp(a + b, axis=0)).sum() + dsp.log_ndtr(y).sum()

    def theirs(x, y):
        a = ts.erf(x) * torch.sigmoid(y) + torch.lgamma(y) * torch.digamma(x + 1.0) + ts.i0(x)
        b = ts.erfinv(x - 0.5) + ts.logit(x) + ts.xlogy(x, y) + ts.entr(x) + ts.ndtri(x)
        c = torch.softmax(a, 1) + torch.log_softmax(b, 0) + ts.erfcx(y) + ts.i1(x)
        return (c * torch.logsumexp(a + b, 0)).sum() + ts.log_ndtr(y).sum()

    tx, ty = (torch.tensor(v, requires_grad=True) for v in (x, y))
    value = theirs(tx, ty)
    value.backward()
    gx, gy = grad(ours, argnums=(0, 1))(x, y)
    assert float(ours(x, y)) == pytest.approx(value.item(), rel=1e-12)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-10, atol=1e-10)


def _softmax_covariance(x):
    p = sc.softmax(x)
    return np.diag(p) - np.outer(p, p)


def test_second_derivatives_of_logsumexp_and_softmax():
    x = points(-2, 2, (5,))
    expected = _softmax_covariance(x)
    fwd_over_rev = lambda f: jacobian(grad(f), mode="fwd", batched=False)
    np.testing.assert_allclose(fwd_over_rev(dsp.logsumexp)(x), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jacobian(dsp.softmax)(x), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        fwd_over_rev(lambda x: dsp.log_softmax(x)[2])(x), -expected, rtol=1e-12, atol=1e-15
    )


def test_hessian_of_log_softmax():
    x = points(-2, 2, (5,))
    h = hessian(lambda x: dsp.log_softmax(x)[2])(x)
    np.testing.assert_allclose(h, -_softmax_covariance(x), rtol=1e-12)
