"""The differentiable NumPy namespace: ``import diaphane.numpy as dnp``.

Functions take and return plain NumPy arrays; inside a function being
differentiated they also take traced values and record what they did. Names
mirror NumPy's. Functions without a derivative (``argmax``, ``zeros``, ...)
unwrap traced values and return plain ones.
"""

from numpy import (  # noqa: F401  (re-exported constants and types)
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    euler_gamma,
    float16,
    float32,
    float64,
    inf,
    int8,
    int16,
    int32,
    int64,
    nan,
    ndarray,
    newaxis,
    pi,
    uint8,
)

from diaphane.numpy._arrange import *  # noqa: F403
from diaphane.numpy._binary import *  # noqa: F403
from diaphane.numpy._calculus import *  # noqa: F403
from diaphane.numpy._cumulative import *  # noqa: F403
from diaphane.numpy._elementwise import *  # noqa: F403
from diaphane.numpy._gather import *  # noqa: F403
from diaphane.numpy._indexing import *  # noqa: F403
from diaphane.numpy._join import *  # noqa: F403
from diaphane.numpy._linear import *  # noqa: F403
from diaphane.numpy._nondiff import *  # noqa: F403
from diaphane.numpy._reductions import *  # noqa: F403
from diaphane.numpy._shape import *  # noqa: F403

# isort: split
from diaphane.numpy import fft, linalg  # noqa: F401

# isort: split
# Last, once every name above exists: give traced values their array methods.
from diaphane.numpy import _box_methods  # noqa: F401
