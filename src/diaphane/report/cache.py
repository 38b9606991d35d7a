"""The report's model cache: models a run trained, keyed by what they depend on.

A model is stored under ``<cache>/report/<kind>-<key>/`` where ``key`` is a hash of
the corpus fingerprints, the model's settings, the seed and diaphane's version, so a
later run with the same data and settings loads it instead of training again, and
any change (another corpus, another setting, a new diaphane) trains afresh. Entries
are written beside their final name and renamed into place, so an interrupted run
leaves no half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diaphane import __version__

__all__ = ["cache_root", "entry_key", "lookup", "store"]


def cache_root() -> Path:
    """``<diaphane cache>/report`` (``DIAPHANE_HOME``, else the XDG cache)."""
    from diaphane.text.fetch import cache_dir

    return cache_dir() / "report"


def entry_key(kind: str, depends_on: Any) -> str:
    """A short stable hash of what a model depends on (JSON, keys sorted)."""
    text = json.dumps(
        {"kind": kind, "version": __version__, "on": depends_on}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _folder(kind: str, depends_on: Any) -> Path:
    return cache_root() / f"{kind}-{entry_key(kind, depends_on)}"


def lookup(kind: str, depends_on: Any) -> Path | None:
    """The cached model folder for these dependencies, or None."""
    folder = _folder(kind, depends_on)
    return folder if (folder / "config.json").is_file() else None


def store(kind: str, depends_on: Any, save: Callable[[Path], Any]) -> Path | None:
    """Save a model into the cache with ``save(folder)``; returns the entry, or None
    when the cache cannot be written (the run goes on without it)."""
    folder = _folder(kind, depends_on)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        save(tmp)
        if folder.exists():  # another run stored the same entry meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    return folder
