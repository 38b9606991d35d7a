import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.text._cooccur_numpy import cooccurrence_numpy
from diaphane.text.cooccur import (
    cooccurrence_matrix,
    encode_sequences,
    subsample,
)

WEIGHT = {
    True: lambda d, window: 1.0 / d,
    False: lambda d, window: 1.0,
    "linear": lambda d, window: (window - d + 1) / window,
}


def naive(sequences, vocab_size, window, symmetric, weighting, skip_id=0):
    """Stanford GloVe's cooccur.c, one token at a time."""
    X = np.zeros((vocab_size, vocab_size))
    for seq in sequences:
        seq = [t for t in seq if t != skip_id]
        for j, w2 in enumerate(seq):
            for k in range(max(0, j - window), j):
                w1, inc = seq[k], WEIGHT[weighting](j - k, window)
                X[w1, w2] += inc
                if symmetric:
                    X[w2, w1] += inc
    return X


def random_corpus(seed, n_seqs=40, vocab_size=12):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, vocab_size, rng.integers(0, 30)) for _ in range(n_seqs)]


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("window", [1, 3, 10])
def test_counts_equal_a_python_loop(symmetric, window):
    seqs = random_corpus(window)
    got = cooccurrence_matrix(seqs, 12, window, symmetric, distance_weighting=False)
    # Unweighted counts are integers: the sums must be exactly equal.
    np.testing.assert_array_equal(got.toarray(), naive(seqs, 12, window, symmetric, False))


@pytest.mark.parametrize("symmetric", [True, False])
def test_distance_weighting_equals_a_python_loop(symmetric):
    seqs = random_corpus(7)
    got = cooccurrence_matrix(seqs, 12, 5, symmetric)
    np.testing.assert_allclose(got.toarray(), naive(seqs, 12, 5, symmetric, True), rtol=1e-13)
    assert got.dtype == np.float64 and got.has_sorted_indices


def test_chunks_merge_to_the_same_matrix():
    seqs = random_corpus(3, n_seqs=200, vocab_size=30)
    whole = cooccurrence_matrix(seqs, 30, 4)
    chunked = cooccurrence_matrix(seqs, 30, 4, chunk_tokens=37)
    np.testing.assert_allclose(chunked.toarray(), whole.toarray(), rtol=1e-13)
    assert chunked.nnz == whole.nnz


def test_windows_stay_inside_sequences_and_skip_unknowns():
    X = cooccurrence_matrix([np.array([1, 0, 2]), np.array([3])], 4, window=5)
    # <unk> (0) is dropped before windowing, so 1 and 2 become neighbours; 3 is alone.
    assert X[1, 2] == X[2, 1] == 1.0 and X.nnz == 2
    kept = cooccurrence_matrix([np.array([1, 0, 2])], 4, window=5, skip_id=None)
    assert kept[1, 2] == 0.5 and kept[0, 1] == 1.0


def test_one_sided_counts_the_right_context():
    X = cooccurrence_matrix([np.array([1, 2])], 3, window=2, symmetric=False).toarray()
    assert X[1, 2] == 1.0 and X[2, 1] == 0.0


def test_empty_corpus_and_bad_ids():
    assert cooccurrence_matrix([], 5).nnz == 0
    with pytest.raises(ValueError, match="token ids"):
        cooccurrence_matrix([np.array([1, 9])], 5)
    with pytest.raises(ValueError, match="window"):
        cooccurrence_matrix([np.array([1, 2])], 5, window=0)


def test_encode_sequences_min_count_and_max_size():
    seqs = [["a", "b", "a", "c"], ["b", "a", "d"]]
    vocab, ids = encode_sequences(seqs, min_count=1, max_size=2)
    assert vocab.words == ["<unk>", "a", "b"]
    assert [x.tolist() for x in ids] == [[1, 2, 1, 0], [2, 1, 0]]
    assert ids[0].dtype == np.int32


@pytest.mark.parametrize("symmetric", [True, False])
def test_linear_weighting_equals_a_python_loop(symmetric):
    seqs = random_corpus(11)
    got = cooccurrence_matrix(seqs, 12, 4, symmetric, distance_weighting="linear")
    want = naive(seqs, 12, 4, symmetric, "linear")
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-13)


def test_weighting_names_and_bad_values():
    seqs = random_corpus(5)
    for flag, name in ((True, "harmonic"), (False, "none")):
        a, b = (cooccurrence_matrix(seqs, 12, 3, distance_weighting=w) for w in (flag, name))
        assert (a != b).nnz == 0
    with pytest.raises(ValueError, match="distance_weighting must be"):
        cooccurrence_matrix(seqs, 12, 3, distance_weighting="gaussian")


def assert_same_csr(got, want, exact):
    """Same shape, same sorted structure, values equal (or to float rounding)."""
    assert got.shape == want.shape and got.has_sorted_indices
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    if exact:
        np.testing.assert_array_equal(got.data, want.data)
    else:
        np.testing.assert_allclose(got.data, want.data, rtol=1e-13)


@st.composite
def corpora(draw):
    """A vocabulary size (1 included) and many short sequences, some empty."""
    vocab_size = draw(st.integers(1, 12))
    seqs = draw(st.lists(st.lists(st.integers(0, vocab_size - 1), max_size=25), max_size=30))
    return vocab_size, [np.array(s, np.int32) for s in seqs]


