"""The bag-of-words sentiment network: the sparse forward pass against a dense one,
gradients against torch, learning on a slice of movie_reviews, polarity ratios,
saving and loading, word vectors."""

import math

import numpy as np
import pytest
import torch

from diaphane.autodiff import DiaphaneError, SparseRows, value_and_grad
from diaphane.models.sentiment import (
    Bags,
    SentimentConfig,
    SentimentNetwork,
    build_vocabulary,
    init_params,
    load_reviews,
    polarity,
    sentiment_hidden,
    sentiment_loss,
    stratified_split,
    train_sentiment,
)
from diaphane.nn.checkpoint import CheckpointError
from diaphane.text import Vocabulary


@pytest.fixture(scope="module")
def movie_reviews():
    """All 2000 reviews, read once; offline, from the shared data folder."""
    return load_reviews("movie_reviews")


def _random_bags(rng, vocab_size, n_docs, weighted):
    docs = []
    for _ in range(n_docs):
        ids = np.sort(rng.choice(np.arange(1, vocab_size), rng.integers(0, 8), replace=False))
        docs.append((ids, rng.uniform(0.5, 2.0, len(ids)) if weighted else None))
    return Bags.pack(docs)


def _dense_input(bags, vocab_size):
    x = np.zeros((bags.n, vocab_size))
    w = np.ones(len(bags.ids)) if bags.weights is None else bags.weights
    x[bags.segments, bags.ids] = w
    return x


# ------------------------------------------------------------------------- forward and gradients


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_forward_equals_dense_matrix_forward(weighted):
    rng = np.random.default_rng(0)
    params = init_params(SentimentConfig(hidden=5, dtype="float64"), 30, seed=1)
    params["W_in"] = rng.normal(size=params["W_in"].shape)
    bags = _random_bags(rng, 30, 9, weighted)  # some reviews may be empty
    dense = _dense_input(bags, 30) @ params["W_in"]
    np.testing.assert_allclose(sentiment_hidden(params, bags), dense, rtol=1e-13, atol=1e-13)


def test_encode_binary_tf_and_normalized_match_the_dense_bag():
    vocab = Vocabulary(["<unk>", "good", "bad", "film"])
    review = ["good", "good", "film", "zzz", "<unk>", "bad", "good"]
    ids, w = SentimentNetwork(vocab, SentimentConfig(hidden=2)).encode(review)
    assert ids.tolist() == [1, 2, 3] and w is None  # each known word once, sorted
    ids, w = SentimentNetwork(vocab, SentimentConfig(hidden=2, features="tf")).encode(review)
    assert dict(zip(ids.tolist(), w.tolist(), strict=True)) == {1: 3.0, 2: 1.0, 3: 1.0}
    net = SentimentNetwork(vocab, SentimentConfig(hidden=2, features="tf", normalize=True))
    ids, w = net.encode(review)
    np.testing.assert_allclose(w, np.array([3, 1, 1]) / math.sqrt(11), rtol=1e-6)


def _torch_loss(params, bags, labels):
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    rows = t["W_in"][torch.tensor(bags.ids)]
    if bags.weights is not None:
        rows = rows * torch.tensor(bags.weights)[:, None]
    h = torch.zeros(bags.n, rows.shape[1], dtype=torch.float64)
    h = h.index_add(0, torch.tensor(bags.segments), rows)
    z = h @ t["w_out"] + t["b"]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(labels))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradients_match_torch_in_float64(weighted):
    rng = np.random.default_rng(3)
    params = init_params(SentimentConfig(hidden=4, dtype="float64"), 25, seed=2)
    params["W_in"] = rng.normal(size=params["W_in"].shape)
    params["b"] = np.array([0.3])
    bags = _random_bags(rng, 25, 7, weighted)
    labels = rng.integers(0, 2, bags.n).astype(np.float64)
    loss, grads = value_and_grad(sentiment_loss, sparse=True)(params, bags, labels)
    ref_loss, ref = _torch_loss(params, bags, labels)
    assert abs(float(loss) - ref_loss) < 1e-12
    assert isinstance(grads["W_in"], SparseRows)  # only the rows of words present
    assert set(np.unique(grads["W_in"].indices)) == set(np.unique(bags.ids))
    np.testing.assert_allclose(grads["W_in"].to_dense(), ref["W_in"], rtol=1e-10, atol=1e-12)
    for name in ("w_out", "b"):
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- vocabulary


def test_polarity_ratios_on_a_hand_example():
    reviews = [["good", "film", "good"], ["good"], ["bad", "film"]]
    labels = [1, 1, 0]
    # good: in 2 of 2 positive reviews, 0 of 1 negative; film: 1 of 2 and 1 of 1.
    assert polarity([2, 1], [0, 1], 2, 1).tolist() == pytest.approx(
        [math.log(3 / 4) - math.log(1 / 3), math.log(2 / 4) - math.log(2 / 3)]
    )
    vocab, pos, neg = build_vocabulary(reviews, labels, SentimentConfig(hidden=2))
    assert vocab.words == ["<unk>", "film", "good", "bad"]  # by document frequency, then a-z
    assert pos.tolist() == [0, 1, 2, 0] and neg.tolist() == [0, 1, 0, 1]
    net = SentimentNetwork(vocab, SentimentConfig(hidden=2), None, pos, neg, 2, 1)
    assert net.word_polarity() == pytest.approx(
        {"good": math.log(9 / 4), "film": math.log(3 / 4), "bad": math.log(3 / 8)}
    )
    vocab, *_ = build_vocabulary(reviews, labels, SentimentConfig(hidden=2, polarity_cutoff=0.5))
    assert vocab.words == ["<unk>", "good", "bad"]  # |log 3/4| = 0.29 is too neutral
    vocab, *_ = build_vocabulary(reviews, labels, SentimentConfig(hidden=2, min_count=2))
    assert vocab.words == ["<unk>", "film", "good"]
    vocab, *_ = build_vocabulary(reviews, labels, SentimentConfig(hidden=2, max_vocab=1))
    assert vocab.words == ["<unk>", "film"]


