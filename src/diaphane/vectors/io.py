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
from diaphane.errors import ModelFileError
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
# Every kind diaphane writes; these two hold no word-vector table of their own.
KNOWN_KINDS = (*MODEL_CLASSES, "gpt", "ngram")


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
    from diaphane.nn.model_folder import check_format, folder_kind, is_diaphane

    config = read_config(folder)
    check_format(config, folder)
    kind = folder_kind(config)
    if is_diaphane(config) and kind not in (None, *KNOWN_KINDS) and "vectors" not in config:
        raise ModelFileError(
            f"{folder / 'config.json'} names the model kind {kind!r}, which diaphane does not "
            f"know (it writes {', '.join(sorted(KNOWN_KINDS))}); the folder is damaged: "
            "train the model again."
        )
    known = MODEL_CLASSES.get(kind or "")
    if known and "vectors" not in config:
        model_class = getattr(importlib.import_module(known[0]), known[1])
        return WordVectors.from_model(model_class.load(folder), drop_specials=False)
    return _load_tables(folder, config)


def _load_tables(folder: Path, config: dict) -> WordVectors:
    """A folder of another kind: the tables named in config.json, or the one 2-D table."""
    from diaphane.models._folder import read_vocab
    from diaphane.nn.checkpoint import load_checkpoint, recorded_sha256, verify_files
    from diaphane.nn.model_folder import member
    from diaphane.nn.tensorfile import read_tensors

    vocab_path = member(folder, _vocab_file(config), "its vocabulary")
    if not vocab_path.is_file() or not (folder / "model.safetensors").is_file():
        raise DiaphaneError(
            f"{folder} lacks {vocab_path.name} or model.safetensors, so it holds no word "
            "vectors; point at a folder written by 'diaphane train glove|ppmi|sentiment|nplm'."
        )
    if "checkpoint" in config:  # diaphane wrote it: every file checked against the others
        tensors = _flat(load_checkpoint(folder).params)
    else:
        verify_files(folder, recorded_sha256(config, folder))
        tensors = read_tensors(folder / "model.safetensors")
    vocab = read_vocab(vocab_path)
    names = config.get("vectors") or None
    matrix = _table(tensors, names, len(vocab), folder, config.get("kind"))
    scores = None
    if config.get("scores"):
        scores = tensors.get(config["scores"]) if isinstance(config["scores"], str) else None
        if scores is None:
            raise DiaphaneError(
                f"{folder}: config.json names scores {config['scores']!r}, which "
                "model.safetensors lacks; the folder is damaged."
            )
    return WordVectors(vocab.words, matrix, scores=scores, counts=vocab.counts)


def _flat(tree: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _vocab_file(config: dict) -> object:
    vocab = config.get("vocabulary", config.get("vocab", "vocab.txt"))
    return vocab.get("file", "vocab.txt") if isinstance(vocab, dict) else vocab


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
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DiaphaneError(
            f'{folder / "config.json"} names its vectors {names!r}; "vectors" should be a '
            "tensor name or a list of them. Fix config.json."
        )
    missing = [n for n in names if n not in tensors]
    if missing:
        raise DiaphaneError(
            f"{folder}: model.safetensors lacks the vector table {missing[0]!r} that "
            'config.json names; fix "vectors" in config.json or use another folder.'
        )
    tables = [tensors[n] for n in names]
    if len({t.shape for t in tables}) > 1 or tables[0].dtype.kind not in "fiu":
        raise DiaphaneError(f"{folder}: the vector tables {names} do not have one shape and "
                            "a numeric type; the folder is damaged.")  # fmt: skip
    matrix = sum(t.astype(np.float32) for t in tables)
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
    kind = "word2vec binary" if binary else "GloVe" if no_header else "word2vec text"
    if not no_header:
        _check_header(path, binary, kind)
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header)
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, KeyError) as err:
        raise DiaphaneError(
            f"Cannot read {path} as a {kind} file ({err}); check that it is one "
            "(word2vec binary files must end in .bin)."
        ) from err
    if not len(kv) or kv.vector_size < 1:
        raise DiaphaneError(f"{path} holds no vectors (no words, or words without numbers); "
                            f"check that it is a {kind} file.")  # fmt: skip
    if not np.isfinite(kv.vectors).all():
        bad = kv.index_to_key[int(np.flatnonzero(~np.isfinite(kv.vectors).all(axis=1))[0])]
        raise DiaphaneError(
            f"{path}: the vector of {bad!r} holds NaN or infinity; the file is damaged, or "
            "came from a model that diverged: use another file."
        )
    return WordVectors.from_gensim(kv)


def _check_header(path: Path, binary: bool, kind: str) -> None:
    """word2vec's ``COUNT DIM`` must fit the file (a lying header would allocate
    ``COUNT x DIM`` floats before a vector is read)."""
    with open(path, "rb") as f:
        first = f.readline().split()
    try:
        n, dim = (int(x) for x in first)
    except ValueError:
        raise DiaphaneError(f"{path} does not start with word2vec's 'COUNT DIM' line; check "
                            f"that it is a {kind} file.") from None  # fmt: skip
    # Each vector takes at least 4 bytes a number in binary, 2 (a digit and a space) in text.
    least = n * (dim * (4 if binary else 2) + 1)
    if n < 1 or dim < 1 or least > path.stat().st_size:
        raise DiaphaneError(
            f"{path} says it holds {n:,} vectors of {dim:,} numbers, which cannot fit in its "
            f"{path.stat().st_size:,} bytes; the file is truncated or its first line is wrong: "
            "fix or replace the file."
        )


def _has_header(path: Path) -> bool:
    """True when the first line is word2vec's ``COUNT DIM``."""
    with open(path, "rb") as f:
        first = f.readline().split()
    if not first:
        raise DiaphaneError(
            f"{path} is empty or starts with a blank line; a vectors file holds one word and "
            "its numbers a line (word2vec: after a 'COUNT DIM' line). Check the file."
        )
    return len(first) == 2 and all(x.isdigit() for x in first)
