"""Model names through the Hugging Face cache, offline: the cache's layout as the hub
writes it (blobs, symlinked snapshots, refs/main), the environment variables that
move it, safetensors only, and ``diaphane lens NAME`` on it."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pytest

import diaphane.cli as cli
from diaphane.models.gpt import load_gpt
from diaphane.models.gpt_load import CheckpointFormatError
from diaphane.models.hub import HubModelError, hub_cache, is_model_name, resolve_model

TEXT = "Heathrow airport is located in the city of"
HF_VARS = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Hugging Face variable from the machine running the tests; HOME made empty."""
    for var in HF_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def tokenizer():
    """A byte-level BPE tokenizer trained here on a few sentences (GPT-2's kind)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    tok.train_from_iterator([TEXT + " London, Paris and Rome are cities."] * 3, trainer)
    return tok


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    """A random 1-layer GPT-2 saved by transformers, with a byte-level BPE tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = tokenizer()
    config = transformers.GPT2Config(
        n_layer=1, n_embd=32, n_head=2, vocab_size=tok.get_vocab_size(), n_positions=32,
        initializer_range=0.2, bos_token_id=0, eos_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("saved")
    transformers.GPT2LMHeadModel(config).eval().save_pretrained(folder, safe_serialization=True)
    tok.save(str(folder / "tokenizer.json"))
    return folder


def add_snapshot(cache, name, files, commit, ref=True):
    """Put ``files`` ({name: bytes}) into the cache as the hub does: content-addressed
    blobs, a snapshot of relative symlinks to them, and ``refs/main`` when ``ref``."""
    repo = cache / ("models--" + name.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for filename, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / filename).symlink_to(os.path.relpath(blob, snapshot))
    if ref:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
    return snapshot


def folder_files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_names_and_cache_folders(clean_env, tmp_path):
    assert hub_cache() == tmp_path / "home" / ".cache" / "huggingface" / "hub"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub_cache() == tmp_path / "xdg" / "huggingface" / "hub"
    clean_env.setenv("HF_HOME", str(tmp_path / "hf"))
    assert hub_cache() == tmp_path / "hf" / "hub"
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    assert hub_cache() == tmp_path / "elsewhere"
    assert is_model_name("gpt2") and is_model_name("openai-community/gpt2")
    assert not any(map(is_model_name, ["a/b/c", "/abs/gpt2", "./gpt2", "../gpt2", "a b"]))


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HF_HOME"])
def test_a_name_resolves_to_its_snapshot(clean_env, tmp_path, hf_folder, variable):
    cache = tmp_path / "cache"
    clean_env.setenv(variable, str(cache))
    hub = cache if variable == "HF_HUB_CACHE" else cache / "hub"
    snapshot = add_snapshot(hub, "gpt2", folder_files(hf_folder), "a1" * 20)
    assert resolve_model("gpt2") == snapshot
    assert (snapshot / "model.safetensors").is_symlink()
    ours, ref = load_gpt("gpt2"), load_gpt(hf_folder)
    ids = ref.encode(TEXT)
    np.testing.assert_array_equal(ours.forward(ids).logits, ref.forward(ids).logits)


def test_org_names_refs_main_and_the_newest_snapshot(clean_env, tmp_path, hf_folder):
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path))
    files = folder_files(hf_folder)
    name = "openai-community/gpt2"
    old = add_snapshot(tmp_path, name, files, "0" * 40)
    new = add_snapshot(tmp_path, name, files, "f" * 40, ref=False)
    os.utime(old, (1, 1))  # "new" is the newer one, but refs/main names "old"
    assert (tmp_path / "models--openai-community--gpt2").is_dir()
    assert resolve_model(name) == old
    (tmp_path / "models--openai-community--gpt2" / "refs" / "main").unlink()
    assert resolve_model(name) == new


def test_an_existing_folder_wins_over_a_cached_name(clean_env, tmp_path, hf_folder):
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    add_snapshot(tmp_path / "cache", "gpt2", folder_files(hf_folder), "a" * 40)
    local = tmp_path / "work"
    shutil.copytree(hf_folder, local / "gpt2")
    clean_env.chdir(local)
    assert resolve_model("gpt2").resolve() == (local / "gpt2").resolve()


def test_pickled_weights_are_refused_unread(clean_env, tmp_path, hf_folder):
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path))
    files = folder_files(hf_folder)
    files = {"config.json": files["config.json"], "tokenizer.json": files["tokenizer.json"],
             "pytorch_model.bin": b"\x80\x04 not a pickle, and never read"}  # fmt: skip
    add_snapshot(tmp_path, "gpt2", files, "b" * 40)
    with pytest.raises(HubModelError) as err:
        resolve_model("gpt2")
    message = str(err.value)
    assert "\n" not in message and "pytorch_model.bin" in message and "unpickle" in message
    assert "safe_serialization=True" in message and "hf download gpt2" in message
    with pytest.raises(CheckpointFormatError, match="will not unpickle"):
        load_gpt("gpt2")


def test_a_missing_name_says_where_it_looked(clean_env, tmp_path):
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(HubModelError) as err:
        resolve_model("distilgpt2")
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "models--distilgpt2") in message
    with pytest.raises(HubModelError, match="No model folder at /nowhere/x; check"):
        resolve_model("/nowhere/x")


def test_lens_on_a_cached_name_matches_the_folder(clean_env, tmp_path, hf_folder, capsys):
    clean_env.setenv("HF_HUB_CACHE", str(tmp_path))
    add_snapshot(tmp_path, "org/tiny-gpt2", folder_files(hf_folder), "c" * 40)
    tables = []
    for model in ("org/tiny-gpt2", str(hf_folder)):
        assert cli.main(["lens", model, TEXT, "--watch", " the", "-k", "3"]) == 0
        tables.append(capsys.readouterr().out)
    assert tables[0] == tables[1] and "' the'" in tables[0]
    assert cli.main(["saliency", "org/tiny-gpt2", TEXT, "--method", "grad"]) == 0
    capsys.readouterr()
    assert cli.main(["lens", "org/absent", TEXT]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "models--org--absent" in err
