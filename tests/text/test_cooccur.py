import numpy as np
import pytest

from diaphane.text.cooccur import cooccurrence_matrix, encode_sequences


def naive(sequences, vocab_size, window, symmetric, weighting, skip_id=0):
    """Stanford GloVe's cooccur.c, one token at a time."""
    X = np.zeros((vocab_size, vocab_size))
    for seq in sequences:
        seq = [t for t in seq if t != skip_id]
        for j, w2 in enumerate(seq):
            for k in range(max(0, j - window), j):
                w1, inc = seq[k], (1.0 / (j - k) if weighting else 1.0)
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
