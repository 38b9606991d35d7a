"""Indexing primitives: x[idx], take, where, and functional updates x[idx] = v."""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import defjvp, defvjp, getval, primitive
from diaphane.numpy._util import broadcast_tangent, unbroadcast

__all__ = ["getitem", "index_add", "index_update", "where"]


def _getitem_raw(x, index):
    return x[index]


getitem = primitive(_getitem_raw, "getitem")


def _index_update_raw(x, index, v):
    out = np.array(x, copy=True)
    out[index] = v
    return out


def _index_add_raw(x, index, v):
    out = np.array(x, copy=True)
    np.add.at(out, index, v)
    return out


index_update = primitive(_index_update_raw, "index_update")
index_add = primitive(_index_add_raw, "index_add")
where = primitive(np.where)


def _getitem_vjp(g, ans, x, index):
    xv = getval(x)
    if type(xv) is tuple:
        zeros = [None] * len(xv)
        zeros[index] = g
        return tuple(zeros)
    return index_add(np.zeros(np.shape(xv), np.result_type(xv, getval(g))), index, g)


# fmt: off
defvjp(getitem,      _getitem_vjp)
defjvp(getitem,      lambda t, ans, x, index: getitem(t, index))
defvjp(index_update, lambda g, ans, x, index, v: index_update(g, index, 0.0),
                     None,
                     lambda g, ans, x, index, v: unbroadcast(getitem(g, index), v))
defjvp(index_update, lambda t, ans, x, index, v: index_update(t, index, 0.0),
                     None,
                     lambda t, ans, x, index, v: index_update(np.zeros(np.shape(getval(ans)),
                                                 getval(t).dtype), index, t))
defvjp(index_add,    lambda g, ans, x, index, v: g,
                     None,
                     lambda g, ans, x, index, v: unbroadcast(getitem(g, index), v))
defjvp(index_add,    lambda t, ans, x, index, v: t,
                     None,
                     lambda t, ans, x, index, v: index_add(np.zeros(np.shape(getval(ans)),
                                                 getval(t).dtype), index, t))
defvjp(where,        None,
                     lambda g, ans, c, x, y: unbroadcast(where(c, g, 0.0), x),
                     lambda g, ans, c, x, y: unbroadcast(where(c, 0.0, g), y))
defjvp(where,        None,
                     lambda t, ans, c, x, y: broadcast_tangent(where(c, t, 0.0), ans),
                     lambda t, ans, c, x, y: broadcast_tangent(where(c, 0.0, t), ans))
# fmt: on
