"""Checkpoints: a parameter tree, optimiser state and training state in one folder.

A checkpoint folder holds ``model.safetensors`` (the parameter tree, nested dict
keys joined with ``.``), ``optimizer.safetensors`` (the arrays of the optimiser
state) and ``config.json`` (everything else: the caller's config, the training
state, the optimiser state's structure and scalars, and the sha256 of each
array file). No pickle anywhere.

Writes are atomic: the new folder is written in full beside the old one, then
swapped in with two renames. A failure while writing leaves the previous
checkpoint untouched; a crash between the two renames leaves it as
``FOLDER.old``, which :func:`load_checkpoint` finds and uses.

Entry points: :func:`save_checkpoint`, :func:`load_checkpoint`, :class:`Checkpoint`,
:func:`flatten_params`, :func:`unflatten_params`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "flatten_params",
    "load_checkpoint",
    "read_config",
    "save_checkpoint",
    "unflatten_params",
]

log = logging.getLogger(__name__)

FORMAT = "diaphane-checkpoint/1"
MODEL_FILE = "model.safetensors"
OPTIM_FILE = "optimizer.safetensors"
CONFIG_FILE = "config.json"


class CheckpointError(DiaphaneError):
    """A checkpoint that is missing, incomplete or corrupt."""


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns."""

    params: dict
    opt_state: Any = None
    train_state: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    path: Path | None = None


# ----------------------------------------------------------------------------- trees


def flatten_params(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """A nested dict of arrays as one flat dict with ``.``-joined keys.

    >>> flatten_params({"out": {"W": np.zeros(1)}, "b": np.ones(1)})
    {'out.W': array([0.]), 'b': array([1.])}
    """
    flat: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        if not isinstance(key, str) or "." in key or not key:
            raise CheckpointError(
                f"Parameter names must be non-empty strings without '.', not {key!r}."
            )
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_params(value, name + "."))
        else:
            flat[name] = np.asarray(value)
    return flat


def unflatten_params(flat: dict[str, np.ndarray]) -> dict:
    """Undo :func:`flatten_params`."""
    tree: dict = {}
    for name, value in flat.items():
        *parents, leaf = name.split(".")
        node = tree
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return tree


def _encode_state(state: Any, arrays: dict[str, np.ndarray], path: str = "s") -> Any:
    """A JSON skeleton of any tree of arrays and scalars; arrays go to ``arrays``."""
    if isinstance(state, dict):
        return {"dict": {str(k): _encode_state(v, arrays, f"{path}.{k}") for k, v in state.items()}}
    if isinstance(state, list | tuple):
        kind = "list" if isinstance(state, list) else "tuple"
        return {kind: [_encode_state(v, arrays, f"{path}.{i}") for i, v in enumerate(state)]}
    if state is None or isinstance(state, bool | str):
        return {"value": state}
    if isinstance(state, np.ndarray):
        arrays[path] = np.array(state, order="C")  # ascontiguousarray would make 0-d 1-d
        return {"array": path}
    if isinstance(state, int | np.integer):
        return {"int": int(state)}
    if isinstance(state, float | np.floating):
        return {"float": float(state), "dtype": str(np.result_type(state))}
    if hasattr(state, "indices") and hasattr(state, "values"):  # sparse rows never persist
        raise CheckpointError("Optimiser state holds sparse rows; densify it before saving.")
    raise CheckpointError(f"Cannot store a {type(state).__name__} in a checkpoint.")


def _decode_state(skeleton: Any, arrays: dict[str, np.ndarray]) -> Any:
    (kind, value), *_ = skeleton.items()
    if kind == "dict":
        return {k: _decode_state(v, arrays) for k, v in value.items()}
    if kind in ("list", "tuple"):
        items = [_decode_state(v, arrays) for v in value]
        return items if kind == "list" else tuple(items)
    if kind == "array":
        return arrays[value]
    if kind == "int":
        return value
    if kind == "float":
        return np.dtype(skeleton["dtype"]).type(value)
    return value


# ----------------------------------------------------------------------------- saving


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save

    # Bytes written by Python get the usual permissions (save_file's file is owner-only).
    path.write_bytes(save({k: np.require(v, requirements="C") for k, v in arrays.items()}))


def _write_folder(folder: Path, params, opt_state, train_state, config) -> None:
    _write_arrays(folder / MODEL_FILE, flatten_params(params))
    opt_arrays: dict[str, np.ndarray] = {}
    files = [MODEL_FILE]
    meta: dict[str, Any] = {"format": FORMAT, "train_state": train_state}
    if opt_state is not None:
        meta["optimizer_state"] = _encode_state(opt_state, opt_arrays)
    if opt_arrays:
        _write_arrays(folder / OPTIM_FILE, opt_arrays)
        files.append(OPTIM_FILE)
    meta["sha256"] = {name: _sha256(folder / name) for name in files}
    text = json.dumps({**config, "checkpoint": meta}, indent=2)
    (folder / CONFIG_FILE).write_text(text + "\n", encoding="utf-8")
    for name in [*files, CONFIG_FILE]:
        _fsync(folder / name)


