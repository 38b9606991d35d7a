"""The one folder format every diaphane model and checkpoint is written in, and its rules.

A model folder holds ``config.json`` and ``model.safetensors``, and the model's
own text files (``vocab.txt``, ``tokenizer.json``). ``config.json`` says:

- ``"kind"``: ``ngram``, ``nplm``, ``glove``, ``ppmi``, ``sentiment`` or ``gpt``;
- ``"format"``: the version of this layout (:data:`FORMAT`). Folders without it are
  format 1 (diaphane 0.1 before formats were numbered) and still load; a folder of a
  higher format was written by a newer diaphane and is refused with that said;
- ``"diaphane_version"``, ``"hyperparameters"`` (for GPT, Hugging Face's
  ``GPT2Config`` keys at the top level instead, so transformers loads the folder too),
  the training data, and ``"checkpoint"``: the sha256 of every array file and, in
  training checkpoints, the training and optimiser state.

Rules kept here, for every kind: a file a model names is a plain name inside its
folder (:func:`member`); a write replaces only an empty folder or a diaphane folder
of the same kind, unless forced (:func:`check_replaceable`).

Entry points: :func:`read_config`, :func:`check_format`, :func:`folder_kind`,
:func:`member`, :func:`check_replaceable`, :data:`FORMAT`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from diaphane.errors import ModelFileError, UsageError

__all__ = [
    "CONFIG_FILE",
    "FORMAT",
    "CheckpointError",
    "check_format",
    "check_replaceable",
    "folder_kind",
    "member",
    "read_config",
]

FORMAT = 2
CONFIG_FILE = "config.json"
BLOCK_FORMAT = "diaphane-checkpoint/1"  # the "checkpoint" block of format-1 folders
RETRAIN = "restore the folder from a copy, or train the model again"


class CheckpointError(ModelFileError):
    """A checkpoint or model folder that is missing, incomplete or corrupt."""


def read_config(folder: str | os.PathLike) -> dict:
    """The parsed ``config.json`` of a model or checkpoint folder, with clear errors."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not folder.is_dir():
        what = "it is a file, not a folder" if folder.exists() else "nothing is there"
        raise CheckpointError(
            f"No model or checkpoint folder at {folder} (no config.json: {what}); check the "
            "path: a model folder holds config.json and model.safetensors."
        )
    if not path.is_file():
        raise CheckpointError(
            f"{path} is missing, so {folder} is not a complete model or checkpoint folder; "
            "point at a folder written by diaphane (it holds config.json and model.safetensors)."
        )
    try:
        config = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}); {RETRAIN}.") from None
    except OSError as err:
        reason = err.strerror or err
        raise CheckpointError(f"Cannot read {path} ({reason}); check its permissions.") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} should hold a JSON object, not a {type(config).__name__}; "
                             f"{RETRAIN}.")  # fmt: skip
    return config


def folder_kind(config: dict) -> str | None:
    """The model kind a ``config.json`` declares (GPT folders also say it under ``diaphane``)."""
    kind = config.get("kind")
    if kind is None and isinstance(config.get("diaphane"), dict):
        kind = config["diaphane"].get("kind")
    return kind if isinstance(kind, str) else None


def is_diaphane(config: dict) -> bool:
    """Whether a ``config.json`` was written by diaphane (not, say, Hugging Face)."""
    return any(key in config for key in ("checkpoint", "diaphane_version", "diaphane", "format"))


