"""Writing files and folders so that nothing half-written is ever left behind.

Every file diaphane writes goes to a temporary name in the same folder and is
renamed into place once complete (``os.replace`` is atomic on one filesystem); on
any failure the temporary file is removed and what was there before stays. A
folder is written whole beside its place (:func:`temp_folder`) and swapped in by
:func:`swap_in_folder`: one atomic exchange of the two names where the system
has it (Linux ``renameat2``), else two renames.

Temporary names carry the writing process's id (``.NAME.tmp-PID-XXXX``,
``.NAME.PID.TID.tmp``), so :func:`remove_stale_temps` can clear what a killed run
of diaphane left, and nothing else: never a file someone else named.

Entry points: :func:`atomic_open`, :func:`write_atomic`, :func:`temp_folder`,
:func:`swap_in_folder`, :func:`recover_folder`, :func:`remove_stale_temps`,
:func:`csv_cell`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_open",
    "csv_cell",
    "make_parent",
    "recover_folder",
    "remove_made",
    "remove_stale_temps",
    "swap_in_folder",
    "temp_folder",
    "write_atomic",
]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    The file is created normally (not with ``mkstemp``), so it gets the usual
    permissions under the user's umask.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_open(target, "w") as f:
    ...     _ = f.write("done")
    >>> target.read_text()
    'done'
    """
    if "w" not in mode:
        raise ValueError(f"atomic_open writes files; mode {mode!r} has no 'w'")
    path = Path(path)
    made = make_parent(path)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, mode.replace("w", "x"), **kwargs) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        remove_made(made)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; returns the path."""
    if isinstance(data, str):
        with atomic_open(path, "w", encoding="utf-8") as f:
            f.write(data)
    else:
        with atomic_open(path, "wb") as f:
            f.write(data)
    return Path(path)


def make_parent(path: Path) -> list[Path]:
    """Create the folders above ``path``; returns the ones it created, outermost first
    (so a write that fails can remove them again: see :func:`remove_made`).

    Raises:
        UsageError: a part of the path above ``path`` is a file.
    """
    from diaphane.errors import UsageError

    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()][::-1]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in [path.parent, *path.parent.parents] if p.is_file()), None)
        raise UsageError(
            f"Cannot write {path}: {blocker or path.parent} is a file, not a folder; choose "
            "another path."
        ) from None
    return missing


def remove_made(folders: list[Path]) -> None:
    """Remove the folders :func:`make_parent` made that are still empty, innermost first."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


# ----------------------------------------------------------------------------- folders


def temp_folder(folder: Path) -> tuple[Path, list[Path]]:
    """A new, empty folder beside ``folder`` to write its next version in (mode 0755),
    and the folders above it that had to be made (see :func:`make_parent`)."""
    made = make_parent(folder)
    recover_folder(folder)
    remove_stale_temps(folder)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-{os.getpid()}-", dir=folder.parent))
    except BaseException:
        remove_made(made)
        raise
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would make the saved model private
    return tmp, made


def swap_in_folder(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` in ``folder``'s place; the old one is removed.

    With an atomic exchange there is no moment without a complete ``folder``; without
    one, a crash between the two renames leaves the old version in a temporary folder
    beside it, which :func:`recover_folder` puts back.
    """
    if folder.is_dir() and not folder.is_symlink() and _exchange(new, folder):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old version
        return
    if folder.exists() or folder.is_symlink():
        prefix = f".{folder.name}.tmp-{os.getpid()}-"
        keep = Path(tempfile.mkdtemp(prefix=prefix, dir=folder.parent))
        os.rename(folder, keep / OLD)
        os.rename(new, folder)
        shutil.rmtree(keep, ignore_errors=True)
        return
    os.rename(new, folder)


OLD = "old"


def recover_folder(folder: Path) -> Path | None:
    """Put back the previous version of a missing ``folder`` that a crash between two
    renames left in one of our temporary folders (or, from older diaphane, as
    ``FOLDER.old``); returns the folder when it did."""
    if folder.exists():
        return None
    legacy = folder.with_name(folder.name + ".old")
    candidates = [legacy] if legacy.is_dir() else []
    pattern = _temp_pattern(folder.name)
    with contextlib.suppress(OSError):
        candidates += [
            p / OLD for p in folder.parent.iterdir()
            if pattern.match(p.name) and (p / OLD).exists()
        ]  # fmt: skip
    if not candidates:
        return None
    chosen = max(candidates, key=lambda p: p.stat().st_mtime)
    os.rename(chosen, folder)
    if chosen.name == OLD:
        shutil.rmtree(chosen.parent, ignore_errors=True)  # our temporary folder, now empty
    return folder


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False when the
    system cannot (another OS, an old kernel or filesystem)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


# ".NAME.tmp-PID-XXXXXXXX" (folders) and ".NAME.PID.TID.tmp" (files) are ours.
def _temp_pattern(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(rf"^\.{n}\.(?:tmp-(?P<p1>\d+)-[A-Za-z0-9_]{{8}}|(?P<p2>\d+)\.\d+\.tmp)$")


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files and folders a killed diaphane left beside ``path``
    (their writer's process is gone); returns what was removed. Others' files stay."""
    pattern, removed = _temp_pattern(path.name), []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or _alive(int(m.group("p1") or m.group("p2"))):
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


# ----------------------------------------------------------------------------- CSV


def csv_cell(text: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``,
    ``@`` (or a tab or carriage return) would run as a formula, so it gets a leading
    apostrophe, which spreadsheets hide (OWASP's advice against CSV injection).

    >>> csv_cell("=1+1"), csv_cell("cat")
    ("'=1+1", 'cat')
    """
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{text}"
    return text
