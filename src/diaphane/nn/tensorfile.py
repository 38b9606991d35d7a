"""Reading and writing safetensors files, checking every byte of the layout first.

A safetensors file is an 8-byte little-endian header size, a JSON header naming each
tensor's dtype, shape and byte range, then the data. :func:`read_tensors` checks the
header size against the file before reading it (a "huge" header allocates nothing),
then checks each entry — a known dtype, a shape of non-negative integers, a byte range
inside the data whose length matches the shape, no two ranges overlapping — and only
then makes arrays. Any problem is one :class:`~diaphane.errors.ModelFileError` naming
the file, what is wrong and what to do. bfloat16 tensors are widened to float32.

Entry points: :func:`read_tensors`, :func:`write_tensors`, :func:`tensor_bytes`.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
from pathlib import Path

import numpy as np

from diaphane.errors import ModelFileError

__all__ = ["DTYPES", "read_tensors", "tensor_bytes", "write_tensors"]

# The format's own limit on the header (safetensors refuses bigger ones too).
MAX_HEADER = 100 * 1024 * 1024
DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}  # fmt: skip
METADATA = {"format": "pt"}  # transformers refuses safetensors files without it


class _Bad(Exception):
    """What is wrong with a file, before the path and the advice are added."""


def read_tensors(
    path: str | os.PathLike, fix: str = "", finite: bool = True
) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as a NumPy array, after checking the layout.

    Args:
        path: the file.
        fix: what the user should do about a damaged file (the end of the message).
        finite: refuse floating-point tensors holding NaN or infinity.

    Raises:
        ModelFileError: the file is missing, truncated, not safetensors, or its header
            does not match its data; the message names the file and the tensor.
    """
    path = Path(path)
    fix = fix or "the file is damaged; restore it or write it again"
    if not path.is_file():
        raise ModelFileError(f"{path} is missing; {fix}.")
    try:
        tensors = _parse(_read(path))
        if finite:
            _check_finite(tensors)
    except _Bad as err:
        raise ModelFileError(f"{path} is not a valid safetensors file ({err}); {fix}.") from None
    except OSError as err:
        raise ModelFileError(f"Cannot read {path} ({err.strerror or err}); {fix}.") from None
    return tensors


def _read(path: Path) -> bytearray:
    # Into a bytearray, so the arrays made over it are writable without a second copy.
    with open(path, "rb") as f:
        raw = bytearray(os.fstat(f.fileno()).st_size)
        n = f.readinto(raw)
    return raw[:n] if n < len(raw) else raw


def _parse(raw: bytearray) -> dict[str, np.ndarray]:
    if len(raw) < 8:
        raise _Bad(f"it is {len(raw)} bytes long, shorter than the 8-byte header size")
    (size,) = struct.unpack("<Q", raw[:8])
    if size > min(len(raw) - 8, MAX_HEADER):
        raise _Bad(f"its header claims {size:,} bytes but the file has {len(raw) - 8:,} after it")
    try:
        header = json.loads(raw[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise _Bad(f"its header is not JSON: {err}") from None
    if not isinstance(header, dict):
        raise _Bad("its header is not a JSON object")
    data = memoryview(raw)[8 + size :]
    header.pop("__metadata__", None)
    specs = {name: _spec(name, spec, len(data)) for name, spec in header.items()}
    _check_overlaps(specs)
    return {name: _array(data, *spec) for name, spec in specs.items()}


def _spec(name: str, spec: object, n_data: int) -> tuple[str, tuple[int, ...], int, int]:
    if not isinstance(spec, dict):
        raise _Bad(f"tensor {name!r} has no dtype/shape/data_offsets entry")
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if dtype not in DTYPES:
        raise _Bad(f"tensor {name!r} has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_natural(s) for s in shape):
        raise _Bad(f"tensor {name!r} has shape {shape!r}, not a list of sizes >= 0")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_natural, offsets))):
        raise _Bad(f"tensor {name!r} has data_offsets {offsets!r}, not two byte positions")
    start, end = offsets
    if not start <= end <= n_data:
        raise _Bad(f"tensor {name!r} lies at bytes {start}-{end}, past the data's {n_data}")
    need = int(np.prod(shape, dtype=object)) * np.dtype(DTYPES[dtype]).itemsize
    if need != end - start:
        raise _Bad(f"tensor {name!r} of shape {shape} needs {need} bytes, not {end - start}")
    return dtype, tuple(shape), start, end


def _natural(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _check_overlaps(specs: dict[str, tuple]) -> None:
    ranges = sorted((start, end, name) for name, (_, _, start, end) in specs.items())
    for (_, end, name), (start, _, other) in itertools.pairwise(ranges):
        if start < end:
            raise _Bad(f"tensors {name!r} and {other!r} share bytes")


def _array(data: memoryview, dtype: str, shape: tuple[int, ...], start: int, end: int):
    arr = np.frombuffer(data[start:end], dtype=DTYPES[dtype]).reshape(shape)
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    return arr


def _check_finite(tensors: dict[str, np.ndarray]) -> None:
    for name, arr in tensors.items():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise _Bad(f"tensor {name!r} holds NaN or infinity")


def tensor_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    """A safetensors file's bytes for ``tensors`` (C-contiguous copies where needed)."""
    from safetensors.numpy import save

    arrays = {k: np.require(v, requirements="C") for k, v in tensors.items()}
    return save(arrays, metadata=METADATA)


def write_tensors(path: str | os.PathLike, tensors: dict[str, np.ndarray]) -> Path:
    """Write ``tensors`` to ``path`` (a new file: callers write inside a temporary folder)."""
    path = Path(path)
    # Bytes written by Python get the usual permissions (save_file's file is owner-only).
    path.write_bytes(tensor_bytes(tensors))
    return path
