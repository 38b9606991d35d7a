"""The ``diaphane`` command. Each subcommand lives in its own module under
:mod:`diaphane.cli` and registers itself through ``register(subparsers)``; heavy
imports happen inside the subcommand, so ``diaphane --help`` starts fast.

Exit statuses: 0 done; 1 a check failed (``diaphane check``); 2 a usage error or
a :class:`~diaphane.errors.DiaphaneError` (bad input, a damaged file, missing data),
shown as one line; 2 too when the machine refuses (a full disk, no permission, out
of memory), shown as one line naming the path; 130 interrupted (Ctrl-C); 141 the
reader of standard output went away (``diaphane next ... | head -1``), which ends
the command quietly, as SIGPIPE ends other Unix tools; 70 a bug in diaphane,
shown with its traceback and a request to report it. ``--debug`` shows the
traceback of every error.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import traceback
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
    "hyper",
)


def checkpoint_dir(args: argparse.Namespace) -> Path:
    """The training run's checkpoint folder (``--checkpoint-dir``, else ``OUT.checkpoints``);
    one that already holds a checkpoint is only reused with ``--resume``, and ``--resume``
    needs one."""
    folder = Path(args.checkpoint_dir or f"{args.out}.checkpoints")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--checkpoint-dir {folder} is a file, not a folder; name a folder for "
                         "the checkpoints.")  # fmt: skip
    if (folder / "last").exists() and not args.resume:
        raise UsageError(
            f"{folder} already holds a checkpoint; add --resume to continue it, "
            "or remove the folder to start afresh."
        )
    if args.resume and not (folder / "last").exists():
        raise UsageError(f"nothing to resume in {folder}; drop --resume to start afresh, or "
                         "name the run's folder with --checkpoint-dir.")  # fmt: skip
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


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (the option, what is wrong, where help is)."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    args = parser.parse_args(argv)  # a bad option: one line, SystemExit(2)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a reader gone or a full disk surfaces here
        return status
    except KeyboardInterrupt:
        print("diaphane: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    except Exception as err:  # one plain line unless --debug
        if args.debug:
            raise
        return _report(err)


# The machine's refusals: not diaphane's bug, nor the user's input, but worth one line.
MACHINE_ERRNOS = {
    errno.ENOSPC: "the disk is full; free some space or write somewhere else",
    errno.EDQUOT: "the disk quota is used up; free some space or write somewhere else",
    errno.EACCES: "permission denied; write somewhere you may, or change the permissions",
    errno.EPERM: "the system does not permit it (a read-only or immutable place?); write "
    "somewhere else",
    errno.EROFS: "it is on a read-only filesystem; write somewhere else",
    errno.ENOTDIR: "a part of that path is a file, not a folder; choose another path",
    errno.EISDIR: "that is a folder, not a file; name a file",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.EEXIST: "something else is already there; choose another path",
}


def _is_user_error(err: BaseException) -> bool:
    """Only diaphane's own errors are the user's to fix; anything else is a bug."""
    return isinstance(err, DiaphaneError)


def _report(err: Exception) -> int:
    """One line for a user error or a refusal of the machine; a traceback for a bug."""
    if _is_user_error(err):
        print(f"diaphane: {err}", file=sys.stderr)
        return 2
    if isinstance(err, OSError) and err.errno in MACHINE_ERRNOS:
        where = err.filename if err.filename else "standard output"
        print(f"diaphane: {where}: {MACHINE_ERRNOS[err.errno]}.", file=sys.stderr)
        if not err.filename:
            _stdout_to_devnull()  # or the interpreter's last flush fails the same way again
        return 2
    if isinstance(err, MemoryError):
        print("diaphane: out of memory; use smaller sizes (--dim, --hidden, --width, "
              "--vocab-size, --batch-size) or a smaller corpus.", file=sys.stderr)  # fmt: skip
        return 2
    traceback.print_exc()
    print(f"diaphane: this is a bug in diaphane {__version__}, not a problem with what you "
          "gave it; please report it with the command you ran and the traceback above.",
          file=sys.stderr)  # fmt: skip
    return 70


def _pipe_closed() -> int:
    """The reader of standard output is gone: stop quietly, as ``head`` expects.

    Standard output is pointed at /dev/null so that the interpreter's final flush
    does not fail again (Python's documented recipe for SIGPIPE)."""
    _stdout_to_devnull()
    return 141


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
