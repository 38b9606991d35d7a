"""``diaphane check``: check the derivatives of built-in examples against finite differences.

For each example it runs :func:`~diaphane.autodiff.check_grads` (forward and
reverse mode, to second order) for the verdict, and measures the largest
relative disagreement with central differences in each mode for the table.
Exit status 1 when any example fails. NumPy and the engine are imported only
when the subcommand runs, so ``diaphane --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ORDER = 2
MODES = ("fwd", "rev")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check",
        help="check derivatives of built-in examples against finite differences",
        description="Compare forward- and reverse-mode derivatives (to second order) of the "
        "built-in examples with central finite differences. 'params' counts the scalar "
        "arguments differentiated; errors are the largest relative disagreements.",
    )
    p.add_argument("example", nargs="?", help="example name (default: all examples)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from diaphane import examples
    from diaphane.cli.graph import load_example

    names = [args.example] if args.example else list(examples.EXAMPLES)
    rows = [check_example(name, load_example(name)) for name in names]
    print(format_table(rows))
    return 0 if all(row[-1] == "OK" for row in rows) else 1


def check_example(name: str, example: Any) -> tuple[str, int, float, float, str]:
    """``(name, params, fwd error, rev error, 'OK' or 'FAIL')`` for one example."""
    import numpy as np

    from diaphane.autodiff import check_grads, flatten

    fun, args = example.fun, tuple(example.args)
    n_params = sum(int(np.size(x)) for x in flatten(args)[0])
    log.info("checking %s (%d params)", name, n_params)
    worst = dict.fromkeys(MODES, 0.0)
    _measure(fun, args, ORDER, np.random.default_rng(0), worst)
    try:
        check_grads(fun, *args, modes=MODES, order=ORDER)
        status = "OK"
    except AssertionError as err:
        print(f"diaphane check: {name}: {str(err).splitlines()[0]}", file=sys.stderr)
        status = "FAIL"
    return name, n_params, worst["fwd"], worst["rev"], status


def format_table(rows: list[tuple[str, int, float, float, str]]) -> str:
    """A plain aligned table, one row per example."""
    header = ("example", "params", "fwd rel err", "rev rel err", "status")
    cells = [header] + [(n, str(p), f"{f:.1e}", f"{r:.1e}", s) for n, p, f, r, s in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        numbers = [c.rjust(w) for c, w in zip(row[1:4], widths[1:4], strict=True)]
        lines.append("  ".join([row[0].ljust(widths[0]), *numbers, row[4]]))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- measuring errors


def _measure(fun: Callable, args: tuple, order: int, rng, worst: dict, eps: float = 1e-6) -> None:
    """Record in ``worst`` the largest relative error of each mode, as check_grads walks."""
    from diaphane.autodiff import jvp, tree_map, vjp

    v = tree_map(lambda x: _random_like(x, rng), args)
    numeric = _central_difference(fun, args, v, eps)
    _, ours = jvp(fun, args, v)
    worst["fwd"] = max(worst["fwd"], _relative_error(ours, numeric))
    out = fun(*args)
    u = tree_map(lambda o: _random_like(o, rng), out)
    _, pull = vjp(fun, *args)
    worst["rev"] = max(worst["rev"], _relative_error(_inner(pull(u), v), _inner(u, numeric)))
    if order > 1:
        _measure(lambda *a: jvp(fun, a, v)[1], args, order - 1, rng, worst, eps)
        _measure(lambda *a: vjp(fun, *a)[1](u), args, order - 1, rng, worst, eps)


def _random_like(x: Any, rng) -> Any:
    import numpy as np

    x = np.asarray(x)
    return rng.standard_normal(x.shape).astype(x.dtype)


def _central_difference(fun: Callable, args: tuple, v: Any, eps: float) -> Any:
    import numpy as np

    from diaphane.autodiff import tree_map

    plus = fun(*tree_map(lambda x, d: x + eps * d, args, v))
    minus = fun(*tree_map(lambda x, d: x - eps * d, args, v))
    return tree_map(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * eps), plus, minus)


def _inner(a: Any, b: Any) -> float:
    import numpy as np

    from diaphane.autodiff import flatten

    pairs = zip(flatten(a)[0], flatten(b)[0], strict=True)
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in pairs))


def _relative_error(ours: Any, numeric: Any) -> float:
    """Largest absolute difference over the largest magnitude of the finite differences."""
    import numpy as np

    from diaphane.autodiff import flatten

    a = np.concatenate([np.ravel(x) for x in flatten(ours)[0]] or [np.zeros(0)])
    b = np.concatenate([np.ravel(x) for x in flatten(numeric)[0]] or [np.zeros(0)])
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-12))
