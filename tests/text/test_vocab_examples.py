import numpy as np
import pytest

from diaphane.text import (
    Tokenizer,
    Vocabulary,
    batches,
    pad_sentences,
    split_documents,
    split_words,
    windows,
)
from diaphane.text.corpora import Document

SENTS = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat"]]


def test_tokenizer_options():
    text = "Hello, World! It's 3.5 km."
    assert Tokenizer().sentences(text) == [["Hello", ",", "World", "!"], ["It's", "3.5", "km", "."]]
    assert Tokenizer(lowercase=True, punctuation=False).words(text) == [
        "hello",
        "world",
        "it's",
        "3.5",
        "km",
    ]


def test_vocabulary_build_encode_and_text_roundtrip(tmp_path):
    v = Vocabulary.build(SENTS, min_count=2)
    assert v.words == ["<unk>", "<s>", "</s>", "cat", "sat", "the"]
    ids = v.encode(["the", "zebra"])
    assert ids.dtype == np.int32 and ids.tolist() == [5, 0]
    assert v.counts[0] == 3  # dog, down and a became <unk>
    v.save(tmp_path / "vocab.txt")
    back = Vocabulary.load(tmp_path / "vocab.txt")
    assert back == v and back.counts.tolist() == v.counts.tolist()
    assert len(Vocabulary.build(SENTS, max_size=5)) == 5
    with pytest.raises(ValueError, match="tabs"):
        Vocabulary(["<unk>", "a\tb"]).save(tmp_path / "bad.txt")


def test_splits_are_deterministic():
    s = split_words(SENTS, 4, 3)
    assert s.train == [["the", "cat", "sat"], ["the"]] and s.valid == [["dog", "sat", "down"]]
    docs = [Document(str(i), [[str(i)]]) for i in range(10)]
    a, b = split_documents(docs, seed=3), split_documents(docs, seed=3)
    assert a == b and sorted(a.train + a.valid + a.test) == sorted([[str(i)] for i in range(10)])


def test_windows_and_streaming_batches():
    v = Vocabulary.build(SENTS)
    stream = pad_sentences(SENTS, v, 3)
    ctx, tgt = windows(stream, 3, v.bos_id)
    assert len(tgt) == 9 + 3 and ctx.shape == (12, 2)
    assert v.decode(ctx[0]) == ["<s>", "<s>"] and v.words[tgt[0]] == "the"
    got = list(batches(SENTS * 50, v, 3, batch_size=16, seed=1, buffer_tokens=40))
    again = list(batches(SENTS * 50, v, 3, batch_size=16, seed=1, buffer_tokens=40))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(got, again, strict=True))
    assert all(len(b[1]) == 16 for b in got[:-1])
    all_ctx = np.concatenate([b[0] for b in got])
    all_tgt = np.concatenate([b[1] for b in got])
    ref = np.column_stack(windows(pad_sentences(SENTS * 50, v, 3), 3, v.bos_id))
    mine = np.column_stack([all_ctx, all_tgt])
    assert sorted(map(tuple, mine.tolist())) == sorted(map(tuple, ref.tolist()))
    assert not np.array_equal(mine, ref)  # shuffled
