"""The sentiment section, on small networks trained here (the shipped one may not exist yet).

``pang_lee_run`` holds a network trained on the 200 reviews in gensim's wheel (which lack
*excellent* and *terrible*, so stand-ins are used); ``polar_run`` one trained on made-up
reviews that have them, with a recorded cross-validated accuracy.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from diaphane.models.sentiment import SentimentConfig, load_reviews, train_sentiment
from diaphane.report.article import render_article, write_figures
from diaphane.report.document import Metric, Note, TableBlock
from diaphane.report.run import ReportOptions, ReportRun
from diaphane.report.sections import sentiment
from diaphane.vectors import WordVectors

POSITIVE = ["excellent", "superb", "wonderful", "great", "moving", "brilliant"]
NEGATIVE = ["terrible", "awful", "boring", "dull", "mess", "worst"]
NEUTRAL = [f"word{i}" for i in range(30)]


def _run(folder, out) -> ReportRun:
    options = ReportOptions(corpus="lee", quick=True, sentiment=str(folder), out=out)
    return ReportRun(options)


@pytest.fixture(scope="session")
def pang_lee_run(report_home, tmp_path_factory):
    reviews, labels, info = load_reviews("pang_lee_sample")
    net = train_sentiment(reviews, labels, SentimentConfig(normalize=True), seed=0, info=info)
    folder = net.save(tmp_path_factory.mktemp("sentiment") / "pang_lee")
    return _run(folder, tmp_path_factory.mktemp("report-out") / "report")


def polar_reviews(n: int = 400, seed: int = 0):
    """Reviews of three words of their side and four neutral ones, half of each side."""
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for i in range(n):
        side = POSITIVE if i % 2 else NEGATIVE
        words = [*rng.choice(side, 3, replace=False), *rng.choice(NEUTRAL, 4, replace=False)]
        reviews.append([str(w) for w in words])
        labels.append(i % 2)
    return reviews, np.array(labels)


@pytest.fixture(scope="session")
def polar_run(report_home, tmp_path_factory):
    reviews, labels = polar_reviews()
    cv = {"folds": 10, "accuracy": 0.887, "std": 0.0112, "per_fold": [0.9] * 10}
    net = train_sentiment(reviews, labels, SentimentConfig(hidden=4), epochs=5, seed=0,
                          info={"corpus": "made up", "cross_validation": cv})  # fmt: skip
    folder = net.save(tmp_path_factory.mktemp("sentiment") / "polar")
    return _run(folder, tmp_path_factory.mktemp("report-out") / "report")


@pytest.fixture(scope="session")
def pang_lee_section(pang_lee_run):
    return sentiment.build(pang_lee_run)


@pytest.fixture(scope="session")
def polar_section(polar_run):
    return sentiment.build(polar_run)


def _table(section) -> TableBlock:
    return next(b for b in section.blocks if isinstance(b, TableBlock) and b.name == "neighbours")


# ----------------------------------------------------------------------------- neighbours


def test_neighbour_lists_are_the_networks_most_similar(polar_run, polar_section):
    net = polar_run.sentiment()
    table = _table(polar_section)
    assert table.header == [f"{w} · {m}" for w in ("excellent", "terrible")
                            for m in ("dot", "cosine")]  # fmt: skip
    for j, (word, metric) in enumerate((w, m) for w in ("excellent", "terrible")
                                       for m in ("dot", "cosine")):  # fmt: skip
        near = net.most_similar(word, sentiment.K, metric)
        digits = 4 if metric == "cosine" else 2
        assert [row[j] for row in table.rows] == [f"{w} ({s:.{digits}f})" for w, s in near]
        assert polar_section.facts["neighbours"][f"{word} {metric}"] == [
            [w, round(s, 4)] for w, s in near
        ]
    assert not any(isinstance(b, Note) and "stand in" in b.text for b in polar_section.blocks)


def test_dot_neighbours_of_the_probes_lean_their_way(polar_run, polar_section):
    polarity = polar_run.sentiment().word_polarity()
    agree = polar_section.facts["sign_agreement"]
    for word, sign in (("excellent", 1), ("terrible", -1)):
        near = polar_section.facts["neighbours"][f"{word} dot"]
        share = np.mean([np.sign(polarity[w]) == sign for w, _ in near])
        assert agree[f"{word} dot"] == pytest.approx(share)
        # the other words of its side are the strongest rows pushing the same way
        side = POSITIVE if sign > 0 else NEGATIVE
        assert {w for w, _ in near[:5]} == set(side) - {word}


def test_highlighted_cells_are_the_words_of_the_other_sign(pang_lee_run, pang_lee_section):
    polarity = pang_lee_run.sentiment().word_polarity()
    table = _table(pang_lee_section)
    probes = pang_lee_section.facts["probes"]
    wrong = set()
    for j, head in enumerate(table.header):
        probe = head.split(" · ")[0]
        for i, row in enumerate(table.rows):
            word = row[j].rsplit(" (", 1)[0]
            if np.sign(polarity[word]) != np.sign(polarity[probe]):
                wrong.add((i, j))
    assert set(table.highlight) == wrong
    assert probes[0] != probes[1]


def test_stand_ins_are_the_most_polar_words_seen_often_enough(pang_lee_run, pang_lee_section):
    net = pang_lee_run.sentiment()
    assert "excellent" not in net.vocab.index  # the reason stand-ins are needed
    polarity = net.word_polarity()
    min_reviews = sentiment.min_reviews_for(net.n_pos + net.n_neg)
    assert min_reviews == pang_lee_section.facts["min_reviews"] == 2
    reviews = {w: net.pos[i] + net.neg[i] for w, i in net.vocab.index.items()}
    seen = {w: p for w, p in polarity.items() if reviews[w] >= min_reviews}
    good, bad = pang_lee_section.facts["probes"]
    assert polarity[good] == max(seen.values()) and polarity[bad] == min(seen.values())
    notes = [b.text for b in pang_lee_section.blocks if isinstance(b, Note)]
    assert any("stand in" in t and good in t and bad in t for t in notes)


# ----------------------------------------------------------------------------- the network


def test_line_share_is_the_first_singular_value_share():
    rows = np.array([[1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]])
    assert sentiment.line_share(rows) == pytest.approx(1.0)
    assert sentiment.line_share(np.eye(4)) == pytest.approx(0.25)


def test_trained_rows_lie_on_a_line(polar_run, polar_section):
    _, rows = polar_run.sentiment().vectors()
    s = np.linalg.svd(rows.astype(np.float64), compute_uv=False)
    assert polar_section.facts["line_share"] == pytest.approx(s[0] ** 2 / np.sum(s**2), abs=1e-4)
    assert polar_section.facts["line_share"] > 0.5


def test_recorded_accuracy_is_shown_as_a_metric(polar_section, pang_lee_section):
    metric = next(b for b in polar_section.blocks if isinstance(b, Metric))
    assert metric.items == [("10-fold cross-validated accuracy", "88.7% ± 1.1")]
    assert not any(isinstance(b, Metric) for b in pang_lee_section.blocks)
    assert any(isinstance(b, Note) and "no held-out accuracy" in b.text
               for b in pang_lee_section.blocks)  # fmt: skip


def test_recorded_accuracy_reads_shares_percentages_and_nested_keys():
    found = sentiment.recorded_accuracy(
        {"test_accuracy": 0.5, "eval": {"accuracy": 71.5, "loss": 0.3}, "accuracy_note": "n/a"}
    )
    assert found == [("test accuracy", 50.0, None), ("eval accuracy", 71.5, None)]
    assert sentiment.recorded_accuracy({}) == []


# ----------------------------------------------------------------------------- the map


def _map(section):
    return next(b for b in section.figures() if b.name == "map").figure


def test_map_words_are_the_most_polar_of_those_seen_often_enough(pang_lee_run, pang_lee_section):
    net = pang_lee_run.sentiment()
    fig = _map(pang_lee_section)
    wv = net.word_vectors()
    min_reviews = pang_lee_section.facts["min_reviews"]
    eligible = {w for w, c in zip(wv.words, wv.counts, strict=True) if c >= min_reviews}
    shown = set(fig.words)
    assert shown <= eligible
    assert len(shown) == min(len(eligible), sentiment.QUICK_MAP_WORDS)
    polarity = net.word_polarity()
    weakest_shown = min(abs(polarity[w]) for w in shown)
    assert all(abs(polarity[w]) <= weakest_shown for w in eligible - shown)
    counts = [wv.counts[wv.id(w)] for w in fig.words]
    assert counts == sorted(counts, reverse=True)  # frequent words get labels first


def test_map_colours_are_the_polarity_and_neighbours_the_dot_product(polar_run, polar_section):
    net = polar_run.sentiment()
    fig = _map(polar_section)
    polarity = net.word_polarity()
    np.testing.assert_allclose(fig.scores, [polarity[w] for w in fig.words])
    assert fig.data()["colour"] == "scores" and fig.score_name == sentiment.SCORE_NAME
    rows = net.word_vectors().subset(fig.words).matrix.astype(np.float64)
    dots = rows @ rows.T
    np.fill_diagonal(dots, -np.inf)
    k = fig.neighbours.shape[1]
    best = -np.sort(-dots, axis=1)[:, :k]
    got = np.take_along_axis(dots, fig.neighbours, axis=1)
    np.testing.assert_allclose(got, best, rtol=1e-5)  # the k largest dot products, in order


def test_map_sign_agreement_counts_same_sign_map_neighbours():
    xy = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], dtype=float)
    assert sentiment.map_sign_agreement(xy, [1, 1, 1, -1, -1, -1], k=2) == 1.0
    assert sentiment.map_sign_agreement(xy, [1, -1, 1, -1, 1, -1], k=2) == pytest.approx(1 / 3)


def test_map_facts_describe_the_drawn_map(polar_run, polar_section):
    f = polar_section.facts["map"]
    fig = _map(polar_section)
    assert f["words"] == len(fig.words) == len(POSITIVE) + len(NEGATIVE) + len(NEUTRAL)
    assert f["positive"] == int(np.sum(fig.scores > 0))
    assert f["negative"] == int(np.sum(fig.scores < 0))
    assert f["same_sign_on_map"] == pytest.approx(
        sentiment.map_sign_agreement(fig.xy, fig.scores), abs=1e-4
    )


def test_map_word_selection_without_counts_takes_the_most_polar():
    wv = WordVectors(list("abcdef"), np.eye(6), scores=[3, -2, 0.1, -0.2, 1, np.nan])
    chosen = sentiment.map_words(wv, 3, min_reviews=5)
    assert set(chosen.words) == {"a", "b", "e"}


# ----------------------------------------------------------------------------- the section


def test_section_is_complete_and_writes(pang_lee_section, tmp_path):
    s = pang_lee_section
    assert s.id == sentiment.ID and s.title == sentiment.TITLE and s.summary
    json.dumps(s.facts)
    files = write_figures(s, tmp_path)
    assert (tmp_path / files["sentiment-map"]["html"]).stat().st_size > 1000
    page = render_article([s], files, "t", "s")
    assert sentiment.TITLE in page


def test_a_missing_network_is_a_diaphane_error(report_home, tmp_path):
    from diaphane.errors import DiaphaneError

    run = _run(tmp_path / "nothing-here", tmp_path / "out")
    with pytest.raises(DiaphaneError, match="no sentiment network"):
        sentiment.build(run)


def test_the_shipped_network_when_it_is_there(quick_run):
    from diaphane.models.sentiment import default_sentiment_path

    if not (default_sentiment_path() / "config.json").is_file():
        pytest.skip("the shipped sentiment network is not built yet")
    section = sentiment.build(quick_run)
    net = quick_run.sentiment()
    assert section.facts["probes"] == ["excellent", "terrible"]
    for word in ("excellent", "terrible"):
        near = net.most_similar(word, sentiment.K, "dot")
        assert section.facts["neighbours"][f"{word} dot"] == [[w, round(s, 4)] for w, s in near]
    cv = net.info["cross_validation"]
    metric = next(b for b in section.blocks if isinstance(b, Metric))
    label, value = metric.items[0]
    assert label == f"{cv['folds']}-fold cross-validated accuracy"
    assert value.startswith(f"{100 * cv['accuracy']:.1f}%")
    assert section.facts["map"]["words"] <= sentiment.QUICK_MAP_WORDS
