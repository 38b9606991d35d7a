"""Checking numeric options and output paths at the command line, before any work.

The option types (``type=count()``, ``type=real(low=0)``...) refuse a value argparse
would accept but no model can use: sizes below 1, NaN and infinities, probabilities
outside [0, 1], learning rates that can only diverge. Sizes may be written ``1e6``.
:func:`check_memory` refuses sizes whose arrays would not fit in this machine's
memory, naming the bytes, before anything is allocated. :func:`prepare_out` checks
``--out`` (and its parent) before training starts, so a long run never ends in a
refusal to save. :func:`check_out_file` does the same for a figure or coordinates file:
it never replaces the input, and a file diaphane did not write only with ``--force``.

Entry points: :func:`integer`, :func:`real`, :func:`learning_rate`, :func:`check_memory`,
:func:`add_force`, :func:`prepare_out`, :func:`check_out_file`, :func:`resume_message`.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diaphane.errors import UsageError

__all__ = [
    "add_force",
    "check_memory",
    "check_out_file",
    "human_bytes",
    "integer",
    "learning_rate",
    "prepare_out",
    "real",
    "resume_message",
]

# The learning rates of diaphane's optimisers are steps of at most about lr per weight
# (Adam, AdaGrad) or lr times the gradient (SGD): past this every model here diverges.
MAX_LEARNING_RATE = 10.0


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def integer(low: int = 1, high: int | None = None) -> Callable[[str], int]:
    """An argparse type for a whole number in ``[low, high]`` (``1e6`` allowed).

    >>> integer()("1e3"), integer(low=0)("0")
    (1000, 0)
    """

    def parse(text: str) -> int:
        value = _number(text)
        if not math.isfinite(value) or value != int(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}, not {text}")
        return int(value)

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def real(
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], float]:
    """An argparse type for a finite number in a range (open or closed at each end).

    >>> real(low=0, low_open=True)("0.5")
    0.5
    """

    def parse(text: str) -> float:
        value = _number(text)
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
        if low is not None and (value < low or (low_open and value == low)):
            bound = "above" if low_open else "at least"
            raise argparse.ArgumentTypeError(f"must be {bound} {low:g}, not {text}")
        if high is not None and (value > high or (high_open and value == high)):
            bound = "below" if high_open else "at most"
            raise argparse.ArgumentTypeError(f"must be {bound} {high:g}, not {text}")
        return value

    parse.__name__ = "number"
    return parse


def learning_rate(text: str) -> float:
    """A learning rate: finite, above 0 and at most :data:`MAX_LEARNING_RATE`."""
    return real(0.0, MAX_LEARNING_RATE, low_open=True)(text)


# ----------------------------------------------------------------------------- memory


def available_memory() -> int:
    """Bytes this process may still allocate: MemAvailable, else all physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def human_bytes(n: float) -> str:
    """``1.5 GB``-style sizes (powers of 1000).

    >>> human_bytes(3.2e12)
    '3.2 TB'
    """
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


def check_memory(what: str, n_bytes: float, options: str) -> None:
    """Refuse, before allocating, arrays that would not fit in memory.

    Args:
        what: what needs the memory ("GloVe's tables for 39 words x 1000000000 dims").
        n_bytes: how many bytes that takes.
        options: the options to lower ("--dim").

    Raises:
        UsageError: ``n_bytes`` is more than this machine has available.
    """
    have = available_memory()
    if n_bytes > have:
        raise UsageError(
            f"{what} need about {human_bytes(n_bytes)}, but this machine has "
            f"{human_bytes(have)} available; lower {options}."
        )


# ----------------------------------------------------------------------------- output


def add_force(p: argparse.ArgumentParser, files: bool = False) -> None:
    """``--force``: replace an ``--out`` that is not a model of the same kind (or, with
    ``files``, an output file that diaphane did not write)."""
    text = ("replace an existing --out file that diaphane did not write" if files else
            "replace --out even if it is not a diaphane model of this kind "
            "(a folder of other files, a plain file, another kind of model)")  # fmt: skip
    p.add_argument("--force", action="store_true", help=text)


