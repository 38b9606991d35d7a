"""``diaphane explain``: the covariance and einsum explainers as HTML (default), PNG or SVG.

    diaphane explain cov data.csv                      # writes cov.html
    diaphane explain cov data.csv --no-rowvar --format png --out cov.png
    diaphane explain einsum "ij,jk->ik" --shapes 2x3 3x4   # writes einsum.html

``--out -`` writes HTML or SVG to standard output.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from diaphane.cli import UsageError
from diaphane.cli.options import add_force, check_out_file

log = logging.getLogger(__name__)

FORMATS = ("html", "png", "svg")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "explain",
        help="explain a covariance matrix or an einsum in a picture",
        description="Write an explorable picture that explains a computation.",
    )
    sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)

    cov = sub.add_parser(
        "cov",
        help="the covariance matrix of a CSV data matrix, cell by cell",
        description="Covariance of a CSV file with a header row of column names and a first "
        "column of row names. Rows are the variables unless --no-rowvar (as np.cov).",
    )
    cov.add_argument("file", metavar="FILE.csv", help="the data matrix")
    cov.add_argument(
        "--rowvar",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rows are the variables (default, like np.cov); --no-rowvar: columns are",
    )
    _output_options(cov)
    cov.set_defaults(func=run_cov)

    ein = sub.add_parser(
        "einsum",
        help="which letter indexes which axis, what is summed, with a worked example",
        description="Explain einsum subscripts for the given operand shapes.",
    )
    ein.add_argument("subscripts", help='einsum subscripts, e.g. "ij,jk->ik" or "...ij,...jk"')
    ein.add_argument(
        "--shapes",
        nargs="+",
        required=True,
        metavar="SHAPE",
        help="one shape per operand, sizes joined by x (2x3); 'scalar' for a 0-d operand",
    )
    _output_options(ein)
    ein.set_defaults(func=run_einsum)


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="html", help="output format (html)")
    p.add_argument(
        "--out", metavar="FILE", help="where to write (default: cov.html / einsum.html; - stdout)"
    )
    add_force(p, files=True)


def run_cov(args: argparse.Namespace) -> int:
    from diaphane.viz.covariance import CovarianceFigure, read_named_matrix

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path} (expected a CSV data matrix)")
    out = _out(args, "cov", inputs=(path,))
    try:
        values, rows, cols = read_named_matrix(path)
        fig = CovarianceFigure.from_data(values, rows, cols, rowvar=args.rowvar)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text: expected a CSV file") from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    return _write(fig, args, out)


def run_einsum(args: argparse.Namespace) -> int:
    from diaphane.viz.einsum import EinsumFigure, parse_shape

    out = _out(args, "einsum")
    try:
        shapes = [parse_shape(s) for s in args.shapes]
        fig = EinsumFigure(args.subscripts, shapes)
    except ValueError as err:
        raise UsageError(str(err)) from None
    return _write(fig, args, out)


def _out(args: argparse.Namespace, stem: str, inputs: tuple = ()) -> str:
    """``--out`` (default ``STEM.FORMAT``), checked before any work; ``-`` is stdout."""
    out = args.out or f"{stem}.{args.format}"
    check_out_file(out, args.force, inputs)
    return out


def _write(fig, args: argparse.Namespace, out: str) -> int:
    if out == "-":
        if args.format == "png":
            raise UsageError("PNG output is binary: pass --out FILE.png")
        sys.stdout.write(fig.to_html() if args.format == "html" else fig.to_svg())
        return 0
    if args.format == "html":
        fig.to_html(out)
    elif args.format == "svg":
        fig.to_svg(out)
    else:
        fig.to_png(out)
    log.info("wrote %s", out)
    print(out)
    return 0
