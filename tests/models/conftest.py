"""Small saved model folders of every kind, built once per session, for the loader tests."""

from __future__ import annotations

import numpy as np
import pytest

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "ran"], ["a", "cat", "ran"]] * 5


def _ngram(folder):
    from diaphane.models.ngram import NgramLM

    NgramLM(3, "kn").fit(SENTENCES).save(folder)


def _word_model(kind):
    def build(folder):
        from diaphane.models.glove import GloVe, GloVeConfig, init_params
        from diaphane.models.nplm import NPLM, NPLMConfig
        from diaphane.models.ppmi import PPMI, PPMIConfig
        from diaphane.text import Vocabulary

        vocab = Vocabulary.build(SENTENCES)
        V = len(vocab)
        if kind == "glove":
            model = GloVe(vocab, GloVeConfig(dim=4), init_params(V, 4))
        elif kind == "ppmi":
            rng = np.random.default_rng(0)
            params = {"vectors": rng.standard_normal((V, 3)).astype(np.float32),
                      "singular_values": np.ones(3, np.float32)}  # fmt: skip
            model = PPMI(vocab, PPMIConfig(dim=3), params)
        else:
            model = NPLM(vocab, NPLMConfig(order=3, dim=4, hidden=4))
        model.save(folder)

    return build


def _sentiment(folder):
    from diaphane.models.sentiment import SentimentConfig, SentimentNetwork
    from diaphane.text import Vocabulary

    SentimentNetwork(Vocabulary(["<unk>", "good", "bad"]), SentimentConfig(hidden=2)).save(folder)


def _gpt(folder):
    from diaphane.models.gpt import GPT, GPTConfig
    from diaphane.models.gpt_train import train_tokenizer

    tok = train_tokenizer([" ".join(s) for s in SENTENCES] * 4, vocab_size=270)
    config = GPTConfig(vocab_size=tok.get_vocab_size(), n_positions=8, n_embd=8, n_layer=1,
                       n_head=2)  # fmt: skip
    GPT(config, tokenizer=tok).save(folder)


BUILDERS = {
    "ngram": _ngram,
    "nplm": _word_model("nplm"),
    "glove": _word_model("glove"),
    "ppmi": _word_model("ppmi"),
    "sentiment": _sentiment,
    "gpt": _gpt,
}


def loader(kind):
    """The function that opens a ``kind`` folder."""
    if kind == "ngram":
        from diaphane.models.ngram import load_ngram

        return load_ngram
    if kind == "gpt":
        from diaphane.models.gpt import load_gpt

        return load_gpt
    if kind == "sentiment":
        from diaphane.models.sentiment import SentimentNetwork

        return SentimentNetwork.load
    from diaphane.models.glove import GloVe
    from diaphane.models.nplm import NPLM
    from diaphane.models.ppmi import PPMI

    return {"glove": GloVe, "nplm": NPLM, "ppmi": PPMI}[kind].load


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory):
    """``{kind: folder}``: one small, valid, saved model of each kind."""
    root = tmp_path_factory.mktemp("models")
    folders = {}
    for kind, build in BUILDERS.items():
        build(root / kind)
        folders[kind] = root / kind
    return folders
