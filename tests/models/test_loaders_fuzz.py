"""Every loader, fed damaged files, raises a diaphane error, never another exception.

Valid folders of each kind (see ``conftest.py``) are mutated as a careless or hostile
hand would: bytes truncated, flipped or replaced; the safetensors header's dtypes,
shapes and offsets changed; ``config.json`` values replaced by any JSON; lines of
``vocab.txt`` and ``tokenizer.json`` broken. With ``resha`` the sha256 that
``config.json`` records are recomputed, so a mutation reaches the checks behind them.
A load then either succeeds or raises :class:`~diaphane.errors.DiaphaneError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import struct
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diaphane.errors import DiaphaneError, ModelFileError
from diaphane.nn.tensorfile import read_tensors, tensor_bytes
from tests.models.conftest import BUILDERS, loader

KINDS = list(BUILDERS)
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip


def _loads_or_refuses(kind: str, folder: Path) -> None:
    with contextlib.suppress(DiaphaneError):  # the one kind of failure allowed
        loader(kind)(folder)


def _resha(folder: Path) -> None:
    """Recompute the sums config.json records, as a careful tamperer would."""
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        sums = config["checkpoint"]["sha256"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return
    for name in list(sums):
        if (folder / name).is_file():
            sums[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    path.write_text(json.dumps(config), encoding="utf-8")


def _copy(model_folders: dict, kind: str, where: str) -> Path:
    return Path(shutil.copytree(model_folders[kind], Path(where) / "m"))


def _text_file(kind: str) -> str:
    return "tokenizer.json" if kind == "gpt" else "vocab.txt"


# ----------------------------------------------------------------------------- bytes


@st.composite
def byte_damage(draw, size: int):
    """A change to a file of ``size`` bytes: ``(kind, position, payload)``."""
    op = draw(st.sampled_from(["truncate", "flip", "insert", "replace"]))
    pos = draw(st.integers(0, max(size - 1, 0)))
    payload = draw(st.binary(min_size=1, max_size=16))
    return op, pos, payload


def _damage(path: Path, change) -> None:
    op, pos, payload = change
    raw = bytearray(path.read_bytes())
    if op == "truncate":
        raw = raw[:pos]
    elif op == "flip":
        raw[pos] ^= payload[0] or 1
    elif op == "insert":
        raw[pos:pos] = payload
    else:
        raw = bytearray(payload)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data(), resha=st.booleans())
def test_damaged_bytes_of_any_file(model_folders, kind, data, resha):
    name = data.draw(st.sampled_from(["model.safetensors", "config.json", _text_file(kind)]))
    with tempfile.TemporaryDirectory() as where:
        folder = _copy(model_folders, kind, where)
        _damage(folder / name, data.draw(byte_damage((folder / name).stat().st_size)))
        if resha:
            _resha(folder)
        _loads_or_refuses(kind, folder)


# ----------------------------------------------------------------------------- safetensors


def _header(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


SPEC_CHANGES = {
    "dtype": st.sampled_from(["F32", "F64", "I32", "I64", "U8", "BOOL", "BF16", "F16", "X", 3]),
    "shape": st.lists(st.integers(-2, 40), max_size=3) | JSON,
    "data_offsets": st.lists(st.integers(-8, 10**6), min_size=0, max_size=3) | JSON,
}


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_changed_safetensors_header(model_folders, kind, data):
    with tempfile.TemporaryDirectory() as where:
        folder = _copy(model_folders, kind, where)
        path = folder / "model.safetensors"
        header, body = _header(path)
        names = sorted(k for k in header if k != "__metadata__")
        name = data.draw(st.sampled_from(names))
        if data.draw(st.booleans()):
            field = data.draw(st.sampled_from(sorted(SPEC_CHANGES)))
            header[name][field] = data.draw(SPEC_CHANGES[field])
        else:
            header.pop(name)  # a missing tensor
        text = json.dumps(header).encode()
        path.write_bytes(struct.pack("<Q", len(text)) + text + body)
        _resha(folder)
        _loads_or_refuses(kind, folder)


@given(raw=st.binary(max_size=200))
@settings(max_examples=60, deadline=None)
def test_any_bytes_are_a_tensor_file_or_a_clear_error(raw):
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "x.safetensors"
        path.write_bytes(raw)
        with contextlib.suppress(ModelFileError):
            read_tensors(path)


def test_a_huge_header_is_refused_before_anything_is_allocated(tmp_path):
    import numpy as np

    good = tensor_bytes({"w": np.ones((4, 4), np.float32)})
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 60) + good[8:])
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="header claims"):
        read_tensors(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20


# ----------------------------------------------------------------------------- config.json


def _paths(node, prefix=()):
    """Every key path of a JSON object (the object itself included, as ())."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data(), value=JSON)
def test_any_value_anywhere_in_config_json(model_folders, kind, data, value):
    with tempfile.TemporaryDirectory() as where:
        folder = _copy(model_folders, kind, where)
        config = json.loads((folder / "config.json").read_text())
        path = data.draw(st.sampled_from(list(_paths(config))))
        if not path:
            config = value
        else:
            node = config
            for key in path[:-1]:
                node = node[key]
            if data.draw(st.booleans()):
                node[path[-1]] = value
            else:
                del node[path[-1]]
        (folder / "config.json").write_text(json.dumps(config))
        _loads_or_refuses(kind, folder)


# ----------------------------------------------------------------------------- text files


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data(), line=st.text(max_size=12))
def test_broken_lines_of_the_vocabulary_or_tokenizer(model_folders, kind, data, line):
    with tempfile.TemporaryDirectory() as where:
        folder = _copy(model_folders, kind, where)
        path = folder / _text_file(kind)
        lines = path.read_text(encoding="utf-8").split("\n")
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["replace", "drop", "duplicate", "insert"]))
        if op == "replace":
            lines[i] = line
        elif op == "drop":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines.insert(i, line)
        path.write_text("\n".join(lines), encoding="utf-8")
        _resha(folder)
        _loads_or_refuses(kind, folder)


def test_a_config_naming_files_outside_the_folder_is_never_followed(model_folders, tmp_path):
    from diaphane.vectors import load_vectors

    folder = _copy(model_folders, "glove", str(tmp_path))
    config = json.loads((folder / "config.json").read_text())
    for vocab in ("/etc/passwd", "../../../../etc/passwd", {"file": "../x/vocab.txt"}):
        config.update(kind="custom", vocabulary=vocab, vectors="W")
        (folder / "config.json").write_text(json.dumps(config))
        with pytest.raises(DiaphaneError, match="not a file inside the model folder") as err:
            load_vectors(folder)
        assert "root:" not in str(err.value)
