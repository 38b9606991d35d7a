"""Sliding-window examples for language models: n-1 context ids → the next id.

Entry points: :func:`pad_sentences` (one padded id stream), :func:`windows` (all
examples of a stream) and :func:`batches` (streaming, seed-shuffled minibatches
with bounded memory).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from diaphane.text.vocab import Vocabulary


def pad_sentences(sentences: Iterable[Sequence[str]], vocab: Vocabulary, order: int) -> np.ndarray:
    """One ``int32`` stream: each sentence as ``<s>`` x (order-1), its ids, ``</s>``.

    >>> v = Vocabulary(["<unk>", "<s>", "</s>", "a", "b"])
    >>> pad_sentences([["a", "b"], ["b"]], v, 2)
    array([1, 3, 4, 2, 1, 4, 2], dtype=int32)
    """
    if vocab.bos_id < 0 or vocab.eos_id < 0:
        raise ValueError("the vocabulary needs <s> and </s> to pad sentences")
    sentences = list(sentences)
    lengths = np.fromiter(map(len, sentences), np.int64, len(sentences))
    ids = vocab.encode([w for s in sentences for w in s])
    # Sentence i occupies [start_i, start_i + order - 1 + len_i + 1): padding, words, </s>.
    starts = np.cumsum(lengths + order) - (lengths + order)
    out = np.full(int(lengths.sum()) + len(sentences) * order, vocab.bos_id, np.int32)
    word_pos = np.repeat(starts + order - 1 - (np.cumsum(lengths) - lengths), lengths)
    out[word_pos + np.arange(len(ids))] = ids
    out[starts + order - 1 + lengths] = vocab.eos_id
    return out


def windows(stream: np.ndarray, order: int, bos_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Contexts ``(N, order-1)`` and targets ``(N,)`` for every non-``<s>`` position.

    >>> ctx, tgt = windows(np.array([1, 3, 4, 2], np.int32), 2, bos_id=1)
    >>> ctx.ravel().tolist(), tgt.tolist()
    ([1, 3, 4], [3, 4, 2])
    """
    pos = np.flatnonzero(stream != bos_id)
    pos = pos[pos >= order - 1]
    offsets = np.arange(-(order - 1), 0)
    return stream[pos[:, None] + offsets], stream[pos]


def batches(
    sentences: Iterable[Sequence[str]],
    vocab: Vocabulary,
    order: int,
    batch_size: int = 256,
    seed: int | None = 0,
    buffer_tokens: int = 1_000_000,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Minibatches of ``(contexts, targets)`` streamed from ``sentences``.

    Sentences are read ``buffer_tokens`` at a time; the examples of each buffer
    are shuffled with a generator seeded by ``seed`` (``None``: corpus order), so
    memory stays bounded and the order is the same on every run.
    """
    rng = np.random.default_rng(seed)
    carry_ctx = np.zeros((0, order - 1), np.int32)
    carry_tgt = np.zeros(0, np.int32)
    for chunk in _chunks(sentences, buffer_tokens):
        ctx, tgt = windows(pad_sentences(chunk, vocab, order), order, vocab.bos_id)
        if seed is not None:
            perm = rng.permutation(len(tgt))
            ctx, tgt = ctx[perm], tgt[perm]
        ctx, tgt = np.concatenate([carry_ctx, ctx]), np.concatenate([carry_tgt, tgt])
        full = len(tgt) - len(tgt) % batch_size
        for i in range(0, full, batch_size):
            yield ctx[i : i + batch_size], tgt[i : i + batch_size]
        carry_ctx, carry_tgt = ctx[full:], tgt[full:]
    if len(carry_tgt):
        yield carry_ctx, carry_tgt


def _chunks(sentences: Iterable[Sequence[str]], tokens: int) -> Iterator[list[Sequence[str]]]:
    chunk: list[Sequence[str]] = []
    size = 0
    for sent in sentences:
        chunk.append(sent)
        size += len(sent)
        if size >= tokens:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
