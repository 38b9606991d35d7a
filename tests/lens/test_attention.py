"""Attention rollout and flow, checked against a direct reading of Abnar & Zuidema's
recipe and against networkx's max-flow."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens import attention_flow, attention_rollout, model_attentions, residual_attention


def random_attention(rng, layers, heads, n, causal=True, power=3):
    x = rng.random((layers, heads, n, n)) ** power
    if causal:
        x = np.tril(x)
    return x / x.sum(-1, keepdims=True)


def networkx_flows(att, top=None):
    """One networkx max-flow per (output, input) pair on the layered graph."""
    caps = residual_attention(att)
    top = len(caps) if top is None else top
    n = caps.shape[-1]
    g = nx.DiGraph()
    for layer in range(top):
        for a in range(n):
            for b in range(n):
                if caps[layer, a, b] > 0:
                    g.add_edge((layer + 1, a), (layer, b), capacity=caps[layer, a, b])
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = nx.maximum_flow_value(g, (top, i), (0, j))
    return out


def test_residual_attention_is_half_identity_for_stochastic_rows(rng):
    att = random_attention(rng, 2, 3, 4)
    want = 0.5 * att.mean(axis=1) + 0.5 * np.eye(4)
    np.testing.assert_allclose(residual_attention(att), want, atol=1e-15)
    np.testing.assert_allclose(residual_attention(att, heads="max").sum(-1), 1.0)


def test_rollout_is_the_product_through_layers(rng):
    att = random_attention(rng, 3, 2, 5)
    aug = residual_attention(att)
    roll = attention_rollout(att)
    np.testing.assert_allclose(roll[-1], aug[2] @ aug[1] @ aug[0], atol=1e-14)
    np.testing.assert_allclose(roll[0], aug[0])
    np.testing.assert_allclose(roll.sum(-1), 1.0)
    assert np.all(np.triu(roll[-1], 1) == 0)  # causal stays causal


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_flow_matches_networkx(causal, seed):
    rng = np.random.default_rng(seed)
    layers, n = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    att = random_attention(rng, layers, 2, n, causal)
    np.testing.assert_allclose(attention_flow(att), networkx_flows(att), atol=1e-12)


def test_flow_with_sparse_attention_and_zero_capacities():
    rng = np.random.default_rng(7)
    att = random_attention(rng, 3, 1, 6, power=12)  # very peaked: many near-zero edges
    att[att < 0.05] = 0
    att /= att.sum(-1, keepdims=True)
    np.testing.assert_allclose(attention_flow(att), networkx_flows(att), atol=1e-12)


def test_flow_all_layers_and_normalize(rng):
    att = random_attention(rng, 3, 2, 4)
    flows = attention_flow(att, all_layers=True)
    assert flows.shape == (3, 4, 4)
    for top in (1, 2, 3):
        np.testing.assert_allclose(flows[top - 1], networkx_flows(att, top), atol=1e-12)
    norm = attention_flow(att, normalize=True)
    np.testing.assert_allclose(norm.sum(-1), 1.0)
    np.testing.assert_allclose(norm * flows[-1].sum(-1, keepdims=True), flows[-1], atol=1e-12)


def test_flow_is_bounded_by_one_and_by_rollout_support(rng):
    att = random_attention(rng, 4, 2, 8)
    flow = attention_flow(att)
    assert np.all(flow <= 1 + 1e-12) and np.all(flow >= 0)
    assert np.all(np.triu(flow, 1) == 0)  # nothing flows from the future in a causal model
    np.testing.assert_allclose(np.diag(flow)[0], 1.0)  # the first token only sees itself


def test_bad_attention_is_refused():
    with pytest.raises(ValueError, match="layers, heads, T, T"):
        attention_rollout(np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        attention_flow(np.full((1, 1, 2, 2), np.nan))
    with pytest.raises(ValueError, match="heads"):
        residual_attention(np.ones((1, 1, 2, 2)), heads="median")


def test_model_attentions_and_flow_on_a_gpt(model, hf_model):
    torch = pytest.importorskip("torch")
    text = "The keys to the cabinet are on the table"
    att = model_attentions(model, text)
    ids = torch.tensor(model.encode(text))[None]
    with torch.no_grad():
        ref = np.stack([a[0].numpy() for a in hf_model(ids, output_attentions=True).attentions])
    np.testing.assert_allclose(att, ref, atol=1e-5)
    np.testing.assert_allclose(attention_flow(att), networkx_flows(att), atol=1e-9)
    with pytest.raises(DiaphaneError, match="1-D"):
        model_attentions(model, [])
