import numpy as np
import pytest
import scipy.sparse as sp

from diaphane.models.ppmi import PPMI, PPMIConfig, fit_ppmi, ppmi_matrix, truncated_svd
from diaphane.text.cooccur import cooccurrence_matrix, encode_sequences


def tiny_corpus():
    rng = np.random.default_rng(0)
    words = list("abcdefghijkl")
    return [list(rng.choice(words, rng.integers(3, 12))) for _ in range(60)]


def dense_ppmi(X, cds, shift):
    """Levy et al.'s definition, one cell at a time."""
    N = X.sum()
    p_w = X.sum(1) / N
    c = X.sum(0) ** cds
    p_c = c / c.sum()
    out = np.zeros_like(X)
    for w in range(X.shape[0]):
        for k in range(X.shape[1]):
            if X[w, k] > 0:
                out[w, k] = max(np.log(X[w, k] / N / (p_w[w] * p_c[k])) - np.log(shift), 0.0)
    return out


@pytest.mark.parametrize(("cds", "shift"), [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0)])
def test_ppmi_matches_a_direct_dense_computation(cds, shift):
    vocab, ids = encode_sequences(tiny_corpus(), min_count=1)
    X = cooccurrence_matrix(ids, len(vocab), window=2)
    got = ppmi_matrix(X, cds, shift)
    np.testing.assert_allclose(got.toarray(), dense_ppmi(X.toarray(), cds, shift), atol=1e-12)
    assert got.nnz == np.count_nonzero(dense_ppmi(X.toarray(), cds, shift))


def test_truncated_svd_matches_a_dense_svd():
    M = sp.random(80, 60, density=0.2, random_state=3, format="csr")
    U, s, _ = truncated_svd(M, 8, n_iter=10)
    Ud, sd, _ = np.linalg.svd(M.toarray())
    np.testing.assert_allclose(s, sd[:8], rtol=1e-6)
    np.testing.assert_allclose(np.abs(U.T @ Ud[:, :8]), np.eye(8), atol=1e-4)
    np.testing.assert_allclose(U.T @ U, np.eye(8), atol=1e-12)
    assert np.all(U[np.argmax(np.abs(U), axis=0), np.arange(8)] > 0)


def test_fit_is_deterministic_and_weights_by_eigenvalues(tmp_path):
    vocab, ids = encode_sequences(tiny_corpus(), min_count=1)
    X = cooccurrence_matrix(ids, len(vocab), window=3)
    a = fit_ppmi(X, vocab, PPMIConfig(dim=4, eig=0.5))
    b = fit_ppmi(X, vocab, PPMIConfig(dim=4, eig=0.5))
    np.testing.assert_array_equal(a.params["vectors"], b.params["vectors"])
    flat = fit_ppmi(X, vocab, PPMIConfig(dim=4, eig=0.0))
    s = a.params["singular_values"]
    np.testing.assert_allclose(a.params["vectors"], flat.params["vectors"] * np.sqrt(s), rtol=1e-5)
    words, vectors = a.vectors()
    assert words == vocab.words[1:] and vectors.shape == (len(vocab) - 1, 4)
    a.save(tmp_path / "m")
    loaded = PPMI.load(tmp_path / "m")
    assert loaded.config == a.config and loaded.vocab == vocab
    np.testing.assert_array_equal(loaded.params["vectors"], a.params["vectors"])


def test_bad_inputs():
    with pytest.raises(Exception, match="empty"):
        ppmi_matrix(sp.csr_matrix((3, 3)))
    with pytest.raises(Exception, match="shift"):
        PPMIConfig(shift=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_sparse_product_matches_scipy(dtype):
    from diaphane.models._svd_numba import balanced_blocks, csr_dense

    A = sp.random(37, 23, density=0.2, format="csr", random_state=3, dtype=dtype)
    B = np.random.default_rng(1).standard_normal((23, 5)).astype(dtype)
    out = np.full((37, 5), np.nan, dtype)  # every entry must be written, empty rows too
    csr_dense(A.indptr, A.indices, A.data, B, out, balanced_blocks(A.indptr, 5))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, A @ B, rtol=tol, atol=tol)


def test_balanced_blocks_split_skewed_rows_by_non_zeros():
    from diaphane.models._svd_numba import balanced_blocks

    lengths = np.array([500, 300, 100] + [1] * 100)  # rows by word frequency, as in PPMI
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    blocks = balanced_blocks(indptr, 4)
    assert blocks[0] == 0 and blocks[-1] == len(lengths) and np.all(np.diff(blocks) >= 0)
    per_block = np.diff(indptr[blocks])
    assert per_block.sum() == lengths.sum()
    assert per_block.max() <= lengths.sum() / 4 + lengths.max()
    assert blocks[1] <= 1  # the long first row is a block of its own, not half the rows


def test_truncated_svd_of_a_rank_deficient_matrix():
    rng = np.random.default_rng(0)
    M = sp.csr_matrix(rng.standard_normal((50, 3)) @ rng.standard_normal((3, 40)))
    U, s, Vt = truncated_svd(M, 6, oversample=10)
    sd = np.linalg.svd(M.toarray(), compute_uv=False)
    np.testing.assert_allclose(s[:3], sd[:3], rtol=1e-10)
    assert np.all(s[3:] < 1e-10 * s[0])
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-10)
    # The subspace is found in float32: vectors to ~1e-7, singular values to second order.
    np.testing.assert_allclose((U[:, :3] * s[:3]) @ Vt[:3], M.toarray(), atol=1e-5)
