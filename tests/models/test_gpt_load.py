"""Loading GPT-2 checkpoints: parity with transformers, key handling, tokenizers, errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from safetensors.numpy import load_file, save_file  # noqa: E402

import diaphane.scipy.special as dsp  # noqa: E402
from diaphane.models.gpt import GPT, GPTConfig, default_model, default_model_path, load_gpt  # noqa: E402
from diaphane.models.gpt_load import CheckpointFormatError, load_tokenizer  # noqa: E402
from diaphane.models.gpt_train import train_tokenizer  # noqa: E402

VOCAB = 211


def hf_model(n_layer=3, n_embd=48, seed=0, **kw):
    torch.manual_seed(seed)
    config = transformers.GPT2Config(
        n_layer=n_layer, n_embd=n_embd, n_head=4, vocab_size=VOCAB, n_positions=32,
        initializer_range=0.2, bos_token_id=0, eos_token_id=0, **kw,
    )  # fmt: skip
    model = transformers.GPT2LMHeadModel(config)
    model.config._attn_implementation = "eager"  # attention weights are returned
    return model.eval()


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hf")
    model = hf_model()
    model.save_pretrained(folder, safe_serialization=True)
    return folder, model


def hf_outputs(model, ids, dtype):
    model = model.to(dtype)
    with torch.no_grad():
        out = model(torch.tensor(np.atleast_2d(ids)), output_hidden_states=True,
                    output_attentions=True)  # fmt: skip
    return out


@pytest.mark.parametrize(("dtype", "torch_dtype", "tol"), [
    ("float32", torch.float32, 1e-4),
    ("float64", torch.float64, 1e-10),
])  # fmt: skip
def test_logits_hidden_states_attentions_match_transformers(hf_folder, dtype, torch_dtype, tol):
    folder, model = hf_folder
    ids = np.random.default_rng(1).integers(0, VOCAB, 23)
    ref = hf_outputs(model, ids, torch_dtype)
    ours = load_gpt(folder, dtype=dtype).forward(ids)
    assert ours.logits.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.logits, ref.logits[0].numpy(), atol=tol, rtol=0)
    assert len(ours.hidden_states) == len(ref.hidden_states) == 4
    for a, b in zip(ours.hidden_states, ref.hidden_states, strict=True):
        np.testing.assert_allclose(a, b[0].numpy(), atol=tol, rtol=0)
    assert len(ours.attentions) == len(ref.attentions) == 3
    for a, b in zip(ours.attentions, ref.attentions, strict=True):
        np.testing.assert_allclose(a, b[0].numpy(), atol=tol, rtol=0)
    # the ranks are informative: the random model's logits are not all ties
    assert np.unique(np.round(ours.logits[-1], 3)).size > VOCAB // 2


def test_batch_matches_transformers(hf_folder):
    folder, model = hf_folder
    ids = np.random.default_rng(2).integers(0, VOCAB, (3, 9))
    ref = hf_outputs(model, ids, torch.float64)
    ours = load_gpt(folder, dtype="float64").forward(ids)
    np.testing.assert_allclose(ours.logits, ref.logits.numpy(), atol=1e-10, rtol=0)
    np.testing.assert_allclose(ours.attentions[2], ref.attentions[2].numpy(), atol=1e-10)


def test_gradient_wrt_inputs_embeds_matches_torch(hf_folder):
    from diaphane.autodiff import grad

    folder, model = hf_folder
    model = model.to(torch.float64)
    ours = load_gpt(folder, dtype="float64")
    ids = np.random.default_rng(3).integers(0, VOCAB, 12)
    embeds = ours.embed(ids)
    e = torch.tensor(embeds[None], requires_grad=True)
    model(inputs_embeds=e).logits[0, -1, 17].backward()
    g = grad(lambda x: ours.forward(None, inputs_embeds=x).logits[-1, 17])(embeds)
    np.testing.assert_allclose(g, e.grad[0].numpy(), atol=1e-9, rtol=0)
    assert np.abs(g).max() > 1e-3


def test_gradient_wrt_params_matches_torch(hf_folder):
    from diaphane.autodiff import grad

    folder, model = hf_folder
    model = model.to(torch.float64)
    model.zero_grad()
    ours = load_gpt(folder, dtype="float64")
    ids = np.random.default_rng(4).integers(0, VOCAB, 10)
    torch.log_softmax(model(torch.tensor(ids[None])).logits[0, -1], -1)[5].backward()

    def logprob(p):
        return dsp.log_softmax(ours.forward(ids, params=p).logits[-1])[5]

    g = grad(logprob)(ours.params)
    t = model.transformer
    pairs = [
        (g["wte"], t.wte.weight.grad),
        (g["h"][1]["attn"]["c_attn"]["w"], t.h[1].attn.c_attn.weight.grad),
        (g["h"][2]["mlp"]["c_proj"]["b"], t.h[2].mlp.c_proj.bias.grad),
        (g["ln_f"]["g"], t.ln_f.weight.grad),
    ]
    for a, b in pairs:
        np.testing.assert_allclose(np.asarray(a), b.numpy(), atol=1e-9, rtol=0)


def test_mlp_activations_match_transformers(hf_folder):
    folder, model = hf_folder
    model = model.to(torch.float64)
    seen = []
    hooks = [blk.mlp.act.register_forward_hook(lambda m, i, o: seen.append(o[0].numpy()))
             for blk in model.transformer.h]  # fmt: skip
    ids = np.arange(3, 14)
    try:
        with torch.no_grad():
            model(torch.tensor(ids[None]))
    finally:
        for h in hooks:
            h.remove()
    ours = load_gpt(folder, dtype="float64").forward(ids, output_mlp_activations=True)
    assert len(seen) == len(ours.mlp_activations) == 3
    for a, b in zip(ours.mlp_activations, seen, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=0)


@pytest.mark.parametrize("kw", [{"scale_attn_by_inverse_layer_idx": True},
                                {"activation_function": "gelu"}])  # fmt: skip
def test_config_variants_match_transformers(tmp_path, kw):
    model = hf_model(n_layer=2, n_embd=32, seed=5, **kw)
    model.save_pretrained(tmp_path, safe_serialization=True)
    ids = np.arange(20, 31)
    ref = hf_outputs(model, ids, torch.float64)
    ours = load_gpt(tmp_path, dtype="float64").forward(ids)
    np.testing.assert_allclose(ours.logits, ref.logits[0].numpy(), atol=1e-10, rtol=0)


# ----------------------------------------------------------------------------- key handling


def rewrite(src, dst, change):
    shutil.copytree(src, dst)
    weights = load_file(str(dst / "model.safetensors"))
    save_file(change(weights), str(dst / "model.safetensors"))
    return dst


def test_old_layout_without_prefix_with_buffers_and_tied_head(hf_folder, tmp_path):
    folder, _ = hf_folder

    def old_style(w):
        out = {k.removeprefix("transformer."): v for k, v in w.items()}
        for i in range(3):
            out[f"h.{i}.attn.bias"] = np.tril(np.ones((1, 1, 32, 32), np.float32))
            out[f"h.{i}.attn.masked_bias"] = np.array(-1e4, np.float32)
        out["lm_head.weight"] = out["wte.weight"].copy()
        return out

    moved = rewrite(folder, tmp_path / "old", old_style)
    ids = np.arange(10)
    np.testing.assert_array_equal(
        load_gpt(moved).forward(ids).logits, load_gpt(folder).forward(ids).logits
    )


def test_untied_head_is_refused(hf_folder, tmp_path):
    folder, _ = hf_folder

    def untie(w):
        return {**w, "lm_head.weight": w["transformer.wte.weight"] + 1}

    with pytest.raises(CheckpointFormatError, match=r"lm_head\.weight differs"):
        load_gpt(rewrite(folder, tmp_path / "untied", untie))


def test_missing_and_unexpected_keys_are_named(hf_folder, tmp_path):
    folder, _ = hf_folder

    def damage(w):
        w = dict(w)
        del w["transformer.h.1.mlp.c_fc.weight"]
        w["transformer.h.0.attn.q_proj.weight"] = np.zeros((2, 2), np.float32)
        return w

    with pytest.raises(CheckpointFormatError) as err:
        load_gpt(rewrite(folder, tmp_path / "damaged", damage))
    assert "missing weights: h.1.mlp.c_fc.weight" in str(err.value)
    assert "h.0.attn.q_proj.weight" in str(err.value)


def test_misshapen_weight_is_named(hf_folder, tmp_path):
    folder, _ = hf_folder

    def shrink(w):
        return {**w, "transformer.wpe.weight": w["transformer.wpe.weight"][:16]}

    with pytest.raises(CheckpointFormatError, match=r"wpe.weight in \S+ is shaped \(16, 48\)"):
        load_gpt(rewrite(folder, tmp_path / "short", shrink))


@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_missing_file_is_named(hf_folder, tmp_path, name):
    folder, _ = hf_folder
    copy = shutil.copytree(folder, tmp_path / "copy")
    (copy / name).unlink()
    with pytest.raises(CheckpointFormatError, match=name):
        load_gpt(copy)


def test_other_architectures_and_bad_folders_are_refused(hf_folder, tmp_path):
    folder, _ = hf_folder
    copy = shutil.copytree(folder, tmp_path / "llama")
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "model_type": "llama"}))
    with pytest.raises(CheckpointFormatError, match="llama"):
        load_gpt(copy)
    with pytest.raises(CheckpointFormatError, match="No model folder"):
        load_gpt(tmp_path / "nowhere")
    (copy / "config.json").write_text("{not json")
    with pytest.raises(CheckpointFormatError, match="not valid JSON"):
        load_gpt(copy)


def test_bfloat16_weights_load(hf_folder, tmp_path):
    _, model = hf_folder
    bf = tmp_path / "bf16"
    model.to(torch.bfloat16).save_pretrained(bf, safe_serialization=True)
    ref = model.to(torch.float32)
    ours = load_gpt(bf)
    np.testing.assert_array_equal(
        ours.params["h"][0]["attn"]["c_attn"]["w"],
        ref.transformer.h[0].attn.c_attn.weight.detach().numpy(),
    )


# ----------------------------------------------------------------------------- tokenizers, saving


TEXTS = ["The cat sat on the mat. The dog sat on the log.", "Heathrow airport is in London."] * 20


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(TEXTS, vocab_size=300)


def test_save_roundtrip_is_a_transformers_folder(tmp_path, tokenizer):
    config = GPTConfig(vocab_size=300, n_positions=16, n_embd=16, n_layer=2, n_head=2,
                       dtype="float64", initializer_range=0.3)  # fmt: skip
    model = GPT(config, tokenizer=tokenizer, seed=3, info={"seed": 3})
    model.save(tmp_path / "m")
    again = load_gpt(tmp_path / "m", dtype="float64")
    ids = again.encode("The cat sat in London.")
    np.testing.assert_array_equal(again.forward(ids).logits, model.forward(ids).logits)
    assert again.info["seed"] == 3 and again.info["kind"] == "gpt"
    ref = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "m", dtype=torch.float64)
    with torch.no_grad():
        logits = ref(torch.tensor(ids[None])).logits[0].numpy()
    np.testing.assert_allclose(model.forward(ids).logits, logits, atol=1e-10, rtol=0)


def test_vocab_and_merges_give_the_same_tokens(tmp_path, tokenizer):
    tokenizer.model.save(str(tmp_path))  # vocab.json + merges.txt
    from_files = load_tokenizer(tmp_path)
    slow = transformers.GPT2Tokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    for text in ["The cat sat on the mat.", "  Heathrow's dog, in London!\n", "naïve café"]:
        ids = from_files.encode(text).ids
        assert ids == tokenizer.encode(text).ids == slow.encode(text)
        assert from_files.decode(ids) == text


def test_half_a_tokenizer_is_refused(tmp_path, tokenizer):
    tokenizer.model.save(str(tmp_path))
    (tmp_path / "merges.txt").unlink()
    with pytest.raises(CheckpointFormatError, match=r"merges\.txt"):
        load_tokenizer(tmp_path)


def test_text_helpers(tmp_path, tokenizer):
    model = GPT(GPTConfig(vocab_size=300, n_positions=16, n_embd=8, n_layer=1, n_head=2),
                tokenizer=tokenizer)  # fmt: skip
    ids = model.encode("The cat sat")
    assert ids.dtype == np.int64 and model.decode(ids) == "The cat sat"
    assert "".join(model.token_str(i) for i in ids) == "The cat sat"
    assert model.token_id(" cat") == ids[1]
    with pytest.raises(Exception, match="not one"):
        model.token_id(" Heathrow airport")


# ----------------------------------------------------------------------------- the shipped model


@pytest.mark.skipif(
    not (default_model_path() / "model.safetensors").is_file(), reason="default model not built"
)
def test_default_model_loads_and_matches_transformers():
    model = default_model()
    info = model.info
    for key in ("seed", "corpus_fingerprint", "valid_loss", "command"):
        assert key in info
    assert info["command"].startswith("diaphane train gpt ")
    ids = model.encode("The city of London is")
    ref = transformers.GPT2LMHeadModel.from_pretrained(default_model_path(), dtype=torch.float32)
    with torch.no_grad():
        logits = ref(torch.tensor(ids[None])).logits[0].numpy()
    np.testing.assert_allclose(model.forward(ids).logits, logits, atol=1e-4, rtol=0)
