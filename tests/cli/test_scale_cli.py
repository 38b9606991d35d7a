"""``--memory``, ``--tmp-dir`` and ``--dask`` of ``diaphane train ngram|glove|ppmi``: the same
model folders as in memory, and one-line errors."""

import builtins
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

import diaphane.cli as cli
from diaphane.text.spill import current_rss

BOUND = "64G"  # far above what the tests hold; the bounded counting is tested in tests/text


def _same_folders(a, b):
    ta, tb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert ta.keys() == tb.keys()
    for key in ta:
        np.testing.assert_array_equal(ta[key], tb[key], err_msg=key)
    ca, cb = (json.loads((f / "config.json").read_text()) for f in (a, b))
    assert ca == cb


def _train(kind, out, *extra):
    base = ["train", kind, "--corpus", "lee", "--out", str(out)]
    if kind == "ppmi":
        base += ["--dim", "10", "--window", "4"]
    return cli.main([*base, *extra])


@pytest.mark.parametrize("kind", ["ppmi", "ngram"])
def test_memory_and_dask_write_the_in_memory_model(kind, tmp_path, capsys, dask_client):
    assert _train(kind, tmp_path / "mem") == 0
    assert _train(kind, tmp_path / "streamed", "--memory", BOUND, "--tmp-dir", str(tmp_path)) == 0
    if kind == "ppmi":
        assert "streamed in" in capsys.readouterr().err
    _same_folders(tmp_path / "mem", tmp_path / "streamed")
    assert _train(kind, tmp_path / "dask", "--dask", dask_client.scheduler.address) == 0
    _same_folders(tmp_path / "mem", tmp_path / "dask")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask", "mem", "streamed"]


def test_streaming_glove_spills_beside_the_output_and_cleans_up(tmp_path, capsys):
    out = tmp_path / "models" / "glove"
    argv = ["train", "glove", "--corpus", "lee", "--out", str(out), "--dim", "8", "--epochs",
            "1", "--window", "3", "--memory", BOUND]  # fmt: skip
    assert cli.main(argv) == 0
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["glove"]


def test_scale_errors_are_one_line(tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "m")
    assert _train("ppmi", out, "--memory", "2G", "--dask", "local") == 2
    assert "give one of them" in capsys.readouterr().err
    assert _train("ngram", out, "--tmp-dir", str(tmp_path)) == 2
    assert "add --memory SIZE" in capsys.readouterr().err
    little = f"{(current_rss() >> 20) + 4}M"
    assert _train("ppmi", out, "--memory", little) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("diaphane: --memory")
        and "give at least" in err
        and len(err.splitlines()) == 1
    )
    with pytest.raises(SystemExit) as exit_:
        _train("ppmi", out, "--memory", "lots")
    assert exit_.value.code == 2 and "2G, 512M" in capsys.readouterr().err


def test_dask_missing_or_unreachable_says_what_to_do(tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("distributed", "dask"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(builtins, "__import__", no_dask)
        assert _train("ngram", tmp_path / "m", "--dask", "local") == 2
    err = capsys.readouterr().err
    assert err == "diaphane: --dask needs Dask, an optional extra: pip install 'diaphane[dask]'\n"
    pytest.importorskip("distributed")
    monkeypatch.setattr("diaphane.text.dask_count.CONNECT_SECONDS", 0.5)
    assert _train("ppmi", tmp_path / "m", "--dask", "tcp://127.0.0.1:9") == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "--dask local" in err


def test_help_points_to_the_cluster_guide(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "glove", "--help"])
    text = capsys.readouterr().out
    assert "--memory SIZE" in text and "--dask ADDRESS" in text and "docs/scale.md" in text
