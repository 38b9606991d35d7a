"""A process killed at any moment of saving leaves the previous model or the new one whole.

A child process saves two different models (A and B) in turn into one folder as fast
as it can; the test SIGKILLs it after a seeded random delay, then checks that the
folder loads and is exactly A or B (never new weights with an old config, never a
folder that no longer loads), and that the next save clears the temporary files the
killed process left. Run for the checkpoint writer every kind uses, for n-gram
folders (config, tables and vocabulary must agree) and for GPT folders (the
Hugging Face layout, with a tokenizer).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from diaphane.files import remove_stale_temps

KILLS = 5  # per writer; each costs a child's start-up (imports) and one kill
SEED = 1234

CHILD = {
    "checkpoint": """
        import numpy as np
        from diaphane.nn.checkpoint import save_checkpoint
        models = [{"w": np.full((256, 64), float(i), np.float32)} for i in (1, 2)]
        def save(i):
            save_checkpoint(FOLDER, models[i], {"m": models[i]["w"] * 2}, {"step": i},
                            {"kind": "test", "which": i}, {"notes.txt": f"model {i}\\n"})
    """,
    "ngram": """
        from diaphane.models.ngram import NgramLM
        texts = [[["a", "b", "c", "a"]] * 30, [["x", "y", "z", "x", "y"]] * 40]
        models = [NgramLM(3, "kn").fit(t) for t in texts]
        def save(i):
            models[i].save(FOLDER)
    """,
    "gpt": """
        from diaphane.models.gpt import GPT, GPTConfig
        from diaphane.models.gpt_train import train_tokenizer
        tok = train_tokenizer(["the cat sat on the mat"] * 20, vocab_size=270)
        shape = dict(vocab_size=tok.get_vocab_size(), n_positions=8, n_embd=16, n_layer=2,
                     n_head=2)
        models = [GPT(GPTConfig(**shape), tokenizer=tok, seed=i) for i in (1, 2)]
        for i, model in enumerate(models):
            model.params["wte"][0, 0] = i  # which model a folder holds
        def save(i):
            models[i].save(FOLDER)
    """,
}
LOOP = """
    save(0)
    print("ready", flush=True)
    i = 0
    while True:
        i = 1 - i
        save(i)
"""


def _child(kind: str, folder: Path) -> subprocess.Popen:
    code = f"FOLDER = {str(folder)!r}\n" + textwrap.dedent(CHILD[kind]) + textwrap.dedent(LOOP)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def _kill_while_saving(kind: str, folder: Path, delay: float) -> None:
    proc = _child(kind, folder)
    try:
        assert proc.stdout.readline().strip() == "ready"  # the first model is saved
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def _which(kind: str, folder: Path) -> int:
    """Load the folder as ``kind`` and say which of the two models it holds."""
    if kind == "checkpoint":
        from diaphane.nn.checkpoint import load_checkpoint

        ck = load_checkpoint(folder)
        i = ck.config["which"]
        assert (
            ck.train_state == {"step": i} and (folder / "notes.txt").read_text() == f"model {i}\n"
        )
        np.testing.assert_array_equal(ck.params["w"], np.full((256, 64), i + 1.0, np.float32))
        np.testing.assert_array_equal(ck.opt_state["m"], ck.params["w"] * 2)
        return i
    if kind == "ngram":
        from diaphane.models.ngram import load_ngram

        lm = load_ngram(folder)
        return 0 if "a" in lm.vocab else 1
    from diaphane.models.gpt import load_gpt

    return int(load_gpt(folder).params["wte"][0, 0])


@pytest.mark.parametrize("kind", ["checkpoint", "ngram", "gpt"])
def test_a_kill_at_any_moment_of_saving_leaves_a_whole_model(kind, tmp_path):
    rng = random.Random(f"{SEED}-{kind}")
    folder = tmp_path / "model"
    (tmp_path / "mine.txt").write_text("not diaphane's")
    (tmp_path / ".model.tmp-notes").write_text("a name like ours, but not ours")
    seen = set()
    for _ in range(KILLS):
        _kill_while_saving(kind, folder, rng.uniform(0.0, 0.25))
        seen.add(_which(kind, folder))
    assert seen <= {0, 1}
    remove_stale_temps(folder)  # what the next save does first
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".model.tmp-notes", "mine.txt", "model"]
