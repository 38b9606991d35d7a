"""The sentiment network shipped with diaphane: it loads offline, records how it was
made and how well it does, classifies plain reviews right, and its word vectors
put positive words next to "excellent"."""

from __future__ import annotations

import re
import socket

import numpy as np
import pytest

from diaphane.models.sentiment import (
    SentimentNetwork,
    default_network,
    default_sentiment_path,
    load_reviews,
)
from diaphane.text import DataNotFoundError

POSITIVE = [
    "An excellent film: a wonderful, moving story with a great cast.",
    "Brilliant and beautifully acted, one of the best films I have seen this year.",
]
NEGATIVE = [
    "A boring, stupid waste of time; the worst film of the year.",
    "Dull, predictable and badly written, with awful dialogue. Avoid it.",
]


@pytest.fixture(scope="module")
def net():
    return default_network()


@pytest.fixture(scope="module")
def corpus():
    try:
        return load_reviews("movie_reviews")
    except DataNotFoundError:
        pytest.skip("the movie_reviews archive is not here (DIAPHANE_DATA)")


def test_it_loads_offline_without_any_corpus(tmp_path, monkeypatch):
    monkeypatch.delenv("DIAPHANE_DATA", raising=False)
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path))
    monkeypatch.setenv("DIAPHANE_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise AssertionError("the shipped model must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    net = SentimentNetwork.load(default_sentiment_path())
    assert net.config.hidden == 10 and net.config.normalize and len(net.vocab) > 10_000
    assert net.n_pos == net.n_neg == 1000


def test_the_folder_is_small_and_safe():
    folder = default_sentiment_path()
    names = {p.name for p in folder.iterdir()}
    assert names == {"config.json", "model.safetensors", "vocab.txt"}  # no pickle
    assert sum(p.stat().st_size for p in folder.iterdir()) < 3_000_000


def test_config_records_recipe_fingerprint_and_accuracy(net):
    data = net.info
    assert data["corpus"] == "movie_reviews" and re.fullmatch(r"[0-9a-f]{64}", data["fingerprint"])
    assert data["train_reviews"] == 2000 and data["test_reviews"] == 0
    assert data["command"].startswith("diaphane train sentiment --corpus movie_reviews ")
    assert f"--min-count {net.config.min_count}" in data["command"]
    assert data["script"] == "python docs/make_default_sentiment.py"
    cv = data["cross_validation"]
    assert cv["folds"] == len(cv["per_fold"]) == 10 and "StratifiedKFold(10" in cv["splitter"]
    assert cv["accuracy"] == pytest.approx(np.mean(cv["per_fold"])) and cv["accuracy"] >= 0.88


def test_plain_reviews_are_classified_right(net):
    texts = POSITIVE + NEGATIVE
    proba = net.predict_proba([net.tokenize(t) for t in texts])
    assert (proba[:2] > 0.9).all() and (proba[2:] < 0.1).all(), proba


def test_held_in_reviews_are_classified_right(net, corpus):
    reviews, labels, info = corpus
    assert info["fingerprint"] == net.info["fingerprint"]
    proba = net.predict_proba(reviews)
    assert np.mean((proba > 0.5) == labels) >= 0.97
    # the clearest cases of each class, by the corpus's own labels
    assert proba[labels == 1].max() > 0.99 and proba[labels == 0].min() < 0.01
    assert np.median(proba[labels == 1]) > 0.9 and np.median(proba[labels == 0]) < 0.1


def test_excellents_neighbours_by_dot_product_are_positive_words(net):
    polarity = net.word_polarity()
    near = net.most_similar("excellent", k=10, metric="dot")
    assert len(near) == 10 and all(polarity[w] > 0 for w, _ in near), near
    near = net.most_similar("terrible", k=10, metric="dot")
    assert all(polarity[w] < 0 for w, _ in near), near


def test_the_recorded_command_rebuilds_the_same_weights(net, corpus, tmp_path, capsys):
    import diaphane.cli as cli

    argv = net.info["command"].split()[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    assert cli.main(argv) == 0
    again = SentimentNetwork.load(tmp_path / "again")
    assert again.vocab.words == net.vocab.words
    for name in ("W_in", "w_out", "b"):
        np.testing.assert_allclose(again.params[name], net.params[name], rtol=0, atol=1e-6)
