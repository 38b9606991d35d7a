"""N-gram tables from streamed, spilled top-order counts are count_ngrams's tables to the bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.cli.lm import load_split, streamed
from diaphane.errors import UsageError
from diaphane.models.ngram import NgramLM
from diaphane.models.ngram_scale import NgramJob, fit_streamed
from diaphane.text.ngram_stream import (
    GramCodec,
    SpillingGramCounter,
    counts_from_grams,
    pad_ids,
    padded_pieces,
)
from diaphane.text.ngrams import count_ngrams
from diaphane.text.spill import SpillFolder
from tests.conftest import require_archives

BOS, EOS = 1, 2


def assert_same_tables(got, want):
    for name in ("contexts", "keys", "counts", "continuation"):
        for a, b in zip(getattr(got, name), getattr(want, name), strict=True):
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=name)


def assert_same_model(got: NgramLM, want: NgramLM):
    a, b = got.tensors(), want.tensors()
    assert a.keys() == b.keys() and got.vocab == want.vocab and got.meta == want.meta
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def random_sentences(seed, vocab_size, n=30):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 12, n)
    return rng.integers(3, vocab_size, lengths.sum()), lengths


@pytest.mark.parametrize(("order", "vocab_size", "packed"), [(3, 100, True), (9, 200, False)])
def test_codec_keys_sort_as_the_ngrams_and_decode(order, vocab_size, packed):
    codec = GramCodec(order, vocab_size)
    assert codec.packed is packed
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab_size, 500)
    pos = np.arange(order - 1, len(ids))
    keys = codec.keys(ids, pos)
    cols = np.stack([ids[pos - order + 1 + i] for i in range(order)], axis=1)
    np.testing.assert_array_equal(codec.columns(keys), cols)
    np.testing.assert_array_equal(np.argsort(keys, kind="stable"), np.lexsort(cols.T[::-1]))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 5),
    st.sampled_from([6, 40, 3000]),
    st.booleans(),
    st.sampled_from([1 << 10, 1 << 14, 1 << 30]),
    st.integers(1, 200),
)
def test_spilled_counts_rebuild_count_ngrams_tables(seed, order, vocab_size, stream, memory,
                                                    chunk):  # fmt: skip
    ids, lengths = random_sentences(seed, vocab_size)
    if stream:
        ids, lengths = ids, np.array([len(ids)])
    padded = pad_ids(ids, lengths, order, BOS, EOS)
    want = count_ngrams(padded, order, vocab_size, BOS)
    # Feed the sentences a few at a time, as a token cache hands them out.
    cuts = np.r_[0, np.cumsum(lengths)]
    chunks = [
        (ids[cuts[i] : cuts[min(i + 3, len(lengths))]], lengths[i : i + 3])
        for i in range(0, len(lengths), 3)
    ]
    if stream:  # one sentence: cut its tokens anywhere
        chunks = [(ids[i : i + chunk], None) for i in range(0, len(ids), chunk)]
    with SpillFolder() as spill:
        counter = SpillingGramCounter(GramCodec(order, vocab_size), BOS, spill, memory)
        counter.piece_tokens = chunk  # pieces of any size
        for piece in padded_pieces(chunks, order, BOS, EOS, stream):
            counter.add(piece)
        grams, counts = counter.result()
    assert int(counts.sum()) == int(np.count_nonzero(padded != BOS))
    assert_same_tables(counts_from_grams(grams, counts, vocab_size), want)


def in_memory_model(job: NgramJob) -> tuple[NgramLM, float | None]:
    corpus, split, vocab, scheme = load_split(job.corpus, job.scheme, job.min_count)
    stream = scheme == "bengio" if job.stream is None else job.stream
    source = {"corpus": job.corpus, "fingerprint": corpus.fingerprint, "scheme": scheme,
              "split": "train", "stream": stream, "min_count": job.min_count}  # fmt: skip
    lm = NgramLM(job.order, job.smoothing, job.k).fit(streamed(split.train, stream), vocab,
                                                      source=source)  # fmt: skip
    valid = lm.perplexity(streamed(split.valid, stream)) if any(split.valid) else None
    return lm, valid


@pytest.mark.parametrize(
    "job",
    [
        NgramJob("lee", 3),  # the documents split
        NgramJob("lee", 5, "mle"),
        NgramJob("brown", 3),  # Bengio's split, one stream: the default
    ],
    ids=["lee-kn3", "lee-mle5", "brown-kn3"],
)
def test_streamed_models_are_the_in_memory_models(job, tmp_path, replayed_corpora):
    if job.corpus == "brown":
        require_archives("brown")  # load_split turns a missing archive into a usage error
    want, valid = in_memory_model(job)
    fit = fit_streamed(job, 20 << 20, tmp_dir=tmp_path)
    assert_same_model(fit.lm, want)
    assert fit.valid_perplexity == pytest.approx(valid, rel=1e-12)
    assert list(tmp_path.iterdir()) == []


def test_documents_split_in_one_stream_is_refused(tmp_path):
    with pytest.raises(UsageError, match="--no-stream"):
        fit_streamed(NgramJob("lee", 3, stream=True), 20 << 20, tmp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
