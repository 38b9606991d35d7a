"""Counting on a Dask cluster: the corpus in parts, each counted by a worker, summed in a tree.

Each pass maps a task over the parts of :func:`~diaphane.text.stream.plan_parts`
(workers read their part themselves, so the corpus must be where every worker can
read it: a shared file system, or the same path on each machine) and sums the
results pairwise, ``log2(parts)`` rounds deep. Vocabulary counts are summed into
one :class:`~collections.Counter`; co-occurrence counts are whole-number sums
(:func:`~diaphane.text.cooccur.counting_weights`) and n-gram counts integers, so the
tree adds up to the bits one process counts. Only the vocabulary is sent out to the
workers; every partial count comes back through the tree, the last one to this
process.

Dask is an optional extra (``pip install 'diaphane[dask]'``); :func:`connect` says
so in one line when it is missing.

Entry points: :func:`connect`, :func:`dask_cooccurrence`, :func:`dask_vocab_counts`,
:func:`dask_doc_counts`, :func:`dask_ngram_counts`, :func:`dask_piece_counts`,
:func:`dask_score`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from diaphane.errors import CorpusError, UsageError
from diaphane.text.cooccur import (
    CHUNK_TOKENS,
    _add_csr,
    _Merger,
    count_chunk,
    counting_weights,
    scale_counts,
)
from diaphane.text.ngram_stream import GramCodec, count_piece, pad_ids
from diaphane.text.spill import sum_sorted_runs
from diaphane.text.stream import (
    PART_BYTES,
    Cleaning,
    Part,
    corpus_fingerprints,
    part_documents,
    part_sequences,
    plan_parts,
)
from diaphane.text.vocab import UNK, Vocabulary

__all__ = [
    "INSTALL",
    "LOCAL_WORKERS",
    "connect",
    "dask_cooccurrence",
    "dask_doc_counts",
    "dask_ngram_counts",
    "dask_piece_counts",
    "dask_score",
    "dask_vocab_counts",
]

INSTALL = "--dask needs Dask, an optional extra: pip install 'diaphane[dask]'"
LOCAL_WORKERS = 2  # `--dask local`: one worker process per core of this machine
CONNECT_SECONDS = 10


def require_dask() -> Any:
    """The ``distributed`` module, or :class:`UsageError` saying how to install it."""
    try:
        import distributed
    except ImportError as err:
        raise UsageError(INSTALL) from err
    return distributed


@contextlib.contextmanager
def connect(address: str, workers: int = LOCAL_WORKERS, processes: bool = True) -> Iterator:
    """A Dask client: of a scheduler's address (``tcp://host:8786``), or with ``"local"``
    of a new ``LocalCluster`` of ``workers`` single-threaded workers, closed afterwards."""
    distributed = require_dask()
    # Dask's own progress lines (cluster up, comms closed) are not diaphane's to show.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    cluster = None
    try:
        if address == "local":
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes,
                dashboard_address=None, silence_logs=logging.WARNING,
            )  # fmt: skip
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as err:
        if cluster is not None:
            cluster.close()
        raise UsageError(
            f"cannot reach the Dask scheduler at {address} ({err}); start one with"
            " `dask scheduler` and `dask worker ADDRESS`, or use --dask local"
        ) from err
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def n_threads(client) -> int:
    """The threads of the cluster's workers (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def _share(client, obj: Any):
    """``obj`` sent once to every worker, as one future (a list would be scattered item by
    item, a future for each word)."""
    return client.scatter([obj], broadcast=True)[0]


def tree_reduce(client, futures: list, combine: Callable) -> Any:
    """``combine`` the futures' results pairwise, round by round; returns the last one."""
    if not futures:
        raise ValueError("nothing to reduce")
    while len(futures) > 1:
        pairs = zip(futures[::2], futures[1::2], strict=False)
        summed = [client.submit(combine, a, b, pure=False) for a, b in pairs]
        futures = summed + ([futures[-1]] if len(futures) % 2 else [])
    return futures[0].result()


# ----------------------------------------------------------------------------- vocabulary


