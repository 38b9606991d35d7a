"""WordVectors: construction, lookups with spelling suggestions, gensim and file interop,
model folders."""

import json

import numpy as np
import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors import UnknownWordError, WordVectors, closest_spellings, load_vectors


def small(n=6, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    words = ["paris", "france", "london", "england", "rome", "italy"][:n]
    return WordVectors(words, rng.normal(size=(n, dim)), counts=np.arange(n, 0, -1))


def test_lookup_and_float32():
    wv = small()
    assert wv.matrix.dtype == np.float32 and wv.dim == 4 and len(wv) == 6
    np.testing.assert_array_equal(wv["rome"], wv.matrix[4])
    np.testing.assert_allclose(np.linalg.norm(wv.unit, axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize(
    "words, matrix, message",
    [
        (["a", "b"], np.zeros((3, 2)), "one row per word"),
        (["a", "a"], np.zeros((2, 2)), "twice"),
        ([], np.zeros((0, 2)), "empty"),
        (["a", "b"], [[0.0, np.nan], [1, 1]], "NaN"),
    ],
)
def test_bad_input_is_named(words, matrix, message):
    with pytest.raises(DiaphaneError, match=message):
        WordVectors(words, matrix)


def test_unknown_word_suggests_spellings():
    wv = small()
    with pytest.raises(
        UnknownWordError, match="'pari' is not in the vocabulary; did you mean 'paris'"
    ):
        wv["pari"]
    with pytest.raises(UnknownWordError, match="did you mean 'london'"):
        wv.id("London")
    with pytest.raises(UnknownWordError, match="no known word"):
        wv.id("zzzzzzzz")


def test_closest_spellings_prefers_case_variant():
    assert closest_spellings("Apple", ["apply", "apple", "maple"])[0] == "apple"


def test_subsets_keep_scores_and_counts():
    wv = WordVectors(["a", "b", "c"], np.eye(3), scores=[1, 2, 3], labels=["x", "y", "z"])
    sub = wv.subset(["c", "a"])
    assert sub.words == ["c", "a"] and sub.scores.tolist() == [3, 1] and sub.labels == ["z", "x"]
    assert wv.head(2).words == ["a", "b"]
    assert WordVectors(["<unk>", "a"], np.eye(2)).without_specials().words == ["a"]


def test_gensim_round_trip():
    wv = small()
    kv = wv.to_gensim()
    assert kv.index_to_key == wv.words
    np.testing.assert_array_equal(kv.vectors, wv.matrix)
    back = WordVectors.from_gensim(kv)
    assert back.words == wv.words and back.counts.tolist() == wv.counts.tolist()
    assert kv.similarity("paris", "rome") == pytest.approx(wv.similarity("paris", "rome"), abs=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_round_trip(tmp_path, binary):
    wv = small()
    path = wv.save_word2vec(tmp_path / ("v.bin" if binary else "v.txt"), binary=binary)
    back = load_vectors(path)
    assert back.words == wv.words  # our order, not gensim's count order
    np.testing.assert_allclose(back.matrix, wv.matrix, rtol=1e-5, atol=1e-6)


def test_glove_text_without_header(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("the 0.1 0.2 0.3\ncat -1 0 1.5\n")
    wv = load_vectors(path)
    assert wv.words == ["the", "cat"] and wv.dim == 3
    np.testing.assert_allclose(wv["cat"], [-1, 0, 1.5])


def test_bad_files_get_clear_errors(tmp_path):
    with pytest.raises(DiaphaneError, match="No model folder or vectors file"):
        load_vectors(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DiaphaneError, match="empty"):
        load_vectors(tmp_path / "empty.txt")
    (tmp_path / "bad.txt").write_text("2 3\nthe 0.1 x 0.3\n")
    with pytest.raises(DiaphaneError, match="Cannot read"):
        load_vectors(tmp_path / "bad.txt")
    with pytest.raises(DiaphaneError, match="spaces"):
        WordVectors(["a b"], [[1.0]]).save_word2vec(tmp_path / "x.txt")


class _Model:
    """A stand-in for a diaphane model: vectors(), word_polarity() and a vocabulary."""

    def __init__(self):
        from diaphane.text.vocab import Vocabulary

        self.vocab = Vocabulary(["<unk>", "good", "bad"], [5, 3, 2])

    def vectors(self):
        return ["good", "bad"], np.array([[1.0, 0.0], [0.0, 1.0]])

    def word_polarity(self):
        return {"good": 1.5, "bad": -2.0}


def test_from_model_takes_scores_and_counts():
    wv = WordVectors.from_model(_Model())
    assert wv.words == ["good", "bad"]
    assert wv.scores.tolist() == [1.5, -2.0] and wv.counts.tolist() == [3, 2]
    with pytest.raises(DiaphaneError, match="no word vectors"):
        WordVectors.from_model(object())


def test_nplm_folder_opens(tmp_path):
    from diaphane.models.nplm import NPLM, NPLMConfig, init_params
    from diaphane.text.vocab import Vocabulary

    vocab = Vocabulary.build([["a", "b", "a", "c"]])
    config = NPLMConfig(order=2, dim=3, hidden=4)
    model = NPLM(vocab, config, init_params(config, len(vocab)))
    wv = load_vectors(model.save(tmp_path / "nplm"))
    assert wv.words == ["a", "b", "c"]  # specials dropped
    np.testing.assert_array_equal(wv["b"], model.params["C"][vocab.index["b"]])


def test_other_folder_names_its_table(tmp_path):
    from safetensors.numpy import save_file

    from diaphane.text.vocab import Vocabulary

    folder = tmp_path / "m"
    folder.mkdir()
    Vocabulary(["<unk>", "x", "y"], [0, 2, 1]).save(folder / "vocab.txt")
    W, V = np.ones((3, 2), np.float32), np.eye(3, 2, dtype=np.float32)
    save_file({"W": W, "V": V, "s": np.arange(3.0)}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"kind": "new"}))
    with pytest.raises(DiaphaneError, match='"vectors": "NAME"'):
        load_vectors(folder)
    (folder / "config.json").write_text(
        json.dumps({"kind": "new", "vectors": ["W", "V"], "scores": "s"})
    )
    wv = load_vectors(folder)
    np.testing.assert_array_equal(wv.matrix, (W + V)[1:])
    assert wv.scores.tolist() == [1.0, 2.0] and wv.counts.tolist() == [2, 1]


def test_ppmi_and_sentiment_folders_open(tmp_path):
    """Folders of the other word-vector models open through their own classes."""
    import scipy.sparse as sp

    from diaphane.models.ppmi import PPMIConfig, fit_ppmi
    from diaphane.models.sentiment import SentimentNetwork
    from diaphane.text.vocab import Vocabulary

    vocab = Vocabulary.build([["a", "b", "c", "d", "e", "a", "b"]])
    counts = np.random.default_rng(0).integers(0, 5, size=(len(vocab), len(vocab)))
    ppmi = fit_ppmi(sp.csr_matrix(counts + counts.T), vocab, PPMIConfig(dim=3))
    wv = load_vectors(ppmi.save(tmp_path / "ppmi"))
    words, matrix = ppmi.vectors()
    assert wv.words == [w for w in words if w not in ("<s>", "</s>")]
    np.testing.assert_allclose(wv["a"], matrix[words.index("a")])

    vocab = Vocabulary(["<unk>", "good", "bad"], [0, 4, 3])
    net = SentimentNetwork(
        vocab, pos=np.array([0, 4, 1]), neg=np.array([0, 1, 4]), n_pos=5, n_neg=5
    )
    wv = load_vectors(net.save(tmp_path / "sentiment"))
    assert wv.words == ["good", "bad"] and wv.scores[0] > 0 > wv.scores[1]
