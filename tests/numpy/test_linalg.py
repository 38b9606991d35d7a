"""dnp.linalg: values against NumPy, derivatives against finite differences and torch."""

import numpy as np
import pytest
import torch

import diaphane.numpy as dnp
import diaphane.numpy.linalg as la
from diaphane.autodiff import DiaphaneError, check_grads, grad, jacobian

RNG = np.random.default_rng(1)


def rand(*shape, dtype=np.float64):
    x = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.standard_normal(shape)
    return x.astype(dtype)


def well_conditioned(n, *batch, dtype=np.float64):
    return (rand(*batch, n, n, dtype=dtype) + 3 * np.eye(n)).astype(dtype)


def spd(n, *batch, dtype=np.float64):
    x = rand(*batch, n, n)
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def sym(a):
    return (a + dnp.swapaxes(a, -1, -2)) / 2


def assert_batched_jacobians_agree(f, *args):
    for mode in ("rev", "fwd"):
        for i in range(len(args)):
            batched = jacobian(f, i, mode=mode, batched=True)(*args)
            looped = jacobian(f, i, mode=mode, batched=False)(*args)
            np.testing.assert_allclose(batched, looped, rtol=1e-10, atol=1e-10)


def torch_grad(f, *arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    f(*ts).backward()
    return [t.grad.numpy() for t in ts]


# ------------------------------------------------------------------ inv, det, slogdet, solve


@pytest.mark.parametrize("fun", [la.inv, la.det])
@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_inv_det(fun, batch, dtype):
    a = well_conditioned(3, *batch, dtype=dtype)
    np.testing.assert_allclose(fun(a), getattr(np.linalg, fun.__name__)(a), rtol=1e-5)
    check_grads(fun, a, rtol=1e-4, atol=1e-5)


def test_slogdet():
    a = well_conditioned(3, 2)
    a[0] *= -1  # a negative determinant
    sign, logdet = la.slogdet(a)
    np.testing.assert_allclose(sign, np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logdet, np.linalg.slogdet(a)[1])
    check_grads(lambda a: la.slogdet(a)[1], a)
    check_grads(lambda a: tuple(la.slogdet(a)), a)
    check_grads(lambda a: tuple(la.slogdet(a)), well_conditioned(3, dtype=np.complex128))
    check_grads(lambda a: la.slogdet(a)[1], well_conditioned(3, dtype=np.float32), rtol=1e-4)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (3,)),
        ((3, 3), (4, 3, 2)),
        ((2, 3, 3), (2, 3, 1)),
    ],
)
def test_solve(sa, sb):
    a, b = rand(*sa) + 3 * np.eye(3), rand(*sb)
    np.testing.assert_allclose(la.solve(a, b), np.linalg.solve(a, b))
    check_grads(la.solve, a, b)
    assert_batched_jacobians_agree(la.solve, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_solve_dtypes(dtype):
    a, b = well_conditioned(3, dtype=dtype), rand(3, 2, dtype=dtype)
    assert la.solve(a, b).dtype == dtype
    check_grads(la.solve, a, b, rtol=1e-4, atol=1e-5)


def test_inv_det_solve_against_torch():
    a, b = well_conditioned(3, 2), rand(2, 3, 2)

    def ours(a, b):
        return dnp.sum(dnp.sin(la.inv(a))) + dnp.sum(la.det(a) ** 2) + dnp.sum(la.solve(a, b) ** 3)

    def theirs(a, b):
        return (
            torch.sin(torch.linalg.inv(a)).sum()
            + (torch.linalg.det(a) ** 2).sum()
            + (torch.linalg.solve(a, b) ** 3).sum()
        )

    for g, t in zip(grad(ours, (0, 1))(a, b), torch_grad(theirs, a, b), strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-10)


def test_complex_det_against_torch():
    # torch's gradient of a real loss is the conjugate of ours (bilinear pairing, no conjugate).
    a = well_conditioned(3, dtype=np.complex128)
    ours = grad(lambda a: dnp.abs(la.det(a)) ** 2)(a)
    (theirs,) = torch_grad(lambda a: torch.abs(torch.linalg.det(a)) ** 2, a)
    np.testing.assert_allclose(ours, np.conj(theirs), rtol=1e-10)


def test_inv_det_batched_jacobians():
    a = well_conditioned(3, 2)
    for f in (la.inv, la.det, lambda a: la.slogdet(a)[1]):
        assert_batched_jacobians_agree(f, a)


# ----------------------------------------------------------------------------- cholesky, eigh


@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky(batch):
    a = spd(3, *batch)
    np.testing.assert_allclose(la.cholesky(a), np.linalg.cholesky(a))
    np.testing.assert_allclose(la.cholesky(a, upper=True), np.linalg.cholesky(a, upper=True))
    check_grads(lambda a: la.cholesky(sym(a)), a)
    check_grads(lambda a: la.cholesky(sym(a)), a.astype(np.float32), rtol=1e-3, atol=1e-4)
    assert_batched_jacobians_agree(lambda a: la.cholesky(sym(a)), a)


def test_cholesky_gradient_is_symmetric_and_matches_torch():
    a = spd(4)
    ours = grad(lambda a: dnp.sum(dnp.sin(la.cholesky(a))))(a)
    np.testing.assert_allclose(ours, ours.T)
    (theirs,) = torch_grad(lambda a: torch.sin(torch.linalg.cholesky(a)).sum(), a)
    np.testing.assert_allclose(ours, (theirs + theirs.T) / 2, rtol=1e-10)


def eigh_outputs(a, uplo="L"):
    w, v = la.eigh(sym(a), UPLO=uplo)
    return w, v * v  # squared: independent of each eigenvector's sign


@pytest.mark.parametrize("batch", [(), (2,)])
def test_eigh(batch):
    a = spd(4, *batch)
    w, v = la.eigh(a)
    w_np, v_np = np.linalg.eigh(a)
    np.testing.assert_allclose(w, w_np)
    np.testing.assert_allclose(np.abs(v), np.abs(v_np))
    check_grads(eigh_outputs, a)
    check_grads(lambda a: eigh_outputs(a, "U"), a)
    check_grads(lambda a: la.eigvalsh(sym(a)), a)
    check_grads(eigh_outputs, a.astype(np.float32), rtol=1e-3, atol=1e-3)
    assert_batched_jacobians_agree(lambda a: eigh_outputs(a)[1], a)


def test_eigh_only_one_output_used():
    a = spd(3)
    check_grads(lambda a: la.eigh(sym(a))[0], a)
    check_grads(lambda a: la.eigh(sym(a))[1] ** 2, a)


def test_eigh_against_torch():
    a = spd(4)
    weights = rand(4, 4)

    def ours(a):
        w, v = la.eigh(a)
        return dnp.sum(w**2) + dnp.sum(weights * v**2)

    def theirs(a):
        w, v = torch.linalg.eigh(a)
        return (w**2).sum() + (torch.tensor(weights) * v**2).sum()

    g = grad(ours)(a)
    (t,) = torch_grad(theirs, a)
    np.testing.assert_allclose(g, (t + t.T) / 2, rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------- svd, qr, pinv


def svd_outputs(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return u * u[..., :1, :], s, vh * vh[..., :, :1]  # sign-invariant products


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)])
def test_svd(shape):
    a = rand(*shape)
    u, s, vh = la.svd(a, full_matrices=False)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False))
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=1e-12)
    check_grads(svd_outputs, a)
    check_grads(lambda a: la.svd(a, compute_uv=False), a)
    assert_batched_jacobians_agree(lambda a: svd_outputs(a)[0], a)


