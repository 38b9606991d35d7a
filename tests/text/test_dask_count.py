"""Counting on a 2-worker LocalCluster gives the single-machine counts, fingerprints and models.

The cluster is the session's ``dask_client`` (threads, so it starts in a second); the
corpora are slices of the real ones, written out as a user would give them, so that the
test takes seconds.
"""

import itertools
import json

import pytest

from diaphane.models.ngram import NgramLM
from diaphane.models.ngram_scale import NgramJob, fit_on_dask
from diaphane.text import Vocabulary, load_corpus, split_words
from diaphane.text.cooccur_stream import stream_cooccurrence
from diaphane.text.dask_count import dask_cooccurrence
from tests.text.test_cooccur_stream import assert_same_csr, in_memory
from tests.text.test_ngram_stream import assert_same_model, in_memory_model


def _text(doc) -> str:
    return " ".join(" ".join(s) + " ." for s in doc.sentences)


@pytest.fixture(scope="module")
def wiki_slice(tmp_path_factory, replayed_corpora):
    """The first 25 articles of the gensim wiki sample, one JSON line each."""
    path = tmp_path_factory.mktemp("wiki") / "wiki.jsonl"
    docs = itertools.islice(load_corpus("wiki").documents(), 25)
    path.write_text("".join(json.dumps({"text": _text(d)}) + "\n" for d in docs))
    return str(path)


@pytest.fixture(scope="module")
def brown_slice(tmp_path_factory, replayed_corpora):
    """The first 40 Brown files, as a folder of text files."""
    folder = tmp_path_factory.mktemp("brown") / "brown40"
    folder.mkdir()
    for doc in itertools.islice(load_corpus("brown").documents(), 40):
        (folder / doc.id).write_text(_text(doc))
    return str(folder)


@pytest.mark.parametrize("corpus", ["wiki_slice", "brown_slice"])
def test_cluster_counts_equal_in_memory_and_streamed(corpus, request, dask_client):
    spec = request.getfixturevalue(corpus)
    vocab, want, fingerprints = in_memory(spec, window=8)
    _, streamed_X, stats = stream_cooccurrence(spec, 12 << 20, window=8)
    got_vocab, got, info = dask_cooccurrence(dask_client, spec, window=8, n_parts=5, part_bytes=1)
    assert info["parts"] >= 5 and stats.shards >= 2
    assert got_vocab == vocab and info["fingerprints"] == stats.fingerprints == fingerprints
    assert_same_csr(streamed_X, want)
    assert_same_csr(got, want)


def test_cluster_counts_named_corpora_too(dask_client):
    vocab, want, fingerprints = in_memory("lee+lee", window=5, weighting="linear")
    got_vocab, got, info = dask_cooccurrence(dask_client, "lee+lee", window=5,
                                             distance_weighting="linear", n_parts=3)  # fmt: skip
    assert info["parts"] == 6 and got_vocab == vocab and info["fingerprints"] == fingerprints
    assert_same_csr(got, want)


def test_cluster_ngram_models_equal_in_memory(dask_client, brown_slice):
    for job in (NgramJob("lee", 3), NgramJob(brown_slice, 4, "addk")):  # named and files
        want, valid = in_memory_model(job)
        fit = fit_on_dask(job, dask_client)
        assert_same_model(fit.lm, want)
        assert fit.valid_perplexity == pytest.approx(valid, rel=1e-12)


def test_cluster_bengio_split_equals_in_memory(dask_client, monkeypatch, tmp_path):
    # Bengio's split with small sizes, so that lee has room for it.
    monkeypatch.setattr("diaphane.text.split_stream.BENGIO_SIZES", (20_000, 5_000))
    corpus = load_corpus("lee")
    sentences = list(corpus.sentences())
    split = split_words(sentences, 20_000, 5_000)
    vocab = Vocabulary.build(sentences, min_count=4)
    source = {"corpus": "lee", "fingerprint": corpus.fingerprint, "scheme": "bengio",
              "split": "train", "stream": True, "min_count": 4}  # fmt: skip
    train = [[w for s in split.train for w in s]]
    want = NgramLM(3).fit(train, vocab, source=source)
    fit = fit_on_dask(NgramJob("lee", 3, scheme="bengio"), dask_client, tmp_dir=tmp_path)
    assert_same_model(fit.lm, want)
    valid = want.perplexity([[w for s in split.valid for w in s]])
    assert fit.valid_perplexity == pytest.approx(valid, rel=1e-12)
    assert list(tmp_path.iterdir()) == []
