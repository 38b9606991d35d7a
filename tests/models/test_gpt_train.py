"""Training a GPT from scratch: tokenizer, windows, loss, checkpoints, resume, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.models import gpt_train
from diaphane.models.gpt import GPTConfig, load_gpt
from diaphane.models.gpt_train import (
    EOT,
    GPTTrainConfig,
    schedule,
    split_texts,
    token_stream,
    token_windows,
    train_gpt,
    train_tokenizer,
)

SENTENCES = [
    "The cat sat on the mat.",
    "The dog sat on the log.",
    "A bird sang in the tree.",
    "The sun rose over the hills.",
]


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(0)
    text = "\n".join(" ".join(rng.choice(SENTENCES, 6)) for _ in range(40))
    path = tmp_path / "toy.txt"
    path.write_text(text, encoding="utf-8")
    return path


SHAPE = GPTConfig(n_positions=16, n_embd=16, n_layer=1, n_head=2)


def settings(corpus, steps=40, **kw):
    return GPTTrainConfig(corpus=str(corpus), vocab_size=300, steps=steps, batch_size=8,
                          lr=1e-2, warmup=5, checkpoint_every=5, **kw)  # fmt: skip


def test_tokenizer_is_byte_level_with_endoftext_first():
    tok = train_tokenizer(SENTENCES * 10, vocab_size=300)
    assert tok.token_to_id(EOT) == 0
    for text in ["The cat sat", "naïve Zürich ☃", "  spaces\n"]:
        assert tok.decode(tok.encode(text).ids) == text  # bytes never fall out
    stream = token_stream(tok, ["The cat", "The dog"])
    assert list(stream).count(0) == 2 and stream[-1] == 0


def test_windows_split_and_schedule():
    w = token_windows(np.arange(20), 4)
    assert w.shape == (4, 5) and w[1].tolist() == [4, 5, 6, 7, 8]
    with pytest.raises(DiaphaneError, match="too few"):
        token_windows(np.arange(4), 4)
    train, valid = split_texts([f"doc {i}" for i in range(40)])
    assert valid == ["doc 19", "doc 39"] and len(train) == 38
    train, valid = split_texts(["x" * 100])
    assert len(train[0]) == 95 and len(valid[0]) == 5
    lr = schedule(GPTTrainConfig(lr=1.0, warmup=10, steps=110, min_lr_ratio=0.1))
    assert lr(5) == 0.5 and lr(10) == 1.0 and math.isclose(lr(110), 0.1)
    assert math.isclose(lr(60), 0.55)


def test_training_lowers_the_loss_and_writes_a_model(corpus, tmp_path):
    out = tmp_path / "model"
    cfg = settings(corpus, steps=80)
    model = train_gpt(SHAPE, cfg, out, progress=False, command="diaphane train gpt")
    info = model.info
    assert info["steps"] == 80 and info["seed"] == 0
    assert info["valid_loss"] < 0.25 * math.log(model.config.vocab_size)
    assert len(info["corpus_fingerprint"]) == 64
    loaded = load_gpt(out)
    assert loaded.info["valid_loss"] == info["valid_loss"]
    assert loaded.info["command"] == "diaphane train gpt"
    ids = loaded.encode("The cat sat on the")
    best = loaded.token_str(int(np.argmax(loaded.forward(ids).logits[-1])))
    assert best in (" mat", " log", " tree", " hills")  # it learned where sentences go
    assert (tmp_path / "model.checkpoints" / "last" / "tokenizer.json").is_file()
    # a training checkpoint is a model folder too
    ckpt = load_gpt(tmp_path / "model.checkpoints" / "last")
    np.testing.assert_array_equal(ckpt.params["wte"], loaded.params["wte"])


def test_interrupted_run_resumes_exactly(corpus, tmp_path, monkeypatch):
    straight = train_gpt(SHAPE, settings(corpus, steps=12), tmp_path / "a", progress=False)

    def interrupt_at_7(*args):
        def callback(state, params):
            if state.step == 7:
                raise KeyboardInterrupt

        return callback

    with monkeypatch.context() as m:
        m.setattr(gpt_train, "_validation_log", interrupt_at_7)
        stopped = train_gpt(SHAPE, settings(corpus, steps=12), tmp_path / "b", progress=False)
    assert stopped.info["stopped"] == "interrupted" and not (tmp_path / "b").exists()
    resumed = train_gpt(SHAPE, settings(corpus, steps=12), tmp_path / "b", resume=True,
                        progress=False)  # fmt: skip
    assert resumed.info["steps"] == 12
    np.testing.assert_array_equal(resumed.params["wte"], straight.params["wte"])
    assert resumed.info["valid_loss"] == straight.info["valid_loss"]


def test_cli_trains_and_records_the_command(corpus, tmp_path, capsys):
    import diaphane.cli as cli

    out = tmp_path / "cli"
    argv = ["train", "gpt", "--corpus", str(corpus), "--layers", "1", "--width", "16",
            "--heads", "2", "--context", "16", "--vocab-size", "300", "--steps", "3",
            "--batch-size", "4", "--out", str(out), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    assert "validation loss" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    command = config["diaphane"]["command"]
    assert command.startswith("diaphane train gpt --corpus ") and "--steps 3" in command
    assert not (tmp_path / "cli.checkpoints").exists()  # ours, removed once finished
    ckpt = ["--checkpoint-dir", str(tmp_path / "mine")]
    assert cli.main([*argv, *ckpt]) == 0
    assert (tmp_path / "mine" / "last").is_dir()  # one the user named stays
    assert cli.main([*argv, *ckpt]) == 2  # a checkpoint is there: --resume or start afresh
    assert "--resume" in capsys.readouterr().err


def test_repeated_windows_copy_their_first_half():
    w = np.arange(40).reshape(8, 5)
    out = gpt_train.repeat_halves(w, 0.25, seed=3)
    changed = [i for i in range(8) if not np.array_equal(out[i], w[i])]
    assert len(changed) == 2
    for i in changed:
        assert out[i, 3:].tolist() == w[i, :2].tolist() and out[i, :3].tolist() == w[i, :3].tolist()
    assert np.array_equal(gpt_train.repeat_halves(w, 0.25, seed=3), out)  # the seed decides
    assert np.array_equal(w, np.arange(40).reshape(8, 5))  # the input is left alone
    with pytest.raises(DiaphaneError, match="repeat fraction"):
        gpt_train.repeat_halves(w, 1.5, seed=0)


def test_training_can_start_from_a_finished_model(corpus, tmp_path):
    first = train_gpt(SHAPE, settings(corpus, steps=30), tmp_path / "first", progress=False)
    more = settings(corpus, steps=20, init_from=str(tmp_path / "first"), repeat_fraction=0.5)
    again = train_gpt(SHAPE, more, tmp_path / "again", progress=False)
    assert again.tokenizer.to_str() == first.tokenizer.to_str()  # ids keep their meaning
    assert again.info["training"]["init_from"] == str(tmp_path / "first")
    assert again.info["valid_loss"] < 1.2 * first.info["valid_loss"]  # it went on, not afresh
    fresh = train_gpt(SHAPE, settings(corpus, steps=20), tmp_path / "fresh", progress=False)
    assert again.info["valid_loss"] < fresh.info["valid_loss"]
    wider = GPTConfig(n_positions=16, n_embd=32, n_layer=1, n_head=2)
    with pytest.raises(DiaphaneError, match="same --layers"):
        train_gpt(wider, more, tmp_path / "wider", progress=False)
