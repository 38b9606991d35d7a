import json

import numpy as np
import pytest

from diaphane.models.ngram import NgramLM, kn_discounts, load_ngram
from diaphane.text import Vocabulary, load_corpus, pad_sentences

TINY = [["a", "b"], ["a", "a"]]


@pytest.fixture(scope="module")
def inaugural():
    return list(load_corpus("inaugural").sentences())[:400]


@pytest.mark.parametrize("smoothing", ["mle", "addk", "kn"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distributions_sum_to_one(inaugural, smoothing, order):
    lm = NgramLM(order, smoothing, k=0.5).fit(inaugural[:200])
    rng = np.random.default_rng(order)
    seen = [s[: order - 1] for s in inaugural[:20]]
    rand = [list(lm.vocab.decode(rng.integers(0, len(lm.vocab), order - 1))) for _ in range(20)]
    for ctx in seen + rand + [["<s>"] * (order - 1), ["never-seen-word"]]:
        p = lm.distribution(ctx)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert p[lm.vocab.bos_id] == 0 and (p >= 0).all()
        if smoothing != "mle":
            assert (np.delete(p, lm.vocab.bos_id) > 0).all()


def test_hand_computed_mle_and_addk():
    # Streams: <s> a b </s>  <s> a a </s>; predictable words <unk> </s> a b.
    mle = NgramLM(2, "mle").fit(TINY)
    assert np.exp(mle.logprob("b", ["a"])) == pytest.approx(1 / 3)
    assert np.exp(mle.logprob("a", ["<s>"])) == pytest.approx(1.0)
    assert np.exp(mle.logprob("</s>", ["<unk>"])) == pytest.approx(2 / 6)  # unseen context: unigram
    add1 = NgramLM(2, "addk", k=1).fit(TINY)
    assert np.exp(add1.logprob("b", ["a"])) == pytest.approx(2 / 7)
    assert np.exp(add1.logprob("</s>", ["b"])) == pytest.approx(2 / 5)
    assert np.exp(add1.logprob("a", ["<unk>"])) == pytest.approx(1 / 4)


def test_hand_computed_modified_kneser_ney():
    lm = NgramLM(2, "kn").fit(TINY)
    # Bigram counts: (<s> a) 2, (a b) (b </s>) (a a) (a </s>) 1: n1=4, n2=1 → Y=2/3, D1=2/3, D2=2.
    assert lm.discounts[1][:2] == pytest.approx([2 / 3, 2.0])
    # Continuation counts: a 2 (<s>, a), b 1, </s> 2; n1=1, n2=2 → Y=1/5, D1=1/5, D2=2.
    assert lm.discounts[0][:2] == pytest.approx([0.2, 2.0])
    gamma0 = (0.2 * 1 + 2 * 2) / 5
    p1 = {"a": gamma0 / 4, "b": 0.8 / 5 + gamma0 / 4}
    assert np.exp(lm.logprob("a")) == pytest.approx(p1["a"])
    # After "a": three bigram types of count 1, each loses 2/3; gamma = 3 · (2/3) / 3.
    assert np.exp(lm.logprob("b", ["a"])) == pytest.approx((1 - 2 / 3) / 3 + (2 / 3) * p1["b"])
    assert np.exp(lm.logprob("b", ["zzz"])) == pytest.approx(p1["b"])


def _nltk_text(sentences, vocab, order):
    stream = vocab.decode(pad_sentences(sentences, vocab, order))
    grams = [
        tuple(stream[i - k + 1 : i + 1])
        for i in range(len(stream))
        if stream[i] != "<s>"
        for k in range(1, order + 1)
    ]
    return [grams], stream


def test_agrees_with_nltk(inaugural):
    nltk_lm = pytest.importorskip("nltk.lm")
    sents = inaugural[:60]
    lm_mle = NgramLM(3, "mle").fit(sents)
    lm_add = NgramLM(3, "addk", k=1).fit(sents, lm_mle.vocab)
    lm_kn = NgramLM(3, "kn", discounts=[0.0, 0.1, 0.1]).fit(sents, lm_mle.vocab)
    text, stream = _nltk_text(sents, lm_mle.vocab, 3)
    ref = {name: cls(3) for name, cls in [("mle", nltk_lm.MLE), ("add", nltk_lm.Laplace)]}
    ref["kn"] = nltk_lm.KneserNeyInterpolated(3, discount=0.1)
    for m in ref.values():
        m.fit(text, stream)
    rng = np.random.default_rng(0)
    checked = 0
    for i in rng.choice(np.flatnonzero(np.array(stream) != "<s>"), 50, replace=False):
        ctx, w = stream[i - 2 : i], stream[i]
        for other in (w, str(rng.choice(stream))):
            if other == "<s>":
                continue
            assert np.exp(lm_mle.logprob(other, ctx)) == pytest.approx(
                ref["mle"].score(other, ctx), abs=1e-9
            )
            assert np.exp(lm_kn.logprob(other, ctx)) == pytest.approx(
                ref["kn"].score(other, ctx), abs=1e-9
            )
            # NLTK's Laplace normalises over a vocabulary that also holds <s>; the counts agree.
            total = ref["mle"].counts[tuple(ctx)].N()
            ours = np.exp(lm_add.logprob(other, ctx)) * (total + lm_add.n_predictable)
            theirs = ref["add"].score(other, ctx) * (total + len(ref["add"].vocab))
            assert ours == pytest.approx(theirs, abs=1e-9)
            checked += 1
    assert checked > 60


def test_perplexity_finite_with_unknown_words(inaugural):
    lm = NgramLM(3, "kn").fit(inaugural[:300], Vocabulary.build(inaugural[:300], min_count=2))
    ppl = lm.perplexity([["Zebras", "quantum", "the", "people", "."], []])
    assert np.isfinite(ppl) and ppl > 1
    assert lm.perplexity(inaugural[300:]) < lm.vocab.counts.size


def test_save_load_roundtrip_no_pickle(inaugural, tmp_path):
    lm = NgramLM(3, "kn").fit(inaugural[:200], source={"corpus": "inaugural"})
    lm.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "model.safetensors",
        "vocab.txt",
    ]
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["kind"] == "ngram" and cfg["training"]["corpus"] == "inaugural"
    back = load_ngram(tmp_path / "m")
    assert back.perplexity(inaugural[200:260]) == lm.perplexity(inaugural[200:260])
    assert back.next_words(["the"], 5) == lm.next_words(["the"], 5)
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        load_ngram(tmp_path)


def test_next_words_and_seeded_generation(inaugural):
    lm = NgramLM(3, "kn").fit(inaugural)
    top = lm.next_words(["of", "the"], 5)
    assert len(top) == 5 and top[0][1] >= top[-1][1]
    assert lm.generate(["the"], 15, seed=0) == lm.generate(["the"], 15, seed=0)
    assert len(lm.generate([], 15, seed=1)) <= 15


def test_kn_discounts_stay_in_range():
    assert kn_discounts(np.array([1, 1, 1])) == [1.0, 2.0, 3.0]
    d = kn_discounts(np.array([1] * 50 + [2] * 20 + [3] * 10 + [4] * 5))
    assert 0 < d[0] < d[1] < d[2] < 3


@pytest.mark.parametrize("smoothing", ["kn", "addk"])
def test_arpa_loads_in_kenlm_and_agrees(inaugural, tmp_path, smoothing):
    kenlm = pytest.importorskip("kenlm")
    lm = NgramLM(3, smoothing).fit(inaugural[:150], Vocabulary.build(inaugural[:150], min_count=2))
    lm.to_arpa(tmp_path / "m.arpa")
    model = kenlm.Model(str(tmp_path / "m.arpa"))
    assert model.order == 3
    for sent in inaugural[150:170]:
        state, out = kenlm.State(), kenlm.State()
        model.NullContextWrite(state)
        for w in ["<s>", "<s>"]:
            model.BaseScore(state, w, out)
            state, out = out, state
        ids = [*lm.vocab.encode(sent).tolist(), lm.vocab.eos_id]
        ctx = [lm.vocab.bos_id] * 2
        for i in ids:
            theirs = model.BaseScore(state, lm.vocab.words[i], out)
            state, out = out, state
            ours = lm.logprob_ids(np.array([ctx[-2:]]), np.array([i]))[0] / np.log(10)
            assert theirs == pytest.approx(ours, abs=2e-5)
            ctx.append(i)
