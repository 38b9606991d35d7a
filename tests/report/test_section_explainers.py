"""The explainers section: the covariance of GloVe vectors and the einsum of attention scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from diaphane.report.article import render_article, write_figures
from diaphane.report.document import Note, TableBlock
from diaphane.report.run import ReportOptions, ReportRun
from diaphane.report.sections import explainers
from diaphane.vectors import most_similar


@pytest.fixture(scope="module")
def section(quick_run):
    return explainers.build(quick_run)


def _figure(section, name):
    return next(b for b in section.figures() if b.name == name).figure


def test_covariance_is_np_cov_of_the_words_first_dimensions(quick_run, section):
    wv = quick_run.glove().word_vectors()
    f = section.facts["covariance"]
    fig = _figure(section, "covariance")
    X = wv.matrix[wv.ids(f["words"]), : explainers.N_DIMS].astype(np.float64)
    assert fig.rowvar and fig.row_names == f["words"] and len(fig.col_names) == 6
    np.testing.assert_allclose(fig.values, X)
    np.testing.assert_allclose(fig.cov, np.cov(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(f["cov"], np.cov(X), atol=1e-5)
    full = np.cov(wv.matrix[wv.ids(f["words"])].astype(np.float64))
    same = np.array(f["groups"])[:, None] == np.array(f["groups"])[None, :]
    off = ~np.eye(5, dtype=bool)
    assert f["within_all_dims"] == pytest.approx(full[same & off].mean(), abs=1e-5)
    assert f["across_all_dims"] == pytest.approx(full[~same].mean(), abs=1e-5)


def test_covariance_words_are_two_probes_and_their_neighbours(quick_run):
    wv = quick_run.glove().word_vectors()
    words, groups = explainers.covariance_words(wv)
    assert len(words) == len(set(words)) == 5 and groups == [0, 0, 0, 1, 1]
    for probe, members in ((words[0], words[1:3]), (words[3], words[4:])):
        near = [w for w, _ in most_similar(wv, probe, k=10)]
        assert all(m in near[:6] for m in members)


def test_einsum_figure_has_the_real_attention_shapes(quick_run, section):
    f = section.facts["einsum"]
    fig = _figure(section, "einsum")
    assert fig.subscripts == explainers.SUBSCRIPTS == "bhqd,bhkd->bhqk"
    assert [list(s) for s in fig.shapes] == f["shapes"]
    assert fig.spec.summed == ("d",)
    if f["source"] != "gpt":
        pytest.skip(f"no GPT on this machine: {f['source']}")
    c = quick_run.gpt().config
    t = len(quick_run.gpt().encode(explainers.PROMPT))
    assert f["shapes"][0] == [1, c.n_head, t, c.n_embd // c.n_head]
    assert f["weights_vs_model"] < 1e-5  # our einsum, masked and softmaxed, is the model's
    assert f["einsum_vs_matmul"] < 1e-5


def test_score_table_holds_the_first_heads_scaled_scores(quick_run, section):
    if section.facts["einsum"]["source"] != "gpt":
        pytest.skip("no GPT on this machine")
    q, k, tokens, weights = explainers.first_layer_qk(quick_run.gpt())
    ref = np.einsum("bhqd,bhkd->bhqk", q.astype(np.float64), k) / math.sqrt(q.shape[-1])
    table = next(b for b in section.blocks if isinstance(b, TableBlock) and b.name == "scores")
    assert table.header[1:] == [t.strip() or repr(t) for t in tokens]
    for i, row in enumerate(table.rows):
        for j, cell in enumerate(row[1:]):
            if j > i:
                assert cell is None  # the future is masked
            else:
                assert cell == pytest.approx(ref[0, 0, i, j], abs=2e-3)
    # the model's weights are the causal softmax of those scores
    causal = np.where(np.tril(np.ones(ref.shape[-2:], bool)), ref[0], -np.inf)
    soft = np.exp(causal - causal.max(-1, keepdims=True))
    np.testing.assert_allclose(soft / soft.sum(-1, keepdims=True), weights, atol=1e-5)


def test_attention_scores_are_the_scaled_einsum():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5))
    want = np.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(5)
    np.testing.assert_allclose(explainers.attention_scores(q, k), want, atol=1e-12)


def test_without_a_gpt_random_arrays_stand_in_and_it_says_so(quick_run, tmp_path):
    options = ReportOptions(corpus="lee", quick=True, model=str(tmp_path / "no-gpt"),
                            out=tmp_path / "out", progress=False)  # fmt: skip
    run = ReportRun(options)
    facts: dict = {}
    blocks = explainers.einsum_blocks(run, facts)
    assert facts["einsum"]["source"].startswith("random")
    assert facts["einsum"]["shapes"] == [list(explainers.FALLBACK_SHAPE)] * 2
    assert "weights_vs_model" not in facts["einsum"]
    assert any(isinstance(b, Note) and "random" in b.text for b in blocks)
    assert "random" in blocks[0].text


def test_section_is_complete_and_writes(section, tmp_path):
    assert section.id == explainers.ID and section.title == explainers.TITLE
    assert [b.name for b in section.figures()] == ["covariance", "einsum"]
    json.dumps(section.facts)
    files = write_figures(section, tmp_path)
    for stem in ("explainers-covariance", "explainers-einsum"):
        assert (tmp_path / files[stem]["html"]).is_file() and files[stem]["svg"]
    assert explainers.TITLE in render_article([section], files, "t", "s")
