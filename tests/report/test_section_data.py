"""The report's data section, checked against counts recomputed from the run's corpus."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from diaphane.report.article import write_figures
from diaphane.report.document import FigureBlock, Metric, Prose
from diaphane.report.sections import data
from diaphane.text import Vocabulary
from diaphane.text.masking import clipped_geometric_mean, clipped_geometric_pmf
from diaphane.text.vocab import UNK
from diaphane.viz.masking import MaskingFigure
from diaphane.viz.windows import TrainingWindows
from diaphane.viz.zipf import ZipfPlot


@pytest.fixture(scope="module")
def section(quick_run):
    return data.build(quick_run)


@pytest.fixture(scope="module")
def words(quick_run):
    return [w for doc in quick_run.corpus["documents"] for s in doc for w in s]


def _figure(section, name):
    return next(b.figure for b in section.blocks if isinstance(b, FigureBlock) and b.name == name)


def test_corpus_numbers_match_a_recount(section, quick_run, words):
    f = section.facts
    docs = quick_run.corpus["documents"]
    assert f["documents"] == len(docs) == 300  # the Lee corpus
    assert f["sentences"] == sum(len(d) for d in docs)
    assert f["tokens"] == len(words)
    assert f["types"] == len(set(words))
    split, _ = quick_run.lm_split
    lm = quick_run.settings["lm"]
    vocab = Vocabulary.build(split.train, min_count=lm["min_count"], max_size=lm["max_vocab"])
    assert f["lm_vocab"] == len(vocab)
    metric = next(b for b in section.blocks if isinstance(b, Metric))
    assert ("tokens", f"{len(words):,}") in metric.items
    json.dumps(section.facts)  # the manifest can hold them


def test_zipf_numbers_match_a_recount(section, words):
    counter = Counter(words)
    expected = sorted(counter.items(), key=lambda wc: (-wc[1], wc[0]))
    assert [tuple(t) for t in section.facts["zipf"]["top"]] == expected[:10]
    fig = _figure(section, "zipf")
    assert isinstance(fig, ZipfPlot)
    d = fig.data()
    for r, w, c in zip(d["ranks"][:50], d["words"][:50], d["counts"][:50], strict=True):
        assert expected[r - 1] == (w, c)
    assert d["tokens"] == len(words) and d["types"] == len(counter)
    slope = section.facts["zipf"]["slope"]
    assert -1.3 < slope < -0.7
    # The fitted line goes through the head of the distribution within a factor of two.
    hi = section.facts["zipf"]["fit_ranks"][1]
    assert hi == sum(1 for c in counter.values() if c >= data.ZIPF_MIN_COUNT)
    assert 0.5 < fig.fit.count_at(hi) / expected[hi - 1][1] < 2.0
    assert f"{slope:.2f}" in " ".join(b.text for b in section.blocks if isinstance(b, Prose))


def test_window_figure_is_a_real_sentence_as_the_lm_sees_it(section, quick_run):
    fig = _figure(section, "windows")
    assert isinstance(fig, TrainingWindows)
    order = quick_run.settings["ngram"]["order"]
    assert fig.size == order and fig.kind == "ngram"
    shown = fig.tokens[order - 1 : -1]
    assert shown == section.facts["window"]["sentence"]
    _, vocab = quick_run.lm_split
    as_seen = [[w if w in vocab else UNK for w in s] for s in quick_run.sentences]
    assert shown in as_seen
    assert len(fig.rows) == len(shown) + 1 == section.facts["window"]["examples"]


def test_masking_measurements(section, quick_run):
    m = section.facts["masking"]
    fig = _figure(section, "masking")
    assert isinstance(fig, MaskingFigure)
    n = m["passages"]
    assert n == len(data.passages(quick_run.corpus["documents"], data.PASSAGE_WORDS))  # Lee: all
    assert m["tokens"] == section.facts["tokens"]
    assert 0.145 < m["bert"]["rate"] < 0.155
    assert abs(m["bert"]["actions"]["mask"] - 0.8) < 0.03
    span = m["spanbert"]
    assert span["spans"] == fig.lengths.size
    assert span["mean_length"] == pytest.approx(fig.lengths.mean(), abs=1e-3)
    sd = np.sqrt(clipped_geometric_pmf() @ (np.arange(1, 11) - clipped_geometric_mean()) ** 2)
    assert abs(span["mean_length"] - clipped_geometric_mean()) < 4 * sd / np.sqrt(span["spans"])
    assert span["theory_mean_length"] == pytest.approx(3.797, abs=1e-3)
    assert 0.15 <= span["rate"] < 0.2
    text = " ".join(b.text for b in section.blocks if isinstance(b, Prose))
    assert f"{span['mean_length']:.2f}" in text
    for bert, _ in fig.samples:
        assert bert.original in quick_run.sentences
        assert 18 <= len(bert.original) <= 40


def test_passages_pack_whole_sentences():
    docs = [[["a"] * 5, ["b"] * 4, ["c"] * 3], [["d"] * 12], [["e"] * 2]]
    assert [len(p) for p in data.passages(docs, 10)] == [9, 3, 12, 2]
    assert data.passages(docs, 10)[0] == ["a"] * 5 + ["b"] * 4


def test_figures_are_written_with_captions(section, tmp_path):
    figures = section.figures()
    assert [b.name for b in figures] == ["zipf", "windows", "masking"]
    assert all(b.caption for b in figures)
    files = write_figures(section, tmp_path)
    for stem, paths in files.items():
        assert (tmp_path / paths["html"]).stat().st_size > 1000, stem
        assert (tmp_path / paths["svg"]).read_text().lstrip().startswith("<?xml")


def test_the_section_is_seeded(section, quick_run):
    again = data.build(quick_run)
    assert again.facts == section.facts