@settings(max_examples=120, deadline=None)
@given(
    corpus=corpora(),
    window=st.integers(1, 12),
    symmetric=st.booleans(),
    weighting=st.sampled_from([True, False, "linear"]),
    skip_id=st.sampled_from([0, 1, None]),
    chunk_tokens=st.sampled_from([1, 13, 1 << 22]),
)
def test_kernel_equals_the_numpy_reference(
    corpus, window, symmetric, weighting, skip_id, chunk_tokens
):
    vocab_size, seqs = corpus
    args = (seqs, vocab_size, window, symmetric, weighting, skip_id, chunk_tokens)
    got, want = cooccurrence_matrix(*args), cooccurrence_numpy(*args)
    # Unweighted counts are whole numbers: exactly equal.
    assert_same_csr(got, want, exact=weighting is False)


@pytest.mark.parametrize("weighting", [True, False])
def test_large_vocabulary_rows_short_and_long(weighting):
    # |V| = 5000: rare words' short rows take the insertion sort, frequent ones the bitmap.
    rng = np.random.default_rng(0)
    words = np.minimum(rng.zipf(1.3, 40_000), 5000) - 1
    seqs = np.split(words, np.sort(rng.choice(words.size, 2000, replace=False)))
    got = cooccurrence_matrix(seqs, 5000, 10, distance_weighting=weighting)
    assert_same_csr(got, cooccurrence_numpy(seqs, 5000, 10, True, weighting), not weighting)


def test_harmonic_sums_are_exactly_symmetric():
    # Row sums are exact (whole-number weights), so X[a, b] and X[b, a] agree bit for bit.
    X = cooccurrence_matrix(random_corpus(2, n_seqs=300, vocab_size=40), 40, 15)
    assert (X != X.T).nnz == 0


def test_wide_window_uses_fractional_weights():
    # lcm(1..40) * H(40) is past 2**53: the kernel adds 1/d itself, to float rounding.
    seqs = random_corpus(4, n_seqs=20, vocab_size=12)
    got = cooccurrence_matrix(seqs, 12, 40)
    np.testing.assert_allclose(got.toarray(), naive(seqs, 12, 40, True, True), rtol=1e-13)
    assert_same_csr(got, cooccurrence_numpy(seqs, 12, 40), exact=False)


def test_bad_ids_are_named():
    with pytest.raises(ValueError, match=r"\[0, 5\); got -2"):
        cooccurrence_matrix([np.array([1, 2]), np.array([-2])], 5)
    # The skipped id may lie outside the vocabulary: it is dropped before the check.
    assert cooccurrence_matrix([np.array([7, 1, 2])], 3, skip_id=7).nnz == 2


def zipf_corpus(seed=0):
    """Words 1..4 with 100,000 / 10,000 / 1,000 / 100 tokens, and 60,000 <unk> (0)."""
    sizes = [60_000, 100_000, 10_000, 1_000, 100]
    tokens = np.repeat(np.arange(5, dtype=np.int32), sizes)
    np.random.default_rng(seed).shuffle(tokens)
    cuts = np.arange(17, tokens.size, 17)
    return np.split(tokens, cuts), np.array(sizes)


def test_subsample_keep_rates_match_the_formula():
    ids, counts = zipf_corpus()
    t = 1e-3
    kept = np.bincount(np.concatenate(subsample(ids, counts, t=t)), minlength=5)
    f = counts[1:] / counts[1:].sum()  # <unk> is left out of the total
    p = np.minimum(1.0, np.sqrt(t / f))
    n = counts[1:]
    # Four standard deviations of a binomial; word 4 (p = 1) and <unk> are all kept.
    assert np.all(np.abs(kept[1:] - n * p) <= 4 * np.sqrt(n * p * (1 - p)))
    assert kept[4] == 100 and kept[0] == 60_000


def test_subsample_is_seeded_and_keeps_order():
    ids, counts = zipf_corpus()
    a, b, c = subsample(ids, counts, seed=1), subsample(ids, counts, seed=1), subsample(ids, counts)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert len(a) == len(ids) and a[0].dtype == np.int32
    for seq, sub in zip(ids, a, strict=True):
        # A subsequence: each kept token found in order in the original.
        it = iter(seq.tolist())
        assert all(any(x == y for y in it) for x in sub.tolist())


def test_subsample_skip_none_and_bad_input():
    ids, counts = zipf_corpus()
    kept = np.bincount(np.concatenate(subsample(ids, counts, t=1e-3, skip_id=None)))
    assert kept[0] < 60_000  # <unk> is a word like the others now
    assert subsample([], counts) == []
    with pytest.raises(ValueError, match="length of vocab_counts"):
        subsample([np.array([5])], counts)
    with pytest.raises(ValueError, match="threshold t"):
        subsample(ids, counts, t=0)
    with pytest.raises(ValueError, match="vocab_counts"):
        subsample(ids, -counts)


def test_subsampled_ids_count_like_the_reference():
    ids, counts = zipf_corpus()
    sub = subsample(ids, counts, t=1e-3)
    got = cooccurrence_matrix(sub, 5, 5, distance_weighting="linear")
    assert_same_csr(got, cooccurrence_numpy(sub, 5, 5, True, "linear"), exact=False)
    assert isinstance(got, sp.csr_matrix)
