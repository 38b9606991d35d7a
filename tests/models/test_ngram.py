import json

import numpy as np
import pytest

from diaphane.errors import DiaphaneError
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
    with pytest.raises(DiaphaneError, match=r"config\.json is missing"):
        load_ngram(tmp_path)


def test_saved_folder_is_checked_whole(inaugural, tmp_path):
    lm = NgramLM(3, "kn").fit(inaugural[:100])
    folder = lm.save(tmp_path / "m")
    cfg = json.loads((folder / "config.json").read_text())
    assert len(cfg["checkpoint"]["sha256"]["model.safetensors"]) == 64
    # config.json may not send the loader outside the folder
    cfg["vocab"] = "/etc/passwd"
    (folder / "config.json").write_text(json.dumps(cfg))
    assert load_ngram(folder).vocab.words == lm.vocab.words
    # new weights beside an old config (a save cut short) are refused, not misread
    other = NgramLM(3, "kn").fit(inaugural[100:200])
    weights = tmp_path / "other"
    other.save(weights)
    (folder / "model.safetensors").write_bytes((weights / "model.safetensors").read_bytes())
    with pytest.raises(DiaphaneError, match="sha256 does not match"):
        load_ngram(folder)
    # a vocabulary of another size is refused too: by its sha256, and by its size
    folder = lm.save(tmp_path / "m2")
    (folder / "vocab.txt").write_text("<unk>\t0\n<s>\t0\n</s>\t0\nonly\t1\n")
    with pytest.raises(DiaphaneError, match=r"vocab\.txt is corrupt"):
        load_ngram(folder)
    cfg = json.loads((folder / "config.json").read_text())
    del cfg["checkpoint"]["sha256"]["vocab.txt"]
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DiaphaneError, match="holds 4 words"):
        load_ngram(folder)


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


# --- fast tables: counting, hashed look-ups, scoring -----------------------------------


def _reference_prob(lm, contexts, words):
    """p(w | h) by binary search in the sorted key arrays (the model's arrays, no hashing)."""
    from diaphane.text.ngrams import lookup

    V = len(lm.vocab)
    contexts = np.asarray(contexts, np.int64)[:, -(lm.order - 1) :]
    p = np.where(words == lm.vocab.bos_id, 0.0, 1.0 / lm.n_predictable)
    c = np.zeros(len(words), np.int64)
    found = [c]
    for j in range(1, contexts.shape[1] + 1):
        key = np.where(c >= 0, c * V + contexts[:, -j], -1)
        c = lookup(lm.contexts[j], key) if j < lm.order else np.full(len(words), -1)
        found.append(c)
    for k in range(1, contexts.shape[1] + 2):
        c = found[k - 1]
        g = lookup(lm.keys[k - 1], np.where(c >= 0, c * V + words, -1))
        alpha = np.where(g >= 0, lm.alpha[k - 1][g], 0.0)
        p = np.where(c >= 0, alpha + lm.gamma[k - 1][np.maximum(c, 0)] * p, p)
    return p


@pytest.mark.parametrize("smoothing", ["mle", "addk", "kn"])
def test_hashed_scoring_equals_binary_search(inaugural, smoothing):
    lm = NgramLM(3, smoothing).fit(inaugural[:300])
    assert not lm._index[2].dense and not lm._ctx_index[2].dense  # the hash path is tested
    stream = pad_sentences(inaugural[300:400], lm.vocab, 3)
    rng = np.random.default_rng(0)
    ctx = np.vstack(
        [
            np.lib.stride_tricks.sliding_window_view(stream[:-1], 2)[:2000],
            rng.integers(0, len(lm.vocab), (500, 2)),
        ]
    )
    words = np.concatenate([stream[2:2002], rng.integers(0, len(lm.vocab), 500)])
    ours = lm.logprob_ids(ctx, words)
    with np.errstate(divide="ignore"):
        ref = np.log(_reference_prob(lm, ctx, words.astype(np.int64)))
    np.testing.assert_array_equal(ours, ref)  # the same arithmetic: bit for bit


