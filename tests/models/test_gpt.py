"""The GPT architecture in diaphane's engine: shapes, causality, conventions, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import diaphane.scipy.special as dsp
from diaphane.autodiff import check_grads, grad
from diaphane.autodiff.core import DiaphaneError
from diaphane.models.gpt import GPT, GPTConfig, gelu, layer_norm


def tiny(dtype="float64", **kw) -> GPT:
    shape = {"vocab_size": 40, "n_positions": 12, "n_embd": 8, "n_layer": 2, "n_head": 2}
    return GPT(GPTConfig(**{**shape, "dtype": dtype, "initializer_range": 0.3, **kw}), seed=1)


IDS = np.array([3, 1, 4, 1, 5, 9, 2])


def test_shapes_single_and_batch():
    model = tiny()
    out = model.forward(IDS, output_mlp_activations=True)
    assert out.logits.shape == (7, 40)
    assert [h.shape for h in out.hidden_states] == [(7, 8)] * 3
    assert [a.shape for a in out.attentions] == [(2, 7, 7)] * 2
    assert [m.shape for m in out.mlp_activations] == [(7, 32)] * 2
    batch = model.forward(np.stack([IDS, IDS[::-1]]), output_mlp_activations=True)
    assert batch.logits.shape == (2, 7, 40) and batch.attentions[0].shape == (2, 2, 7, 7)
    np.testing.assert_allclose(batch.logits[0], out.logits, atol=1e-12)
    reversed_alone = model.forward(IDS[::-1], output_mlp_activations=True)
    np.testing.assert_allclose(
        batch.mlp_activations[1][1], reversed_alone.mlp_activations[1], atol=1e-12
    )


def test_outputs_can_be_turned_off():
    out = tiny().forward(IDS, output_hidden_states=False, output_attentions=False)
    assert out.hidden_states is None and out.attentions is None and out.mlp_activations is None
    with pytest.raises(DiaphaneError, match="output_hidden_states"):
        _ = out.residual_stream


def test_attention_is_causal_and_normalised():
    model = tiny()
    out = model.forward(IDS)
    for a in out.attentions:
        np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-12)
        assert np.all(np.triu(a, k=1) == 0)
    changed = IDS.copy()
    changed[-1] = 0
    np.testing.assert_array_equal(model.forward(changed).logits[:-1], out.logits[:-1])


def test_hidden_state_conventions():
    model = tiny()
    out = model.forward(IDS)
    p = model.params
    np.testing.assert_allclose(out.hidden_states[0], p["wte"][IDS] + p["wpe"][:7])
    np.testing.assert_allclose(out.hidden_states[-1], model.final_norm(out.final_residual))
    np.testing.assert_allclose(model.unembed(out.hidden_states[-1]), out.logits, atol=1e-12)
    stream = out.residual_stream
    assert (
        len(stream) == 3 and stream[-1] is out.final_residual and stream[1] is out.hidden_states[1]
    )
    np.testing.assert_allclose(model.embed(IDS), p["wte"][IDS])
    again = model.forward(None, inputs_embeds=model.embed(IDS))
    np.testing.assert_array_equal(again.logits, out.logits)


def test_float32_stays_float32():
    model = tiny("float32")
    out = model.forward(IDS, output_mlp_activations=True)
    for arr in [out.logits, *out.hidden_states, *out.attentions, *out.mlp_activations]:
        assert arr.dtype == np.float32
    g = grad(lambda e: model.forward(None, inputs_embeds=e).logits[-1, 3])(model.embed(IDS))
    assert g.dtype == np.float32


def test_gradients_match_finite_differences():
    model = tiny()

    def logprob(e):
        return dsp.log_softmax(model.forward(None, inputs_embeds=e).logits[-1])[7]

    check_grads(logprob, model.embed(IDS[:4]), modes=("rev",), order=1)

    def loss_of_block(w):
        params = {**model.params, "h": [dict(model.params["h"][0]), model.params["h"][1]]}
        params["h"][0]["mlp"] = {**params["h"][0]["mlp"], "c_fc": {"w": w, "b": 0.1}}
        return dsp.logsumexp(model.forward(IDS[:4], params=params).logits)

    check_grads(loss_of_block, model.params["h"][0]["mlp"]["c_fc"]["w"], modes=("rev",), order=1)


def test_blocks_stored_as_dict_give_the_same_output():
    model = tiny()
    as_dict = {**model.params, "h": {str(i): b for i, b in enumerate(model.params["h"])}}
    np.testing.assert_array_equal(
        model.forward(IDS, params=as_dict).logits, model.forward(IDS).logits
    )


def test_layer_norm_and_gelu_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(5, 6)) * 3
    g, b = np.linspace(0.5, 2, 6), np.linspace(-1, 1, 6)
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (6,), torch.tensor(g), torch.tensor(b))
    np.testing.assert_allclose(layer_norm(x, {"g": g, "b": b}, 1e-5), ref.numpy(), atol=1e-12)
    t = torch.tensor(x)
    np.testing.assert_allclose(gelu(x), torch.nn.functional.gelu(t, approximate="tanh"), atol=1e-12)
    np.testing.assert_allclose(gelu(x, "gelu"), torch.nn.functional.gelu(t), atol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m: m.forward(np.array([1, 40])), "outside the vocabulary"),
        (lambda m: m.forward(np.array([-1, 2])), "outside the vocabulary"),
        (lambda m: m.forward(np.arange(13) % 40), "1 to 12 tokens"),
        (lambda m: m.forward(np.array([1.0, 2.0])), "integers"),
        (lambda m: m.forward(None), "token ids or inputs_embeds"),
        (lambda m: m.forward(None, inputs_embeds=np.zeros((13, 8))), "1 to 12 tokens"),
        (lambda m: m.encode("hi"), "no tokenizer"),
    ],
)
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(DiaphaneError, match=match):
        call(tiny())


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"n_head": 3}, "multiple of n_head"),
        ({"dtype": "float16"}, "dtype"),
        ({"activation_function": "relu"}, "activation_function"),
        ({"n_layer": 0}, "at least 1"),
    ],
)
def test_bad_config_is_refused(kw, match):
    with pytest.raises(DiaphaneError, match=match):
        tiny(**kw)


def test_repr_and_config_dict():
    model = tiny()
    assert "n_layer=2" in repr(model)
    assert GPTConfig.from_dict({**model.config.to_dict(), "n_ctx": 12}) == model.config
