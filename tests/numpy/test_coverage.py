"""Every differentiable primitive in the namespace has both rules; the rest are declared
non-differentiable on purpose."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import diaphane.numpy
from diaphane.autodiff.core import JVP_ALL, JVPS, NONDIFF, VJP_ALL, VJPS

# The private modules too: their primitives (``_reshape``, ``_eigh``, ``_norm2``, ...) sit
# behind the public wrappers and would not show in the public namespaces.
NAMESPACES = [
    "diaphane.numpy",
    *sorted(f"diaphane.numpy.{m.name}" for m in pkgutil.iter_modules(diaphane.numpy.__path__)),
    "diaphane.scipy.special",
    *(
        f"diaphane.scipy.stats.{m}"
        for m in ["beta", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
    ),
]


def _wrapped_functions(module_name):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        pytest.skip(f"{module_name} is not written yet")
    for name in sorted(dir(module)):
        obj = getattr(module, name)
        if callable(obj) and hasattr(obj, "raw"):
            yield name, obj


@pytest.mark.parametrize("module_name", NAMESPACES)
def test_every_primitive_has_rules_or_is_marked_nondiff(module_name):
    missing = []
    for name, fun in _wrapped_functions(module_name):
        if fun.__name__ in NONDIFF and fun not in VJPS:
            continue
        if fun not in VJPS and fun not in VJP_ALL:
            missing.append(f"{name}: no VJP")
        if fun not in JVPS and fun not in JVP_ALL:
            missing.append(f"{name}: no JVP")
    assert not missing, "\n".join(missing)


def test_namespace_is_broad():
    import diaphane.numpy as dnp

    names = [n for n, f in _wrapped_functions("diaphane.numpy") if f in VJPS or f in VJP_ALL]
    assert len(names) >= 40
    assert not hasattr(dnp, "np"), "helper imports must not leak into the namespace"
