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
    worst: dict[str, float] = {}
    try:
        check_grads(fun, *args, modes=MODES, order=ORDER, errors=worst)
        status = "OK"
    except AssertionError as err:
        print(f"diaphane check: {name}: {str(err).splitlines()[0]}", file=sys.stderr)
        status = "FAIL"
    nan = float("nan")
    return name, n_params, worst.get("fwd", nan), worst.get("rev", nan), status


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
