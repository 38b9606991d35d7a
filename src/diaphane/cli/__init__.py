"""The ``diaphane`` command. Each subcommand lives in its own module under
:mod:`diaphane.cli` and registers itself through ``register(subparsers)``; heavy
imports happen inside the subcommand, so ``diaphane --help`` starts fast."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diaphane import __version__
from diaphane.errors import DiaphaneError, UsageError

# Modules under diaphane.cli that define register(subparsers).
SUBCOMMAND_MODULES = (
    "check",
    "data",
    "report",
    "explain",
    "graph",
    "lm",
    "ngram",
    "nplm",
    "glove",
    "gpt",
    "lens",
    "sentiment",
    "vectors",
)


def checkpoint_dir(args: argparse.Namespace) -> Path:
    """The training run's checkpoint folder (``--checkpoint-dir``, else ``OUT.checkpoints``);
    one that already holds a checkpoint is only reused with ``--resume``."""
    folder = Path(args.checkpoint_dir or f"{args.out}.checkpoints")
    if (folder / "last").exists() and not args.resume:
        raise UsageError(
            f"{folder} already holds a checkpoint; add --resume to continue it, "
            "or remove the folder to start afresh."
        )
    return folder


def drop_checkpoints(args: argparse.Namespace, folder: Path) -> None:
    """After a run that finished, remove the checkpoint folder diaphane chose itself
    (``OUT.checkpoints``); one the user named with ``--checkpoint-dir`` stays theirs."""
    import shutil

    if args.checkpoint_dir is None and folder.is_dir() and (folder / "last").exists():
        shutil.rmtree(folder, ignore_errors=True)


def train_subparsers(subparsers: Any) -> Any:
    """The ``train`` command's per-model subparsers (``diaphane train ngram|nplm|...``),
    created by whichever subcommand module registers first."""
    train = subparsers.choices.get("train")
    if train is None:
        train = subparsers.add_parser("train", help="train a model on a corpus")
        train.add_subparsers(dest="model_kind", metavar="MODEL", required=True)
    return next(a for a in train._actions if isinstance(a, argparse._SubParsersAction))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diaphane",
        description="See through neural networks: train small models with diaphane's own "
        "autodiff engine and look at what they learned.",
    )
    parser.add_argument("--version", action="version", version=f"diaphane {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"diaphane.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("diaphane: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # one plain line unless --debug
        if args.debug or not _is_user_error(err):
            raise
        print(f"diaphane: {err}", file=sys.stderr)
        return 2


def _is_user_error(err: Exception) -> bool:
    return isinstance(err, DiaphaneError | FileNotFoundError | ValueError)
