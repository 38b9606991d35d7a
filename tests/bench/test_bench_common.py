"""The benchmark plumbing on fake data: result files, the Markdown table, timing helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import common
import make_table

MACHINE = {"cpu": "Test CPU", "cores": 2, "blas": "openblas 0.3 (1 thread)", "env": {}}


def fake_rows():
    return [
        common.row("per-op | overhead <s>", 2e-6, 4e-6, "autograd", "s/op", 7),
        common.row("peak memory", 3 * 2**20, 2 * 2**20, "hand-written", "B", 3),
    ]


def test_row_ratio_is_ours_over_peer():
    r = common.row("x", 3.0, 4.0, "peer", "s", 7)
    assert r["ratio"] == pytest.approx(0.75)
    assert set(r) == set(common.ROW_KEYS)


def test_write_result_format(tmp_path):
    path = common.write_result("fake", fake_rows(), machine=MACHINE, results_dir=tmp_path)
    assert path == tmp_path / "fake.json"
    data = json.loads(path.read_text())
    assert set(data) == {"benchmark", "when", "machine", "rows"}
    assert data["benchmark"] == "fake"
    assert data["machine"] == MACHINE
    assert [r["what"] for r in data["rows"]] == ["per-op | overhead <s>", "peak memory"]
    assert data["rows"][0]["ratio"] == pytest.approx(0.5)
    assert all(set(r) == set(common.ROW_KEYS) for r in data["rows"])
    assert not list(tmp_path.glob("*.tmp"))


def test_write_result_keeps_command(tmp_path):
    path = common.write_result("fake", fake_rows(), "python x.py --y", MACHINE, tmp_path)
    assert json.loads(path.read_text())["command"] == "python x.py --y"


def test_write_result_rejects_incomplete_rows(tmp_path):
    with pytest.raises(ValueError, match="lacks"):
        common.write_result(
            "bad", [{"what": "x", "ours": 1.0}], machine=MACHINE, results_dir=tmp_path
        )
    assert not (tmp_path / "bad.json").exists()


def test_machine_info_records_removed_openblas_settings(monkeypatch):
    monkeypatch.setenv(common._UNSET_MARK, json.dumps({"OPENBLAS_CORETYPE": "Haswell"}))
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    info = common.machine_info()
    assert set(info) == {"cpu", "cores", "blas", "env"}
    assert info["env"]["OPENBLAS_CORETYPE"] == "unset by the benchmark (was Haswell)"
    assert info["env"]["OPENBLAS_L2_SIZE"] == "not set"


def test_interleaved_alternates_and_returns_medians():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    medians = common.interleaved(fns, runs=4, warmup=1)
    assert set(medians) == {"a", "b"}
    assert all(m >= 0 for m in medians.values())
    # warm-up a b, then the order rotates run by run
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]


def test_peak_memory_sees_numpy_buffers():
    peak = common.peak_memory(lambda: np.ones(1_000_000).sum())
    assert 8_000_000 <= peak < 16_000_000


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (2.5e-6, "s/op", "2.5 µs/op"),
        (0.0123, "s", "12.3 ms"),
        (3 * 2**20, "B", "3 MiB"),
        (512, "B", "512 B"),
        (1.5, "x", "1.5 x"),
        (float("nan"), "s", "n/a"),
        (None, "s", "n/a"),
        (1.5e5, "n-grams/s", "150,000 n-grams/s"),
    ],
)
def test_format_value(value, unit, text):
    assert common.format_value(value, unit) == text


def test_markdown_table(tmp_path):
    common.write_result("zeta", fake_rows(), machine=MACHINE, results_dir=tmp_path)
    common.write_result("alpha", fake_rows()[:1], "python bench/a.py --x", MACHINE, tmp_path)
    text = make_table.render(make_table.load_results(tmp_path))
    assert text.startswith(make_table.INTRO)
    assert "ratio = ours /" in text and "median" in text
    assert text.index("## alpha") < text.index("## zeta")
    assert "Reproduce with `python bench/a.py --x`" in text
    assert "Reproduce with `python bench/zeta.py`" in text
    assert "| per-op \\| overhead &lt;s&gt; | 2 µs/op | autograd | 4 µs/op | 0.50 | 7 |" in text
    assert "| peak memory | 3 MiB | hand-written | 2 MiB | 1.50 | 3 |" in text


def test_rows_without_peer(tmp_path):
    r = common.row("ours alone", 2.0, None, "", "perplexity", 1)
    assert r["ratio"] is None
    common.write_result("solo", [r], machine=MACHINE, results_dir=tmp_path)
    assert json.loads((tmp_path / "solo.json").read_text())["rows"][0]["ratio"] is None
    text = make_table.render(make_table.load_results(tmp_path))
    assert "| ours alone | 2 perplexity | — | n/a | n/a | 1 |" in text


def test_markdown_accepts_free_form_env(tmp_path):
    machine = {**MACHINE, "env": "python 3.11, numpy 2.4"}
    common.write_result("fake", fake_rows(), machine=machine, results_dir=tmp_path)
    text = make_table.render(make_table.load_results(tmp_path))
    assert "environment: python 3.11, numpy 2.4." in text


def test_write_markdown_is_deterministic(tmp_path):
    common.write_result("fake", fake_rows(), machine=MACHINE, results_dir=tmp_path)
    out = tmp_path / "B.md"
    first = make_table.write_markdown(tmp_path, out).read_text()
    assert make_table.write_markdown(tmp_path, out).read_text() == first
    assert "## fake" in first


def test_markdown_rejects_malformed_results(tmp_path):
    (tmp_path / "broken.json").write_text(json.dumps({"benchmark": "broken", "rows": []}))
    with pytest.raises(ValueError, match="lacks the key"):
        make_table.load_results(tmp_path)


def test_empty_results_folder(tmp_path):
    assert "No results yet" in make_table.render(make_table.load_results(tmp_path))
