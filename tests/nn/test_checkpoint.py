"""Checkpoints: round trips, atomic replacement, clear errors for damaged folders."""

import json

import numpy as np
import pytest

import diaphane.nn.checkpoint as ck
from diaphane.autodiff.sparse import SparseRows
from diaphane.nn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from diaphane.nn.optim import Adam


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "emb": rng.standard_normal((6, 3)).astype(np.float32),
        "layer": {"W": rng.standard_normal((3, 2)), "b": np.zeros(2)},
    }


def _optimizer(params):
    opt = Adam(lr=0.1)
    grads = {"emb": SparseRows(np.array([1, 4]), np.ones((2, 3), np.float32), (6, 3)),
             "layer": {"W": np.ones((3, 2)), "b": np.ones(2)}}  # fmt: skip
    opt.step(params, grads)
    return opt


def test_round_trip(tmp_path):
    params = _params()
    opt = _optimizer(params)
    state = {"step": 7, "epoch": 1, "history": [{"valid_ppl": 12.5}]}
    save_checkpoint(tmp_path / "ck", params, opt.state_dict(), state, {"kind": "test", "n": 3},
                    {"vocab.txt": "a\t1\n"})  # fmt: skip
    got = load_checkpoint(tmp_path / "ck")
    assert got.train_state == state
    assert got.config == {"kind": "test", "n": 3}
    assert (tmp_path / "ck" / "vocab.txt").read_text() == "a\t1\n"
    for name, value in ck.flatten_params(params).items():
        loaded = ck.flatten_params(got.params)[name]
        assert loaded.dtype == value.dtype
        np.testing.assert_array_equal(loaded, value)
    fresh = Adam(lr=0.1)
    fresh.load_state_dict(got.opt_state)
    assert fresh.step_count == 1
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temporary folders left


def test_any_state_tree_round_trips(tmp_path):
    state = {"t": 3, "lr": np.float32(0.5), "m": [np.arange(3.0), (np.ones(2), None)], "ok": True}
    save_checkpoint(tmp_path / "ck", {"w": np.ones(1)}, state)
    got = load_checkpoint(tmp_path / "ck").opt_state
    assert got["t"] == 3 and got["ok"] is True and got["m"][1][1] is None
    assert got["lr"].dtype == np.float32 and isinstance(got["m"][1], tuple)
    np.testing.assert_array_equal(got["m"][0], np.arange(3.0))


def test_failure_mid_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    folder = tmp_path / "ck"
    save_checkpoint(folder, _params(0), {"x": np.ones(2)}, {"step": 1})
    real = ck._write_arrays

    def fail_on_optimizer(path, arrays):
        real(path, arrays)
        if path.name == ck.OPTIM_FILE:
            raise OSError("disk full")

    monkeypatch.setattr(ck, "_write_arrays", fail_on_optimizer)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(folder, _params(1), {"x": np.zeros(2)}, {"step": 2})
    got = load_checkpoint(folder)
    assert got.train_state == {"step": 1}
    np.testing.assert_array_equal(got.params["emb"], _params(0)["emb"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


def test_crash_between_renames_recovers_previous(tmp_path, monkeypatch):
    import diaphane.files

    # Where the system cannot exchange two folders in one step, the swap is two renames.
    monkeypatch.setattr(diaphane.files, "_exchange", lambda a, b: False)
    folder = tmp_path / "ck"
    save_checkpoint(folder, _params(0), None, {"step": 1})
    real_rename = ck.os.rename
    calls = []

    def crash_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies after moving the old folder aside
        real_rename(src, dst)

    monkeypatch.setattr(ck.os, "rename", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(folder, _params(1), None, {"step": 2})
    monkeypatch.setattr(ck.os, "rename", real_rename)
    assert not folder.exists()
    assert load_checkpoint(folder).train_state == {"step": 1}
    save_checkpoint(folder, _params(2), None, {"step": 3})  # the next write cleans up
    assert load_checkpoint(folder).train_state == {"step": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="No model or checkpoint folder"):
        load_checkpoint(tmp_path / "nowhere")


def test_missing_config(tmp_path):
    save_checkpoint(tmp_path / "ck", _params(), None)
    (tmp_path / "ck" / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json is missing"):
        load_checkpoint(tmp_path / "ck")


def test_missing_weights(tmp_path):
    save_checkpoint(tmp_path / "ck", _params(), None)
    (tmp_path / "ck" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"model.safetensors is missing"):
        load_checkpoint(tmp_path / "ck")


def test_corrupt_weights(tmp_path):
    save_checkpoint(tmp_path / "ck", _params(), None)
    path = tmp_path / "ck" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"model.safetensors is corrupt.*Delete"):
        load_checkpoint(tmp_path / "ck")


def test_truncated_weights_without_checksum(tmp_path):
    save_checkpoint(tmp_path / "ck", _params(), None)
    config = json.loads((tmp_path / "ck" / "config.json").read_text())
    del config["checkpoint"]["sha256"]
    (tmp_path / "ck" / "config.json").write_text(json.dumps(config))
    path = tmp_path / "ck" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(CheckpointError, match=r"Cannot read .*model\.safetensors"):
        load_checkpoint(tmp_path / "ck")


def test_corrupt_config(tmp_path):
    save_checkpoint(tmp_path / "ck", _params(), None)
    (tmp_path / "ck" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json is not valid JSON"):
        load_checkpoint(tmp_path / "ck")


def test_names_with_dots_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match=r"without '\.'"):
        save_checkpoint(tmp_path / "ck", {"a.b": np.ones(1)})
    assert list(tmp_path.iterdir()) == []