def dask_vocab_counts(
    client,
    parts: Sequence[Part],
    cleaning: Cleaning | None,
    unit: str = "sentence",
    keep_docs: Sequence[np.ndarray | None] | None = None,
) -> tuple[Counter, int]:
    """Word counts and the number of tokens over the parts (of the documents ``keep_docs``
    marks in each part, when given)."""
    keep_docs = keep_docs or [None] * len(parts)
    futures = [
        client.submit(_vocab_task, p, cleaning, unit, k, pure=False)
        for p, k in zip(parts, keep_docs, strict=True)
    ]
    return tree_reduce(client, futures, _sum_counts)


def _vocab_task(part: Part, cleaning, unit: str, keep) -> tuple[Counter, int]:
    counts: Counter = Counter()
    for seq in _kept_sequences(part, cleaning, unit, keep):
        counts.update(seq)
    return counts, counts.total()


def _sum_counts(a: tuple[Counter, int], b: tuple[Counter, int]) -> tuple[Counter, int]:
    total = Counter(a[0])  # a copy: a thread-local worker shares its inputs
    total.update(b[0])
    return total, a[1] + b[1]


def _kept_sequences(part: Part, cleaning, unit: str, keep) -> Iterator[list[str]]:
    if keep is None:
        yield from part_sequences(part, cleaning, unit)
        return
    for doc, kept in zip(part_documents(part, cleaning), keep, strict=False):
        if kept:
            yield from doc


def dask_doc_counts(client, parts: Sequence[Part]) -> list[int]:
    """The number of documents in each part."""
    return client.gather([client.submit(_doc_count_task, p, pure=False) for p in parts])


def _doc_count_task(part: Part) -> int:
    return sum(1 for _ in part_documents(part, None))


# ----------------------------------------------------------------------------- co-occurrences


def dask_cooccurrence(
    client,
    spec: str,
    window: int = 10,
    symmetric: bool = True,
    distance_weighting: bool | str = True,
    min_count: int = 5,
    max_size: int | None = None,
    unit: str = "sentence",
    lowercase: bool = True,
    part_bytes: int = PART_BYTES,
    on_vocab: Callable[[Vocabulary, int], None] | None = None,
    n_parts: int | None = None,
) -> tuple[Vocabulary, sp.csr_matrix, dict]:
    """:func:`~diaphane.text.cooccur_stream.stream_cooccurrence` on a Dask cluster: the
    vocabulary and the co-occurrence matrix, to the bit, and what was done.

    Args:
        client: a Dask client (see :func:`connect`).
        part_bytes: the smallest part made of user files (see ``plan_parts``).
        n_parts: parts per corpus wanted (default: one per worker thread).
        others: as ``stream_cooccurrence`` takes them (``on_vocab`` included).
    """
    weights, scale = counting_weights(distance_weighting, window)
    cleaning = Cleaning(lowercase, True)
    parts = plan_parts(spec, n_parts or n_threads(client), unit == "sentence", part_bytes)
    fingerprints = client.submit(corpus_fingerprints, spec, pure=False)
    counts, tokens = dask_vocab_counts(client, parts, cleaning, unit)
    if not tokens:
        raise CorpusError(f"corpus {spec} holds no words to count")
    vocab = Vocabulary.from_counts(
        counts, min_count, None if max_size is None else max_size + 1, (UNK,)
    )
    if on_vocab is not None:
        on_vocab(vocab, tokens)
    words = _share(client, vocab.words)
    futures = [
        client.submit(_cooccur_task, p, cleaning, unit, words, weights, symmetric, pure=False)
        for p in parts
    ]
    X = scale_counts(tree_reduce(client, futures, _add_csr), scale)
    info = {"fingerprints": fingerprints.result(), "tokens": tokens, "parts": len(parts)}
    return vocab, X, info


def _cooccur_task(part: Part, cleaning, unit, words: list[str], weights, symmetric: bool):
    index = {w: i for i, w in enumerate(words)}
    merger = _Merger(_add_csr, lambda X: X.nnz)
    for ids, lengths in _id_chunks(part_sequences(part, cleaning, unit), index, 0):
        merger.add(count_chunk(ids, lengths, len(words), weights, symmetric))
    return merger.result() if merger.runs else sp.csr_matrix((len(words), len(words)))


