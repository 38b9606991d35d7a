"""Opening and writing the model folders of every kind with a word vocabulary.

:func:`open_folder` is the one reader the n-gram, NPLM, GloVe, PPMI and sentiment
loaders share: it checks the kind and format (:mod:`diaphane.nn.model_folder`),
reads the arrays through :func:`~diaphane.nn.checkpoint.load_checkpoint` (sha256
and safetensors layout checked) and the vocabulary through :func:`read_vocab`.
:class:`WordModel` is the saving, loading and word vectors of GloVe, PPMI and NPLM:
``config.json`` (kind, format, hyperparameters, vocabulary, training info) +
``model.safetensors`` + ``vocab.txt``, written atomically.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

from diaphane.errors import ModelFileError
from diaphane.models._checks import RETRAIN, check_tensors, damaged, settings_from
from diaphane.nn.checkpoint import load_checkpoint, save_checkpoint
from diaphane.nn.model_folder import CONFIG_FILE, folder_kind, member, read_config
from diaphane.text import Vocabulary

__all__ = ["VOCAB_FILE", "WordModel", "open_folder", "read_vocab"]

VOCAB_FILE = "vocab.txt"
_OWN_KEYS = ("kind", "diaphane_version", "hyperparameters", "vocabulary")


def open_folder(folder: Path, kind: str, what: str, command: str) -> tuple[dict, dict, Vocabulary]:
    """``(config, arrays, vocabulary)`` of a ``kind`` model folder, every file checked.

    Args:
        folder: the model folder.
        kind: the kind it must hold.
        what: how to call that kind in a message ("an n-gram model").
        command: the command that writes such folders ("diaphane train ngram").

    Raises:
        ModelFileError: the folder is missing, damaged, from a newer diaphane, or holds
            another kind of model.
    """
    found = folder_kind(read_config(folder))
    if found != kind:
        raise ModelFileError(
            f"{folder} holds a {found or 'unknown'!r} model (says its {CONFIG_FILE}), not {what}; "
            f"use the command for that kind of model, or a folder written by `{command}`."
        )
    ckpt = load_checkpoint(folder)
    return ckpt.config, ckpt.params, read_vocab(member(folder, VOCAB_FILE))


def read_vocab(path: Path) -> Vocabulary:
    """A ``vocab.txt`` of ``word<TAB>count`` lines, checked line by line.

    Messages give the line number, never the line: a file can be anything, and what
    it holds is not echoed.

    Raises:
        ModelFileError: the file is missing, not UTF-8, or not a vocabulary.
    """
    if not path.is_file():
        raise ModelFileError(f"{path} is missing, so the model folder is incomplete; {RETRAIN}.")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise damaged(path, f"it is not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ModelFileError(
            f"Cannot read {path} ({err.strerror}); check its permissions."
        ) from None
    lines = text.split("\n")  # not splitlines(): a word may hold U+2028 or U+0085
    if lines[-1] == "":
        lines.pop()
    words, counts = [], []
    for n, line in enumerate(lines, 1):
        word, sep, count = line.partition("\t")
        if not sep or not word or not count.isdigit() or "\r" in line:
            raise damaged(path, f"line {n} is not 'word<TAB>count'")
        words.append(word)
        counts.append(int(count))
    try:
        return Vocabulary(words, counts)
    except ValueError as err:
        raise damaged(path, str(err)) from None


class WordModel:
    """Saving, loading and word vectors for a model built as
    ``cls(vocab, config, params, info=...)`` with a dataclass ``config``.

    Subclasses set :attr:`kind` and :attr:`config_type`, and define ``vectors()`` and
    ``tensor_shapes(vocab_size, config)`` (what :meth:`load` checks the arrays against).
    """

    kind: ClassVar[str]
    config_type: ClassVar[type]
    required_settings: ClassVar[tuple[str, ...]] = ("dim",)  # what the arrays' shapes follow
    vocab: Vocabulary
    config: Any
    params: dict
    info: dict

    def vectors(self) -> tuple[list[str], Any]:
        raise NotImplementedError

    @classmethod
    def tensor_shapes(cls, vocab_size: int, config: Any) -> dict:
        """``{name: (shape, kind)}`` of the arrays a folder of this model holds."""
        raise NotImplementedError

    def word_vectors(self) -> Any:
        """The model's word vectors as a :class:`diaphane.vectors.WordVectors`."""
        from diaphane.vectors import WordVectors

        return WordVectors(*self.vectors())

    def folder_config(self) -> dict:
        from diaphane import __version__

        return {
            "kind": self.kind,
            "diaphane_version": __version__,
            "hyperparameters": asdict(self.config),
            "vocabulary": {"file": VOCAB_FILE, "size": len(self.vocab)},
            **self.info,
        }

    def save(self, folder: str | os.PathLike, force: bool = False) -> Path:
        """Write the model folder (config.json, model.safetensors, vocab.txt) atomically;
        it replaces only a folder of the same kind, unless ``force``."""
        return save_checkpoint(folder, self.params, None, {}, self.folder_config(),
                               {VOCAB_FILE: self.vocab.save}, force=force)  # fmt: skip

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Any:
        """Read a folder written by :meth:`save`, or a training checkpoint of this model.

        Raises:
            ModelFileError: the folder or a file in it is missing or damaged, or it holds
                another kind of model.
        """
        folder = Path(folder)
        what = f"a {cls.kind!r} one"
        config, params, vocab = open_folder(folder, cls.kind, what, f"diaphane train {cls.kind}")
        values = config.get("hyperparameters")
        hyper = settings_from(cls.config_type, values, folder / CONFIG_FILE, "hyperparameters",
                              cls.required_settings)  # fmt: skip
        declared = config.get("vocabulary")
        if isinstance(declared, dict) and declared.get("size", len(vocab)) != len(vocab):
            raise damaged(folder / VOCAB_FILE, f"it holds {len(vocab)} words but config.json "
                                               f"says {declared.get('size')!r}")  # fmt: skip
        check_tensors(folder / "model.safetensors", params, cls.tensor_shapes(len(vocab), hyper))
        info = {k: v for k, v in config.items() if k not in _OWN_KEYS}
        return cls(vocab, hyper, params, info=info)