def test_svd_square_full_matrices_float32_and_errors():
    check_grads(lambda a: la.svd(a)[1], rand(3, 3))
    check_grads(svd_outputs, rand(4, 3, dtype=np.float32), rtol=1e-3, atol=1e-3)
    with pytest.raises(DiaphaneError, match="full_matrices=False"):
        grad(lambda a: dnp.sum(la.svd(a)[0]))(rand(4, 3))


def test_svd_against_torch():
    a = rand(5, 3)
    weights = rand(5, 3)

    def ours(a):
        u, s, vh = la.svd(a, full_matrices=False)
        return dnp.sum(s**3) + dnp.sum(weights * u**2) + dnp.sum(vh**2 * dnp.arange(3.0))

    def theirs(a):
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        return (
            (s**3).sum() + (torch.tensor(weights) * u**2).sum() + (vh**2 * torch.arange(3.0)).sum()
        )

    np.testing.assert_allclose(grad(ours)(a), torch_grad(theirs, a)[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4, 2)])
def test_qr(shape):
    a = rand(*shape)
    q, r = la.qr(a)
    q_np, r_np = np.linalg.qr(a)
    np.testing.assert_allclose(q, q_np)
    np.testing.assert_allclose(r, r_np)
    check_grads(lambda a: tuple(la.qr(a)), a)
    check_grads(lambda a: la.qr(a)[1], a)
    assert_batched_jacobians_agree(lambda a: la.qr(a)[0], a)


def test_qr_against_torch_and_wide_error():
    a = rand(4, 3)
    weights = rand(4, 3)

    def ours(a):
        q, r = la.qr(a)
        return dnp.sum(weights * q) + dnp.sum(r**2)

    def theirs(a):
        q, r = torch.linalg.qr(a)
        return (torch.tensor(weights) * q).sum() + (r**2).sum()

    np.testing.assert_allclose(grad(ours)(a), torch_grad(theirs, a)[0], rtol=1e-9, atol=1e-12)
    with pytest.raises(DiaphaneError, match="at least as many rows"):
        grad(lambda a: dnp.sum(la.qr(a)[0]))(rand(2, 3))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 2)])
