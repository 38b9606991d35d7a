"""Products: values against NumPy, derivatives against finite differences and torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import diaphane.numpy as dnp
from diaphane.autodiff import check_grads, grad, jacobian

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    x = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.standard_normal(shape)
    return x.astype(dtype)


def assert_batched_jacobians_agree(f, *args):
    """The batch-aware rules give the same Jacobian as one pass per row/column."""
    for mode in ("rev", "fwd"):
        for i in range(len(args)):
            batched = jacobian(f, i, mode=mode, batched=True)(*args)
            looped = jacobian(f, i, mode=mode, batched=False)(*args)
            np.testing.assert_allclose(batched, looped, rtol=1e-12, atol=1e-12)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((2, 1, 2, 3), (4, 3, 2)),
    ((2, 3), (5, 3, 4)),
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul(sa, sb):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(dnp.matmul(a, b), a @ b)
    check_grads(dnp.matmul, a, b)
    assert_batched_jacobians_agree(dnp.matmul, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.complex64])
@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES[::2])
def test_matmul_dtypes(sa, sb, dtype):
    a, b = rand(*sa, dtype=dtype), rand(*sb, dtype=dtype)
    assert dnp.matmul(a, b).dtype == dtype
    check_grads(dnp.matmul, a, b, rtol=1e-4, atol=1e-5)


def test_matmul_mixed_real_complex():
    check_grads(dnp.matmul, rand(2, 3), rand(3, 2, dtype=np.complex128))


def test_matmul_second_order_batched_matches_loop():
    a, b = rand(2, 3), rand(4, 3, 2)

    def g(a):
        return grad(lambda a: dnp.sum(dnp.tanh(dnp.matmul(a, b)) ** 2))(a)

    np.testing.assert_allclose(jacobian(g)(a), jacobian(g, batched=False)(a), atol=1e-12)


@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    m=st.integers(1, 3),
    k=st.integers(1, 3),
    n=st.integers(1, 3),
)
@settings(max_examples=15, deadline=None)
def test_matmul_broadcast_shapes(batch, m, k, n):
    a, b = rand(*batch, m, k), rand(k, n)
    check_grads(dnp.matmul, a, b, order=1)
    check_grads(dnp.matmul, b.T, a.swapaxes(-1, -2), order=1)


def test_matmul_against_torch():
    a, b = rand(2, 1, 3, 4), rand(5, 4, 2)
    ours = grad(lambda a, b: dnp.sum(dnp.sin(a @ b)), (0, 1))(a, b)
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a, b))
    torch.sin(ta @ tb).sum().backward()
    np.testing.assert_allclose(ours[0], ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours[1], tb.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2))],
)
def test_dot(sa, sb):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(dnp.dot(a, b), np.dot(a, b))
    check_grads(dnp.dot, a, b)


def test_dot_complex_and_method():
    a, b = rand(2, 3, 4, dtype=np.complex128), rand(3, 4, 2, dtype=np.complex128)
    np.testing.assert_allclose(dnp.dot(a, b), np.dot(a, b))
    check_grads(dnp.dot, a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_vdot(dtype):
    a, b = rand(2, 3, dtype=dtype), rand(6, dtype=dtype)
    np.testing.assert_allclose(dnp.vdot(a, b), np.vdot(a, b))
    check_grads(dnp.vdot, a, b)


@pytest.mark.parametrize(("sa", "sb"), [((3,), (3,)), ((2, 3), (4, 3)), ((), (2,))])
def test_inner(sa, sb):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(dnp.inner(a, b), np.inner(a, b))
    check_grads(dnp.inner, a, b)


def test_outer():
    a, b = rand(2, 2), rand(3)
    np.testing.assert_allclose(dnp.outer(a, b), np.outer(a, b))
    check_grads(dnp.outer, a, b)


@pytest.mark.parametrize(
    ("sa", "sb", "axes"),
    [
        ((2, 3), (3, 4), 1),
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (4,), 0),
        ((3, 2, 4), (4, 3), ([0, 2], [1, 0])),
        ((3, 2), (2, 5), (1, 0)),
        ((3, 2), (5, 2), (-1, -1)),
    ],
)
def test_tensordot(sa, sb, axes):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(dnp.tensordot(a, b, axes), np.tensordot(a, b, axes))
    check_grads(lambda a, b: dnp.tensordot(a, b, axes), a, b)
    assert_batched_jacobians_agree(lambda a, b: dnp.tensordot(a, b, axes), a, b)


def test_tensordot_large_uses_same_values():
    a, b = rand(60, 50), rand(50, 40)  # big enough to be routed through BLAS
    np.testing.assert_allclose(dnp.tensordot(a, b, 1), a @ b)
    check_grads(lambda a, b: dnp.tensordot(a, b, 1), a, b, order=1)


@pytest.mark.parametrize(
    ("sa", "sb"), [((2, 3), (2, 2)), ((3,), (2,)), ((2,), (2, 3)), ((1, 2), (3, 1))]
)
def test_kron(sa, sb):
    a, b = rand(*sa), rand(*sb)
    np.testing.assert_allclose(dnp.kron(a, b), np.kron(a, b))
    check_grads(dnp.kron, a, b)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 3), {}),
        ((3, 4), {"offset": 1}),
        ((4, 3), {"offset": -2}),
        ((2, 3, 3), {"axis1": 1, "axis2": 2}),
    ],
)
def test_trace(shape, kwargs):
    a = rand(*shape)
    np.testing.assert_allclose(dnp.trace(a, **kwargs), np.trace(a, **kwargs))
    check_grads(lambda a: dnp.trace(a, **kwargs), a)


# ----------------------------------------------------------------------------- einsum

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("ij...,jk", [(2, 3, 5), (3, 4)]),
    ("Ba,aB", [(2, 3), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("i,ij,j", [(2,), (2, 3), (3,)]),
]


@pytest.mark.parametrize(("spec", "shapes"), EINSUMS)
def test_einsum(spec, shapes):
    args = [rand(*s) for s in shapes]
    np.testing.assert_allclose(dnp.einsum(spec, *args), np.einsum(spec, *args))
    check_grads(lambda *a: dnp.einsum(spec, *a), *args)
    assert_batched_jacobians_agree(lambda *a: dnp.einsum(spec, *a), *args)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize(("spec", "shapes"), EINSUMS[::3])
def test_einsum_dtypes(spec, shapes, dtype):
    args = [rand(*s, dtype=dtype) for s in shapes]
    assert dnp.einsum(spec, *args).dtype == dtype
    check_grads(lambda *a: dnp.einsum(spec, *a), *args, rtol=1e-4, atol=1e-5)


def test_einsum_sublist_form():
    a, b = rand(2, 3), rand(3, 4)
    out = dnp.einsum(a, [0, 1], b, [1, 2], [0, 2])
    np.testing.assert_allclose(out, a @ b)
    np.testing.assert_allclose(dnp.einsum(a, [0, 1], b, [1, 2]), a @ b)
    c = rand(5, 2, 3)
    np.testing.assert_allclose(dnp.einsum(c, [..., 1], [...]), c.sum(-1))
    check_grads(lambda a, b: dnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), a, b)


def test_einsum_optimize_and_errors():
    a, b, c = rand(2, 3), rand(3, 4), rand(4, 2)
    np.testing.assert_allclose(dnp.einsum("ij,jk,kl", a, b, c, optimize=True), a @ b @ c)
    check_grads(lambda *x: dnp.einsum("ij,jk,kl", *x, optimize="greedy"), a, b, c, order=1)
    with pytest.raises(ValueError, match="broadcast axes"):
        dnp.einsum("...j->j", rand(2, 3))
    with pytest.raises(ValueError):
        dnp.einsum("ij,jk", a)


def test_einsum_vjp_is_an_einsum():
    """The reverse pass of an einsum records einsums (no matmul), so it stays
    differentiable and batch-aware."""
    from diaphane.autodiff import trace_graph

    a, b = rand(2, 3), rand(3)
    f = lambda a: dnp.sum(dnp.einsum("ij,j->i", a, b) ** 2)
    ops = {node.op for node in trace_graph(grad(f), a).nodes}
    assert "einsum" in ops and "matmul" not in ops
    hess = jacobian(grad(f))(a)
    expected = np.einsum("ij,kl->ikjl", np.eye(2), np.outer(b, b)) * 2
    np.testing.assert_allclose(hess, expected, atol=1e-12)


def test_einsum_against_torch():
    a, b = rand(2, 3, 4), rand(4, 3)
    spec = "bij,ji->bj"
    ours = grad(lambda a, b: dnp.sum(dnp.cos(dnp.einsum(spec, a, b))), (0, 1))(a, b)
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a, b))
    torch.cos(torch.einsum(spec, ta, tb)).sum().backward()
    np.testing.assert_allclose(ours[0], ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours[1], tb.grad.numpy(), rtol=1e-10)


# ----------------------------------------------------------------------------- cov, corrcoef


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"rowvar": False},
        {"bias": True},
        {"ddof": 2},
        {"fweights": np.array([1, 2, 1, 3, 1])},
        {"aweights": np.array([0.5, 1.0, 2.0, 1.0, 0.3]), "ddof": 1},
    ],
)
def test_cov(kwargs):
    m = rand(3, 5) if kwargs.get("rowvar", True) else rand(5, 3)
    np.testing.assert_allclose(dnp.cov(m, **kwargs), np.cov(m, **kwargs))
    check_grads(lambda m: dnp.cov(m, **kwargs), m)


def test_cov_vector_pair_and_complex():
    x, y = rand(6), rand(6)
    np.testing.assert_allclose(dnp.cov(x), np.cov(x))
    np.testing.assert_allclose(dnp.cov(x, y), np.cov(x, y))
    check_grads(dnp.cov, x, y)
    z = rand(2, 4, dtype=np.complex128)
    np.testing.assert_allclose(dnp.cov(z), np.cov(z))
    check_grads(dnp.cov, z)
    m32 = rand(2, 4, dtype=np.float32)
    assert dnp.cov(m32).dtype == np.float32
    check_grads(dnp.cov, m32, rtol=1e-4, atol=1e-5)


def test_corrcoef():
    m = rand(3, 6)
    np.testing.assert_allclose(dnp.corrcoef(m), np.corrcoef(m))
    np.testing.assert_allclose(dnp.corrcoef(m[0], m[1]), np.corrcoef(m[0], m[1]))
    check_grads(dnp.corrcoef, m)
    check_grads(lambda x: dnp.corrcoef(x, rowvar=False), m.T)


def test_cov_against_torch():
    m = rand(3, 7)
    ours = grad(lambda m: dnp.sum(dnp.sin(dnp.cov(m))))(m)
    tm = torch.tensor(m, requires_grad=True)
    torch.sin(torch.cov(tm)).sum().backward()
    np.testing.assert_allclose(ours, tm.grad.numpy(), rtol=1e-10)
