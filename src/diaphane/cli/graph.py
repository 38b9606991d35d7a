"""``diaphane graph``: the computation graph of a built-in example, as DOT, JSON, SVG or PNG.

DOT goes to standard output by default, so ``diaphane graph | dot -Tsvg > g.svg``
works; SVG and PNG are drawn by Graphviz's ``dot`` when it is installed.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys

from diaphane.cli import UsageError
from diaphane.cli.options import add_force, check_out_file
from diaphane.files import write_atomic

log = logging.getLogger(__name__)

FORMATS = ("dot", "json", "html", "svg", "png")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "graph",
        help="draw the computation graph of a built-in example",
        description="Trace a built-in example function and print its computation graph "
        "(Graphviz DOT by default; --format html for an interactive page).",
    )
    p.add_argument(
        "example", nargs="?", default="logistic", help="example name (default: logistic)"
    )
    p.add_argument("--values", action="store_true", help="show each node's forward value")
    p.add_argument("--grads", action="store_true", help="show the gradient reaching each node")
    p.add_argument("--format", choices=FORMATS, default="dot", help="output format (default: dot)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    add_force(p, files=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from diaphane.autodiff.graph import render_dot, trace_graph

    check_out_file(args.out, args.force)
    if args.format in ("svg", "png") and shutil.which("dot") is None:
        raise UsageError(
            f"--format {args.format} needs Graphviz's `dot` program, which is not on PATH: "
            "install Graphviz (Debian/Ubuntu package `graphviz`) or use --format dot."
        )
    example = load_example(args.example)
    if args.format == "html":
        from diaphane.viz.graph_figure import GraphFigure

        # The interactive page: layered layout, values and gradients on hover.
        _emit(GraphFigure.from_example(args.example).to_html().encode(), args.out, binary=False)
        return 0
    graph = trace_graph(example.fun, *example.args, values=args.values, grads=args.grads)
    log.info("traced %s: %d nodes, %d edges", args.example, len(graph.nodes), len(graph.edges))
    if args.format == "json":
        data = (json.dumps(graph.to_dict(), indent=1, allow_nan=False) + "\n").encode()
    elif args.format == "dot":
        data = graph.to_dot().encode()
    else:
        data = render_dot(graph.to_dot(), args.format)
    _emit(data, args.out, binary=args.format == "png")
    return 0


def load_example(name: str):
    """The built-in example ``name``; an unknown name is a usage error listing the known ones."""
    from diaphane import examples

    if name not in examples.EXAMPLES:
        known = ", ".join(examples.EXAMPLES)
        raise UsageError(f"unknown example {name!r}; known examples: {known}.")
    return examples.load(name)


def _emit(data: bytes, out: str | None, binary: bool) -> None:
    if out is not None and out != "-":
        write_atomic(out, data)
        log.info("wrote %s (%d bytes)", out, len(data))
    elif not binary:
        sys.stdout.write(data.decode())
    elif sys.stdout.isatty():
        raise UsageError("PNG output is binary: pass --out FILE or redirect standard output.")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
