"""A small random GPT-2 built with transformers, saved as a Hugging Face folder with a
byte-level BPE tokenizer trained here, and loaded into diaphane: the same weights on
both sides for the parity tests."""

from __future__ import annotations

import numpy as np
import pytest

TEXT = (
    "Heathrow airport is located in the city of London. Paris is the capital of France. "
    "The keys to the cabinet are on the table. The cat sat on the mat and the dog sat on "
    "the log. Berlin, Madrid and Rome are cities in Europe; London is in England."
)


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([TEXT] * 3, trainer)
    return tok


@pytest.fixture(scope="session")
def gpt_folder(tmp_path_factory):
    """A folder holding a random 3-layer GPT-2 (transformers) and its tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = _tokenizer()
    cfg = transformers.GPT2Config(
        vocab_size=tok.get_vocab_size(),
        n_positions=64,
        n_embd=32,
        n_layer=3,
        n_head=4,
        initializer_range=0.2,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    folder = tmp_path_factory.mktemp("gpt2")
    hf.save_pretrained(folder, safe_serialization=True)
    tok.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture(scope="session")
def model(gpt_folder):
    from diaphane.models.gpt import load_gpt

    return load_gpt(gpt_folder, dtype="float32")


@pytest.fixture(scope="session")
def model64(gpt_folder):
    from diaphane.models.gpt import load_gpt

    return load_gpt(gpt_folder, dtype="float64")


@pytest.fixture(scope="session")
def hf_model(gpt_folder):
    """The same model in transformers (float32); ``.double()`` a copy for float64."""
    transformers = pytest.importorskip("transformers")
    return transformers.GPT2LMHeadModel.from_pretrained(
        gpt_folder, attn_implementation="eager"
    ).eval()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
