"""The probes' mechanics on a small random GPT, and their reading on a hand-built one."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from diaphane.errors import DiaphaneError
from diaphane.lens import logit_lens, model_attentions, probes
from diaphane.models.gpt import GPT, GPTConfig
from diaphane.models.gpt_train import train_tokenizer

TEXT = (
    "The keys to the cabinet are on the table. The key to the cabinets is on the shelf. "
    "The authors of the book were there; the author of the books was not. The dogs have "
    "eaten and the dog has slept. In order to win, the players of the team are ready. "
    "The river flows through the valley, and the people of the village have boats."
)
PROMPTS = [
    ("The keys to the cabinet", " are", " is"),
    ("The key to the cabinets", " is", " are"),
    ("The authors of the book", " were", " was"),
    ("The dog", " has", " have"),
    ("The players of the team", " are", " is"),
]
MULTI = ("The dogs of the village", " zqxwv", " is")  # an unseen verb: several tokens


@pytest.fixture(scope="module")
def model():
    tok = train_tokenizer([TEXT] * 5, vocab_size=600)
    shape = {"n_positions": 48, "n_embd": 16, "n_layer": 3, "n_head": 2}
    config = GPTConfig(vocab_size=tok.get_vocab_size(), dtype="float64", initializer_range=0.4,
                       **shape)  # fmt: skip
    return GPT(config, tokenizer=tok, seed=3)


def lexsort_rank(logits: np.ndarray, token: int) -> int:
    """The documented rank: by logit descending, ties by lower id, from a full sort."""
    order = np.lexsort((np.arange(len(logits)), -logits))
    return int(np.flatnonzero(order == token)[0]) + 1


def test_the_shipped_prompt_lists_are_balanced_and_long_enough():
    assert len(probes.AGREEMENT_PROMPTS) >= 24 and len(probes.CANDIDATE_PROMPTS) >= 40
    singular = [p for p in probes.AGREEMENT_PROMPTS if p[1] in (" is", " was", " has")]
    assert len(singular) * 2 == len(probes.AGREEMENT_PROMPTS)
    pairs = {(" is", " are"), (" was", " were"), (" has", " have")}
    assert all(tuple(sorted(p[1:])) in {tuple(sorted(x)) for x in pairs} for p in singular)


def test_agreement_rates_are_the_fraction_computed_by_hand(model):
    a = probes.agreement_by_layer(model, PROMPTS)
    rows = []
    for prompt, good, bad in PROMPTS:
        logits = logit_lens(model, model.encode(prompt))[:, -1]
        g, b = model.token_id(good), model.token_id(bad)
        rows.append(logits[:, g] > logits[:, b])
        i = len(rows) - 1
        assert [lexsort_rank(x, g) for x in logits] == a.good_rank[i].tolist()
        assert [lexsort_rank(x, b) for x in logits] == a.bad_rank[i].tolist()
        np.testing.assert_allclose(a.margin[i], logits[:, g] - logits[:, b], atol=1e-12)
    by_hand = np.mean(rows, axis=0)
    assert a.rate.shape == (model.config.n_layer + 1,)
    np.testing.assert_array_equal(a.rate, by_hand)
    assert a.skipped == [] and a.prompts == PROMPTS


def test_multi_token_verbs_are_reported_not_scored(model):
    assert len(model.encode(MULTI[1])) > 1
    a = probes.agreement_by_layer(model, [*PROMPTS, MULTI])
    assert a.prompts == PROMPTS and len(a.margin) == len(PROMPTS)
    ((skipped, why),) = a.skipped
    assert skipped == MULTI and "' zqxwv'" in why and "tokens" in why
    np.testing.assert_array_equal(a.rate, probes.agreement_by_layer(model, PROMPTS).rate)
    with pytest.raises(DiaphaneError, match="single-token verbs"):
        probes.agreement_by_layer(model, [MULTI])


def test_batched_lens_equals_the_lens_of_each_prompt(model):
    prompts = [p for p, _, _ in PROMPTS] + ["The", "In order to win, the players"]
    batched = probes.last_position_lens(model, prompts, batch=3)  # several batches, ragged
    for prompt, got in zip(prompts, batched, strict=True):
        np.testing.assert_allclose(got, logit_lens(model, model.encode(prompt))[:, -1], atol=1e-10)


def test_induction_sequence_is_repeated_seeded_and_made_of_words(model):
    words = probes.word_token_ids(model)
    assert len(words) > 10
    assert all(probes._WORD.fullmatch(model.token_str(int(i))) for i in words)
    r = probes.induction_ranks(model, 8, seed=5)
    assert r.ids.shape == (16,) and r.length == 8
    np.testing.assert_array_equal(r.ids[:8], r.ids[8:])
    assert len(set(r.ids[:8].tolist())) == 8 and set(r.ids.tolist()) <= set(words.tolist())
    np.testing.assert_array_equal(probes.induction_ranks(model, 8, seed=5).ids, r.ids)
    assert not np.array_equal(probes.induction_ranks(model, 8, seed=6).ids, r.ids)
    with pytest.raises(DiaphaneError, match="half the model's context"):
        probes.induction_ranks(model, 25)


def test_induction_ranks_are_a_sort_of_the_lens_logits(model):
    r = probes.induction_ranks(model, 8, seed=1)
    logits = logit_lens(model, r.ids)
    assert r.ranks.shape == (model.config.n_layer + 1, 15)
    for layer in range(len(logits)):
        want = [lexsort_rank(logits[layer, p], r.ids[p + 1]) for p in range(15)]
        assert r.ranks[layer].tolist() == want
    np.testing.assert_array_equal(r.median_first, np.median(r.ranks[:, :8], axis=1))
    np.testing.assert_array_equal(r.median_second, np.median(r.ranks[:, 8:], axis=1))
    hit = [lay for lay in range(len(logits)) if r.median_second[lay] == 1]
    assert r.rank_one_layer == (hit[0] if hit else None)


def test_stripe_score_is_the_mean_of_the_induction_diagonal(model):
    n = 8
    r = probes.induction_ranks(model, n, seed=2)
    att = model_attentions(model, r.ids)
    want = np.mean([att[:, :, i, i - n + 1] for i in range(n, 2 * n)], axis=0)
    np.testing.assert_allclose(r.stripe, want, atol=1e-12)
    np.testing.assert_allclose(
        r.previous, np.mean([att[:, :, i, i - 1] for i in range(1, 2 * n)], axis=0), atol=1e-12
    )
    assert r.stripe[r.best_head] == r.stripe.max()
    heads = r.induction_heads(threshold=float(np.median(r.stripe)))
    assert [h[2] for h in heads] == sorted((h[2] for h in heads), reverse=True)
    assert len(heads) == int((r.stripe >= np.median(r.stripe)).sum())


def test_right_answers_keep_exactly_the_argmax_candidates(model):
    prompts = [p for p, _, _ in PROMPTS] + ["The river", "In order to", "the people of", "A"]
    outputs = [int(np.argmax(logit_lens(model, model.encode(p))[-1, -1])) for p in prompts]
    # Candidates must name their token as text: keep outputs whose text is that one token.
    named = [(p, t) for p, t in zip(prompts, outputs, strict=True)
             if model.encode(model.token_str(t)).tolist() == [t]]  # fmt: skip
    assert len(named) >= 5
    right = [(p, model.token_str(t)) for p, t in named[:3]]
    words = probes.word_token_ids(model)
    other = [(p, model.token_str(int(words[words != t][0]))) for p, t in named[3:5]]
    candidates = [other[0], right[0], ("The key", " zqxwv"), right[1], other[1], right[2]]
    found = probes.right_answers(model, candidates)
    assert [(c.prompt, c.expected) for c in found] == right
    scores = probes.score_candidates(model, candidates)
    assert [s.right for s in scores] == [False, True, False, True, False, True]
    assert scores[2].ranks is None and "tokens" in scores[2].reason
    for c in found:
        lens = logit_lens(model, model.encode(c.prompt))[:, -1]
        first = next(lay for lay in range(len(lens)) if np.argmax(lens[lay]) == c.expected_id)
        assert c.first_layer == first and c.top == c.expected
        p = np.exp(lens[-1] - lens[-1].max())
        assert c.prob == pytest.approx(p[c.expected_id] / p.sum())


class KnownInduction:
    """A stand-in GPT whose answers are known: from layer 1 on, each second-repeat
    position's hidden state is the one-hot of the true next token (the unembedding is
    the identity), and head 1 of layer 1 attends exactly along the induction stripe."""

    def __init__(self, vocab=40, n_layer=2, n_head=2):
        self.config = SimpleNamespace(vocab_size=vocab, n_positions=64, n_layer=n_layer,
                                      n_head=n_head)  # fmt: skip
        self.tokenizer = None

    def final_norm(self, h):
        return h

    def unembed(self, h):
        return np.asarray(h)

    def forward(self, ids, output_hidden_states=True, output_attentions=True):
        ids = np.asarray(ids)
        t, n, v = len(ids), len(ids) // 2, self.config.vocab_size
        rng = np.random.default_rng(0)
        noise = rng.normal(size=(t, v)) * 0.1
        solved = noise.copy()
        solved[np.arange(n, t - 1), ids[n + 1 :]] = 5.0
        hidden = [noise] + [solved] * self.config.n_layer
        att = np.tril(np.ones((self.config.n_layer, self.config.n_head, t, t)))
        att /= att.sum(-1, keepdims=True)
        att[1, 1] = 0.0
        att[1, 1, np.arange(t), np.maximum(np.arange(t) - n + 1, 0)] = 1.0
        return SimpleNamespace(hidden_states=hidden, logits=solved, attentions=list(att))


def test_a_model_that_copies_reaches_rank_one_and_its_head_is_found():
    r = probes.induction_ranks(KnownInduction(), 10, seed=0)
    assert r.rank_one_layer == 1
    np.testing.assert_array_equal(r.median_second[1:], 1)
    assert r.median_first[-1] > 1 and r.median_second[0] > 1
    assert r.best_head == (1, 1) and r.stripe[1, 1] == 1.0
    assert [(h[0], h[1]) for h in r.induction_heads(0.5)] == [(1, 1)]
    np.testing.assert_allclose(r.stripe[0], np.mean([1 / (i + 1) for i in range(10, 20)]))
