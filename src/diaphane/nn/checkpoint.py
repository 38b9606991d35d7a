"""Checkpoints: a parameter tree, optimiser state and training state in one folder.

A checkpoint folder holds ``model.safetensors`` (the parameter tree, nested dict
keys joined with ``.``), ``optimizer.safetensors`` (the arrays of the optimiser
state) and ``config.json`` (everything else: the caller's config, the training
state, the optimiser state's structure and scalars, and the sha256 of each
array file). No pickle anywhere.

The folder's layout and rules (format version, kinds, member paths, what may be
replaced) are :mod:`diaphane.nn.model_folder`'s; every model kind is written and
read through :func:`save_checkpoint` and :func:`load_checkpoint`.

Writes are atomic: the new folder is written in full beside the old one, then
swapped in (:func:`diaphane.files.swap_in_folder`). A failure while writing
leaves the previous checkpoint untouched, and so does a kill at any moment.
Reads check every file against the sha256 ``config.json`` records, and the
safetensors layout before a byte of it becomes an array
(:mod:`diaphane.nn.tensorfile`); weights holding NaN or infinity are never written.

Entry points: :func:`save_checkpoint`, :func:`load_checkpoint`, :class:`Checkpoint`,
:func:`flatten_params`, :func:`unflatten_params`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.errors import ModelFileError
from diaphane.files import recover_folder, remove_made, swap_in_folder, temp_folder
from diaphane.nn.model_folder import (
    CONFIG_FILE,
    FORMAT,
    CheckpointError,
    check_format,
    check_replaceable,
    folder_kind,
    member,
    read_config,
)
from diaphane.nn.tensorfile import read_tensors, write_tensors

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "flatten_params",
    "load_checkpoint",
    "read_config",
    "recorded_sha256",
    "save_checkpoint",
    "unflatten_params",
    "verify_files",
]

log = logging.getLogger(__name__)

MODEL_FILE = "model.safetensors"
OPTIM_FILE = "optimizer.safetensors"
DAMAGED = (
    "delete the folder and resume from another checkpoint, or start afresh (for a "
    "model folder: restore it from a copy, or train the model again)"
)


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
    """Undo :func:`flatten_params`.

    Raises:
        CheckpointError: the names do not form a tree (``a`` and ``a.b`` both, or
            an empty part), as no file :func:`save_checkpoint` wrote can hold.
    """
    tree: dict = {}
    for name, value in flat.items():
        *parents, leaf = name.split(".")
        node = tree
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        if not isinstance(node, dict) or not all([*parents, leaf]) or leaf in node:
            raise CheckpointError(f"The tensor names {name!r} and others clash; the file "
                                  "is damaged.")  # fmt: skip
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
    write_tensors(path, arrays)


def _check_finite(flat: dict[str, np.ndarray], folder: Path) -> None:
    for name, value in flat.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise CheckpointError(
                f"Not writing {folder}: parameter {name} holds NaN or infinity, so training "
                "diverged; lower the learning rate and train again."
            )


def _write_folder(folder: Path, final: Path, params, opt_state, train_state, config,
                  extra_files: dict) -> None:  # fmt: skip
    flat = flatten_params(params)
    _check_finite(flat, final)
    _write_arrays(folder / MODEL_FILE, flat)
    opt_arrays: dict[str, np.ndarray] = {}
    files = [MODEL_FILE]
    meta: dict[str, Any] = {"train_state": train_state}
    if opt_state is not None:
        meta["optimizer_state"] = _encode_state(opt_state, opt_arrays)
    if opt_arrays:
        _write_arrays(folder / OPTIM_FILE, opt_arrays)
        files.append(OPTIM_FILE)
    for name, content in extra_files.items():
        target = member(folder, name)
        if callable(content):
            content(target)
        else:
            target.write_text(content, encoding="utf-8")
        files.append(name)
    # Every file's sha256, so a load checks the files against each other.
    meta["sha256"] = {name: _sha256(folder / name) for name in files}
    text = json.dumps({**config, "format": FORMAT, "checkpoint": meta}, indent=2)
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
    force: bool = False,
) -> Path:
    """Write a checkpoint or model folder atomically, replacing one of the same kind.

    Args:
        folder: the folder to (re)write.
        params: nested dict of arrays.
        opt_state: the optimiser state, any tree of arrays and scalars.
        train_state: JSON-serialisable training progress (step, epoch, ...).
        config: JSON-serialisable description (model kind, hyperparameters, ...),
            written at the top level of ``config.json`` with the folder ``format``.
        extra_files: more files for the folder: ``{name: text}``, or ``{name: write}``
            where ``write(path)`` writes the file (``{"vocab.txt": vocab.save}``).
        force: replace ``folder`` whatever it holds (see
            :func:`~diaphane.nn.model_folder.check_replaceable`).

    Returns:
        The folder's path.

    Raises:
        UsageError: ``folder`` holds something other than a diaphane folder of this kind.
        CheckpointError: a parameter holds NaN or infinity; nothing is written.
    """
    folder = Path(folder)
    config = dict(config or {})
    check_replaceable(folder, folder_kind(config), force)
    tmp, made = temp_folder(folder)
    try:
        _write_folder(tmp, folder, params, opt_state, dict(train_state or {}), config,
                      dict(extra_files or {}))  # fmt: skip
        swap_in_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_made(made)  # the folders this write created, when they are empty again
        raise
    return folder


# ----------------------------------------------------------------------------- loading


def _read_arrays(path: Path, expected_sha: str | None) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise CheckpointError(
            f"Checkpoint file {path} is missing; the checkpoint is incomplete. "
            "Resume from another checkpoint or start training afresh."
        )
    if expected_sha is not None and _sha256(path) != expected_sha:
        raise CheckpointError(
            f"Checkpoint file {path} is corrupt (its sha256 does not match config.json). "
            f"{DAMAGED[0].upper()}{DAMAGED[1:]}."
        )
    try:
        return read_tensors(path, DAMAGED)
    except ModelFileError as err:
        raise CheckpointError(f"Cannot read {path}: {err}") from None


def _resolve(folder: Path) -> Path:
    if recover_folder(folder) is not None:
        log.warning("Restored %s: a write was interrupted before it completed.", folder)
    return folder


def _block(config: dict, folder: Path) -> dict:
    meta = config.pop("checkpoint", {})
    sha = meta.get("sha256", {}) if isinstance(meta, dict) else None
    ok = isinstance(sha, dict) and all(isinstance(v, str) for v in sha.values())
    if not ok or not isinstance(meta.get("train_state", {}), dict):
        raise CheckpointError(
            f'The "checkpoint" entry of {folder / CONFIG_FILE} is damaged (it should hold '
            f"sha256 strings and a training state); {DAMAGED}."
        )
    return meta


def load_checkpoint(folder: str | os.PathLike) -> Checkpoint:
    """Read a folder written by :func:`save_checkpoint` (or a model folder: params only).

    Raises:
        CheckpointError: the folder or one of its files is missing or corrupt; the
            message names the file and what to do.
        ModelFileError: the folder comes from a newer diaphane.
    """
    folder = _resolve(Path(folder))
    config = read_config(folder)
    check_format(config, folder)
    config.pop("format", None)
    meta = _block(config, folder)
    sha = meta.get("sha256", {})
    verify_files(folder, {k: v for k, v in sha.items() if k not in (MODEL_FILE, OPTIM_FILE)})
    params = unflatten_params(_read_arrays(folder / MODEL_FILE, sha.get(MODEL_FILE)))
    opt_state = None
    if "optimizer_state" in meta:
        arrays = _read_arrays(folder / OPTIM_FILE, sha[OPTIM_FILE]) if OPTIM_FILE in sha else {}
        try:
            opt_state = _decode_state(meta["optimizer_state"], arrays)
        except (KeyError, AttributeError, ValueError, TypeError, IndexError, RecursionError) as err:
            raise CheckpointError(
                f"The optimiser state in {folder / CONFIG_FILE} does not match "
                f"{folder / OPTIM_FILE}; the checkpoint is damaged. Start afresh."
            ) from err
    return Checkpoint(params, opt_state, meta.get("train_state", {}), config, folder)


def recorded_sha256(config: dict, folder: str | os.PathLike) -> dict[str, str]:
    """The sha256 of each file that a ``config.json`` records (none for other folders)."""
    if "checkpoint" not in config:
        return {}
    return dict(_block(dict(config), Path(folder)).get("sha256", {}))


def verify_files(folder: str | os.PathLike, sha: dict[str, str]) -> None:
    """Check files of a folder against the sha256 its ``config.json`` records.

    Raises:
        CheckpointError: a file is missing or its bytes are not the ones recorded.
    """
    folder = Path(folder)
    for name, expected in sha.items():
        path = member(folder, name)
        if not path.is_file():
            raise CheckpointError(f"{path} is missing, though {folder / CONFIG_FILE} lists it; "
                                  f"the folder is incomplete: {DAMAGED}.")  # fmt: skip
        if _sha256(path) != expected:
            raise CheckpointError(f"{path} is corrupt (its sha256 does not match "
                                  f"{CONFIG_FILE}); {DAMAGED}.")  # fmt: skip