def _id_chunks(
    sequences: Iterable[list[str]], index: dict[str, int], unk: int, size: int = CHUNK_TOKENS
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Sequences encoded (unknown words as ``unk``), about ``size`` tokens at a time."""
    tokens: list[str] = []
    lengths: list[int] = []
    for seq in sequences:
        tokens.extend(seq)
        lengths.append(len(seq))
        if len(tokens) >= size:
            yield _encode(tokens, index, unk), np.asarray(lengths, np.int64)
            tokens, lengths = [], []
    if lengths:
        yield _encode(tokens, index, unk), np.asarray(lengths, np.int64)


def _encode(tokens: list[str], index: dict[str, int], unk: int) -> np.ndarray:
    return np.fromiter(map(index.get, tokens, itertools.repeat(unk)), np.int64, len(tokens))


# ----------------------------------------------------------------------------- n-grams


def dask_ngram_counts(
    client, parts: Sequence[Part], vocab: Vocabulary, order: int, keep_docs: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Top-order n-gram counts (``(N, order)`` ids, counts) of the documents ``keep_docs``
    marks in each part, each sentence padded as ``pad_sentences`` pads it."""
    words = _share(client, vocab.words)
    specials = (vocab.unk_id, vocab.bos_id, vocab.eos_id)
    futures = [
        client.submit(_ngram_task, p, words, specials, order, k, pure=False)
        for p, k in zip(parts, keep_docs, strict=True)
    ]
    keys, counts = tree_reduce(client, futures, _sum_runs)
    return GramCodec(order, len(vocab)).columns(keys), counts


def _ngram_task(part: Part, words, specials, order: int, keep) -> tuple[np.ndarray, np.ndarray]:
    unk, bos, eos = specials
    codec = GramCodec(order, len(words))
    index = {w: i for i, w in enumerate(words)}
    runs = [np.zeros(0, codec.dtype)], [np.zeros(0, np.int64)]
    for ids, lengths in _id_chunks(_kept_sequences(part, None, "sentence", keep), index, unk):
        # Whole padded sentences: no n-gram reaches into the piece before.
        keys, counts = count_piece(pad_ids(ids, lengths, order, bos, eos), ids[:0], codec, bos)
        runs[0].append(keys)
        runs[1].append(counts)
    return sum_sorted_runs(*runs)


def _sum_runs(a, b) -> tuple[np.ndarray, np.ndarray]:
    return sum_sorted_runs([a[0], b[0]], [a[1], b[1]])


def dask_piece_counts(
    client, stream: np.ndarray, order: int, vocab_size: int, bos_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-order n-gram counts of one padded stream, cut into a piece per worker thread
    (each with the ``order - 1`` ids before it)."""
    codec = GramCodec(order, vocab_size)
    cuts = np.linspace(0, len(stream), n_threads(client) + 1).astype(np.int64)
    futures = [
        client.submit(
            count_piece, stream[a:b], stream[max(0, a - order + 1) : a], codec, bos_id, pure=False
        )
        for a, b in itertools.pairwise(cuts)
    ]
    keys, counts = tree_reduce(client, futures, _sum_runs)
    return codec.columns(keys), counts


def dask_score(
    client, parts: Sequence[Part], model: Any, keep_docs: Sequence[np.ndarray]
) -> tuple[float, int]:
    """Summed natural-log probability and the number of events ``model.log_probs`` gives
    the sentences of the documents ``keep_docs`` marks."""
    shared = _share(client, model)
    futures = [
        client.submit(_score_task, p, shared, k, pure=False)
        for p, k in zip(parts, keep_docs, strict=True)
    ]
    results = client.gather(futures)
    return float(sum(r[0] for r in results)), int(sum(r[1] for r in results))


def _score_task(part: Part, model, keep) -> tuple[float, int]:
    sentences = list(_kept_sequences(part, None, "sentence", keep))
    if not sentences:
        return 0.0, 0
    lp = model.log_probs(sentences)
    return float(lp.sum()), len(lp)