# What diaphane writes near the top of its figure and coordinate files, so that writing
# one again needs no --force. A CSV has no room for a mark, nor Graphviz's PNG: an
# existing one is only replaced with --force.
OWN_MARKS = (
    b'<meta name="generator" content="diaphane">',  # HTML pages (base.html.j2)
    b"<dc:title>diaphane</dc:title>",  # matplotlib SVG (viz.static.svg_text)
    b"tEXtSoftware\x00diaphane",  # matplotlib PNG (viz.static.png_bytes)
    b"<!-- Title: diaphane ",  # Graphviz's SVG of `diaphane graph`
    b"digraph diaphane {",  # DOT
    b'"format": "diaphane.graph"',  # graph JSON
    b'"generator": "diaphane"',  # map JSON
)
MARK_WITHIN = 1 << 16  # bytes: every mark sits in a file's head


def written_by_diaphane(path: str | os.PathLike) -> bool:
    """Whether the file at ``path`` carries one of diaphane's marks (:data:`OWN_MARKS`)."""
    try:
        with open(path, "rb") as f:
            head = f.read(MARK_WITHIN)
    except OSError:
        return False
    return any(mark in head for mark in OWN_MARKS)


def check_out_file(out: str | os.PathLike | None, force: bool = False, inputs: Any = ()) -> None:
    """Check a figure or coordinates ``--out`` FILE before any work (``None`` or ``-``,
    standard output, need no check).

    Raises:
        UsageError: ``out`` is empty, a folder, one of the ``inputs``, or an existing
            file that diaphane did not write (unless ``force``).
    """
    if out is None or str(out) == "-":
        return
    if not str(out).strip():
        raise UsageError("--out is empty; name the file to write.")
    path = Path(out)
    if any(_same_file(path, Path(i)) for i in inputs if i is not None):
        raise UsageError(f"--out {out} is the input itself, which writing would destroy; "
                         "name another --out.")  # fmt: skip
    if path.is_dir():
        raise UsageError(f"--out {out} is a folder; name a file to write.")
    if path.exists() and not force and not written_by_diaphane(path):
        raise UsageError(f"{out} already exists and is not marked as a file diaphane wrote "
                         "(a CSV never is); choose another --out, or add --force to replace "
                         "it.")  # fmt: skip


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def prepare_out(out: str, kind: str, force: bool = False) -> Path:
    """Check ``--out`` before any work: a usable path, a parent one can write in, and
    nothing there that a save would wrongly replace.

    Raises:
        UsageError: the path is empty, its parent is a file or cannot be written, or
            ``out`` holds something other than a ``kind`` model (without ``force``).
    """
    from diaphane.nn.model_folder import check_replaceable

    if not str(out).strip():
        raise UsageError("--out is empty; name the folder to write the model to.")
    path = Path(out)
    check_replaceable(path, kind, force)
    parent = _existing_parent(path)
    if not parent.is_dir():
        raise UsageError(f"Cannot write {out}: {parent} is a file, not a folder; choose "
                         "another --out.")  # fmt: skip
    try:
        Path(tempfile.mkdtemp(prefix=".diaphane-write-test-", dir=parent)).rmdir()
    except OSError as err:
        raise UsageError(f"Cannot write {out}: {parent} does not let diaphane create files "
                         f"there ({err.strerror}); choose another --out.") from None  # fmt: skip
    return path


def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


# ----------------------------------------------------------------------------- resume


def resume_message(err: Any, folder: Any, option_of: dict[str, str]) -> str:
    """A refused ``--resume`` in the options' own names (``--width 16 there, 32 now``)."""
    parts = []
    for key, old, new in err.differences:
        leaf = key.rsplit(".", 1)[-1]
        name = option_of.get(leaf) or f"--{leaf.replace('_', '-')}"
        if "fingerprint" in leaf or leaf.endswith("tokens") or leaf == "nonzeros":
            name = "--corpus (the training data)"
        parts.append(f"{name}: {_shown(old)} in the checkpoint, {_shown(new)} now")
    shown = "; ".join(dict.fromkeys(parts))
    return (f"Cannot --resume {folder}: it was written with other settings or data ({shown}). "
            "Resume with the checkpoint's settings, or start afresh: drop --resume and "
            f"remove {folder}.")  # fmt: skip


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:10] + "..."
