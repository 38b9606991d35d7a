import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from diaphane.text import (
    ChecksumError,
    CorpusError,
    DataNotFoundError,
    Tokenizer,
    bengio_split,
    fetch,
    load_corpus,
)
from diaphane.text.fetch import KNOWN_SHA256, find_archive


def test_brown_counts_tags_and_fingerprint():
    brown = load_corpus("brown")
    docs = list(brown)
    assert len(docs) == 500
    assert sum(len(s) for d in docs for s in d.sentences) == 1_161_192
    assert sum(len(d.sentences) for d in docs) == 57_340
    assert docs[0].id == "ca01" and docs[0].label == "news"
    first = next(brown.tagged_sentences())
    assert first[:3] == [("The", "AT"), ("Fulton", "NP-TL"), ("County", "NN-TL")]
    assert brown.fingerprint == KNOWN_SHA256["brown"] == load_corpus("brown").fingerprint


def test_movie_reviews_labels_and_inaugural():
    labels = [d.label for d in load_corpus("movie_reviews")]
    assert labels.count("pos") == labels.count("neg") == 1000
    inaugural = list(load_corpus("inaugural"))
    assert inaugural[0].id == "1789-Washington" and len(inaugural) >= 56


def test_lee_fingerprint_is_stable():
    a, b = load_corpus("lee"), load_corpus("lee")
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint == hashlib.sha256(a.sources[0].read_bytes()).hexdigest()
    assert sum(1 for _ in a.words()) > 50_000


def test_user_file_folder_and_jsonl(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "one.txt").write_text("The cat sat. The dog ran!")
    (tmp_path / "d" / "two.txt").write_text("A bird.")
    corpus = load_corpus(tmp_path / "d")
    assert list(corpus.sentences()) == [
        ["The", "cat", "sat", "."],
        ["The", "dog", "ran", "!"],
        ["A", "bird", "."],
    ]
    fp = corpus.fingerprint
    (tmp_path / "d" / "two.txt").write_text("A fish.")
    assert load_corpus(tmp_path / "d").fingerprint != fp
    jl = tmp_path / "x.jsonl"
    jl.write_text(
        json.dumps({"text": "Hi there.", "label": 1}) + "\n\n" + json.dumps({"text": "Bye."})
    )
    docs = list(load_corpus(jl, Tokenizer(lowercase=True)))
    assert [d.sentences for d in docs] == [[["hi", "there", "."]], [["bye", "."]]]
    assert docs[0].label == "1"


def test_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="known corpora: brown, movie_reviews"):
        load_corpus("browne")
    with pytest.raises(CorpusError, match="no such corpus file"):
        load_corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(tmp_path / "empty.txt")
    (tmp_path / "bad.jsonl").write_text('{"body": 1}\n')
    with pytest.raises(CorpusError, match="'text' field"):
        list(load_corpus(tmp_path / "bad.jsonl"))


def test_offline_error_names_diaphane_data(tmp_path, monkeypatch):
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError, match="DIAPHANE_DATA"):
        load_corpus("brown")


def _serve(tmp_path, monkeypatch, payload: bytes) -> Path:
    served = tmp_path / "served"
    served.mkdir()
    (served / "inaugural.zip").write_bytes(payload)
    monkeypatch.setattr(fetch, "NLTK_URL", served.as_uri() + "/{name}.zip")
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DIAPHANE_OFFLINE")
    return tmp_path / "cache" / "nltk"


def test_checksum_mismatch_writes_nothing(tmp_path, monkeypatch):
    cache = _serve(tmp_path, monkeypatch, b"not the archive")
    with pytest.raises(ChecksumError, match="expected 7c5fb579"):
        find_archive("inaugural")
    assert list(cache.iterdir()) == []


def test_verified_download_lands_in_cache(tmp_path, monkeypatch):
    buf = tmp_path / "small.zip"
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inaugural/2099-Someone.txt", "We meet today. We part tomorrow.")
    payload = buf.read_bytes()
    cache = _serve(tmp_path, monkeypatch, payload)
    monkeypatch.setitem(KNOWN_SHA256, "inaugural", hashlib.sha256(payload).hexdigest())
    docs = list(load_corpus("inaugural"))
    assert docs[0].sentences == [["We", "meet", "today", "."], ["We", "part", "tomorrow", "."]]
    assert [p.name for p in cache.iterdir()] == ["inaugural.zip"]


def test_bengio_split_of_brown():
    split, vocab = bengio_split(load_corpus("brown"))
    assert split.sizes() == {"train": 800_000, "valid": 200_000, "test": 161_192}
    # 17,905 words seen more than 3 times, <unk> among them, plus <s> and </s>.
    assert len(vocab) == 17_907
    assert split.train[0][:2] == ["The", "Fulton"]
