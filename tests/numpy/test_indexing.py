"""Indexing primitives and the functions built on them: values against NumPy, derivatives
against finite differences (both modes, second order, batched and looped Jacobians),
a few gradients against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diaphane.numpy as dnp
from diaphane.autodiff import (
    DiaphaneError,
    check_grads,
    defjvp,
    defvjp,
    grad,
    jacobian,
    primitive,
    vjp,
)
from diaphane.autodiff.core import VJPS

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 5))
X3 = RNG.standard_normal((3, 4, 5))


def _check(fun, *args, order=2):
    """Finite differences in float64 and float32, and batched == looped Jacobians."""
    check_grads(fun, *args, order=order)
    check_grads(fun, *[a.astype(np.float32) for a in args], order=1, rtol=1e-3, atol=1e-3)
    for mode in ("rev", "fwd"):
        nums = tuple(range(len(args)))
        batched = jacobian(fun, nums, mode=mode)(*args)
        looped = jacobian(fun, nums, mode=mode, batched=False)(*args)
        for b, lo in zip(batched, looped, strict=True):
            np.testing.assert_allclose(b, lo, rtol=1e-14, atol=0)


def _torch_grad(fun, x, cotangent):
    tx = torch.tensor(x, requires_grad=True)
    fun(tx).backward(torch.tensor(cotangent))
    return tx.grad.numpy()


# ----------------------------------------------------------------------------- getitem

INDICES = {
    "int": 1,
    "negative int": -1,
    "ints": (1, 2),
    "slice": slice(1, 3),
    "strided": (slice(None, None, -2), slice(1, None, 2)),
    "ellipsis": (Ellipsis, 2),
    "newaxis": (None, 1, Ellipsis, None),
    "mask": X > 0,
    "row mask": np.array([True, False, True, True]),
    "int array": np.array([0, 2, 2, -1]),
    "int list": [3, 0, 3],
    "2-d int array": np.array([[0, 1], [3, 3]]),
    "rows, all": (np.array([0, 1, 1]), slice(None)),
    "pairs": (np.array([0, 3, 3]), np.array([1, 4, 4])),
    "broadcast pairs": (np.array([[0], [3]]), np.array([1, 1, 2])),
    "array, slice": (np.array([[0], [3]]), slice(1, 3)),
    "slice, array": (slice(None), np.array([1, 1, 3])),
    "array, int": (np.array([0, 1]), 2),
    "int, ellipsis, array": (0, Ellipsis, np.array([1, 2])),
    "array, slice, newaxis": (np.array([2, 0]), slice(None), None),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem(name):
    index = INDICES[name]
    f = lambda x: dnp.getitem(x, index)
    np.testing.assert_array_equal(f(X), X[index])
    _check(f, X)


@pytest.mark.parametrize(
    "index",
    [
        (np.array([0, 2]), slice(None), np.array([1, 4])),  # advanced indices apart: axes move
        (slice(None), np.array([[1], [3]]), np.array([0, 4])),
        (Ellipsis, np.array([0, 0])),
        (1, np.array([True, False, True, True]), slice(1, None)),
    ],
)
def test_getitem_three_dims(index):
    f = lambda x: x[index]
    np.testing.assert_array_equal(f(X3), X3[index])
    _check(f, X3)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_getitem_basic_indices_any_shape(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = np.random.default_rng(1).standard_normal(shape)
    f = lambda x: dnp.getitem(x, index)
    np.testing.assert_array_equal(f(x), x[index])
    if np.size(x[index]):
        _check(f, x, order=1)


def test_getitem_gradient_matches_torch():
    index = (np.array([0, 3, 3]), slice(1, 4))
    u = RNG.standard_normal(X[index].shape)
    (ours,) = vjp(lambda x: x[index], X)[1](u)
    theirs = _torch_grad(lambda t: t[torch.tensor(index[0]), 1:4], X, u)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


# Indexing a tuple-valued primitive's output gives a tuple cotangent, None elsewhere.
_sin_cos = primitive(lambda x: (np.sin(x), np.cos(x)), "sin_cos")


def _sin_cos_vjp(g, ans, x):
    gs, gc = g
    total = 0.0
    if gs is not None:
        total = total + gs * dnp.cos(x)
    if gc is not None:
        total = total - gc * dnp.sin(x)
    return total


defvjp(_sin_cos, _sin_cos_vjp)
defjvp(_sin_cos, lambda t, ans, x: (t * dnp.cos(x), -t * dnp.sin(x)))


def test_getitem_of_a_tuple():
    x = np.array([0.3, 1.1])
    rule = VJPS[dnp.getitem][0]
    g = np.ones(2)
    out = rule(g, None, (x, x), 1)
    assert type(out) is tuple and out[0] is None and out[1] is g
    f = lambda x: _sin_cos(x)[1] * 2.0 + _sin_cos(x)[0]
    np.testing.assert_allclose(f(x), 2 * np.cos(x) + np.sin(x))
    check_grads(f, x, order=2)


# ----------------------------------------------------------------------------- functional updates

UPDATE_CASES = {
    "int": (1, (5,)),
    "slice, broadcast v": ((slice(1, 3), 2), ()),
    "row broadcast v": (np.array([0, 2]), (5,)),
    "mask": (X > 0.5, (int(np.sum(X > 0.5)),)),
    "pairs": ((np.array([0, 3]), np.array([1, 4])), (2,)),
    "ellipsis": ((Ellipsis, np.array([0, 4])), (4, 2)),
}


@pytest.mark.parametrize("name", sorted(UPDATE_CASES))
@pytest.mark.parametrize("op", ["index_update", "index_add"])
def test_index_update_and_add(name, op):
    index, v_shape = UPDATE_CASES[name]
    v = RNG.standard_normal(v_shape)
    fun = getattr(dnp, op)
    expected = X.copy()
    if op == "index_update":
        expected[index] = v
    else:
        np.add.at(expected, index, v)
    np.testing.assert_array_equal(fun(X, index, v), expected)
    _check(lambda x, v: fun(x, index, v), X, v)


def test_index_add_sums_repeats_and_matches_torch():
    ids = np.array([1, 3, 1, 1])
    v = RNG.standard_normal((4, 5))
    out = dnp.index_add(X, ids, v)
    expected = X.copy()
    np.add.at(expected, ids, v)
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    _check(lambda x, v: dnp.index_add(x, ids, v), X, v)
    u = RNG.standard_normal(X.shape)
    (gv,) = vjp(lambda v: dnp.index_add(X, ids, v), v)[1](u)
    tv = torch.tensor(v, requires_grad=True)
    torch.tensor(X).index_add(0, torch.tensor(ids), tv).backward(torch.tensor(u))
    np.testing.assert_allclose(gv, tv.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert dnp.index_add(X.astype(np.float32), ids, v).dtype == np.float32


def test_setitem_on_a_traced_array_is_copy_on_write():
    def f(x):
        y = x * 1.0
        before = dnp.sum(dnp.sin(y)) + dnp.sum(y[1:] * x[1:])  # uses of y before the write
        y[0] = x[1] * 3.0
        y[np.array([2, 3])] = dnp.exp(x[:2])
        return before + dnp.sum(y**2)

    def f_torch(x):
        y = x * 1.0
        before = torch.sum(torch.sin(y)) + torch.sum(y[1:] * x[1:])
        y = y.clone()
        y[0] = x[1] * 3.0
        y[torch.tensor([2, 3])] = torch.exp(x[:2])
        return before + torch.sum(y**2)

    x = RNG.standard_normal(5)
    np.testing.assert_allclose(f(x), f_torch(torch.tensor(x)).item(), rtol=1e-14)
    theirs = _torch_grad(f_torch, x, np.array(1.0))
    np.testing.assert_allclose(grad(f)(x), theirs, rtol=1e-10, atol=1e-10)
    check_grads(f, x, modes=("rev",), order=2)


def test_setitem_into_a_plain_array_raises_a_clear_error():
    def f(x):
        buffer = np.zeros((2, 5))
        buffer[0] = x
        return dnp.sum(buffer)

    with pytest.raises(DiaphaneError, match="index_update"):
        grad(f)(np.ones(5))


def test_setitem_of_one_element_into_a_plain_array_raises():
    def f(x):
        buffer = np.zeros(3)
        buffer[0] = x[0]
        return dnp.sum(buffer * x)

    # NumPy re-raises our error as a ValueError; the message that explains it comes first.
    with pytest.raises((DiaphaneError, ValueError)) as info:
        grad(f)(np.ones(3))
    chain = [info.value, info.value.__context__, info.value.__cause__]
    assert any(isinstance(e, DiaphaneError) and "index_update" in str(e) for e in chain)


# ----------------------------------------------------------------------------- gathers


@pytest.mark.parametrize(
    ("indices", "axis", "mode"),
    [
        (np.array([4, 0, 0]), 1, "raise"),
        (np.array([[1, 3], [0, 0]]), 0, "raise"),
        (np.array([7, -1, 2]), None, "raise"),
        (np.array([7, -6, 2]), -1, "wrap"),
        (np.array([7, -6, 2]), 0, "clip"),
        (np.int64(2), 1, "raise"),
    ],
)
def test_take(indices, axis, mode):
    f = lambda x: dnp.take(x, indices, axis=axis, mode=mode)
    np.testing.assert_array_equal(f(X), np.take(X, indices, axis=axis, mode=mode))
    _check(f, X)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis_and_put_along_axis(axis):
    shape = (X.size,) if axis is None else tuple(3 if k == axis % 2 else n for k, n in
                                                 enumerate(X.shape))  # fmt: skip
    n = X.size if axis is None else X.shape[axis]
    indices = np.random.default_rng(2).integers(0, n, shape)
    f = lambda x: dnp.take_along_axis(x, indices, axis)
    np.testing.assert_array_equal(f(X), np.take_along_axis(X, indices, axis))
    _check(f, X)
    rng = np.random.default_rng(3)
    if axis is None:  # positions must not repeat, or which write wins is unspecified
        distinct = rng.permutation(X.size)[:7]
    else:
        distinct = np.take(np.argsort(rng.random(X.shape), axis=axis), [0, 1], axis=axis)
    values = RNG.standard_normal(distinct.shape)
    put = lambda x, v: dnp.put_along_axis(x, distinct, v, axis)
    expected = X.copy()
    np.put_along_axis(expected, distinct, values, axis)
    np.testing.assert_array_equal(put(X, values), expected.ravel() if axis is None else expected)
    _check(put, X, values)


def test_take_along_axis_gradient_matches_torch_gather():
    indices = np.array([[0, 0, 3], [1, 2, 3], [4, 4, 4], [0, 1, 2]])
    u = RNG.standard_normal(indices.shape)
    (ours,) = vjp(lambda x: dnp.take_along_axis(x, indices, 1), X)[1](u)
    theirs = _torch_grad(lambda t: torch.gather(t, 1, torch.tensor(indices)), X, u)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_and_partition(axis):
    x = X.copy()
    x[0, 0] = x[0, 1]  # a tie: the stable order decides which gets which gradient
    np.testing.assert_array_equal(dnp.sort(x, axis=axis), np.sort(x, axis=axis))
    _check(lambda x: dnp.sort(x, axis=axis), X)
    part = dnp.partition(X, 2, axis=axis)
    np.testing.assert_array_equal(np.sort(part, axis=axis), np.sort(X, axis=axis))
    ref = np.partition(X, 2, axis=axis)
    np.testing.assert_array_equal(np.take(part, 2, axis=axis or 0),
                                  np.take(ref, 2, axis=axis or 0))  # fmt: skip
    _check(lambda x: dnp.partition(x, 2, axis=axis), X)


def test_sort_gradient_matches_torch():
    u = RNG.standard_normal(X.shape)
    (ours,) = vjp(lambda x: dnp.sort(x, axis=0), X)[1](u)
    theirs = _torch_grad(lambda t: torch.sort(t, dim=0).values, X, u)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_compress_and_extract():
    cond = np.array([True, False, True])
    f = lambda x: dnp.compress(cond, x, axis=1)
    np.testing.assert_array_equal(f(X), np.compress(cond, X, axis=1))
    _check(f, X)
    np.testing.assert_array_equal(dnp.compress(cond, X), np.compress(cond, X))
    mask = X > 0
    g = lambda x: dnp.extract(mask, x)
    np.testing.assert_array_equal(g(X), np.extract(mask, X))
    _check(g, X)


# ----------------------------------------------------------------------------- selections


def test_where():
    c = X > 0
    y = RNG.standard_normal(5)
    f = lambda x, y: dnp.where(c, x, y)
    np.testing.assert_array_equal(f(X, y), np.where(c, X, y))
    _check(f, X, y)
    _check(lambda y: dnp.where(c, 2.0, y), y)
    assert dnp.where(X.astype(np.float32) > 0, X.astype(np.float32), 0.0).dtype == np.float32
    for ours, theirs in zip(dnp.where(c), np.where(c), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="one argument or three"):
        dnp.where(c, X)


def test_where_with_a_traced_condition_uses_its_value():
    f = lambda x: dnp.sum(dnp.where(x > 0, x, x * x))
    x = np.array([-2.0, 3.0])
    np.testing.assert_allclose(grad(f)(x), [-4.0, 1.0])


def test_select_and_choose():
    conds = [X < -0.5, X > 0.5]
    choices = [X * 2.0, X[0]]
    f = lambda a, b: dnp.select(conds, [a, b], default=-1.0)
    np.testing.assert_array_equal(f(*choices), np.select(conds, choices, default=-1.0))
    _check(f, *choices)
    with pytest.raises(ValueError):
        dnp.select(conds, choices[:1])
    which = np.array([[0, 1, 2, 1, 0]] * 4)
    opts = [X, X[0] * 0.5, RNG.standard_normal((4, 1))]
    g = lambda a, b, c: dnp.choose(which, [a, b, c])
    np.testing.assert_array_equal(g(*opts), np.choose(which, opts))
    _check(g, *opts)
    wrapped = np.array([3, -1, 5])
    np.testing.assert_array_equal(
        dnp.choose(wrapped, [np.arange(3.0), -np.arange(3.0)], mode="wrap"),
        np.choose(wrapped, [np.arange(3.0), -np.arange(3.0)], mode="wrap"),
    )
    with pytest.raises(ValueError):
        dnp.choose(np.array([2]), [np.ones(1), np.ones(1)])


# ----------------------------------------------------------------------------- clip


def test_clip_values_and_gradient_at_the_bounds_match_torch():
    x = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(dnp.clip(x, -1.0, 1.0), np.clip(x, -1.0, 1.0))
    ours = grad(lambda x: dnp.sum(dnp.clip(x, -1.0, 1.0) * np.arange(6.0)))(x)
    tx = torch.tensor(x, requires_grad=True)
    (torch.clamp(tx, -1.0, 1.0) * torch.arange(6.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(ours, tx.grad.numpy())
    np.testing.assert_array_equal(ours, [0.0, 1.0, 2.0, 3.0, 4.0, 0.0])


def test_clip_with_traced_bounds():
    x = RNG.standard_normal((4, 5))
    lo = RNG.standard_normal(5) - 0.5
    hi = lo + 1.0
    f = lambda x, lo, hi: dnp.clip(x, lo, hi)
    np.testing.assert_array_equal(f(x, lo, hi), np.clip(x, lo, hi))
    _check(f, x, lo, hi)
    _check(lambda x, hi: dnp.clip(x, None, hi), x, hi)
    _check(lambda x, lo: dnp.clip(x, lo), x, lo)
    _check(lambda x: x.clip(lo), x)
    u = RNG.standard_normal(x.shape)
    ours = vjp(f, x, lo, hi)[1](u)
    t = [torch.tensor(a, requires_grad=True) for a in (x, lo, hi)]
    torch.clamp(*t).backward(torch.tensor(u))
    for a, b in zip(ours, t, strict=True):
        np.testing.assert_allclose(a, b.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_clip_with_crossed_bounds_gives_the_upper_one():
    x = np.array([-1.0, 0.5, 2.0])
    lo, hi = np.full(3, 1.0), np.full(3, 0.0)
    np.testing.assert_array_equal(dnp.clip(x, lo, hi), np.clip(x, lo, hi))
    grads = vjp(lambda x, lo, hi: dnp.clip(x, lo, hi), x, lo, hi)[1](np.ones(3))
    np.testing.assert_array_equal(grads[0], 0.0)
    np.testing.assert_array_equal(grads[1], 0.0)
    np.testing.assert_array_equal(grads[2], 1.0)
    with pytest.raises(ValueError, match="at least one"):
        dnp.clip(x)


def test_diag_indices_are_plain():
    for ours, theirs in zip(dnp.diag_indices(3, 2), np.diag_indices(3, 2), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    f = lambda x: dnp.sum(x[dnp.diag_indices_from(x)] ** 2)
    np.testing.assert_allclose(grad(f)(np.eye(3) * 2.0), np.eye(3) * 4.0)
