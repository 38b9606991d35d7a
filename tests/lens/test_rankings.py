"""The logit lens, checked against transformers' hidden states read by hand."""

from __future__ import annotations

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens import layer_rankings, logit_lens, rank_of, top_k

TEXT = "Heathrow airport is located in the city of"


def lexsort_ranks(logits, ids):
    """Ranks by the documented rule, from a full sort: by logit descending, then id."""
    order = np.lexsort((np.arange(len(logits)), -logits))
    position = np.empty(len(logits), dtype=np.int64)
    position[order] = np.arange(1, len(logits) + 1)
    return position[ids]


def test_rank_of_breaks_ties_by_lower_id(rng):
    logits = rng.integers(0, 4, size=(3, 50)).astype(np.float32)  # many ties
    ids = rng.integers(0, 50, size=(3, 6))
    want = np.stack([lexsort_ranks(logits[r], ids[r]) for r in range(3)])
    np.testing.assert_array_equal(rank_of(logits, ids), want)
    everything = rank_of(logits[0], np.arange(50))
    np.testing.assert_array_equal(np.sort(everything), np.arange(1, 51))  # a permutation


def test_top_k_agrees_with_ranks(rng):
    logits = rng.integers(0, 3, size=(2, 4, 30)).astype(np.float64)
    tk = top_k(logits, 5)
    assert tk.shape == (2, 4, 5)
    np.testing.assert_array_equal(rank_of(logits, tk), np.broadcast_to(np.arange(1, 6), tk.shape))
    assert top_k(logits, 100).shape[-1] == 30


def hf_lens(hf_model, ids, ecco):
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        out = hf_model(torch.tensor(ids)[None], output_hidden_states=True)
        states = [h[0] for h in out.hidden_states]
        inner = [h if ecco else hf_model.transformer.ln_f(h) for h in states[:-1]]
        logits = [hf_model.lm_head(h) for h in inner] + [out.logits[0]]
    return np.stack([x.numpy() for x in logits]).astype(np.float64)


@pytest.mark.parametrize("ecco", [False, True])
def test_layer_rankings_match_transformers(model, hf_model, ecco):
    ids = model.encode(TEXT)
    watch = [" London", " Paris"]
    r = layer_rankings(model, TEXT, watch=watch, k=4, ecco_compatible=ecco)
    ref = hf_lens(hf_model, ids, ecco)  # [L+1, T, V]
    np.testing.assert_allclose(logit_lens(model, ids, ecco), ref, atol=2e-4)
    probs = np.exp(ref - ref.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    n_rows, n = ref.shape[:2]
    assert r.output_rank.shape == (n_rows, n) and r.watch_rank.shape == (n_rows, n, 2)
    np.testing.assert_array_equal(r.output_ids, ref[-1].argmax(-1))
    np.testing.assert_array_equal(r.output_rank[-1], 1)
    wids = [model.encode(w)[0] for w in watch]
    for layer in range(n_rows):
        for t in range(n):
            want = lexsort_ranks(ref[layer, t], np.array([r.output_ids[t], *wids]))
            got = [r.output_rank[layer, t], *r.watch_rank[layer, t]]
            # float32 logits may order near-ties differently from the float64 reference
            assert np.all(np.abs(np.array(got) - want) <= 1), (layer, t)
            np.testing.assert_allclose(r.watch_prob[layer, t], probs[layer, t, wids], rtol=1e-3)
            if t < n - 1:
                np.testing.assert_allclose(
                    r.next_prob[layer, t], probs[layer, t, ids[t + 1]], rtol=1e-3
                )
    np.testing.assert_array_equal(r.topk_ids[-1, :, 0], r.output_ids)
    np.testing.assert_allclose(r.topk_probs[-1, :, 0], probs[-1].max(-1), rtol=1e-3)
    assert r.tokens == [model.token_str(int(i)) for i in ids]


def test_ecco_variant_differs_only_below_the_top(model):
    a = layer_rankings(model, TEXT)
    b = layer_rankings(model, TEXT, ecco_compatible=True)
    np.testing.assert_array_equal(a.output_rank[-1], b.output_rank[-1])
    assert not np.allclose(a.output_prob[1:-1], b.output_prob[1:-1])


def test_rankings_are_exact_in_float64(model64, hf_model):
    ids = model64.encode(TEXT)
    ref = hf_lens(hf_model.double(), ids, False)
    hf_model.float()
    r = layer_rankings(model64, ids, watch=[5, 17], k=3)
    for layer in range(ref.shape[0]):
        for t in range(len(ids)):
            want = lexsort_ranks(ref[layer, t], np.array([r.output_ids[t], 5, 17]))
            got = [r.output_rank[layer, t], *r.watch_rank[layer, t]]
            np.testing.assert_array_equal(got, want)


def test_table_and_errors(model):
    r = layer_rankings(model, TEXT, watch=[" London"], k=3)
    text = r.table()
    assert "' London'" in text and len(text.splitlines()) == 2 + r.n_layers
    assert "position 0" in r.table(0)
    with pytest.raises(DiaphaneError, match="tokens for this model"):
        layer_rankings(model, TEXT, watch=["Heathrow airport"])
    with pytest.raises(DiaphaneError, match="1-D"):
        layer_rankings(model, [[1, 2]])
