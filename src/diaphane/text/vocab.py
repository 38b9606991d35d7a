"""Word vocabularies: word ↔ id maps with ``<unk>``, ``<s>`` and ``</s>``.

Entry point: :class:`Vocabulary` (build from tokens, encode to ``int32`` ids,
save and load as a text file of ``word<TAB>count`` lines).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from diaphane.files import write_atomic

UNK, BOS, EOS = "<unk>", "<s>", "</s>"


class Vocabulary:
    """An ordered word list; the id of a word is its position.

    Specials come first (``<unk>`` = 0, ``<s>`` = 1, ``</s>`` = 2), then words by
    falling count, ties broken alphabetically so the order is deterministic.

    >>> v = Vocabulary.build([["a", "b", "a"], ["c", "a"]], min_count=2)
    >>> v.words
    ['<unk>', '<s>', '</s>', 'a']
    >>> v.encode(["a", "z"])
    array([3, 0], dtype=int32)
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | None = None):
        if len(set(words)) != len(words):
            raise ValueError("vocabulary words must be unique")
        if UNK not in words:
            raise ValueError(f"a vocabulary needs the {UNK} token")
        self.words = list(words)
        self.counts = np.asarray(counts if counts is not None else [0] * len(words), np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.unk_id = self.index[UNK]
        self.bos_id = self.index.get(BOS, -1)
        self.eos_id = self.index.get(EOS, -1)

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (UNK, BOS, EOS),
    ) -> Vocabulary:
        """Count tokens in ``sentences``; keep words seen ``min_count`` times or more,
        at most ``max_size`` entries in all (specials included)."""
        counter: Counter[str] = Counter()
        for sent in sentences:
            counter.update(sent)
        return cls.from_counts(counter, min_count, max_size, specials)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (UNK, BOS, EOS),
    ) -> Vocabulary:
        """The vocabulary :meth:`build` makes from sentences whose tokens have ``counts``,
        so that counts summed over chunks or machines give the same vocabulary.

        >>> Vocabulary.from_counts({"a": 3, "b": 1}, min_count=2).words
        ['<unk>', '<s>', '</s>', 'a']
        """
        kept = sorted(
            ((w, c) for w, c in counts.items() if c >= min_count and w not in specials),
            key=lambda wc: (-wc[1], wc[0]),
        )
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        unk_count = sum(counts.values()) - sum(c for _, c in kept)
        spec_counts = [unk_count if s == UNK else counts.get(s, 0) for s in specials]
        return cls([*specials, *(w for w, _ in kept)], [*spec_counts, *(c for _, c in kept)])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> int:
        return self.index.get(word, self.unk_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.words == other.words

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Ids of ``tokens`` as ``int32``; unknown words map to ``<unk>``."""
        get, unk = self.index.get, self.unk_id
        return np.array([get(t, unk) for t in tokens], dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids``."""
        return [self.words[int(i)] for i in ids]

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word<TAB>count`` lines, atomically."""
        bad = [w for w in self.words if any(c in w for c in "\t\n\r") or not w]
        if bad:
            raise ValueError(f"cannot save words containing tabs or newlines: {bad[:3]!r}")
        lines = (f"{w}\t{int(c)}\n" for w, c in zip(self.words, self.counts, strict=True))
        write_atomic(path, "".join(lines))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a file written by :meth:`save`."""
        words, counts = [], []
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            word, sep, count = line.partition("\t")
            if not sep or not count.isdigit():
                raise ValueError(f"{path}:{n}: expected 'word<TAB>count', got {line[:40]!r}")
            words.append(word)
            counts.append(int(count))
        return cls(words, counts)
