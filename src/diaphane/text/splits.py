"""Deterministic train/valid/test splits, including Bengio et al. (2003)'s Brown split.

Entry points: :func:`split_words`, :func:`split_documents`, :func:`bengio_split`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from diaphane.text.corpora import Corpus, CorpusError
from diaphane.text.vocab import Vocabulary


@dataclass
class Split:
    """Sentences of tokens for training, validation and test."""

    train: list[list[str]]
    valid: list[list[str]]
    test: list[list[str]]

    def __getitem__(self, name: str) -> list[list[str]]:
        if name not in ("train", "valid", "test"):
            raise KeyError(f"unknown split {name!r}; use train, valid or test")
        return getattr(self, name)

    def sizes(self) -> dict[str, int]:
        """Token counts per part."""
        return {k: sum(map(len, self[k])) for k in ("train", "valid", "test")}


def split_words(sentences: Iterable[Sequence[str]], n_train: int, n_valid: int) -> Split:
    """Cut the token stream in corpus order: ``n_train`` tokens, ``n_valid``, the rest.

    A sentence that straddles a cut is cut too, so the parts hold exactly those counts.

    >>> split_words([["a", "b", "c"], ["d", "e"]], 2, 2).sizes()
    {'train': 2, 'valid': 2, 'test': 1}
    """
    parts: list[list[list[str]]] = [[], [], []]
    bounds = (n_train, n_train + n_valid)
    seen = 0
    for sent in sentences:
        start = 0
        while start < len(sent):
            part = 0 if seen < bounds[0] else 1 if seen < bounds[1] else 2
            stop = len(sent) if part == 2 else min(len(sent), start + bounds[part] - seen)
            parts[part].append(list(sent[start:stop]))
            seen += stop - start
            start = stop
    return Split(*parts)


def split_documents(
    documents: Iterable, fractions: tuple[float, float] = (0.8, 0.1), seed: int = 0
) -> Split:
    """Shuffle documents with ``seed`` and give ``fractions`` of them to train and valid."""
    docs = list(documents)
    order = np.random.default_rng(seed).permutation(len(docs))
    cut1 = round(fractions[0] * len(docs))
    cut2 = cut1 + round(fractions[1] * len(docs))
    pick = lambda idx: [s for i in idx for s in docs[i].sentences]
    return Split(pick(order[:cut1]), pick(order[cut1:cut2]), pick(order[cut2:]))


def bengio_split(
    corpus: Corpus, n_train: int = 800_000, n_valid: int = 200_000, rare: int = 3
) -> tuple[Split, Vocabulary]:
    """Bengio et al. (2003)'s split: tokens in corpus order, case and punctuation kept.

    The vocabulary holds every word seen more than ``rare`` times over the *whole*
    corpus (as Bengio's |V| implies), plus the specials; the rest become ``<unk>``
    when encoded. On NLTK's Brown that is 17,905 words with ``<unk>``.
    """
    sentences = list(corpus.sentences())
    total = sum(map(len, sentences))
    if total <= n_train + n_valid:
        raise CorpusError(f"corpus {corpus.name} has {total} tokens, too few for this split")
    vocab = Vocabulary.build(sentences, min_count=rare + 1)
    return split_words(sentences, n_train, n_valid), vocab
