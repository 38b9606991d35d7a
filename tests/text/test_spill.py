"""Spilled shards merge to the exact sums, and the spill folder never outlives its count."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.errors import UsageError
from diaphane.text.cooccur_stream import stream_cooccurrence
from diaphane.text.spill import (
    SAMPLE,
    CsrFileSink,
    SpillFolder,
    current_rss,
    merge_csr_shards,
    merge_key_shards,
    parse_memory,
    write_csr_shard,
    write_key_shard,
)


def test_memory_sizes():
    assert parse_memory("2G") == 2 * 2**30 and parse_memory("1.5 GiB") == 3 * 2**29
    assert parse_memory("512m") == parse_memory("512MB") == 512 * 2**20
    assert parse_memory("4096") == 4096 and parse_memory("8k") == 8192
    for bad in ("", "2X", "G", "-1G", "two"):
        with pytest.raises(UsageError, match="2G, 512M"):
            parse_memory(bad)
    assert 10 * 2**20 < current_rss() < 64 * 2**30


def _random_csr(rng, n, density):
    X = sp.random(n, n, density=density, random_state=rng, format="csr")
    X.data = np.ceil(X.data * 1000)  # whole numbers: sums exact in any order
    return X


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 40), st.integers(64, 20000))
def test_csr_shards_merge_to_their_exact_sum(tmp_path_factory, seed, k, n, budget):
    rng = np.random.default_rng(seed)
    parts = [_random_csr(rng, n, rng.uniform(0, 0.5)) for _ in range(k)]
    folder = tmp_path_factory.mktemp("csr")
    shards = []
    for i, X in enumerate(parts):
        (folder / str(i)).mkdir()
        shards.append(write_csr_shard(folder / str(i), X))
    want = sum(parts[1:], parts[0]).tocsr()
    want.sort_indices()
    got = merge_csr_shards(shards, n, budget)
    for a in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got, a), getattr(want, a))
    sink = CsrFileSink(folder / "out", divisor=4.0)
    merge_csr_shards(shards, n, budget, sink)
    out = sink.close(n)
    np.testing.assert_array_equal(out.indptr(), want.indptr)
    np.testing.assert_array_equal(out.part(0, out.nnz)[1], want.data / 4.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.booleans(), st.integers(64, 10**6))
def test_key_shards_merge_to_their_exact_sum(tmp_path_factory, seed, k, as_bytes, budget):
    rng = np.random.default_rng(seed)
    folder = tmp_path_factory.mktemp("keys")
    runs, shards = [], []
    for i in range(k):
        keys = np.unique(rng.integers(0, 3 * SAMPLE, rng.integers(0, 3 * SAMPLE)))
        counts = rng.integers(1, 9, len(keys))
        if as_bytes:  # big-endian bytes sort as the numbers do
            keys = keys.astype(">u8").view("S8")
        (folder / str(i)).mkdir()
        shards.append(write_key_shard(folder / str(i), keys, counts))
        runs.append((keys, counts))
    blocks = list(merge_key_shards(shards, budget))
    keys = np.concatenate([b[0] for b in blocks])
    counts = np.concatenate([b[1] for b in blocks])
    allk = np.concatenate([r[0] for r in runs])
    uniq, inv = np.unique(allk, return_inverse=True)
    np.testing.assert_array_equal(keys, uniq)
    np.testing.assert_array_equal(counts, np.bincount(inv, np.concatenate([r[1] for r in runs])))


def test_spill_folder_is_removed_on_error_and_on_ctrl_c(tmp_path):
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), SpillFolder(tmp_path / "out", None) as folder:
            (folder.new("shard") / "x").write_bytes(b"data")
            assert folder.path.parent == tmp_path and folder.path.name.startswith(".diaphane")
            raise exc
        assert list(tmp_path.iterdir()) == []
    with SpillFolder(None, tmp_path / "spill") as folder:
        assert folder.path.parent == tmp_path / "spill"
    assert list((tmp_path / "spill").iterdir()) == []


def test_a_count_that_fails_leaves_no_shards(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in rng.integers(0, 500, 6000)]
    corpus = tmp_path / "c.txt"
    corpus.write_text(". ".join(" ".join(words[i : i + 20]) for i in range(0, 6000, 20)))

    def refuse(vocab, tokens):
        raise UsageError("refused")

    with pytest.raises(UsageError, match="refused"):
        stream_cooccurrence(str(corpus), 1 << 18, near=tmp_path / "model", on_vocab=refuse)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]

    # Ctrl-C while counting, once shards are on disk: they go too.
    from diaphane.text import cooccur_stream

    real = cooccur_stream._SpillingCounter.add

    def add_then_interrupt(self, ids, lengths):
        real(self, ids, lengths)
        if self.shards:
            raise KeyboardInterrupt

    monkeypatch.setattr(cooccur_stream._SpillingCounter, "add", add_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        stream_cooccurrence(str(corpus), 1 << 18, min_count=1, tmp_dir=tmp_path / "t")
    assert list((tmp_path / "t").iterdir()) == []
