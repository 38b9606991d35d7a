"""dnp.fft: values against NumPy, derivatives against finite differences and torch."""

import warnings

import numpy as np
import pytest
import torch

import diaphane.numpy as dnp
import diaphane.numpy.fft as F
from diaphane.autodiff import check_grads, grad, jacobian

RNG = np.random.default_rng(2)


def rand(*shape, dtype=np.float64):
    x = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.standard_normal(shape)
    return x.astype(dtype)


# (function, keyword arguments, input is complex)
CASES = [
    (F.fft, {}, True),
    (F.fft, {"n": 5}, False),
    (F.fft, {"n": 11, "axis": 0}, True),
    (F.ifft, {}, True),
    (F.ifft, {"n": 6}, True),
    (F.rfft, {}, False),
    (F.rfft, {"n": 7}, False),
    (F.rfft, {"axis": 0}, False),
    (F.irfft, {}, True),
    (F.irfft, {"n": 7}, True),
    (F.irfft, {"n": 20}, True),
    (F.fft2, {}, True),
    (F.ifft2, {"s": (2, 5)}, True),
    (F.rfft2, {}, False),
    (F.irfft2, {}, True),
    (F.irfft2, {"s": (4, 5)}, True),
    (F.fftn, {"s": (4, 6)}, True),
    (F.fftn, {"axes": (0,)}, True),
    (F.ifftn, {"axes": (1, 0)}, True),
    (F.rfftn, {"s": (2, 9), "axes": (0, 1)}, False),
    (F.irfftn, {"s": (5, 9), "axes": (0, 1)}, True),
    (F.hfft, {}, True),
    (F.hfft, {"n": 9}, True),
    (F.ihfft, {}, False),
]
IDS = [f"{f.__name__}-{kw}" for f, kw, _ in CASES]


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize(("fun", "kwargs", "is_complex"), CASES, ids=IDS)
def test_fft(fun, kwargs, is_complex, norm):
    x = rand(3, 8, dtype=np.complex128 if is_complex else np.float64)
    with warnings.catch_warnings():  # NumPy deprecates s without axes; we keep its meaning
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = getattr(np.fft, fun.__name__)(x, norm=norm, **kwargs)
    np.testing.assert_allclose(fun(x, norm=norm, **kwargs), expected, atol=1e-12)
    check_grads(lambda x: fun(x, norm=norm, **kwargs), x)


@pytest.mark.parametrize(("fun", "kwargs", "is_complex"), CASES[::3], ids=IDS[::3])
def test_fft_single_precision(fun, kwargs, is_complex):
    x = rand(3, 8, dtype=np.complex64 if is_complex else np.float32)
    out = fun(x, **kwargs)
    assert out.dtype in (np.float32, np.complex64)
    check_grads(lambda x: fun(x, **kwargs), x, rtol=1e-3, atol=1e-4)


def test_real_input_to_complex_transform():
    check_grads(F.fft2, rand(3, 4))
    check_grads(lambda x: F.irfft(x, n=6), rand(2, 4))  # real half-spectrum input


@pytest.mark.parametrize(("fun", "kwargs", "is_complex"), CASES[::2], ids=IDS[::2])
def test_fft_batched_jacobians(fun, kwargs, is_complex):
    x = rand(2, 6, dtype=np.complex128 if is_complex else np.float64)
    if "s" in kwargs:
        kwargs = {**kwargs, "s": tuple(min(n, 4) for n in kwargs["s"])}
    f = lambda x: fun(x, **kwargs)
    for mode in ("rev", "fwd"):
        batched = jacobian(f, mode=mode, batched=True)(x)
        looped = jacobian(f, mode=mode, batched=False)(x)
        np.testing.assert_allclose(batched, looped, atol=1e-12)


@pytest.mark.parametrize("axes", [None, 0, (1,), (0, 1)])
def test_shifts(axes):
    x = rand(3, 4)
    np.testing.assert_allclose(F.fftshift(x, axes), np.fft.fftshift(x, axes))
    np.testing.assert_allclose(F.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_allclose(F.ifftshift(F.fftshift(x, axes), axes), x)
    check_grads(lambda x: F.fftshift(x, axes), x)
    check_grads(lambda x: F.ifftshift(x, axes), rand(3, 5, dtype=np.complex128))


def test_frequencies_are_constants():
    np.testing.assert_allclose(F.fftfreq(8, 0.5), np.fft.fftfreq(8, 0.5))
    np.testing.assert_allclose(F.rfftfreq(7), np.fft.rfftfreq(7))


def power_spectrum_loss(lib, x, w):
    spec = lib.fft.rfft(x, norm="ortho")
    back = lib.fft.irfft(spec * w, n=x.shape[-1])
    return lib.sum(lib.abs(spec) ** 2) + lib.sum(back**3)


@pytest.mark.parametrize("n", [8, 9])
def test_rfft_irfft_against_torch(n):
    x, w = rand(2, n), rand(n // 2 + 1)
    ours = grad(lambda x: power_spectrum_loss(dnp, x, w))(x)
    tx = torch.tensor(x, requires_grad=True)
    power_spectrum_loss(torch, tx, torch.tensor(w)).backward()
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [8, 9])
def test_irfft_complex_input_against_torch(n):
    # torch's gradient for a complex input is the conjugate of ours (bilinear pairing).
    z, w = rand(n // 2 + 1, dtype=np.complex128), rand(n)
    ours = grad(lambda z: dnp.sum(w * F.irfft(z, n=n) ** 2))(z)
    tz = torch.tensor(z, requires_grad=True)
    (torch.tensor(w) * torch.fft.irfft(tz, n=n) ** 2).sum().backward()
    np.testing.assert_allclose(ours, np.conj(tz.grad.numpy()), rtol=1e-10, atol=1e-12)


def test_fft2_against_torch():
    z = rand(3, 4, dtype=np.complex128)
    ours = grad(lambda z: dnp.sum(dnp.abs(F.fft2(z, s=(4, 3))) ** 2))(z)
    tz = torch.tensor(z, requires_grad=True)
    (torch.abs(torch.fft.fft2(tz, s=(4, 3))) ** 2).sum().backward()
    np.testing.assert_allclose(ours, np.conj(tz.grad.numpy()), rtol=1e-10)
