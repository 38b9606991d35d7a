"""The model folder shared by every model with a word vocabulary (GloVe, PPMI, NPLM):
``config.json`` (kind, hyperparameters, vocabulary, training info) + ``model.safetensors``
+ ``vocab.txt``, written atomically through :mod:`diaphane.nn.checkpoint`."""

from __future__ import annotations

import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, ClassVar

from diaphane.autodiff.core import DiaphaneError
from diaphane.nn.checkpoint import load_checkpoint, read_config, save_checkpoint
from diaphane.text import Vocabulary

__all__ = ["VOCAB_FILE", "WordModel"]

VOCAB_FILE = "vocab.txt"
_OWN_KEYS = ("kind", "diaphane_version", "hyperparameters", "vocabulary")


class WordModel:
    """Saving, loading and word vectors for a model built as
    ``cls(vocab, config, params, info=...)`` with a dataclass ``config``.

    Subclasses set :attr:`kind` and :attr:`config_type`, and define ``vectors()``.
    """

    kind: ClassVar[str]
    config_type: ClassVar[type]
    vocab: Vocabulary
    config: Any
    params: dict
    info: dict

    def vectors(self) -> tuple[list[str], Any]:
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

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the model folder (config.json, model.safetensors, vocab.txt) atomically."""
        return save_checkpoint(
            folder, self.params, None, {}, self.folder_config(), {VOCAB_FILE: self.vocab.save}
        )

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Any:
        """Read a folder written by :meth:`save`, or a training checkpoint of this model.

        Raises:
            CheckpointError: the folder or a file in it is missing or damaged.
            DiaphaneError: the folder holds another kind of model, or has no vocabulary.
        """
        config = read_config(folder)
        if config.get("kind") != cls.kind:
            raise DiaphaneError(
                f"{folder} holds a {config.get('kind', 'unknown')!r} model, not a {cls.kind!r} "
                "one; use the command for that kind of model."
            )
        vocab_path = Path(folder) / VOCAB_FILE
        if not vocab_path.is_file():
            raise DiaphaneError(f"{vocab_path} is missing; the model folder is incomplete.")
        ckpt = load_checkpoint(folder)
        known = {f.name for f in fields(cls.config_type)}
        hyper = cls.config_type(
            **{k: v for k, v in config["hyperparameters"].items() if k in known}
        )
        info = {k: v for k, v in ckpt.config.items() if k not in _OWN_KEYS}
        return cls(Vocabulary.load(vocab_path), hyper, ckpt.params, info=info)