def test_key_index_finds_every_key_and_no_other():
    from diaphane.text.ngrams import KeyIndex, lookup

    rng = np.random.default_rng(1)
    for n, high in [(0, 10), (1, 10), (50, 100), (5000, 10**6), (20000, 2**50)]:
        keys = np.unique(rng.integers(0, high, n))
        ix = KeyIndex(keys)
        queries = np.concatenate([keys, rng.integers(-5, high + 5, 3000), [-1, -(2**40)]])
        np.testing.assert_array_equal(ix.find(queries), lookup(keys, queries))
    assert not KeyIndex(np.unique(rng.integers(0, 2**50, 1000))).dense


def test_key_index_resolves_long_probe_chains():
    from diaphane.text.ngrams import KeyIndex, lookup

    class FourSlots(KeyIndex):  # a terrible hash: every key lands in one of 4 home slots
        def _slots(self, key):
            return (key.view(np.uint64) % np.uint64(4)).astype(np.intp)

    keys = np.arange(0, 3000 * 10**6, 10**6 + 7)
    ix = FourSlots(keys)
    queries = np.concatenate([keys[::-1], keys + 1, [-1, 2**62]])
    np.testing.assert_array_equal(ix.find(queries), lookup(keys, queries))


@pytest.mark.parametrize("high", [50, 10**9])  # the bincount path and the sort path
def test_unique_inverse_matches_numpy(high):
    from diaphane.text.ngrams import unique_inverse

    key = np.random.default_rng(2).integers(0, high, 4000)
    uniq, idx, inv, cnt = unique_inverse(key)
    ref_uniq, ref_inv, ref_cnt = np.unique(key, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(uniq, ref_uniq)
    np.testing.assert_array_equal(inv, ref_inv)
    np.testing.assert_array_equal(cnt, ref_cnt)
    np.testing.assert_array_equal(key[idx], uniq)  # some occurrence of each key
    assert [len(a) for a in unique_inverse(key, first=False, inverse=False)] == [
        len(uniq),
        0,
        0,
        len(uniq),
    ]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_count_ngrams_matches_a_counter(order):
    from collections import Counter

    from diaphane.text.ngrams import count_ngrams, decode_contexts

    rng = np.random.default_rng(order)
    sents = [list(rng.integers(2, 9, rng.integers(0, 12))) for _ in range(60)]
    stream = np.concatenate([[1] * (order - 1) + s + [0] for s in sents]).astype(np.int64)
    got = count_ngrams(stream, order, 9, bos_id=1)
    for k in range(1, order + 1):
        ref = Counter(
            tuple(stream[i - k + 1 : i + 1])
            for i in range(order - 1, len(stream))
            if stream[i] != 1
        )
        ctx = decode_contexts(got.contexts, k - 1, got.keys[k - 1] // 9, 9)
        grams = [(*c, w) for c, w in zip(ctx.tolist(), (got.keys[k - 1] % 9).tolist(), strict=True)]
        assert dict(zip(grams, got.counts[k - 1].tolist(), strict=True)) == ref
        if k < order:  # continuation: distinct words seen just before the k-gram
            cont = Counter(
                g[1:]
                for g in Counter(
                    tuple(stream[i - k : i + 1])
                    for i in range(order - 1, len(stream))
                    if stream[i] != 1
                )
            )
            assert dict(zip(grams, got.continuation[k - 1].tolist(), strict=True)) == cont


def test_fit_stream_is_fit_without_encoding(inaugural):
    a = NgramLM(3, "kn").fit(inaugural[:100])
    b = NgramLM(3, "kn").fit_stream(pad_sentences(inaugural[:100], a.vocab, 3), a.vocab)
    assert b.perplexity(inaugural[100:150]) == a.perplexity(inaugural[100:150])
    with pytest.raises(ValueError, match="ids must lie in"):
        NgramLM(3).fit_stream(np.array([1, 1, len(a.vocab)]), a.vocab)
