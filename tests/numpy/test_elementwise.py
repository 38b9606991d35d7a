"""Elementwise primitives: values against NumPy, derivatives against finite differences
(forward and reverse, second order), complex inputs, batched Jacobians, and torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diaphane.numpy as dnp
from diaphane.autodiff import check_grads, elementwise_grad, grad, hessian, jacobian, jvp

FLOATS = [np.float64, np.float32]
SHAPES = [(), (3,), (2, 3)]


def points(lo, hi, shape, dtype=np.float64, seed=0):
    """Uniform points in [lo, hi], kept a little away from 0 (no kinks hit by accident)."""
    x = np.random.default_rng(seed).uniform(lo, hi, shape)
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    return np.asarray(x, dtype=dtype)


# name -> domain (lo, hi) where the function is smooth
UNARY = {
    "absolute": (-2, 2), "fabs": (-2, 2), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2),
    "log": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.8, 3),
    "sqrt": (0.2, 3), "cbrt": (-3, 3), "square": (-2, 2), "reciprocal": (0.3, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "arcsin": (-0.9, 0.9),
    "arccos": (-0.9, 0.9), "arctan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
    "tanh": (-2, 2), "arcsinh": (-3, 3), "arccosh": (1.2, 3), "arctanh": (-0.9, 0.9),
    "sinc": (-2, 2), "deg2rad": (-3, 3), "radians": (-3, 3), "rad2deg": (-3, 3),
    "degrees": (-3, 3), "real": (-3, 3), "imag": (-3, 3), "conj": (-3, 3),
    "conjugate": (-3, 3), "angle": (-3, 3), "positive": (-3, 3), "negative": (-3, 3),
    "nan_to_num": (-3, 3), "sign": (-3, 3),
}  # fmt: skip

# Piecewise-constant functions: primitives whose derivatives are zero.
STEPS = ["sign", "floor", "ceil", "round", "around", "rint", "trunc", "fix"]

HOLOMORPHIC = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "reciprocal",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "sinc", "positive", "negative",
]  # fmt: skip
NON_HOLOMORPHIC = ["absolute", "real", "imag", "conj", "angle", "sign"]

# name -> (domain of x, domain of y)
BINARY = {
    "add": ((-2, 2), (-2, 2)), "subtract": ((-2, 2), (-2, 2)), "multiply": ((-2, 2), (-2, 2)),
    "divide": ((-2, 2), (0.5, 2)), "true_divide": ((-2, 2), (0.5, 2)),
    "power": ((0.3, 2), (-1.5, 1.5)), "float_power": ((0.3, 2), (-1.5, 1.5)),
    "maximum": ((-2, 2), (-2, 2)), "minimum": ((-2, 2), (-2, 2)),
    "fmax": ((-2, 2), (-2, 2)), "fmin": ((-2, 2), (-2, 2)),
    "logaddexp": ((-2, 2), (-2, 2)), "logaddexp2": ((-2, 2), (-2, 2)),
    "arctan2": ((-2, 2), (-2, 2)), "hypot": ((-2, 2), (-2, 2)),
    "remainder": ((-1, 1), (2, 3)), "mod": ((-1, 1), (2, 3)), "fmod": ((-1, 1), (2, 3)),
    "copysign": ((-2, 2), (-2, 2)),
}  # fmt: skip
BROADCASTS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ())]


# ----------------------------------------------------------------------------- unary


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grads(name, dtype):
    f = getattr(dnp, name)
    for shape in SHAPES:
        check_grads(f, points(*UNARY[name], shape, dtype))


@pytest.mark.parametrize("name", sorted(UNARY) + STEPS)
def test_unary_values_match_numpy(name):
    x = points(*UNARY.get(name, (-3, 3)), (2, 3))
    np.testing.assert_array_equal(getattr(dnp, name)(x), getattr(np, name)(x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", STEPS)
def test_steps_have_zero_derivatives(name, dtype):
    x = points(-3, 3, (2, 3), dtype) + 0.01  # nowhere near a jump
    check_grads(getattr(dnp, name), x)
    g = elementwise_grad(lambda x: getattr(dnp, name)(x) * x)(x)
    np.testing.assert_allclose(g, getattr(np, name)(x), rtol=1e-6)
    assert g.dtype == dtype


def test_round_decimals_and_angle_degrees():
    x = np.array([0.123, -1.678, 2.449])
    check_grads(lambda x: dnp.round(x, 1) * x, x)
    np.testing.assert_array_equal(dnp.round(x, decimals=2), np.round(x, decimals=2))
    z = np.array([0.3 + 0.4j, -1.0 + 0.2j])
    check_grads(lambda z: dnp.angle(z, deg=True), z)
    np.testing.assert_allclose(dnp.angle(z, deg=True), np.angle(z, deg=True))


def test_abs_subgradient_at_zero_is_zero():
    x = np.array([-1.5, 0.0, 2.0])
    for f in (dnp.abs, dnp.absolute, dnp.fabs):
        np.testing.assert_array_equal(elementwise_grad(f)(x), [-1.0, 0.0, 1.0])
        np.testing.assert_array_equal(jvp(f, (x,), (np.ones(3),))[1], [-1.0, 0.0, 1.0])
    assert grad(dnp.abs)(0.0) == 0.0
    assert grad(dnp.abs)(np.complex128(0.0)) == 0.0
    assert grad(grad(dnp.abs))(0.0) == 0.0
    # hypot takes the same choice at the origin.
    assert grad(dnp.hypot, argnums=(0, 1))(0.0, 0.0) == (0.0, 0.0)


def test_sinc_near_zero():
    x = np.array([0.0, 1e-9, 1e-3, 0.049, 0.051, 0.5])
    check_grads(dnp.sinc, x)
    d = elementwise_grad(dnp.sinc)(x)
    exact = np.where(x == 0, 0.0, (np.cos(np.pi * x) - np.sinc(x)) / np.where(x == 0, 1, x))
    np.testing.assert_allclose(d[3:], exact[3:], rtol=1e-10)
    np.testing.assert_allclose(d[:3], -(np.pi**2) / 3 * x[:3], rtol=1e-5, atol=1e-15)
    # sinc''(0) = -pi^2 / 3
    assert grad(grad(dnp.sinc))(0.0) == pytest.approx(-(np.pi**2) / 3, rel=1e-12)


def test_nan_to_num_passes_finite_gradients_only():
    x = np.array([1.0, np.nan, np.inf, -2.0])
    np.testing.assert_array_equal(
        elementwise_grad(lambda x: dnp.nan_to_num(x) * 0.5)(x), [0.5, 0, 0, 0.5]
    )
    _, t = jvp(dnp.nan_to_num, (x,), (np.ones(4),))
    np.testing.assert_array_equal(t, [1, 0, 0, 1])


# ----------------------------------------------------------------------------- complex


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("name", HOLOMORPHIC + NON_HOLOMORPHIC)
def test_complex_grads(name, dtype):
    rng = np.random.default_rng(1)
    z = (rng.uniform(0.2, 1.5, (2, 3)) + 1j * rng.uniform(-1, 1, (2, 3))).astype(dtype)
    f = getattr(dnp, name)
    check_grads(f, z)
    np.testing.assert_allclose(f(z), getattr(np, name)(z), rtol=1e-6)


def test_complex_binary_grads():
    rng = np.random.default_rng(2)
    z = rng.uniform(0.5, 1.5, (2, 3)) + 1j * rng.uniform(-1, 1, (2, 3))
    w = rng.uniform(0.5, 1.5, 3) + 1j * rng.uniform(-1, 1, 3)
    for f in (dnp.add, dnp.subtract, dnp.multiply, dnp.divide, dnp.power):
        check_grads(f, z, w)
    # A real argument gets a real gradient even when the result is complex.
    x = rng.uniform(0.5, 1.5, 3)
    check_grads(dnp.multiply, x, z)
    assert grad(lambda x: dnp.real(dnp.sum(dnp.multiply(x, z))))(x).dtype == np.float64


def test_abs_of_complex_matches_modulus_derivative():
    z = np.array([3.0 + 4.0j])
    g = grad(lambda z: dnp.sum(dnp.abs(z)))(z)
    np.testing.assert_allclose(g, np.conj(z) / 5.0)  # cotangent convention: no conjugate pairing


# ----------------------------------------------------------------------------- binary


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grads_broadcasting(name, dtype):
    f = getattr(dnp, name)
    dx, dy = BINARY[name]
    for k, (sx, sy) in enumerate(BROADCASTS):
        x, y = points(*dx, sx, dtype, seed=k), points(*dy, sy, dtype, seed=k + 10)
        check_grads(f, x, y)
        np.testing.assert_array_equal(f(x, y), getattr(np, name)(x, y))


@pytest.mark.parametrize("dtype", FLOATS)
def test_python_scalar_operands_keep_float32(dtype):
    x = points(0.5, 2, (3,), dtype)
    for f in (
        lambda x: x**2,
        lambda x: 2.0**x,
        lambda x: dnp.power(x, 0.5),
        lambda x: dnp.arctan2(x, 2.0),
        lambda x: dnp.hypot(1.0, x),
        lambda x: dnp.maximum(x, 1.0),
        lambda x: dnp.logaddexp(0.5, x),
        lambda x: dnp.remainder(x, 0.7),
    ):
        check_grads(f, x)


def test_ldexp_is_linear_in_x():
    x = np.array([[0.3, -1.2, 2.5], [0.7, 0.1, -0.4]], np.float32)
    i = np.array([1, -2, 3])
    check_grads(lambda x: dnp.ldexp(x, i), x)
    np.testing.assert_array_equal(dnp.ldexp(x, i), np.ldexp(x, i))
    np.testing.assert_array_equal(
        elementwise_grad(lambda x: dnp.ldexp(x, i))(x), np.ldexp(1.0, i) + 0 * x
    )


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_ties_split_the_gradient_evenly(name):
    f = getattr(dnp, name)
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    gx, gy = grad(lambda x, y: dnp.sum(f(x, y)), argnums=(0, 1))(x, y)
    assert gx[0] == gy[0] == 0.5
    np.testing.assert_array_equal(gx + gy, [1.0, 1.0, 1.0])
    assert elementwise_grad(lambda x: f(x, x))(x).tolist() == [1.0, 1.0, 1.0]


def test_fmax_gradient_skips_nan():
    # fmax ignores a NaN: the gradient goes to the number that was chosen.
    gx, gy = grad(lambda x, y: dnp.sum(dnp.fmax(x, y)), argnums=(0, 1))(
        np.array([np.nan, 1.0]), np.array([2.0, np.nan])
    )
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0])


def test_power_edge_cases():
    # d/dx x**0 = 0 at x = 0 (not 0 * inf); d/dy 0**y = 0 for y > 0.
    assert grad(lambda x: dnp.power(x, 0.0))(0.0) == 0.0
    assert grad(lambda x: dnp.power(x, np.array([0.0, 2.0])).sum())(0.0) == 0.0
    assert grad(lambda y: dnp.power(0.0, y))(2.0) == 0.0
    assert grad(lambda y: dnp.power(np.array([0.0, 2.0]), y).sum())(1.5) == pytest.approx(
        2.0**1.5 * math.log(2.0)
    )
    # Negative bases with integer exponents.
    check_grads(lambda x: x**3, np.array([-1.5, 0.5]))


@settings(max_examples=15, deadline=None)
@given(
    shapes=st.sampled_from(
        [((2, 3), (2, 3)), ((4, 1, 3), (2, 1)), ((1,), (3, 2)), ((2, 1, 1), (1, 3, 2))]
    ),
    name=st.sampled_from(["multiply", "divide", "logaddexp", "arctan2", "maximum", "hypot"]),
    seed=st.integers(0, 100),
)
def test_broadcasting_property(shapes, name, seed):
    dx, dy = BINARY[name]
    x, y = points(*dx, shapes[0], seed=seed), points(*dy, shapes[1], seed=seed + 1)
    check_grads(getattr(dnp, name), x, y, order=1)


# ----------------------------------------------------------------------------- batched rules


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_batched_jacobians_match_slice_by_slice(mode):
    x = points(0.3, 0.9, (2, 3))
    y = points(0.5, 2.0, (3,), seed=3)
    z = x + 0.5j * x[::-1]

    def f(x, y):
        a = dnp.sin(x) * dnp.exp(y) + dnp.arctan2(x, y) - dnp.maximum(x, y / 2)
        b = dnp.hypot(x, y) ** 1.5 + dnp.logaddexp2(x, y) + dnp.remainder(x, y) * dnp.abs(x)
        c = dnp.sinc(x) + dnp.fmax(x, 0.4) + dnp.ldexp(x, 2) + dnp.arccosh(y + 1.0)
        return a + b + c + dnp.floor(x) + dnp.nan_to_num(dnp.fmin(x, y))

    def g(z):
        return dnp.abs(z) + dnp.angle(z) + dnp.real(z * dnp.conj(z)) + dnp.imag(dnp.sign(z))

    for fun, args, nums in ((f, (x, y), (0, 1)), (g, (z,), 0)):
        batched = jacobian(fun, nums, mode=mode, batched=True)(*args)
        looped = jacobian(fun, nums, mode=mode, batched=False)(*args)
        if nums == 0:
            batched, looped = (batched,), (looped,)
        for b, lp in zip(batched, looped, strict=True):
            np.testing.assert_allclose(b, lp, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- against torch


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x = points(0.3, 0.9, (2, 3), seed=5)
    y = points(0.5, 2.0, (3,), seed=6)

    def ours(x, y):
        out = dnp.tanh(x) * dnp.exp(-y) + dnp.arctan2(x, y) + dnp.logaddexp(x, y)
        out = out + dnp.hypot(x, y) + dnp.power(x, y) + dnp.arcsinh(x) * dnp.log1p(y)
        out = out + dnp.sinc(x) + dnp.cbrt(y) + dnp.maximum(x, 0.5) + dnp.fmod(x, y)
        return dnp.sum(out * out)

    def theirs(x, y):
        out = torch.tanh(x) * torch.exp(-y) + torch.atan2(x, y) + torch.logaddexp(x, y)
        out = out + torch.hypot(x, y) + torch.pow(x, y) + torch.asinh(x) * torch.log1p(y)
        out = out + torch.sinc(x) + torch.sign(y) * y.abs() ** (1 / 3)
        out = out + torch.maximum(x, torch.tensor(0.5, dtype=x.dtype)) + torch.fmod(x, y)
        return (out * out).sum()

    tx, ty = (torch.tensor(v, requires_grad=True) for v in (x, y))
    theirs(tx, ty).backward()
    gx, gy = grad(ours, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert float(ours(x, y)) == pytest.approx(theirs(tx, ty).item(), rel=1e-12)


def test_complex_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    z = rng.uniform(0.3, 1.2, 4) + 1j * rng.uniform(-1, 1, 4)
    # A real loss: torch's gradient is conj of the cotangent-convention gradient.
    g = grad(lambda z: dnp.sum(dnp.abs(dnp.sin(z) * dnp.log(z)) + dnp.angle(dnp.sqrt(z))))(z)
    tz = torch.tensor(z, requires_grad=True)
    (torch.abs(torch.sin(tz) * torch.log(tz)) + torch.angle(torch.sqrt(tz))).sum().backward()
    np.testing.assert_allclose(g, np.conj(tz.grad.numpy()), rtol=1e-10)


def test_forward_over_reverse_hessians():
    x = points(0.3, 0.9, (4,))
    cases = [
        (lambda x: dnp.sum(dnp.tan(x)), 2 * np.tan(x) / np.cos(x) ** 2),
        (lambda x: dnp.sum(dnp.arcsin(x)), x / (1 - x**2) ** 1.5),
        (lambda x: dnp.sum(dnp.power(x, 2.5)), 3.75 * x**0.5),
        (lambda x: dnp.sum(dnp.logaddexp(x, 0.0)), np.exp(x) / (1 + np.exp(x)) ** 2),
    ]
    for f, second in cases:
        np.testing.assert_allclose(hessian(f)(x), np.diag(second), rtol=1e-12, atol=1e-14)