def test_pinv(shape):
    a = rand(*shape)
    np.testing.assert_allclose(la.pinv(a), np.linalg.pinv(a), atol=1e-12)
    check_grads(la.pinv, a)
    check_grads(la.pinv, a.astype(np.float32), rtol=1e-3, atol=1e-4)


def test_pinv_against_torch():
    a = rand(5, 3)
    ours = grad(lambda a: dnp.sum(dnp.sin(la.pinv(a))))(a)
    (theirs,) = torch_grad(lambda a: torch.sin(torch.linalg.pinv(a)).sum(), a)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power(n):
    a = well_conditioned(3, 2) / 3
    np.testing.assert_allclose(la.matrix_power(a, n), np.linalg.matrix_power(a, n), rtol=1e-10)
    if n:
        check_grads(lambda a: la.matrix_power(a, n), a)


# ----------------------------------------------------------------------------- norm

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 1.5]
MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (0, False), (-1, True)])
def test_vector_norm(ord, axis, keepdims):
    x = rand(4) if axis is None else rand(3, 4)
    expected = np.linalg.norm(x, ord, axis, keepdims)
    np.testing.assert_allclose(la.norm(x, ord, axis, keepdims), expected)
    check_grads(lambda x: la.norm(x, ord, axis, keepdims), x)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), ((2, 0), True), ((-1, -2), False)])
def test_matrix_norm(ord, axis, keepdims):
    x = rand(4, 3) if axis is None else rand(4, 2, 3)
    expected = np.linalg.norm(x, ord, axis, keepdims)
    np.testing.assert_allclose(la.norm(x, ord, axis, keepdims), expected)
    check_grads(
        lambda x: la.norm(x, ord, axis, keepdims), x, order=1 if ord in (2, -2, "nuc") else 2
    )


def test_norm_complex_float32_and_flattened():
    z = rand(3, 4, dtype=np.complex128)
    np.testing.assert_allclose(la.norm(z, axis=1), np.linalg.norm(z, axis=1))
    check_grads(lambda z: la.norm(z, axis=1), z)
    check_grads(lambda z: la.norm(z), z)
    x32 = rand(2, 3, 4, dtype=np.float32)
    assert la.norm(x32).dtype == np.float32
    check_grads(lambda x: la.norm(x, axis=(1, 2)), x32, rtol=1e-4)
    assert_batched_jacobians_agree(lambda x: la.norm(x, axis=-1), rand(3, 4))
    with pytest.raises(ValueError):
        la.norm(rand(2, 2, 2), ord=1)


def test_norm_zero_vector_has_zero_subgradient():
    zero = np.zeros(3)
    for ord in (None, 2, 1, np.inf, 3):
        g = grad(lambda x, ord=ord: la.norm(x, ord))(zero)
        assert np.all(np.isfinite(g)), ord
        np.testing.assert_array_equal(g, 0.0)
    np.testing.assert_array_equal(grad(lambda x: la.norm(x, "fro"))(np.zeros((2, 2))), 0.0)
    rows = grad(lambda x: dnp.sum(la.norm(x, axis=1)))(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(rows, [[0.0, 0.0], [0.6, 0.8]])


def test_norm_against_torch():
    x = rand(3, 4)
    ours = grad(lambda x: la.norm(x, axis=1)[0] + la.norm(x, "nuc") + la.norm(x, 2))(x)
    (theirs,) = torch_grad(
        lambda x: (
            torch.linalg.vector_norm(x, dim=1)[0]
            + torch.linalg.matrix_norm(x, "nuc")
            + torch.linalg.matrix_norm(x, 2)
        ),
        x,
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize(("sa", "sb"), [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,))])
def test_lstsq(sa, sb):
    a, b = rand(*sa), rand(*sb)
    for ours, expected in zip(la.lstsq(a, b), np.linalg.lstsq(a, b), strict=True):
        np.testing.assert_allclose(ours, expected, atol=1e-12)
    check_grads(lambda a, b: la.lstsq(a, b)[0], a, b)
    if sa[0] > sa[1]:
        check_grads(lambda a, b: la.lstsq(a, b)[1], a, b)


def test_lstsq_rank_deficient():
    a, b = np.ones((4, 3)), np.arange(4.0)
    x, residuals, rank, _ = la.lstsq(a, b)
    x_np, residuals_np, rank_np, _ = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, x_np)
    assert rank == rank_np == 1 and residuals.shape == residuals_np.shape == (0,)
