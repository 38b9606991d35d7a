"""Array methods and operators on traced values, so ``x.T @ w + b``, ``x.sum()``,
``x[i]`` and ``x[i] = v`` work inside differentiated code."""

from __future__ import annotations

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff.core import VJPS, Box, DiaphaneError, _apply

_NO_KWARGS: dict = {}


def _setitem(self: Box, index, value) -> None:
    # Functional copy-on-write: earlier uses of this box keep the old value and node.
    new = dnp.index_update(self, index, value)
    if type(new) is Box:
        self._value, self._node, self._trace = new._value, new._node, new._trace
    else:
        self._value = new


def _drops_gradient(kind: str):
    # float(x) would silently cut x out of the graph (NumPy calls it for `plain[i] = x`).
    raise DiaphaneError(
        f"{kind}() of a traced value would drop its gradient. Inside differentiated code keep "
        "it as an array (write into arrays with x = dnp.index_update(x, idx, v)); to log it, "
        "use diaphane.autodiff.getval(x)."
    )


def _iter(self: Box):
    return (dnp.getitem(self, i) for i in range(len(self._value)))


def _binary(name: str, reflected: bool = False):
    fun = getattr(dnp, name)
    if fun in VJPS:
        # A traced value is on one side for sure: skip the primitive's search for boxes.
        raw = fun.raw
        if reflected:
            return lambda self, other: _apply(fun, (other, self), _NO_KWARGS, raw)
        return lambda self, other: _apply(fun, (self, other), _NO_KWARGS, raw)
    if reflected:
        return lambda self, other: fun(other, self)
    return lambda self, other: fun(self, other)


_METHODS = {
    "__add__": _binary("add"),
    "__radd__": _binary("add", True),
    "__sub__": _binary("subtract"),
    "__rsub__": _binary("subtract", True),
    "__mul__": _binary("multiply"),
    "__rmul__": _binary("multiply", True),
    "__truediv__": _binary("divide"),
    "__rtruediv__": _binary("divide", True),
    "__pow__": _binary("power"),
    "__rpow__": _binary("power", True),
    "__matmul__": _binary("matmul"),
    "__rmatmul__": _binary("matmul", True),
    "__lt__": _binary("less"),
    "__le__": _binary("less_equal"),
    "__gt__": _binary("greater"),
    "__ge__": _binary("greater_equal"),
    "__eq__": _binary("equal"),
    "__ne__": _binary("not_equal"),
    "__neg__": lambda self: dnp.negative(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: dnp.abs(self),
    "__getitem__": lambda self, index: dnp.getitem(self, index),
    "__setitem__": _setitem,
    "__len__": lambda self: len(self._value),
    "__iter__": _iter,
    "__float__": lambda self: _drops_gradient("float"),
    "__int__": lambda self: int(self._value),
    "__complex__": lambda self: _drops_gradient("complex"),
    "__index__": lambda self: int(self._value),
}

_PROPERTIES = {
    "shape": lambda self: np.shape(self._value),
    "ndim": lambda self: np.ndim(self._value),
    "size": lambda self: np.size(self._value),
    "dtype": lambda self: np.result_type(self._value),
    "T": lambda self: dnp.transpose(self),
    "real": lambda self: dnp.real(self),
    "imag": lambda self: dnp.imag(self),
}

# Methods that forward to the namespace function of the same name, self first.
_FORWARDED = [
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "var",
    "std",
    "cumsum",
    "dot",
    "reshape",
    "transpose",
    "squeeze",
    "ravel",
    "flatten",
    "clip",
    "conj",
    "conjugate",
    "round",
    "take",
    "repeat",
    "swapaxes",
    "astype",
    "any",
    "all",
    "argmax",
    "argmin",
    "argsort",
    "nonzero",
]


def _forward(name: str):
    def method(self, *args, **kwargs):
        fun = getattr(dnp, name)
        if name in ("reshape", "transpose") and len(args) > 1:
            args = (args,)
        return fun(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name, _method in _METHODS.items():
    setattr(Box, _name, _method)
for _name, _getter in _PROPERTIES.items():
    setattr(Box, _name, property(_getter))
for _name in _FORWARDED:
    setattr(Box, _name, _forward(_name))
