"""Differentiable discrete Fourier transforms: ``dnp.fft``.

Each transform is a crop-or-zero-pad to the requested sizes (``n``/``s``) followed
by one of four core primitives over negative axes (so leading batch axes pass
through). The DFT matrix is symmetric, so the VJP of ``fftn``/``ifftn`` is the
same transform; ``rfftn`` pulls back through a full ``fftn`` of the zero-padded
cotangent, and ``irfftn`` through ``rfftn`` with the Hermitian weights (1, 2, ..., 2, 1)
that count each stored frequency's mirror image. Cotangents pair bilinearly
(no conjugates), as everywhere in diaphane; these VJPs agree with JAX's.

Entry points: :func:`fft`, :func:`ifft`, :func:`fft2`, :func:`ifft2`, :func:`fftn`,
:func:`ifftn`, :func:`rfft`, :func:`irfft`, :func:`rfft2`, :func:`irfft2`, :func:`rfftn`,
:func:`irfftn`, :func:`hfft`, :func:`ihfft`, :func:`fftshift`, :func:`ifftshift`.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, nondiff, primitive
from diaphane.numpy._axes import _shape
from diaphane.numpy._elementwise import conj as _conj
from diaphane.numpy._util import match_real

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

fftfreq = nondiff(np.fft.fftfreq, "fftfreq")
rfftfreq = nondiff(np.fft.rfftfreq, "rfftfreq")

_DUAL = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


# ----------------------------------------------------------------------------- crop or pad


def _resize_raw(x, shape):
    """Crop or zero-pad the trailing axes of ``x`` to ``shape`` (leading axes kept)."""
    lead = x.shape[: x.ndim - len(shape)]
    if x.shape[len(lead) :] == tuple(shape):
        return x
    out = np.zeros(lead + tuple(shape), x.dtype)
    common = (..., *(slice(0, min(a, b)) for a, b in zip(x.shape[len(lead) :], shape, strict=True)))
    out[common] = x[common]
    return out


_resize = primitive(_resize_raw, "resize")

# Cropping and zero-padding are each other's transposes.
defvjp(_resize, lambda g, ans, x, shape: _resize(g, _shape(x)), batchable=True)
defjvp(_resize, lambda t, ans, x, shape: _resize(t, shape), batchable=True)


# ----------------------------------------------------------------------------- core transforms


def _fftn_raw(x, axes, norm=None):
    return np.fft.fftn(x, axes=axes, norm=norm)


def _ifftn_raw(x, axes, norm=None):
    return np.fft.ifftn(x, axes=axes, norm=norm)


def _rfftn_raw(x, axes, norm=None):
    return np.fft.rfftn(x, axes=axes, norm=norm)


def _irfftn_raw(x, n, axes, norm=None):
    sizes = [x.shape[a] for a in axes[:-1]] + [n]
    return np.fft.irfftn(x, s=sizes, axes=axes, norm=norm)


_fftn = primitive(_fftn_raw, "fftn")
_ifftn = primitive(_ifftn_raw, "ifftn")
_rfftn = primitive(_rfftn_raw, "rfftn")
_irfftn = primitive(_irfftn_raw, "irfftn")


def _rfftn_vjp(g, ans, x, axes, norm=None):
    # rfftn keeps the first half of fftn along the last axis: pad g back and transpose fftn.
    full = _resize(g, _shape(x))
    return match_real(_fftn(full, axes, norm), x)


def _hermitian_weights(n, axis, dtype):
    """1 for the zero (and, n even, the Nyquist) frequency, 2 for the others, along ``axis``."""
    w = np.full(n // 2 + 1, 2.0, dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (-axis - 1))


def _irfftn_vjp(g, ans, x, n, axes, norm=None):
    w = _hermitian_weights(n, axes[-1], np.result_type(getval(g)))
    return match_real(w * _conj(_rfftn(g, axes, _DUAL[norm])), x)


# fmt: off
defvjp(_fftn,   lambda g, ans, x, axes, norm=None: match_real(_fftn(g, axes, norm), x),
       batchable=True)
defjvp(_fftn,   lambda t, ans, x, axes, norm=None: _fftn(t, axes, norm), batchable=True)
defvjp(_ifftn,  lambda g, ans, x, axes, norm=None: match_real(_ifftn(g, axes, norm), x),
       batchable=True)
defjvp(_ifftn,  lambda t, ans, x, axes, norm=None: _ifftn(t, axes, norm), batchable=True)
defvjp(_rfftn,  _rfftn_vjp, batchable=True)
defjvp(_rfftn,  lambda t, ans, x, axes, norm=None: _rfftn(t, axes, norm), batchable=True)
defvjp(_irfftn, _irfftn_vjp, batchable=True)
defjvp(_irfftn, lambda t, ans, x, n, axes, norm=None: _irfftn(t, n, axes, norm),
       batchable=True)
# fmt: on


# ----------------------------------------------------------------------------- public transforms


def _plan(x, s, axes):
    """NumPy's defaults for ``s`` and ``axes``, with the axes made negative."""
    nd = len(_shape(x))
    if axes is None:
        axes = range(nd) if s is None else range(nd - len(s), nd)
    axes = tuple(a % nd - nd for a in axes)
    s = tuple(_shape(x)[a] for a in axes) if s is None else tuple(s)
    if len(s) != len(axes):
        raise ValueError("fft: s and axes must have the same length")
    return s, axes