def check_format(config: dict, folder: str | os.PathLike) -> int:
    """The folder's format version; a newer, unknown or damaged one is refused.

    Raises:
        ModelFileError: the folder comes from a newer diaphane, or its format is nonsense.
    """
    from diaphane import __version__

    fmt = config.get("format", 1) if is_diaphane(config) else 1
    block = config.get("checkpoint")
    if isinstance(block, dict) and block.get("format", BLOCK_FORMAT) != BLOCK_FORMAT:
        fmt = max(fmt, FORMAT + 1) if isinstance(fmt, int) else fmt
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise CheckpointError(
            f"{Path(folder) / CONFIG_FILE} gives the folder format {fmt!r}, which no diaphane "
            f"writes; {RETRAIN}."
        )
    if fmt > FORMAT:
        raise CheckpointError(
            f"{folder} was written by a newer diaphane, in folder format {fmt} (says its "
            f"{CONFIG_FILE}); this diaphane ({__version__}) reads formats 1 to {FORMAT}. "
            "Upgrade diaphane (pip install -U diaphane) to open it, or train the model again "
            "with this version."
        )
    return fmt


def member(folder: str | os.PathLike, name: object, what: str = "a file") -> Path:
    """The path of a file a model names, which must be a plain name inside its folder.

    >>> member("m", "vocab.txt").as_posix()
    'm/vocab.txt'

    Raises:
        ModelFileError: the name is absolute, climbs out (``..``) or is not a name.
    """
    folder = Path(folder)
    ok = isinstance(name, str) and name not in ("", ".", "..")
    if ok and ("/" in name or "\\" in name or "\0" in name or Path(name).is_absolute()):
        ok = False
    if not ok:
        raise CheckpointError(
            f"{folder / CONFIG_FILE} names {what} {name!r}, which is not a file inside the "
            "model folder; a model's files are plain names in its own folder (e.g. "
            f'"vocab.txt"). Fix config.json, or {RETRAIN}.'
        )
    return folder / str(name)


def check_replaceable(folder: str | os.PathLike, kind: str | None, force: bool = False) -> None:
    """Refuse to write over anything but an empty folder or a diaphane ``kind`` folder.

    Args:
        folder: where a model or checkpoint is about to be written.
        kind: the kind about to be written (None: any diaphane folder may be replaced).
        force: replace whatever is there (a folder the current directory is in, never).

    Raises:
        UsageError: ``folder`` is a file, a folder of other things, or another model kind.
    """
    folder = Path(folder)
    _check_not_cwd(folder)
    if force or not (folder.exists() or folder.is_symlink()):
        return
    if folder.is_dir() and not folder.is_symlink():
        if not any(folder.iterdir()):
            return
        found = _diaphane_kind(folder)
        if found is not None and (kind is None or found in (kind, "")):
            return
        what = (f"holds {_a(found)} model, not {_a(kind)} one" if found else
                f"is a folder of other files ({_some_names(folder)})")  # fmt: skip
    else:
        what = "is a file, not a model folder"
    raise UsageError(
        f"{folder} {what}; diaphane only replaces {_a(kind or 'diaphane')} model folder it "
        "wrote. Choose another --out, or pass --force to replace it."
    )


def _a(word: str | None) -> str:
    return f"an {word}" if str(word)[:1] in "aeiou" or word == "ngram" else f"a {word}"


def _check_not_cwd(folder: Path) -> None:
    try:
        here, target = Path.cwd().resolve(), folder.resolve()
    except (RuntimeError, OSError):  # a symlink loop: Python 3.11 raises RuntimeError
        raise UsageError(
            f"Cannot write a model to {folder}: it is a symbolic link that leads back to "
            "itself (a loop). Remove the link, or choose another --out."
        ) from None
    if target == here or target in here.parents:
        raise UsageError(
            f"Cannot write a model to {folder}: it is the folder you are in (or holds it), "
            "which cannot be swapped out whole. Name a new folder, e.g. --out models/mine."
        )


def _diaphane_kind(folder: Path) -> str | None:
    """The kind of a diaphane folder ("" for a kind-less checkpoint), else None."""
    try:
        config = json.loads((folder / CONFIG_FILE).read_bytes().decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(config, dict) or not is_diaphane(config):
        return None
    return folder_kind(config) or ""


def _some_names(folder: Path, n: int = 3) -> str:
    names = sorted(p.name for p in folder.iterdir())
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")
