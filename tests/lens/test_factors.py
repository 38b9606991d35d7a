"""Neuron factors: MLP activations as transformers computes them, NMF as scikit-learn does."""

from __future__ import annotations

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens import mlp_activations, neuron_factors

TEXTS = ["The cat sat on the mat", "Paris is the capital of France", "London is in England"]


def test_mlp_activations_match_transformers(model, hf_model):
    torch = pytest.importorskip("torch")
    ids = model.encode(TEXTS[0])
    seen = []
    hooks = [
        block.mlp.act.register_forward_hook(lambda mod, inp, out: seen.append(out[0].numpy()))
        for block in hf_model.transformer.h
    ]
    try:
        with torch.no_grad():
            hf_model(torch.tensor(ids)[None])
    finally:
        for h in hooks:
            h.remove()
    np.testing.assert_allclose(mlp_activations(model, ids), np.concatenate(seen, -1), atol=1e-5)
    np.testing.assert_allclose(mlp_activations(model, ids, [2]), seen[2], atol=1e-5)


def test_factors_are_sklearn_nmf_of_clipped_activations(model):
    from sklearn.decomposition import NMF

    f = neuron_factors(model, TEXTS, k=3, layers=[0, 2], seed=1)
    a = np.concatenate([mlp_activations(model, t, [0, 2]) for t in TEXTS]).astype(np.float64)
    nmf = NMF(n_components=3, init="nndsvda", random_state=1, max_iter=500)
    w = nmf.fit_transform(np.maximum(a, 0))
    np.testing.assert_allclose(np.concatenate(f.activations), w)
    np.testing.assert_allclose(f.components, nmf.components_)
    assert f.components.shape == (3, 2 * 4 * model.config.n_embd)
    assert [len(t) for t in f.tokens] == [len(model.encode(t)) for t in TEXTS]
    assert all(np.all(act >= 0) for act in f.activations)
    top = f.top_tokens(0, 3)
    assert len(top) == 3 and top[0][1] >= top[-1][1]


def test_factors_are_reproducible_and_errors(model):
    a = neuron_factors(model, TEXTS, k=2, seed=0)
    b = neuron_factors(model, TEXTS, k=2, seed=0)
    np.testing.assert_array_equal(a.components, b.components)
    assert a.layers == list(range(model.config.n_layer)) and a.n_factors == 2
    with pytest.raises(DiaphaneError, match="factors do not fit"):
        neuron_factors(model, TEXTS[:1], k=1000)
    with pytest.raises(DiaphaneError, match="list of texts"):
        neuron_factors(model, "one text")
    with pytest.raises(DiaphaneError, match="no layer"):
        mlp_activations(model, TEXTS[0], [7])
