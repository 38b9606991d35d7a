"""diaphane.scipy.stats (and special.jv): values against SciPy, derivatives against finite
differences (forward and reverse, second order where meaningful), float32, and torch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss
import torch

import diaphane.scipy.special as dsp
from diaphane.autodiff import check_grads, grad
from diaphane.scipy.stats import beta, dirichlet, gamma, multivariate_normal, norm, poisson, t

FLOATS = [np.float64, np.float32]


def points(lo, hi, shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


def close(got, want, dtype=np.float64):
    tol = 2e-5 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["pdf", "cdf", "logpdf", "logcdf", "sf", "logsf"])
def test_norm(name, dtype):
    f = getattr(norm, name)
    x = points(-3, 3, (2, 3), dtype)
    loc, scale = points(-1, 1, (3,), dtype, 1), points(0.5, 2, (2, 1), dtype, 2)
    close(f(x, loc, scale), getattr(ss.norm, name)(x, loc, scale), dtype)
    close(f(x), getattr(ss.norm, name)(x), dtype)
    assert f(x, loc, scale).dtype == dtype
    check_grads(f, x, loc, scale)


def test_norm_tails_stay_finite():
    assert np.isfinite(grad(norm.logcdf)(-30.0)) and np.isfinite(grad(norm.logsf)(30.0))
    close(grad(norm.logcdf)(-30.0), ss.norm.pdf(-30.0) / ss.norm.cdf(-30.0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_t(dtype):
    x = points(-3, 3, (4,), dtype)
    df, loc, scale = dtype(3.5), dtype(0.3), dtype(1.5)
    for name in ["pdf", "cdf", "logpdf", "logcdf"]:
        close(getattr(t, name)(x, df, loc, scale), getattr(ss.t, name)(x, df, loc, scale), dtype)
        assert getattr(t, name)(x, df, loc, scale).dtype == dtype
    check_grads(t.logpdf, x, df, loc, scale)
    check_grads(t.pdf, x, df, loc, scale)
    check_grads(lambda x, loc, scale: t.cdf(x, df, loc, scale), x, loc, scale)
    check_grads(lambda x, loc, scale: t.logcdf(x, df, loc, scale), x, loc, scale)


def _spd(k, seed=0):
    a = np.random.default_rng(seed).standard_normal((k, k))
    return a @ a.T + k * np.eye(k)


@pytest.mark.parametrize("dtype", FLOATS)
def test_multivariate_normal(dtype):
    cov, mean = _spd(3).astype(dtype), points(-1, 1, (3,), dtype, 1)
    x = points(-2, 2, (4, 3), dtype, 2)
    close(
        multivariate_normal.logpdf(x, mean, cov), ss.multivariate_normal.logpdf(x, mean, cov), dtype
    )
    close(
        multivariate_normal.pdf(x[0], mean, cov), ss.multivariate_normal.pdf(x[0], mean, cov), dtype
    )
    close(
        multivariate_normal.logpdf(x, cov=2.0),
        ss.multivariate_normal.logpdf(x, cov=2.0 * np.eye(3)),
        dtype,
    )
    check_grads(multivariate_normal.logpdf, x, mean, cov)
    check_grads(multivariate_normal.pdf, x[0], mean, cov)


@pytest.mark.parametrize("dtype", FLOATS)
def test_dirichlet(dtype):
    alpha = np.array([1.5, 2.0, 3.0], dtype)
    xs = np.random.default_rng(0).dirichlet(alpha, 4).T.astype(dtype)
    ref = xs.astype(np.float64)
    ref /= ref.sum(axis=0)  # SciPy wants sums within 1e-9 of one
    for name in ["logpdf", "pdf"]:
        f = getattr(dirichlet, name)
        close(f(xs, alpha), getattr(ss.dirichlet, name)(ref, alpha), dtype)
        close(f(xs[:, 0], alpha), getattr(ss.dirichlet, name)(ref[:, 0], alpha), dtype)
        check_grads(f, xs, alpha)


@pytest.mark.parametrize("dtype", FLOATS)
def test_poisson(dtype):
    k, mu = np.arange(7), points(0.5, 4, (3, 1), dtype)
    for name in ["logpmf", "pmf", "cdf"]:
        f = getattr(poisson, name)
        close(f(k, mu), getattr(ss.poisson, name)(k, mu), dtype)
        close(f(k, mu, loc=1), getattr(ss.poisson, name)(k, mu, loc=1), dtype)
        check_grads(lambda mu, f=f: f(k, mu), mu)
    close(grad(lambda m: poisson.cdf(3.5, m))(2.0), -ss.poisson.pmf(3, 2.0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_gamma(dtype):
    x = points(0.2, 4, (5,), dtype)
    a, loc, scale = dtype(2.5), dtype(0.1), dtype(1.3)
    for name in ["logpdf", "pdf", "cdf"]:
        close(
            getattr(gamma, name)(x, a, loc, scale), getattr(ss.gamma, name)(x, a, loc, scale), dtype
        )
    check_grads(gamma.logpdf, x, a, loc, scale)
    check_grads(gamma.pdf, x, a, loc, scale)
    check_grads(lambda x, loc, scale: gamma.cdf(x, a, loc, scale), x, loc, scale)


@pytest.mark.parametrize("dtype", FLOATS)
def test_beta(dtype):
    x = points(0.1, 0.9, (5,), dtype)
    a, b = dtype(2.5), dtype(1.5)
    for name in ["logpdf", "pdf", "cdf"]:
        close(getattr(beta, name)(x, a, b), getattr(ss.beta, name)(x, a, b), dtype)
        close(
            getattr(beta, name)(x, a, b, -0.1, 1.5),
            getattr(ss.beta, name)(x, a, b, -0.1, 1.5),
            dtype,
        )
    check_grads(beta.logpdf, x, a, b, dtype(0.0), dtype(1.0))
    check_grads(beta.pdf, x, a, b)
    check_grads(lambda x, loc, scale: beta.cdf(x, a, b, loc, scale), x, dtype(-0.05), dtype(1.1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_jv(dtype):
    v = np.array([[0.0], [1.5], [-0.5], [3.0]], dtype)
    x = points(0.3, 5, (5,), dtype)
    close(dsp.jv(v, x), sc.jv(v, x), dtype)
    assert dsp.jv(v, x).dtype == dtype
    check_grads(lambda x: dsp.jv(v, x), x)


def test_gradients_match_torch():
    x = points(-2, 2, (6,))
    loc, scale, df = 0.3, 1.4, 4.0
    tx, tl, ts = (torch.tensor(z, dtype=torch.float64, requires_grad=True) for z in (x, loc, scale))
    for ours, dist in [
        (lambda x, l, s: norm.logpdf(x, l, s), torch.distributions.Normal(tl, ts)),
        (lambda x, l, s: t.logpdf(x, df, l, s), torch.distributions.StudentT(df, tl, ts)),
    ]:
        for z in (tx, tl, ts):
            z.grad = None
        dist.log_prob(tx).sum().backward()
        got = grad(lambda x, l, s, f=ours: f(x, l, s).sum(), argnums=(0, 1, 2))(x, loc, scale)
        for g, z in zip(got, (tx, tl, ts), strict=True):
            np.testing.assert_allclose(g, z.grad.numpy(), rtol=1e-10)

    conc = torch.tensor([1.5, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    p = np.array([0.2, 0.3, 0.5])
    torch.distributions.Dirichlet(conc).log_prob(torch.tensor(p)).backward()
    np.testing.assert_allclose(
        grad(dirichlet.logpdf, argnums=1)(p, conc.detach().numpy()), conc.grad.numpy(), rtol=1e-10
    )