def save_checkpoint(
    folder: str | os.PathLike,
    params: dict,
    opt_state: Any = None,
    train_state: dict | None = None,
    config: dict | None = None,
    extra_files: dict[str, str | Callable[[Path], Any]] | None = None,
) -> Path:
    """Write a checkpoint folder atomically, replacing any checkpoint already there.

    Args:
        folder: the checkpoint folder to (re)write.
        params: nested dict of arrays.
        opt_state: the optimiser state, any tree of arrays and scalars.
        train_state: JSON-serialisable training progress (step, epoch, ...).
        config: JSON-serialisable description (model kind, hyperparameters, ...),
            written at the top level of ``config.json``.
        extra_files: more files for the folder: ``{name: text}``, or ``{name: write}``
            where ``write(path)`` writes the file (``{"vocab.txt": vocab.save}``).

    Returns:
        The folder's path.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would make the saved model private
        _write_folder(tmp, params, opt_state, dict(train_state or {}), dict(config or {}))
        for name, content in (extra_files or {}).items():
            if callable(content):
                content(tmp / name)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        _swap_in(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _swap_in(new: Path, folder: Path) -> None:
    old = folder.with_name(folder.name + ".old")
    if old.exists() and folder.exists():
        shutil.rmtree(old)  # a leftover from an earlier crash; `folder` is complete
    if folder.exists():
        os.rename(folder, old)
    os.rename(new, folder)
    shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- loading


def _read_arrays(path: Path, expected_sha: str | None) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    if not path.is_file():
        raise CheckpointError(
            f"Checkpoint file {path} is missing; the checkpoint is incomplete. "
            "Resume from another checkpoint or start training afresh."
        )
    if expected_sha is not None and _sha256(path) != expected_sha:
        raise CheckpointError(
            f"Checkpoint file {path} is corrupt (its sha256 does not match config.json). "
            "Delete the folder and resume from another checkpoint, or start afresh."
        )
    try:
        return load_file(str(path))
    except Exception as err:
        raise CheckpointError(
            f"Cannot read {path}: {err}. The file is damaged; delete the folder and "
            "resume from another checkpoint, or start afresh."
        ) from err


def read_config(folder: str | os.PathLike) -> dict:
    """The parsed ``config.json`` of a model or checkpoint folder, with clear errors."""
    path = Path(folder) / CONFIG_FILE
    if not Path(folder).is_dir():
        raise CheckpointError(f"No model or checkpoint folder at {folder}; check the path.")
    if not path.is_file():
        raise CheckpointError(
            f"{path} is missing, so {folder} is not a complete model or checkpoint folder. "
            "Point at a folder written by diaphane (it holds config.json and model.safetensors)."
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(
            f"{path} is not valid JSON ({err}); the folder is damaged. "
            "Delete it and use another checkpoint, or train afresh."
        ) from err
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} should hold a JSON object; the folder is damaged.")
    return config


def _resolve(folder: Path) -> Path:
    old = folder.with_name(folder.name + ".old")
    if not folder.exists() and old.is_dir():
        log.warning("Using %s: a checkpoint write was interrupted before it completed.", old)
        return old
    return folder


def load_checkpoint(folder: str | os.PathLike) -> Checkpoint:
    """Read a folder written by :func:`save_checkpoint` (or a model folder: params only).

    Raises:
        CheckpointError: the folder or one of its files is missing or corrupt; the
            message names the file and what to do.
    """
    folder = _resolve(Path(folder))
    config = read_config(folder)
    meta = config.pop("checkpoint", {})
    sha = meta.get("sha256", {})
    params = unflatten_params(_read_arrays(folder / MODEL_FILE, sha.get(MODEL_FILE)))
    opt_state = None
    if "optimizer_state" in meta:
        arrays = _read_arrays(folder / OPTIM_FILE, sha[OPTIM_FILE]) if OPTIM_FILE in sha else {}
        try:
            opt_state = _decode_state(meta["optimizer_state"], arrays)
        except (KeyError, AttributeError, ValueError, TypeError) as err:
            raise CheckpointError(
                f"The optimiser state in {folder / CONFIG_FILE} does not match "
                f"{folder / OPTIM_FILE}; the checkpoint is damaged. Start afresh."
            ) from err
    return Checkpoint(params, opt_state, meta.get("train_state", {}), config, folder)
