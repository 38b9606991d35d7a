"""Corpora read as streams and in parts give exactly the sentences read whole give."""

import bz2
import gzip
import json
import lzma

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.errors import CorpusError
from diaphane.text import Tokenizer, load_corpus
from diaphane.text.stream import (
    Cleaning,
    corpus_fingerprints,
    part_sequences,
    plan_parts,
    text_pieces,
)
from diaphane.text.tokenize import _SENTENCE_END, _TOKEN, _is_word

FRAGMENTS = ["the ", "cat", " ", "\n", "\t", ". ", "!", "?", ",", "'s", "-", "_", "42", "é",
             "\xa0", "Mr. ", "U.S. ", "e.g.", "...", " .", "Dog", "x.y", "\u2019"]  # fmt: skip
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


def reference_sentences(tok: Tokenizer, text: str) -> list[list[str]]:
    """The tokeniser's loop as it was before it streamed: one token at a time."""
    sentences, current = [], []
    for t in _TOKEN.findall(text):
        if tok.punctuation or _is_word(t):
            current.append(t.lower() if tok.lowercase else t)
        if t in _SENTENCE_END and current:
            sentences.append(current)
            current = []
    return [*sentences, current] if current else sentences


@settings(max_examples=150, deadline=None)
@given(texts, st.lists(st.integers(0, 400), max_size=6), st.booleans(), st.booleans())
def test_sentences_from_pieces_cut_at_whitespace_equal_the_whole(text, cuts, lower, punct):
    tok = Tokenizer(lowercase=lower, punctuation=punct)
    spaces = [i for i, c in enumerate(text) if c.isspace()]
    points = sorted({spaces[c % len(spaces)] for c in cuts} if spaces else set())
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert list(tok.iter_sentences(pieces)) == reference_sentences(tok, text)
    assert tok.sentences(text) == reference_sentences(tok, text)


def _write(path, text: str):
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(text)
    return path


def _whole(text: str, cleaning: Cleaning | None, unit="sentence"):
    tok = Tokenizer() if cleaning is None else Tokenizer(cleaning.lowercase, False)
    sents = tok.sentences(text)
    if unit == "document":
        return [[w for s in sents for w in s]] if any(sents) else []
    return sents


@settings(max_examples=60, deadline=None)
@given(texts, st.integers(1, 40), st.booleans())
def test_byte_ranges_of_a_text_file_hold_its_sentences(tmp_path_factory, text, size, clean):
    path = _write(tmp_path_factory.mktemp("r") / "c.txt", text + " tail.")
    cleaning = Cleaning() if clean else None
    parts = plan_parts(str(path), 1000, part_bytes=size)
    got = [s for p in parts for s in part_sequences(p, cleaning)]
    assert got == _whole(path.read_text(encoding="utf-8"), cleaning)
    assert len(parts) > 1 or path.stat().st_size <= size


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(texts, st.just("")), min_size=1, max_size=8), st.integers(1, 60))
def test_byte_ranges_of_jsonl_hold_its_documents(tmp_path_factory, docs, size):
    path = tmp_path_factory.mktemp("j") / "c.jsonl"
    lines = [json.dumps({"text": d}) if i % 3 else "  " for i, d in enumerate(docs)]
    path.write_text("\n".join([*lines, json.dumps({"text": "end."})]) + "\n", encoding="utf-8")
    parts = plan_parts(str(path), 1000, part_bytes=size)
    for unit in ("sentence", "document"):
        got = [s for p in parts for s in part_sequences(p, Cleaning(), unit)]
        want = [s for d in load_corpus(path).documents() for s in _clean(d.sentences, unit)]
        assert got == want


def _clean(sentences, unit):
    cleaned = [[w.lower() for w in s if _is_word(w)] for s in sentences]
    if unit == "document":
        cleaned = [[w for s in cleaned for w in s]]
    return [s for s in cleaned if s]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_text_and_jsonl_read_as_the_plain_files(tmp_path, suffix):
    text = "The cat sat. The dog ran!\nA bird sang? " * 50
    plain, packed = _write(tmp_path / "a.txt", text), _write(tmp_path / f"b.txt{suffix}", text)
    assert list(load_corpus(packed).sentences()) == list(load_corpus(plain).sentences())
    (part,) = plan_parts(str(packed), 8, part_bytes=1)  # compressed files are never cut
    assert list(part_sequences(part, None)) == list(load_corpus(plain).sentences())
    record = json.dumps({"text": "One two. Three!"}) + "\n"
    jl = _write(tmp_path / f"c.jsonl{suffix}", record * 3)
    assert [d.sentences for d in load_corpus(jl)] == [[["One", "two", "."], ["Three", "!"]]] * 3


def test_folders_group_files_and_fingerprints_need_no_reading(tmp_path):
    (tmp_path / "d").mkdir()
    for i in range(5):
        _write(tmp_path / "d" / f"{i}.txt", f"File {i} says hello. " * (i + 1))
    parts = plan_parts(str(tmp_path / "d"), 2, part_bytes=40)
    assert 1 < len(parts) < 5 and all(p.kind in ("files", "range") for p in parts)
    got = [s for p in parts for s in part_sequences(p, Cleaning())]
    assert got == [
        [w.lower() for w in s if _is_word(w)] for s in load_corpus(tmp_path / "d").sentences()
    ]
    assert corpus_fingerprints(f"{tmp_path / 'd'}+lee") == [
        load_corpus(tmp_path / "d").fingerprint,
        load_corpus("lee").fingerprint,
    ]


def test_unreadable_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine words \xff\xfe broken")
    with pytest.raises(CorpusError, match=r"bad\.txt is not UTF-8"):
        list(text_pieces(bad))
    with pytest.raises(CorpusError, match=r"bad\.txt is not UTF-8"):
        load_corpus(bad)
    fake = tmp_path / "fake.txt.gz"
    fake.write_bytes(b"not gzip at all")
    with pytest.raises(CorpusError, match=r"fake.txt.gz is not a readable .gz file"):
        load_corpus(fake)
    with pytest.raises(CorpusError, match="unknown corpus"):
        plan_parts("no_such_corpus")
