"""Checking what a model folder holds against what its ``config.json`` says.

Every loader builds its settings with :func:`settings_from` (each value of the type
the settings class declares, the class's own checks run) and checks the arrays with
:func:`check_tensors` (each expected tensor there, of the expected shape and kind of
number). A mismatch is one :class:`~diaphane.errors.ModelFileError` naming the file,
the entry and what was expected, so a damaged or hand-edited folder never loads as
a model that silently computes nonsense.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.errors import DiaphaneError, ModelFileError

__all__ = ["check_tensors", "damaged", "settings_from"]

RETRAIN = "restore the folder from a copy, or train the model again"
# dtype kinds: "f" floating point, "i" signed or unsigned integers, "b" booleans.
KIND_NAMES = {"f": "floating-point", "i": "integer", "b": "boolean"}


def damaged(path: Path, what: str) -> ModelFileError:
    """The error for a model file that does not hold what it should."""
    return ModelFileError(f"{path}: {what}; the folder is damaged: {RETRAIN}.")


def settings_from(
    cls: type, values: object, config_path: Path, key: str, required: tuple[str, ...] = ()
) -> Any:
    """An instance of the dataclass ``cls`` from ``config.json``'s object ``key``.

    Unknown keys are ignored (settings a later diaphane may add); a missing key takes
    the class's default, unless it is ``required`` (the sizes the arrays are checked
    against); a value of the wrong type, or one the class refuses, is an error.

    Raises:
        ModelFileError: ``values`` is not an object, or a setting is of the wrong type.
    """
    if not isinstance(values, dict):
        raise damaged(config_path, f"{key or 'it'!r} should be a JSON object, not {_show(values)}")
    missing = [name for name in required if name not in values]
    if missing:
        label = f"{key}.{missing[0]}" if key else missing[0]
        raise damaged(config_path, f"it lacks the setting {label}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            if not _fits(values[f.name], hints[f.name]):
                label = f"{key}.{f.name}" if key else f.name
                raise damaged(config_path, f"{label} is {_show(values[f.name])}, not a "
                                           f"{_type_name(hints[f.name])}")  # fmt: skip
            kwargs[f.name] = values[f.name]
    try:
        return cls(**kwargs)
    except (DiaphaneError, TypeError, ValueError) as err:
        raise damaged(config_path, f"its {key or 'settings'} cannot be used ({err})") from None


def _fits(value: object, hint: Any) -> bool:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok and math.isfinite(value)  # type: ignore[arg-type]
    if hint is str:
        return isinstance(value, str)
    origin = typing.get_origin(hint) or hint
    return isinstance(value, origin) if isinstance(origin, type) else True


def _type_name(hint: Any) -> str:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    return {type(None): "null", int: "whole number", float: "finite number"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_tensors(
    path: Path, tensors: dict, expected: dict[str, tuple[tuple[int | None, ...], str]]
) -> None:
    """Check that each expected tensor is there, an array of the expected shape (None:
    any size on that axis) and kind of number (``"f"``, ``"i"``, ``"b"``).

    Raises:
        ModelFileError: a tensor is missing, or of another shape or kind.
    """
    for name, (shape, kind) in expected.items():
        value = _lookup(tensors, name)
        if not isinstance(value, np.ndarray):
            raise damaged(path, f"it lacks the tensor {name}, which the settings in "
                                "config.json call for")  # fmt: skip
        found = "iu" if kind == "i" else kind
        fits = len(value.shape) == len(shape) and all(
            want is None or want == got for want, got in zip(shape, value.shape, strict=True)
        )
        if value.dtype.kind not in found or not fits:
            want = "x".join("?" if s is None else str(s) for s in shape) or "scalar"
            raise damaged(path, f"tensor {name} is {value.dtype} of shape {value.shape}, but "
                                f"config.json and vocab.txt call for a {want} "
                                f"{KIND_NAMES[kind]} array")  # fmt: skip


def _lookup(tree: dict, name: str) -> object:
    node: object = tree
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
