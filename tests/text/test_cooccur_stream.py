"""Streamed co-occurrence counts, spills and all, are the in-memory counts to the bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.text.cooccur import cooccurrence_matrix, corpus_sequences, encode_sequences
from diaphane.text.cooccur_stream import stream_cooccurrence
from diaphane.text.spill import CsrShard


def in_memory(spec, window=10, symmetric=True, weighting=True, min_count=5, max_size=None,
              unit="sentence", lowercase=True):  # fmt: skip
    sequences, fingerprints = corpus_sequences(spec, lowercase, True, unit)
    vocab, ids = encode_sequences(sequences, min_count, max_size)
    return vocab, cooccurrence_matrix(ids, len(vocab), window, symmetric, weighting), fingerprints


def assert_same_csr(got, want):
    assert got.shape == want.shape and got.has_sorted_indices
    for name in ("indptr", "indices", "data"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def write_corpus(folder, seed, n_words, vocab_size, docs):
    """A folder of ``docs`` text files of Zipf-ish words in sentences of random length."""
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    for d in range(docs):
        ids = np.minimum(rng.zipf(1.3, n_words // docs), vocab_size)
        marks = rng.choice([" ", " ", " ", ". ", "! ", ", ", "\n"], len(ids))
        text = "".join(
            f"W{i}{m}" if i % 7 == 0 else f"w{i}{m}" for i, m in zip(ids, marks, strict=True)
        )
        (folder / f"{d}.txt").write_text(text)
    return str(folder)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    window=st.integers(1, 12),
    symmetric=st.booleans(),
    weighting=st.sampled_from([True, False, "linear"]),
    min_count=st.integers(1, 3),
    max_size=st.one_of(st.none(), st.integers(1, 30)),
    unit=st.sampled_from(["sentence", "document"]),
    lowercase=st.booleans(),
    memory=st.sampled_from([1 << 16, 1 << 18, 1 << 24]),
)
def test_random_corpora_stream_to_the_same_matrix(tmp_path_factory, seed, window, symmetric,
                                                  weighting, min_count, max_size, unit,
                                                  lowercase, memory):  # fmt: skip
    spec = write_corpus(tmp_path_factory.mktemp("c") / "corpus", seed, 3000, 200, 3)
    options = dict(window=window, symmetric=symmetric, min_count=min_count, max_size=max_size,
                   unit=unit, lowercase=lowercase)  # fmt: skip
    vocab, want, fingerprints = in_memory(spec, weighting=weighting, **options)
    got_vocab, got, stats = stream_cooccurrence(spec, memory, distance_weighting=weighting,
                                                **options)  # fmt: skip
    assert got_vocab.words == vocab.words and list(got_vocab.counts) == list(vocab.counts)
    assert_same_csr(got, want)
    assert stats.fingerprints == fingerprints and stats.tokens > 0


def test_a_tiny_bound_spills_many_shards_and_writes_to_a_folder(tmp_path):
    spec = write_corpus(tmp_path / "corpus", 7, 20000, 2000, 2)
    _, want, _ = in_memory(spec, min_count=1)
    _, got, stats = stream_cooccurrence(spec, 1 << 18, min_count=1)
    assert stats.shards > 5
    assert_same_csr(got, want)
    _, shard, _ = stream_cooccurrence(spec, 1 << 18, min_count=1, out=tmp_path / "X")
    assert isinstance(shard, CsrShard) and shard.nnz == want.nnz
    np.testing.assert_array_equal(shard.indptr(), want.indptr)
    cols, values = shard.part(0, shard.nnz)
    np.testing.assert_array_equal(cols, want.indices)
    np.testing.assert_array_equal(values, want.data)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 500), st.sampled_from([True, False, "linear"]))
def test_any_chunking_gives_the_same_bits(seed, chunk, weighting):
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(0, 40, rng.integers(0, 60)) for _ in range(60)]
    whole = cooccurrence_matrix(seqs, 40, 7, distance_weighting=weighting)
    assert_same_csr(cooccurrence_matrix(seqs, 40, 7, True, weighting, chunk_tokens=chunk), whole)


@pytest.mark.parametrize("corpus", ["wiki", "brown"])
def test_real_corpora_stream_to_the_same_counts_and_fingerprints(corpus, replayed_corpora):
    vocab, want, fingerprints = in_memory(corpus, window=10)
    # A bound a few times smaller than the counts themselves: many shards to merge.
    got_vocab, got, stats = stream_cooccurrence(corpus, 24 << 20, window=10)
    assert stats.shards >= 3, stats
    assert got_vocab == vocab and stats.fingerprints == fingerprints
    assert_same_csr(got, want)
