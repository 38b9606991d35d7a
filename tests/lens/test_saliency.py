"""Saliency against Captum on the same model in transformers (same weights)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens import ig_points, saliency
from diaphane.lens.saliency import RULES

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

TEXT = "Heathrow airport is located in the city of"


def torch_target(hf, tid, quantity="prob", cid=None):
    def q(logits, t):
        if quantity == "logit":
            return logits[:, t]
        lp = torch.log_softmax(logits, -1)[:, t]
        return lp if quantity == "logprob" else torch.softmax(logits, -1)[:, t]

    def f(embeds):
        logits = hf(inputs_embeds=embeds).logits[:, -1]
        return q(logits, tid) - (q(logits, cid) if cid is not None else 0)

    return f


def embeds(hf, ids):
    return hf.transformer.wte.weight[torch.tensor(ids)].detach()[None].requires_grad_()


def rel_err(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.fixture
def hf64(hf_model):
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # Captum places its Riemann points with linspace
    yield hf_model.double()
    hf_model.float()
    torch.set_default_dtype(default)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("n", [2, 7, 50])
def test_ig_points_are_captums(rule, n):
    from captum.attr._utils.approximation_methods import approximation_parameters

    sizes, alphas = approximation_parameters(rule)
    a, w = ig_points(n, rule)
    np.testing.assert_allclose(w, sizes(n), rtol=1e-15)
    np.testing.assert_allclose(a, alphas(n), atol=1e-7)  # Captum's linspace is float32


@pytest.mark.parametrize("rule", RULES)
def test_integrated_gradients_match_captum_float32(model, hf_model, rule):
    ids = model.encode(TEXT)
    tid = int(model.encode(" London")[0])
    s = saliency(model, TEXT, " London", method="ig", n_steps=24, rule=rule, chunk_size=10)
    ig = captum_attr.IntegratedGradients(torch_target(hf_model, tid))
    x = embeds(hf_model, ids)
    ref, delta = ig.attribute(
        x, baselines=torch.zeros_like(x), n_steps=24, method=rule, return_convergence_delta=True
    )
    assert s.attributions.dtype == np.float32
    assert rel_err(s.attributions, ref[0].detach().numpy()) <= 1e-5
    assert abs(s.delta - float(delta)) <= 1e-5 * abs(s.value - s.baseline_value)


@pytest.mark.parametrize(
    ("rule", "n"), [("gausslegendre", 2), *[(r, 16) for r in RULES if r != "gausslegendre"]]
)
def test_integrated_gradients_match_captum_float64(model64, hf64, rule, n):
    # Captum rounds its step sizes to float32; these rules and counts have exact ones.
    ids = model64.encode(TEXT)
    tid, cid = (int(model64.encode(w)[0]) for w in (" London", " Paris"))
    s = saliency(model64, ids, tid, method="ig", n_steps=n, rule=rule, contrast=cid)
    ig = captum_attr.IntegratedGradients(torch_target(hf64, tid, cid=cid))
    x = embeds(hf64, ids)
    ref, delta = ig.attribute(
        x, baselines=torch.zeros_like(x), n_steps=n, method=rule, return_convergence_delta=True
    )
    assert rel_err(s.attributions, ref[0].detach().numpy()) <= 1e-10
    assert abs(s.delta - float(delta)) <= 1e-10


@pytest.mark.parametrize("quantity", ["prob", "logit", "logprob"])
@pytest.mark.parametrize(
    ("method", "peer"), [("grad", "Saliency"), ("gradxinput", "InputXGradient")]
)
def test_gradient_methods_match_captum(model, model64, hf_model, method, peer, quantity):
    ids = model.encode(TEXT)
    tid = int(model.encode(" London")[0])
    kwargs = {"abs": False} if peer == "Saliency" else {}
    for m, tol in ((model, 1e-5), (model64, 1e-10)):
        if m is model64:
            hf_model.double()
        ref = getattr(captum_attr, peer)(torch_target(hf_model, tid, quantity))
        ref = ref.attribute(embeds(hf_model, ids), **kwargs)[0].detach().numpy()
        hf_model.float()
        s = saliency(m, ids, tid, method=method, quantity=quantity)
        assert rel_err(s.attributions, ref) <= tol, (m.dtype, quantity)
        assert s.delta is None


def test_chunking_does_not_change_the_result(model64):
    a = saliency(model64, TEXT, " London", n_steps=9, chunk_size=1)
    b = saliency(model64, TEXT, " London", n_steps=9, chunk_size=4)
    c = saliency(model64, TEXT, " London", n_steps=9)
    np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(a.attributions, c.attributions, rtol=1e-12, atol=1e-18)


def test_delta_shrinks_with_steps_and_warns_when_large(model64, caplog):
    with caplog.at_level(logging.WARNING, logger="diaphane.lens.saliency"):
        rough = saliency(model64, TEXT, " London", n_steps=2, rule="riemann_right")
    assert "did not converge" in caplog.text
    fine = saliency(model64, TEXT, " London", n_steps=64)
    assert abs(fine.delta) < abs(rough.delta)
    assert abs(fine.delta) < 1e-3 * abs(fine.value - fine.baseline_value)
    np.testing.assert_allclose(
        fine.attributions.sum() - (fine.value - fine.baseline_value), fine.delta, atol=1e-14
    )


def test_baselines_and_aggregates(model64):
    ids = model64.encode(TEXT)
    eos = model64.tokenizer.token_to_id("<|endoftext|>")
    pad = saliency(model64, TEXT, " London", baseline="pad", n_steps=8)
    same = saliency(model64, TEXT, " London", baseline=eos, n_steps=8)
    arr = np.asarray(model64.embed(np.full(len(ids), eos)))
    user = saliency(model64, TEXT, " London", baseline=arr, n_steps=8)
    np.testing.assert_array_equal(pad.attributions, same.attributions)
    np.testing.assert_allclose(pad.attributions, user.attributions, rtol=1e-12)
    unk = saliency(model64, TEXT, " London", baseline="unk", n_steps=8, aggregate="sum")
    np.testing.assert_allclose(unk.scores, unk.attributions.sum(-1))
    np.testing.assert_allclose(pad.scores.sum(), 1.0)
    np.testing.assert_allclose(
        pad.scores,
        np.linalg.norm(pad.attributions, axis=-1) / np.linalg.norm(pad.attributions, axis=-1).sum(),
    )
    assert pad.baseline_value != saliency(model64, TEXT, " London", n_steps=8).baseline_value


def test_default_target_is_the_prediction_and_table(model):
    s = saliency(model, TEXT, method="gradxinput")
    logits = model.forward(model.encode(TEXT)).logits[-1]
    assert s.target_id == int(np.argmax(logits))
    text = saliency(model, TEXT, " London", n_steps=4).table()
    assert "convergence delta" in text and "'Heathrow'" in text


def test_errors(model):
    with pytest.raises(DiaphaneError, match="method"):
        saliency(model, TEXT, " London", method="lime")
    with pytest.raises(DiaphaneError, match="rule"):
        saliency(model, TEXT, " London", rule="simpson")
    with pytest.raises(DiaphaneError, match="at least 2"):
        saliency(model, TEXT, " London", n_steps=1, rule="riemann_left")
    with pytest.raises(DiaphaneError, match="quantity"):
        saliency(model, TEXT, " London", quantity="odds")
    with pytest.raises(DiaphaneError, match="baseline"):
        saliency(model, TEXT, " London", baseline="mean")
    with pytest.raises(DiaphaneError, match="NaN"):
        saliency(model, TEXT, " London", baseline=np.full(32, np.nan))
    with pytest.raises(DiaphaneError, match="tokens for this model"):
        saliency(model, TEXT, "Heathrow airport")
