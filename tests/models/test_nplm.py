"""Bengio's neural language model: agreement with an equivalent torch model, training,
scoring, saving, word vectors and exact resume."""

import itertools
import json

import numpy as np
import pytest
import torch

from diaphane.autodiff import DiaphaneError, SparseRows, value_and_grad
from diaphane.models.nplm import NPLM, NPLMConfig, init_params, nplm_logits, nplm_loss, train_nplm
from diaphane.nn.checkpoint import CheckpointError
from diaphane.nn.train import TrainConfig
from diaphane.text import Vocabulary

V = 40


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # Tiny matrices gain nothing from BLAS threads, and on a busy machine OpenBLAS's
    # spinning threads can make them many times slower.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a dev dependency; without it the tests only run slower
        yield
        return
    with threadpool_limits(1):
        yield


def _torch_loss(params, ctx, tgt):
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x = t["C"][torch.tensor(ctx, dtype=torch.long)].reshape(len(ctx), -1)
    y = t["b"].clone()
    if "H" in t:
        y = y + torch.tanh(x @ t["H"] + t["d"]) @ t["U"]
    if "W" in t:
        y = y + x @ t["W"]
    loss = torch.nn.functional.cross_entropy(y, torch.tensor(tgt, dtype=torch.long))
    loss.backward()
    return y.detach().numpy(), loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@pytest.mark.parametrize(("hidden", "direct"), [(7, True), (7, False), (0, True)])
def test_logits_and_gradients_match_torch(hidden, direct):
    rng = np.random.default_rng(1)
    config = NPLMConfig(order=4, dim=5, hidden=hidden, direct=direct, dtype="float64")
    params = init_params(config, V, seed=2, unigram=rng.integers(0, 9, V))
    params["d"] = rng.standard_normal(hidden) if hidden else None
    params = {k: v for k, v in params.items() if v is not None}
    ctx = rng.integers(0, V, (16, 3))
    ctx[0] = [3, 3, 3]  # repeated rows: their gradients must add up
    tgt = rng.integers(0, V, 16)
    logits, loss, grads = _torch_loss(params, ctx, tgt)
    np.testing.assert_allclose(nplm_logits(params, ctx), logits, rtol=0, atol=1e-9)
    value, ours = value_and_grad(nplm_loss, sparse=True)(params, ctx, tgt)
    assert isinstance(ours["C"], SparseRows)
    np.testing.assert_allclose(value, loss, rtol=1e-12)
    for name, g in grads.items():
        np.testing.assert_allclose(np.asarray(ours[name]), g, rtol=0, atol=1e-9, err_msg=name)


def _synthetic(n_sent=500, seed=0):
    """Sentences from a small Markov chain: an NPLM can learn it, a unigram model cannot."""
    rng = np.random.default_rng(seed)
    sents = []
    for _ in range(n_sent):
        w, sent = rng.integers(30), []
        for _ in range(rng.integers(4, 12)):
            sent.append(f"w{w}")
            w = (3 * w + rng.integers(2)) % 30
        sents.append(sent)
    return sents


@pytest.fixture(scope="module")
def corpus():
    """The first ~20k words of Brown when the archive is here, else a synthetic text."""
    try:
        from diaphane.text import load_corpus

        sents = list(itertools.islice(load_corpus("brown").sentences(), 900))
    except Exception:
        sents = _synthetic(1500)
    cut = int(0.85 * len(sents))
    train, valid = sents[:cut], sents[cut:]
    return train, valid, Vocabulary.build(train, min_count=2)


@pytest.fixture(scope="module")
def trained(corpus):
    train, valid, vocab = corpus
    config = NPLMConfig(order=3, dim=16, hidden=32)
    return train_nplm(train, vocab, config, valid_sentences=valid, lr=3e-3, batch_size=128,
                      train_config=TrainConfig(epochs=3, progress=False),
                      data_info={"corpus": "test"})  # fmt: skip


def test_training_lowers_validation_perplexity(corpus, trained):
    _, valid, vocab = corpus
    untrained = NPLM(vocab, NPLMConfig(order=3, dim=16, hidden=32))
    model, result = trained
    history = result.state.history
    assert len(history) == 3
    assert history[-1]["valid_ppl"] < history[0]["valid_ppl"]
    assert model.perplexity(valid) < 0.5 * untrained.perplexity(valid)
    assert model.perplexity(valid) == pytest.approx(min(h["valid_ppl"] for h in history))


