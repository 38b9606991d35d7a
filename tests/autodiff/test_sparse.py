"""Sparse row gradients: segment sums, SparseRows arithmetic, and where the engine keeps
the gradient of an embedding lookup sparse."""

from __future__ import annotations

import numpy as np
import pytest

import diaphane.numpy as dnp
from diaphane.autodiff import SparseRows, check_grads, grad, jacobian, value_and_grad, vjp
from diaphane.autodiff.sparse import densify, segment_sum


def _add_at(ids, values, n):
    out = np.zeros((n, *values.shape[1:]), values.dtype)
    np.add.at(out, ids, values)
    return out


# ----------------------------------------------------------------------------- segment_sum


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.float16])
@pytest.mark.parametrize(("n_rows", "n_ids", "width"), [(20, 7, 3), (300, 5000, 8), (50, 9, ())])
def test_segment_sum_equals_add_at_bitwise(dtype, n_rows, n_ids, width):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, n_rows, n_ids)
    shape = (n_ids,) if width == () else (n_ids, width)
    values = rng.standard_normal(shape).astype(dtype)
    for num_rows in (n_rows, None, 10**9):  # lookup table, np.unique, np.unique (huge table)
        uniq, summed = segment_sum(ids, values, num_rows)
        dense = _add_at(ids, values, n_rows)
        np.testing.assert_array_equal(uniq, np.unique(ids))
        assert summed.dtype == dtype
        np.testing.assert_array_equal(summed, dense[uniq])


def test_segment_sum_without_repeats_is_a_permutation():
    uniq, summed = segment_sum(np.array([4, 1, 3]), np.array([[1.0], [2.0], [3.0]]), 5)
    np.testing.assert_array_equal(uniq, [1, 3, 4])
    np.testing.assert_array_equal(summed, [[2.0], [3.0], [1.0]])


# ----------------------------------------------------------------------------- SparseRows


def _rows(ids, values, shape=(5, 2)):
    return SparseRows(np.array(ids), np.asarray(values, float), shape)


def test_sparse_rows_arithmetic():
    a = _rows([0, 4, 0], [[1, 1], [2, 2], [3, 3]])
    b = _rows([-1], [[10, 20]])  # negative indices count from the end
    dense = np.arange(10.0).reshape(5, 2)
    expected_a = np.array([[4, 4], [0, 0], [0, 0], [0, 0], [2, 2]], float)
    np.testing.assert_array_equal(a.to_dense(), expected_a)
    np.testing.assert_array_equal((a + b).to_dense(), expected_a + b.to_dense())
    np.testing.assert_array_equal(dense + a, dense + expected_a)
    np.testing.assert_array_equal(a + dense, dense + expected_a)
    np.testing.assert_array_equal(np.add(dense, a), dense + expected_a)
    np.testing.assert_array_equal((2.0 * a).to_dense(), 2 * expected_a)
    np.testing.assert_array_equal((a * np.float64(2.0)).to_dense(), 2 * expected_a)
    np.testing.assert_array_equal((-a).to_dense(), -expected_a)
    assert isinstance(np.multiply(3.0, a), SparseRows)
    # A rule that does not know sparse rows sees the dense table.
    np.testing.assert_array_equal(a * dense, expected_a * dense)
    np.testing.assert_array_equal(np.sqrt(a), np.sqrt(expected_a))
    np.testing.assert_array_equal(np.asarray(a), expected_a)
    assert dense.sum() == np.arange(10.0).sum()  # dense + sparse wrote into a copy


def test_coalesce_and_dtypes():
    a = SparseRows(np.array([3, 1, 3]), np.ones((3, 2), np.float32), (4, 2))
    c = a.coalesce()
    np.testing.assert_array_equal(c.indices, [1, 3])
    np.testing.assert_array_equal(c.values, [[1, 1], [2, 2]])
    assert c.coalesced and c.coalesce() is c and c.dtype == np.float32
    assert (a + _rows([0], [[1, 1]], (4, 2))).dtype == np.float64  # promotes, never truncates
    assert a.astype(np.float64).dtype == np.float64
    assert "3 rows of a (4, 2) table" in repr(a)


def test_densify_walks_tuples():
    a = _rows([1], [[1, 2]])
    out = densify((a, None, np.ones(2)))
    np.testing.assert_array_equal(out[0], a.to_dense())
    assert out[1] is None
    assert densify(np.ones(1)).shape == (1,)


# ----------------------------------------------------------------------------- in the engine


