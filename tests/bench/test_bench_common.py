"""The benchmark plumbing on fake data: result files, the Markdown table, timing helpers."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import common
import make_table

X = make_table.TIMES  # the ratio sign in the tables
MACHINE = {"cpu": "Test CPU", "cores": 2, "blas": "openblas 0.3 (1 thread)", "env": {}}


def fake_rows():
    return [
        common.row("per-op | overhead <s>", 2e-6, 4e-6, "autograd", "s/op", 7),
        common.row("peak memory", 3 * 2**20, 2 * 2**20, "hand-written", "B", 3),
    ]


def test_row_ratio_is_ours_over_peer():
    r = common.row("x", 3.0, 4.0, "peer", "s", 7)
    assert r["ratio"] == pytest.approx(0.75)
    assert set(r) == set(common.ROW_KEYS)  # the optional keys only when given


def test_row_optional_keys():
    r = common.row("x", 1.0, 2.0, "p", "%", 3, kind="sweep", better="lower", when="2026-01-01")
    assert (r["kind"], r["better"], r["when"]) == ("sweep", "lower", "2026-01-01")
    assert "machine" not in r
    assert common.row("x", 1.0, 2.0, "p", "s", 3, machine=MACHINE)["machine"] == MACHINE


@pytest.mark.parametrize(("key", "value"), [("kind", "headline"), ("better", "up")])
def test_row_rejects_unknown_kind_or_direction(key, value):
    with pytest.raises(ValueError, match=key):
        common.row("x", 1.0, 2.0, "p", "s", 3, **{key: value})


@pytest.mark.parametrize(
    ("unit", "better"),
    [
        ("s", "lower"),
        ("s/op", "lower"),
        ("B", "lower"),
        ("perplexity", "lower"),
        ("loss", "lower"),
        ("1/s", "higher"),
        ("n-grams/s", "higher"),
        ("rho", "higher"),
        ("acc.", "higher"),
        ("%", "higher"),
        ("dot", None),
        ("", None),
    ],
)
def test_infer_better_from_the_unit(unit, better):
    assert common.infer_better(unit) == better
    assert common.row_better({"unit": unit}) == better


def test_explicit_better_overrides_the_unit():
    assert common.row_better({"unit": "%", "better": "lower"}) == "lower"


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


def test_write_result_keeps_optional_keys(tmp_path):
    rows = [
        *fake_rows(),
        common.row("old", 1.0, 2.0, "p", "s", 1, kind="sweep", when="2026-01-01", machine={}),
    ]
    data = json.loads(common.write_result("f", rows, None, MACHINE, tmp_path).read_text())
    assert all(set(r) == set(common.ROW_KEYS) for r in data["rows"][:2])
    assert data["rows"][2] == rows[2]


def test_merge_result_keeps_the_stamps_of_rows_it_did_not_measure(tmp_path):
    old_machine = {**MACHINE, "cpu": "Old CPU"}
    common.write_result("m", fake_rows(), machine=old_machine, results_dir=tmp_path)
    old = json.loads((tmp_path / "m.json").read_text())
    new = common.row("peak memory", 1.0 * 2**20, 2.0 * 2**20, "hand-written", "B", 3)
    common.merge_result("m", [new], "python m.py", MACHINE, tmp_path)
    data = json.loads((tmp_path / "m.json").read_text())
    kept, replaced = data["rows"]
    assert kept["what"] == "per-op | overhead <s>"
    assert (kept["when"], kept["machine"]) == (old["when"], old_machine)
    assert replaced == new  # measured now: the file's stamp applies
    assert data["machine"] == MACHINE and data["command"] == "python m.py"
    # Merging again on the same machine keeps the row's own date, adds no machine.
    common.merge_result("m", [new], machine=old_machine, results_dir=tmp_path)
    kept = json.loads((tmp_path / "m.json").read_text())["rows"][0]
    assert kept["when"] == old["when"] and "machine" not in kept


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
        (1250.0, "s", "1,250 s"),
    ],
)
def test_format_value(value, unit, text):
    assert common.format_value(value, unit) == text


def test_markdown_table(tmp_path):
    common.write_result("zeta", fake_rows(), machine=MACHINE, results_dir=tmp_path)
    common.write_result("alpha", fake_rows()[:1], "python bench/a.py --x", MACHINE, tmp_path)
    text = make_table.render(make_table.load_results(tmp_path))
    assert text.startswith(make_table.INTRO)
    assert "ours / peer" in text and "median" in text
    assert text.index("## alpha") < text.index("## zeta")
    assert "Reproduce with `python bench/a.py --x`" in text
    assert "Reproduce with `python bench/zeta.py`" in text
    assert (
        "| per-op \\| overhead &lt;s&gt; | 2 µs/op | autograd | 4 µs/op "
        f"| 0.50{X} the time — faster | 7 |"
    ) in text
    assert (
        f"| peak memory | 3 MiB | hand-written | 2 MiB | 1.50{X} the memory — larger | 3 |" in text
    )
    assert "Appendix" not in text  # nothing but claims: no appendix


def test_rows_without_peer(tmp_path):
    r = common.row("ours alone", 2.0, None, "", "perplexity", 1)
    assert r["ratio"] is None
    noted = common.row("3CosMul", 1.5, None, "(gensim: 3CosAdd only)", "s", 3)
    common.write_result("solo", [r, noted], machine=MACHINE, results_dir=tmp_path)
    assert json.loads((tmp_path / "solo.json").read_text())["rows"][0]["ratio"] is None
    text = make_table.render(make_table.load_results(tmp_path))
    assert "Measured without a peer:" in text
    assert "| ours alone | 2 perplexity | — | 1 |" in text
    assert "| 3CosMul | 1.5 s | (gensim: 3CosAdd only) | 3 |" in text


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


# ----------------------------------------------------------------------------- claims, appendix


def claim(ours, peer, unit, **extra):
    return common.row("w", ours, peer, "p", unit, 1, **extra)


@pytest.mark.parametrize(
    ("row", "text"),
    [
        (claim(0.35, 1.0, "s"), f"0.35{X} the time — faster"),
        (claim(2.0, 1.0, "s/op"), f"2.00{X} the time — slower"),
        (claim(1.78, 1.0, "1/s"), f"1.78{X} the rate — faster"),
        (claim(0.5, 1.0, "tokens/s"), f"0.50{X} the rate — slower"),
        (claim(0.92, 1.0, "acc."), f"0.92{X} the score — worse"),
        (claim(2.85, 1.0, "rho"), f"2.85{X} the score — better"),
        (claim(0.66, 1.0, "B"), f"0.66{X} the memory — smaller"),
        (claim(0.83, 1.0, "perplexity"), f"0.83{X} the perplexity — better"),
        (claim(1.03, 1.0, "perplexity"), f"1.03{X} the perplexity — worse"),
        (claim(0.56, 1.0, "%", better="lower"), f"0.56{X} the value — better"),
        (claim(1.21, 1.0, "dot"), f"1.21{X} the peer's value"),
        (claim(1.2, 1.0, "dot", better="higher"), f"1.20{X} the value — better"),
        (claim(0.998, 1.0, "s"), f"1.00{X} the time — on par"),
        (claim(3e-4, 1.0, "s"), f"0.0003{X} the time — faster"),
        (claim(9641.0, 1.0, "1/s"), f"9,641{X} the rate — faster"),
        (claim(1.0, None, "s"), "—"),
    ],
)
def test_verdict_in_words(row, text):
    assert make_table.verdict(row) == text


def mixed_rows():
    return [
        common.row("headline", 1.0, 2.0, "peer", "s", 3),
        common.row("setting b", 3.0, 2.0, "peer", "s", 3, kind="sweep"),
        common.row(
            "vs the paper", 330.0, 323.0, "Bengio et al. 2003", "perplexity", 1, kind="reference"
        ),
        common.row("OOV share", 13.6, None, "-", "%", 1, kind="reference"),
    ]


def test_kinds_route_sweeps_and_references_to_the_appendix(tmp_path):
    common.write_result("mix", mixed_rows(), machine=MACHINE, results_dir=tmp_path)
    text = make_table.render(make_table.load_results(tmp_path))
    appendix = text.index("## Appendix: sweeps, paper figures and goals")
    assert text.index("| headline |") < appendix
    for what in ("| setting b |", "| vs the paper |", "| OOV share |"):
        assert text.index(what) > appendix
        assert text.count(what) == 1
    section = text[text.index("## mix") : appendix]
    link = "[appendix](#mix-sweeps-paper-figures-and-goals)"
    assert f"{link}: 1 sweep row and 2 rows of paper figures and goals." in section
    assert "### mix: sweeps, paper figures and goals" in text
    refs = text[text.index("Paper figures, goals and reference values:") :]
    assert "| what | value | source | its value | value / source | runs |" in refs
    assert (
        "| vs the paper | 330 perplexity | Bengio et al. 2003 | 323 perplexity "
        f"| 1.02{X} the perplexity — worse | 1 |"
    ) in refs
    assert "| OOV share | 13.6 % | — | n/a | — | 1 |" in refs


def test_a_benchmark_of_sweeps_only_says_so(tmp_path):
    rows = [common.row("b", 3.0, 2.0, "peer", "s", 3, kind="sweep")]
    common.write_result("only", rows, machine=MACHINE, results_dir=tmp_path)
    text = make_table.render(make_table.load_results(tmp_path))
    assert "No claims: every row of this benchmark is in the appendix." in text


def test_rows_measured_elsewhere_carry_their_own_stamp(tmp_path):
    other = {**MACHINE, "cpu": "Other CPU"}
    rows = [
        common.row("now", 1.0, 2.0, "peer", "s", 3),
        common.row("earlier", 1.0, 2.0, "peer", "s", 3, when="2020-01-02T03:04:05+00:00"),
        common.row("elsewhere", 1.0, 2.0, "peer", "s", 3, when="2020-01-01", machine=other),
        common.row(
            "old sweep", 1.0, 2.0, "peer", "s", 3, kind="sweep", when="2020-01-01", machine=other
        ),
    ]
    common.write_result("st", rows, machine=MACHINE, results_dir=tmp_path)
    result = make_table.load_results(tmp_path)[0]
    text = make_table.render([result])
    assert f"(measured {result['when']})" in text  # the file's stamp heads the section
    assert "| now | 1 s |" in text
    assert "| earlier¹ | 1 s |" in text and "| elsewhere² | 1 s |" in text
    assert "\n¹ Measured 2020-01-02T03:04:05+00:00.\n" in text  # same machine: not repeated
    assert "² Measured 2020-01-01. Machine: Other CPU, 2 cores;" in text
    assert "| old sweep¹ |" in text  # footnotes are numbered per table
    assert "¹ Measured 2020-01-01. Machine: Other CPU" in text


def test_section_stamp_follows_the_claims_when_none_has_the_files():
    result = {
        "benchmark": "b",
        "when": "2026-01-03",
        "machine": MACHINE,
        "rows": [
            common.row("a", 1.0, 2.0, "p", "s", 1, when="2026-01-01"),
            common.row("b", 1.0, 2.0, "p", "s", 1, when="2026-01-02"),
            common.row("c", 1.0, 2.0, "p", "s", 1, when="2026-01-02"),
            common.row("sweep", 1.0, 2.0, "p", "s", 1, kind="sweep"),
        ],
    }
    assert make_table.section_stamp(result) == ("2026-01-02", MACHINE)
    text = make_table.render_table(result)
    assert "(measured 2026-01-02)" in text and "| a¹ |" in text and "| b |" in text


def test_old_files_without_the_new_keys_still_render(tmp_path):
    old = {
        "benchmark": "legacy",
        "when": "2025-01-01T00:00:00+00:00",
        "machine": MACHINE,
        "rows": [
            {
                "what": "t",
                "ours": 1.0,
                "peer": 4.0,
                "peer_name": "p",
                "ratio": 0.25,
                "unit": "s",
                "runs": 5,
            },
            {
                "what": "alone",
                "ours": 2.0,
                "peer": None,
                "peer_name": "",
                "ratio": None,
                "unit": "s",
                "runs": 5,
            },
        ],
    }
    (tmp_path / "legacy.json").write_text(json.dumps(old))
    text = make_table.render(make_table.load_results(tmp_path))
    assert f"| t | 1 s | p | 4 s | 0.25{X} the time — faster | 5 |" in text
    assert "| alone | 2 s | 5 |" in text
    assert "Appendix" not in text and "¹" not in text


def test_render_is_a_pure_function_of_its_inputs(tmp_path):
    common.write_result("mix", mixed_rows(), machine=MACHINE, results_dir=tmp_path)
    results = make_table.load_results(tmp_path)
    before = json.dumps(results, sort_keys=True)
    first = make_table.render(results)
    assert make_table.render(json.loads(before)) == first
    assert json.dumps(results, sort_keys=True) == before  # inputs left as they were
    dates = set(re.findall(r"\d{4}-\d\d-\d\dT[\d:+]+", first))
    assert dates == {results[0]["when"]}  # no date of its own


def test_markdown_rejects_rows_of_unknown_kind(tmp_path):
    common.write_result("bad", fake_rows(), machine=MACHINE, results_dir=tmp_path)
    data = json.loads((tmp_path / "bad.json").read_text())
    data["rows"][0]["kind"] = "headline"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"In bad: .*kind"):
        make_table.render(make_table.load_results(tmp_path))
