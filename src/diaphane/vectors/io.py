"""Opening word vectors: a diaphane model folder, or a word2vec / GloVe file.

A model folder (``config.json`` + ``model.safetensors`` + ``vocab.txt``) of a kind
diaphane knows (glove, ppmi, sentiment, nplm) opens through that model's class and
its ``vectors()``. Any other folder names its vector table in ``config.json``:
``"vectors": "C"`` (one tensor) or ``"vectors": ["W", "W_ctx"]`` (their sum), and
optionally ``"scores": "log_ratio"`` (one number per word); without the key, the
table is the one 2-D tensor with a row per vocabulary word.

Files go through gensim's reader: word2vec text (``N DIM`` header), word2vec
binary (``.bin``), GloVe text (no header).

Entry point: :func:`load_vectors`.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors.keyed import WordVectors

__all__ = ["load_vectors"]

log = logging.getLogger(__name__)

# Model kinds whose own class knows where its vectors are (and its per-word scores).
MODEL_CLASSES = {
    "glove": ("diaphane.models.glove", "GloVe"),
    "nplm": ("diaphane.models.nplm", "NPLM"),
    "ppmi": ("diaphane.models.ppmi", "PPMI"),
    "sentiment": ("diaphane.models.sentiment", "SentimentNetwork"),
}


def load_vectors(path: str | os.PathLike, drop_specials: bool = True) -> WordVectors:
    """Word vectors from a model folder or a word2vec/GloVe file.

    Args:
        path: a diaphane model folder, a word2vec text or binary file (binary when it
            ends in ``.bin``), or a GloVe text file (a word2vec text file without header).
        drop_specials: leave out ``<unk>``, ``<s>``, ``</s>`` and ``<pad>``.

    Raises:
        DiaphaneError: the path is missing, or the folder/file is not word vectors;
            the message says what was expected.
    """
    path = Path(path)
    if path.is_dir():
        wv = _load_folder(path)
    elif path.is_file():
        wv = _load_file(path)
    else:
        raise DiaphaneError(
            f"No model folder or vectors file at {path}; check the path "
            "(a folder written by 'diaphane train', or a word2vec/GloVe file)."
        )
    return wv.without_specials() if drop_specials else wv


# ----------------------------------------------------------------------------- folders


def _load_folder(folder: Path) -> WordVectors:
    from diaphane.nn.checkpoint import read_config

    config = read_config(folder)
    known = MODEL_CLASSES.get(config.get("kind", ""))
    if known and "vectors" not in config:
        model_class = getattr(importlib.import_module(known[0]), known[1])
        return WordVectors.from_model(model_class.load(folder), drop_specials=False)
    return _load_tables(folder, config)


def _load_tables(folder: Path, config: dict) -> WordVectors:
    """A folder of another kind: the tables named in config.json, or the one 2-D table."""
    from safetensors.numpy import load_file

    from diaphane.text.vocab import Vocabulary

    vocab_name = _vocab_file(config)
    if not (folder / vocab_name).is_file() or not (folder / "model.safetensors").is_file():
        raise DiaphaneError(
            f"{folder} lacks {vocab_name} or model.safetensors, so it holds no word vectors; "
            "point at a folder written by 'diaphane train glove|ppmi|sentiment|nplm'."
        )
    vocab = Vocabulary.load(folder / vocab_name)
    tensors = load_file(str(folder / "model.safetensors"))
    names = config.get("vectors") or None
    matrix = _table(tensors, names, len(vocab), folder, config.get("kind"))
    scores = None
    if config.get("scores"):
        scores = tensors.get(config["scores"])
        if scores is None:
            raise DiaphaneError(
                f"{folder}: config.json names scores {config['scores']!r}, which "
                "model.safetensors lacks; the folder is damaged."
            )
    return WordVectors(vocab.words, matrix, scores=scores, counts=vocab.counts)


def _vocab_file(config: dict) -> str:
    vocab = config.get("vocabulary", config.get("vocab", "vocab.txt"))
    return vocab.get("file", "vocab.txt") if isinstance(vocab, dict) else str(vocab)


def _table(tensors: dict, names, n_words: int, folder: Path, kind) -> np.ndarray:
    if names is None:
        found = [k for k, t in tensors.items() if t.ndim == 2 and t.shape[0] == n_words]
        if len(found) != 1:
            raise DiaphaneError(
                f"{folder} holds a {kind or 'unknown'!r} model whose word-vector table is "
                f"not named in config.json (candidates: {found or 'none'}); add "
                '"vectors": "NAME" to its config.json.'
            )
        names = found
    names = [names] if isinstance(names, str) else list(names)
    missing = [n for n in names if n not in tensors]
    if missing:
        raise DiaphaneError(f"{folder}: model.safetensors lacks the vector table {missing[0]!r}.")
    matrix = sum(tensors[n].astype(np.float32) for n in names)
    if matrix.ndim != 2 or matrix.shape[0] != n_words:
        raise DiaphaneError(
            f"{folder}: the vector table has shape {matrix.shape} but vocab.txt has "
            f"{n_words} words; the folder is damaged."
        )
    return matrix


# ----------------------------------------------------------------------------- files


def _load_file(path: Path) -> WordVectors:
    from gensim.models import KeyedVectors

    binary = path.suffix == ".bin"
    no_header = False if binary else not _has_header(path)
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header)
    except (ValueError, EOFError, UnicodeDecodeError, IndexError) as err:
        kind = "word2vec binary" if binary else "GloVe" if no_header else "word2vec text"
        raise DiaphaneError(
            f"Cannot read {path} as a {kind} file ({err}); check that it is one "
            "(word2vec binary files must end in .bin)."
        ) from err
    if not len(kv):
        raise DiaphaneError(f"{path} holds no vectors; the file is empty.")
    return WordVectors.from_gensim(kv)


def _has_header(path: Path) -> bool:
    """True when the first line is word2vec's ``COUNT DIM``."""
    with open(path, "rb") as f:
        first = f.readline().split()
    if not first:
        raise DiaphaneError(f"{path} is empty; a vectors file holds one word and vector a line.")
    return len(first) == 2 and all(x.isdigit() for x in first)