def _table(rng, shape=(12, 3), dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


IDS = np.array([[3, 1], [3, -2]])  # repeats, a negative index, a 2-D batch of ids


@pytest.mark.parametrize(
    "lookup",
    [
        lambda t: t[IDS],
        lambda t: dnp.take(t, IDS, axis=0),
        lambda t: t[IDS, ...],
        lambda t: t[IDS, :],
        lambda t: t[[3, 1, 3, 10]],
    ],
)
def test_lookup_gradient_is_sparse_only_when_asked(lookup):
    rng = np.random.default_rng(1)
    table = _table(rng)
    w = rng.standard_normal(lookup(table).shape)
    f = lambda t: dnp.sum(dnp.tanh(lookup(t)) * w)
    value, sparse = value_and_grad(f, sparse=True)(table)
    dense = grad(f)(table)
    assert isinstance(sparse, SparseRows) and isinstance(dense, np.ndarray)
    np.testing.assert_allclose(sparse.to_dense(), dense, rtol=1e-14)
    np.testing.assert_allclose(value, np.sum(np.tanh(lookup(table)) * w))
    check_grads(f, table)


def test_float32_sparse_gradient_stays_float32():
    table = _table(np.random.default_rng(2), dtype=np.float32)
    g = grad(lambda t: dnp.sum(t[IDS] ** 2), sparse=True)(table)
    assert isinstance(g, SparseRows) and g.dtype == np.float32
    assert grad(lambda t: dnp.sum(t[IDS] ** 2))(table).dtype == np.float32


def test_accumulating_sparse_and_dense_cotangents():
    rng = np.random.default_rng(3)
    table = _table(rng)

    def f(t):
        # sparse + sparse, then dense + sparse and sparse + dense in the accumulation
        return (
            dnp.sum(t[np.array([0, 5])] ** 2)
            + dnp.sum(dnp.sin(t))
            + dnp.sum(t[np.array([5, 7])] * 3.0)
            + dnp.sum(t * t)
        )

    expected = np.cos(table) + 2 * table
    expected[[0, 5]] += 2 * table[[0, 5]]
    expected[[5, 7]] += 3.0
    np.testing.assert_allclose(grad(f)(table), expected, rtol=1e-13)
    g = grad(f, sparse=True)(table)
    assert isinstance(g, np.ndarray)  # a dense part makes the whole gradient dense
    np.testing.assert_allclose(g, expected, rtol=1e-13)
    only_lookups = lambda t: dnp.sum(t[np.array([0, 5])] ** 2) + dnp.sum(t[np.array([5])])
    g = grad(only_lookups, sparse=True)(table)
    assert isinstance(g, SparseRows)
    expected = np.zeros_like(table)
    expected[[0, 5]] = 2 * table[[0, 5]]
    expected[5] += 1.0
    np.testing.assert_allclose(g.to_dense(), expected, rtol=1e-14)


@pytest.mark.parametrize(
    "make_table",
    [
        lambda w: w * 2.0,
        lambda w: w * np.linspace(1.0, 2.0, 3),
        lambda w: dnp.tanh(w),
        lambda w: dnp.reshape(dnp.reshape(w, (-1,)), (12, 3)),
        lambda w: dnp.index_update(w, 0, 1.0),
        lambda w: dnp.transpose(dnp.transpose(w)),
        lambda w: dnp.concatenate([w, w])[2:14],
        lambda w: w[::-1] @ np.eye(3),
    ],
)
def test_sparse_cotangent_into_the_rule_that_made_the_table(make_table):
    rng = np.random.default_rng(4)
    w = _table(rng)
    f = lambda w: dnp.sum(dnp.sin(make_table(w)[IDS]))
    g = grad(f, sparse=True)(w)
    g = g.to_dense() if isinstance(g, SparseRows) else g
    _, pull = vjp(lambda w: make_table(w)[IDS], w)
    (expected,) = pull(np.cos(np.asarray(make_table(w))[IDS]))
    np.testing.assert_allclose(g, expected, rtol=1e-13)
    check_grads(f, w)


def test_batched_passes_give_dense_jacobians():
    table = _table(np.random.default_rng(5), (4, 2))
    f = lambda t: t[np.array([1, 1, 3])]
    for mode in ("rev", "fwd"):
        jac = jacobian(f, mode=mode)(table)
        assert isinstance(jac, np.ndarray)
        np.testing.assert_array_equal(jac, jacobian(f, mode=mode, batched=False)(table))
    expected = np.zeros((3, 2, 4, 2))
    for k, row in enumerate([1, 1, 3]):
        expected[k, :, row, :] = np.eye(2)
    np.testing.assert_array_equal(jacobian(f)(table), expected)


def test_second_order_through_a_lookup():
    table = _table(np.random.default_rng(6), (5, 2))
    f = lambda t: dnp.sum(t[np.array([0, 3, 0])] ** 3)
    check_grads(f, table, order=2)
    # Reverse over reverse: the forward-over-reverse Hessian is left to the engine's tests.
    h = jacobian(grad(f))(table)
    expected = np.zeros((5, 2, 5, 2))
    for row, times in ((0, 2), (3, 1)):
        for j in range(2):
            expected[row, j, row, j] = times * 6 * table[row, j]
    np.testing.assert_allclose(h, expected, rtol=1e-13)