def _sized(x, sizes, axes):
    shape = list(_shape(x))
    for a, n in zip(axes, sizes, strict=True):
        shape[a] = n
    return x if tuple(shape) == _shape(x) else _resize(x, tuple(shape))


def fftn(a, s=None, axes=None, norm=None):
    """``np.fft.fftn``: the n-dimensional DFT over ``axes``, cropped or zero-padded to ``s``."""
    s, axes = _plan(a, s, axes)
    return _fftn(_sized(a, s, axes), axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    """``np.fft.ifftn``: the n-dimensional inverse DFT."""
    s, axes = _plan(a, s, axes)
    return _ifftn(_sized(a, s, axes), axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    """``np.fft.rfftn``: the DFT of real input, keeping ``s[-1] // 2 + 1`` frequencies on the
    last axis."""
    s, axes = _plan(a, s, axes)
    return _rfftn(_sized(a, s, axes), axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    """``np.fft.irfftn``: the inverse of ``rfftn``; the output's last axis has ``s[-1]``
    points (default ``2 * (m - 1)`` for ``m`` input frequencies)."""
    if s is None:
        _, axes = _plan(a, None, axes)
        s = (*tuple(_shape(a)[x] for x in axes[:-1]), 2 * (_shape(a)[axes[-1]] - 1))
    s, axes = _plan(a, s, axes)
    stored = (*s[:-1], s[-1] // 2 + 1)
    return _irfftn(_sized(a, stored, axes), s[-1], axes, norm)


def fft(a, n=None, axis=-1, norm=None):
    """``np.fft.fft``: the one-dimensional DFT along ``axis``."""
    return fftn(a, None if n is None else (n,), (axis,), norm)


def ifft(a, n=None, axis=-1, norm=None):
    """``np.fft.ifft``: the one-dimensional inverse DFT along ``axis``."""
    return ifftn(a, None if n is None else (n,), (axis,), norm)


def rfft(a, n=None, axis=-1, norm=None):
    """``np.fft.rfft``: the one-dimensional DFT of real input."""
    return rfftn(a, None if n is None else (n,), (axis,), norm)


def irfft(a, n=None, axis=-1, norm=None):
    """``np.fft.irfft``: the inverse of ``rfft``, ``n`` real output points."""
    return irfftn(a, None if n is None else (n,), (axis,), norm)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """``np.fft.fft2``: the DFT over the last two axes."""
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """``np.fft.ifft2``: the inverse DFT over the last two axes."""
    return ifftn(a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """``np.fft.rfft2``: ``rfftn`` over the last two axes."""
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """``np.fft.irfft2``: ``irfftn`` over the last two axes."""
    return irfftn(a, s, axes, norm)


def hfft(a, n=None, axis=-1, norm=None):
    """``np.fft.hfft``: the DFT of a signal with Hermitian symmetry, given its first half."""
    return irfft(_conj(a), n, axis, _DUAL[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """``np.fft.ihfft``: the inverse of ``hfft`` (real input, half spectrum out)."""
    return _conj(rfft(a, n, axis, _DUAL[norm]))


# ----------------------------------------------------------------------------- shifts


def _shift_raw(x, axes, sign):
    return np.roll(x, [sign * (x.shape[a] // 2) for a in axes], axes)


_shift = primitive(_shift_raw, "fftshift")

# A cyclic shift's transpose is the opposite shift.
defvjp(_shift, lambda g, ans, x, axes, sign: _shift(g, axes, -sign), batchable=True)
defjvp(_shift, lambda t, ans, x, axes, sign: _shift(t, axes, sign), batchable=True)


def _shift_axes(x, axes):
    nd = len(_shape(x))
    axes = range(nd) if axes is None else (axes,) if np.ndim(axes) == 0 else axes
    return tuple(a % nd - nd for a in axes)


def fftshift(x, axes=None):
    """``np.fft.fftshift``: move the zero frequency to the centre."""
    return _shift(x, _shift_axes(x, axes), 1)


def ifftshift(x, axes=None):
    """``np.fft.ifftshift``: undo ``fftshift``."""
    return _shift(x, _shift_axes(x, axes), -1)
