"""The folder format's rules: its version, the files a model may name, what a write may
replace, and the temporary files that are ours to clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from diaphane.errors import ModelFileError, UsageError
from diaphane.files import remove_stale_temps, temp_folder
from diaphane.nn.checkpoint import load_checkpoint, save_checkpoint
from diaphane.nn.model_folder import FORMAT, check_format, check_replaceable, member
from diaphane.nn.tensorfile import read_tensors, tensor_bytes


def _save(folder, kind="test"):
    return save_checkpoint(folder, {"w": np.arange(4.0)}, None, {}, {"kind": kind})


def test_the_format_is_written_and_checked(tmp_path):
    folder = _save(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    assert config["format"] == FORMAT and config["kind"] == "test"
    assert check_format({"kind": "x"}, folder) == 1  # no "format": before formats were numbered
    for bad, message in [
        (FORMAT + 1, "newer diaphane"),
        ("2", "which no diaphane writes"),
        (0, "which no diaphane writes"),
        (True, "which no diaphane writes"),
    ]:
        (folder / "config.json").write_text(json.dumps({**config, "format": bad}))
        with pytest.raises(ModelFileError, match=message):
            load_checkpoint(folder)


@pytest.mark.parametrize("name", ["/etc/passwd", "../vocab.txt", "a/b.txt", "", "..", 3, None])
def test_a_model_names_only_files_inside_its_folder(tmp_path, name):
    with pytest.raises(ModelFileError, match="not a file inside the model folder"):
        member(tmp_path, name, "its vocabulary")
    assert member(tmp_path, "vocab.txt") == tmp_path / "vocab.txt"


def test_what_a_write_may_replace(tmp_path, monkeypatch):
    check_replaceable(tmp_path / "new", "glove")  # nothing there
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty", "glove")
    _save(tmp_path / "g", "glove")
    check_replaceable(tmp_path / "g", "glove")  # the same kind
    with pytest.raises(UsageError, match=r"holds a glove model, not an ngram one.*--force"):
        check_replaceable(tmp_path / "g", "ngram")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"folder of other files \(thesis\.txt\)"):
        save_checkpoint(tmp_path / "mine", {"w": np.ones(1)}, config={"kind": "glove"})
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["thesis.txt"]
    (tmp_path / "file").write_text("mine")
    with pytest.raises(UsageError, match="is a file"):
        check_replaceable(tmp_path / "file", "glove")
    save_checkpoint(tmp_path / "file", {"w": np.ones(1)}, config={"kind": "glove"}, force=True)
    assert load_checkpoint(tmp_path / "file").config["kind"] == "glove"
    monkeypatch.chdir(tmp_path / "empty")
    for here in (".", tmp_path):  # the folder one is in cannot be swapped out, even forced
        with pytest.raises(UsageError, match="the folder you are in"):
            check_replaceable(here, "glove", force=True)


def test_only_our_temporary_files_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    ours = [tmp_path / f".m.tmp-{dead}-abcd1234", tmp_path / f".m.{dead}.77.tmp"]
    ours[0].mkdir()
    ours[1].write_text("half")
    alive = tmp_path / f".m.tmp-{os.getpid()}-abcd1234"  # a write in progress
    alive.mkdir()
    others = [tmp_path / ".m.tmp-mine", tmp_path / "m.tmp", tmp_path / f".n.tmp-{dead}-abcd1234"]
    others[0].write_text("x")
    others[1].write_text("x")
    others[2].mkdir()
    assert sorted(remove_stale_temps(tmp_path / "m")) == sorted(ours)
    assert all(p.exists() for p in [alive, *others])
    tmp, made = temp_folder(tmp_path / "deep" / "er" / "m")
    assert made == [tmp_path / "deep", tmp_path / "deep" / "er"] and tmp.parent == made[-1]


def test_tensor_files_round_trip_and_refuse_what_does_not_add_up(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], np.int64)}
    path = tmp_path / "t.safetensors"
    path.write_bytes(tensor_bytes(arrays))
    got = read_tensors(path)
    assert set(got) == {"a", "b"} and got["a"].flags.writeable
    np.testing.assert_array_equal(got["a"], arrays["a"])
    path.write_bytes(tensor_bytes({"x": np.array([np.nan], np.float32)}))
    with pytest.raises(ModelFileError, match="NaN or infinity"):
        read_tensors(path)
    assert read_tensors(path, finite=False)["x"].shape == (1,)