def test_scores_every_word_and_the_sentence_end(trained):
    model, _ = trained
    sents = [["the", "jury"], ["said", "it", "zzzunknown"]]
    lp = model.log_probs(sents)
    assert lp.shape == (2 + 1 + 3 + 1,) and np.all(lp < 0)
    assert model.perplexity(sents) == pytest.approx(np.exp(-lp.mean()))
    assert model.score_sentences(sents) == (pytest.approx(lp.sum()), 7)
    ctx = np.array([[model.vocab.bos_id, model.vocab.bos_id]])
    assert model.logprob_ids(ctx, np.array([model.vocab["the"]]))[0] == pytest.approx(lp[0])


def test_next_words_and_sampling(trained):
    model, _ = trained
    words = [w for w in model.vocab.words if w[0].isalpha()][:2]
    table = model.next_words(" ".join(words), k=5)
    assert len(table) == 5
    probs = [p for _, p in table]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
    assert model.distribution(words).sum() == pytest.approx(1.0)
    assert model.logprob(table[0][0], words) == pytest.approx(np.log(probs[0]))
    a = model.generate(words[:1], 12, seed=3)
    assert a == model.generate(words[:1], 12, seed=3)
    assert all(w in model.vocab and w not in ("<s>", "<unk>") for w in a)
    with pytest.raises(DiaphaneError, match="None of the context words"):
        model.next_words("qqq zzz")


def test_save_load_and_word_vectors(tmp_path, trained):
    model, _ = trained
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "model.safetensors", "vocab.txt",
    ]  # fmt: skip
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["kind"] == "nplm" and config["hyperparameters"]["order"] == 3
    assert config["training_data"] == {"corpus": "test"} and "diaphane_version" in config
    loaded = NPLM.load(tmp_path / "m")
    assert loaded.vocab == model.vocab and loaded.config == model.config
    sents = [["the", "jury", "said"]]
    assert loaded.perplexity(sents) == model.perplexity(sents)
    words, vectors = model.vectors()
    assert vectors.shape == (len(model.vocab), 16) and words == model.vocab.words
    path = model.save_word2vec(tmp_path / "vectors.txt")
    lines = path.read_text().splitlines()
    assert lines[0] == f"{len(words)} 16"
    first = lines[1].split()
    assert first[0] == words[0]
    np.testing.assert_allclose(np.array(first[1:], float), vectors[0], rtol=1e-5)


def test_load_errors(tmp_path, trained):
    with pytest.raises(CheckpointError, match="No model or checkpoint folder"):
        NPLM.load(tmp_path / "missing")
    model, _ = trained
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "kind": "ngram"}))
    with pytest.raises(DiaphaneError, match="not a 'nplm' one"):
        NPLM.load(tmp_path / "m")


def test_interrupted_training_resumes_exactly(tmp_path):
    sents = _synthetic(120)
    vocab = Vocabulary.build(sents)
    config = NPLMConfig(order=3, dim=6, hidden=8)

    def fit(folder, callbacks=(), resume=False):
        tc = TrainConfig(epochs=2, checkpoint_dir=folder, checkpoint_every=4, progress=False)
        return train_nplm(sents[:100], vocab, config, valid_sentences=sents[100:], batch_size=64,
                          lr=1e-2, seed=5, train_config=tc, callbacks=callbacks,
                          resume=resume)  # fmt: skip

    def stop_at_6(state, params):
        if state.step == 6:
            raise KeyboardInterrupt

    reference, _ = fit(tmp_path / "ref")
    _, cut = fit(tmp_path / "cut", [stop_at_6])
    assert cut.interrupted
    resumed, _ = fit(tmp_path / "cut", resume=True)
    for name, value in reference.params.items():
        np.testing.assert_array_equal(resumed.params[name], value, err_msg=name)
    # each checkpoint is itself a loadable model folder
    assert NPLM.load(tmp_path / "cut" / "last").config == config


def test_bad_configs():
    with pytest.raises(DiaphaneError, match="order"):
        NPLMConfig(order=1)
    with pytest.raises(DiaphaneError, match="hidden"):
        NPLMConfig(hidden=0, direct=False)
