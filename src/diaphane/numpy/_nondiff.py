"""Functions without a useful derivative: they accept traced values and return plain ones.

Constructors (zeros, arange, ...), shape queries, comparisons, arg-reductions and
predicates. Each is listed by name so the coverage test knows it is deliberate.
"""

from __future__ import annotations

import numpy as np

from diaphane.autodiff.core import nondiff

NONDIFF_NAMES = [
    "shape",
    "ndim",
    "size",
    "result_type",
    "iscomplexobj",
    "isrealobj",
    "isscalar",
    "zeros",
    "ones",
    "empty",
    "full",
    "eye",
    "identity",
    "arange",
    "linspace",
    "logspace",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "tri",
    "indices",
    "meshgrid",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "isnan",
    "isinf",
    "isfinite",
    "isclose",
    "allclose",
    "array_equal",
    "array_equiv",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "all",
    "any",
    "isneginf",
    "isposinf",
    "iscomplex",
    "isreal",
    "signbit",
    "argmax",
    "argmin",
    "argsort",
    "argpartition",
    "argwhere",
    "nonzero",
    "flatnonzero",
    "searchsorted",
    "count_nonzero",
    "bincount",
    "histogram",
    "digitize",
    "unique",
    "floor_divide",
]

for _name in NONDIFF_NAMES:
    globals()[_name] = nondiff(getattr(np, _name), _name)

__all__ = list(NONDIFF_NAMES)