def test_bad_labels_and_configs_are_clear_errors():
    with pytest.raises(DiaphaneError, match="both present"):
        build_vocabulary([["a"], ["b"]], [1, 1], SentimentConfig())
    with pytest.raises(DiaphaneError, match="one label per review"):
        build_vocabulary([["a"], ["b"]], [1], SentimentConfig())
    with pytest.raises(DiaphaneError, match="No word survives"):
        build_vocabulary([["a"], ["b"]], [1, 0], SentimentConfig(min_count=5))
    with pytest.raises(DiaphaneError, match="features"):
        SentimentConfig(features="tfidf")


def test_stratified_split_keeps_the_class_shares():
    labels = np.array([0] * 60 + [1] * 40)
    train, test = stratified_split(labels, 0.25, seed=1)
    assert len(test) == 25 and labels[test].sum() == 10
    assert sorted([*train, *test]) == list(range(100))


# ----------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def slice_split(movie_reviews):
    reviews, labels, _ = movie_reviews
    _, keep = stratified_split(labels, 600, seed=0)
    train, test = stratified_split(labels[keep], 200, seed=0)
    pick = lambda idx: ([reviews[keep[i]] for i in idx], labels[keep[idx]])
    return pick(train), pick(test)


@pytest.fixture(scope="module")
def trained(slice_split):
    (train_r, train_y), _ = slice_split
    return train_sentiment(train_r, train_y, SentimentConfig(hidden=8), lr=0.01, epochs=6)


def test_training_beats_chance_clearly_on_held_out_reviews(slice_split, trained):
    (train_r, train_y), (test_r, test_y) = slice_split
    assert len(train_r) == 400 and len(test_r) == 200
    assert trained.accuracy(train_r, train_y) > 0.95
    assert trained.accuracy(test_r, test_y) >= 0.70


def test_training_is_deterministic_with_a_seed(slice_split, trained):
    (train_r, train_y), _ = slice_split
    again = train_sentiment(train_r, train_y, SentimentConfig(hidden=8), lr=0.01, epochs=6)
    for name, value in trained.params.items():
        np.testing.assert_array_equal(value, again.params[name])


def test_explain_shares_add_up_to_the_logit(trained, slice_split):
    _, (test_r, _) = slice_split
    prob, words = trained.explain(test_r[0])
    assert prob == pytest.approx(trained.predict_proba([test_r[0]])[0], rel=1e-5)
    logit = sum(s for _, s in words) + float(trained.params["b"][0])
    assert 1 / (1 + math.exp(-logit)) == pytest.approx(prob, rel=1e-5)
    assert abs(words[0][1]) >= abs(words[-1][1])
    with pytest.raises(DiaphaneError, match="None of the words"):
        trained.explain(["qwertyuiop"])


def test_word_vectors_and_neighbours(trained):
    words, matrix = trained.vectors()
    assert matrix.shape == (len(trained.vocab) - 1, 8) and "<unk>" not in words
    wv = trained.word_vectors()
    assert wv.words == words and np.isfinite(wv.scores).all()
    scores = trained.word_polarity()
    for metric in ("cosine", "dot"):
        near = [w for w, _ in trained.most_similar("bad", k=5, metric=metric)]
        assert len(near) == 5 and "bad" not in near
        # Neighbours of a strongly negative word lean negative.
        assert np.mean([scores[w] for w in near]) < 0, (metric, near)


def test_save_load_round_trip_gives_identical_predictions(tmp_path, trained, slice_split):
    _, (test_r, _) = slice_split
    trained.save(tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} == {
        "config.json", "model.safetensors", "vocab.txt"
    }  # fmt: skip
    loaded = SentimentNetwork.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(test_r), trained.predict_proba(test_r))
    assert loaded.config == trained.config and loaded.word_polarity() == trained.word_polarity()
    assert not list(tmp_path.glob(".model*"))  # no temporary folder left behind


def test_loading_a_missing_or_foreign_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="No model or checkpoint folder"):
        SentimentNetwork.load(tmp_path / "nowhere")
    net = SentimentNetwork(Vocabulary(["<unk>", "a"]), SentimentConfig(hidden=2))
    net.save(tmp_path / "m")
    cfg = (tmp_path / "m" / "config.json").read_text().replace('"sentiment"', '"glove"')
    (tmp_path / "m" / "config.json").write_text(cfg)
    with pytest.raises(DiaphaneError, match="not a sentiment network"):
        SentimentNetwork.load(tmp_path / "m")


def test_pang_lee_sample_loads_as_the_demo_fallback():
    reviews, labels, info = load_reviews("pang_lee_sample")
    assert len(reviews) == 200 and labels.sum() == 100 and info["corpus"] == "pang_lee_sample"
