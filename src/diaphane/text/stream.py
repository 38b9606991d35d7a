"""Corpora read as streams and cut into parts: blocks of text, compressed files, byte ranges.

:func:`~diaphane.text.load_corpus` hands out whole documents. Counting a corpus
bigger than memory needs its sentences as they come, and a cluster needs the corpus
cut into parts that workers read on their own. A :class:`Part` is such a piece: the
documents of a named corpus whose number leaves a given remainder, a run of whole
files, or a byte range of one large text or JSON-lines file. However a corpus is
cut, its parts hold together exactly the sentences ``load_corpus`` gives, cleaned
as :func:`~diaphane.text.cooccur.corpus_sequences` cleans them.

A byte range of a text file starts at the first whitespace at or after its first
byte (tokens never hold whitespace, so tokenising from there gives the rest of the
file's tokens) and owns the sentences that begin after the first sentence end it
meets; it reads past its last byte to the end of the sentence running over it.
A range of a JSON-lines file owns the lines that start inside it.

Entry points: :func:`plan_parts`, :func:`corpus_parts`, :func:`part_documents`,
:func:`part_sequences`,
:func:`corpus_fingerprints`, :func:`text_pieces`.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from diaphane.errors import CorpusError
from diaphane.text.corpora import (
    COMPRESSED,
    CORPORA,
    DECODE_ERRORS,
    Corpus,
    _jsonl_docs,
    decode_error,
    is_jsonl,
    jsonl_document,
    load_corpus,
    open_text,
    user_files,
)
from diaphane.text.tokenize import _SENTENCE_END, _TOKEN, Tokenizer

__all__ = [
    "Cleaning",
    "Part",
    "corpus_fingerprint",
    "corpus_fingerprints",
    "corpus_parts",
    "part_documents",
    "part_sequences",
    "plan_parts",
    "text_pieces",
]

BLOCK = 1 << 20  # characters (or bytes) read at a time
PART_BYTES = 1 << 26  # the smallest part plan_parts makes of a folder or a large file
# ASCII whitespace: these bytes never occur inside a UTF-8 multi-byte character.
_SPACE_BYTE = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]")
_LAST_SPACE = re.compile(r".*\s", re.DOTALL)
UNITS = ("sentence", "document")


@dataclass(frozen=True)
class Cleaning:
    """How counting cleans tokens: fold case; drop tokens without a letter or digit."""

    lowercase: bool = True
    words_only: bool = True


@dataclass(frozen=True)
class Part:
    """A piece of a corpus that one worker reads by itself.

    Attributes:
        kind: ``"named"`` (a named corpus's documents numbered ``start`` modulo ``stop``),
            ``"files"`` (whole files) or ``"range"`` (bytes ``start`` to ``stop`` of one file).
        sources: the corpus name, or the file paths.
        start: the remainder (named) or the first byte (range).
        stop: the modulus (named) or the byte where the next range starts.
    """

    kind: str
    sources: tuple[str, ...]
    start: int = 0
    stop: int = 1


def plan_parts(
    spec: str, n_parts: int = 1, split_files: bool = True, part_bytes: int = PART_BYTES
) -> list[Part]:
    """Cut the corpora of ``spec`` (``+``-joined names or paths) into about ``n_parts`` each.

    Args:
        spec: as :func:`~diaphane.text.cooccur.corpus_sequences` takes it.
        n_parts: parts per corpus wanted; a named corpus is always cut into that many.
        split_files: whether a large plain-text file may be cut into byte ranges (not
            when a file is one document that must stay whole). JSON-lines files are
            always cut at lines; compressed files never.
        part_bytes: the smallest part made of user files.
    """
    names = spec.split("+")
    return [p for name in names for p in corpus_parts(name, n_parts, split_files, part_bytes)]


def corpus_parts(
    name: str, n_parts: int = 1, split_files: bool = True, part_bytes: int = PART_BYTES
) -> list[Part]:
    """The parts of one corpus (a name or a path, never ``+``-joined): see :func:`plan_parts`."""
    if n_parts < 1:
        raise ValueError(f"n_parts must be at least 1, not {n_parts}")
    if name in CORPORA:
        return [Part("named", (name,), r, n_parts) for r in range(n_parts)]
    return _file_parts(user_files(name)[1], n_parts, split_files, part_bytes)


def _file_parts(files: list[Path], n_parts: int, split: bool, part_bytes: int) -> list[Part]:
    sizes = [f.stat().st_size for f in files]
    target = max(part_bytes, -(-sum(sizes) // n_parts), 1)
    parts: list[Part] = []
    group: list[str] = []
    held = 0
    for f, size in zip(files, sizes, strict=True):
        if size > target and f.suffix.lower() not in COMPRESSED and (split or is_jsonl(f)):
            if group:
                parts.append(Part("files", tuple(group)))
                group, held = [], 0
            cuts = [*range(0, size, target), size]
            parts.extend(Part("range", (str(f),), a, b) for a, b in itertools.pairwise(cuts))
            continue
        group.append(str(f))
        held += size
        if held >= target:
            parts.append(Part("files", tuple(group)))
            group, held = [], 0
    if group:
        parts.append(Part("files", tuple(group)))
    return parts


def corpus_fingerprints(spec: str) -> list[str]:
    """Each corpus's fingerprint, as :attr:`~diaphane.text.Corpus.fingerprint` gives it."""
    return [corpus_fingerprint(name) for name in spec.split("+")]


def corpus_fingerprint(name: str) -> str:
    """One corpus's fingerprint (a name or a path), without reading its text."""
    if name in CORPORA:
        return load_corpus(name).fingerprint
    path, files = user_files(name)
    return Corpus(path.name, files, lambda: iter(())).fingerprint


# ----------------------------------------------------------------------------- reading


def part_sequences(
    part: Part, cleaning: Cleaning | None, unit: str = "sentence"
) -> Iterator[list[str]]:
    """The token sequences of a part: its sentences, or each document's words joined.

    Args:
        part: from :func:`plan_parts`.
        cleaning: how to clean tokens; ``None`` keeps them as the corpus gives them.
        unit: ``"sentence"`` or ``"document"``.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be 'sentence' or 'document', not {unit!r}")
    for doc in part_documents(part, cleaning):
        if unit == "sentence":
            yield from doc
        else:
            seq = [w for s in doc for w in s]
            if seq:
                yield seq


def part_documents(part: Part, cleaning: Cleaning | None) -> Iterator[Iterable[list[str]]]:
    """Each document of a part, in corpus order, as its sentences (read as they are
    needed; cleaned sentences that come out empty are dropped)."""
    if part.kind == "named":
        yield from _named_documents(part, cleaning)
        return
    # Tokenising straight to clean tokens gives what cleaning the default tokens does.
    tok = Tokenizer()
    if cleaning is not None:
        tok = Tokenizer(cleaning.lowercase, punctuation=not cleaning.words_only)
    if part.kind == "range":
        path = Path(part.sources[0])
        if is_jsonl(path):
            yield from _jsonl_range(path, part.start, part.stop, tok)
        else:
            yield tok.iter_sentences(_text_range(path, part.start, part.stop))
        return
    for name in part.sources:
        path = Path(name)
        if is_jsonl(path):
            yield from (doc.sentences for doc in _jsonl_docs(path, tok))
        else:
            yield tok.iter_sentences(text_pieces(path))


def _named_documents(part: Part, cleaning: Cleaning | None) -> Iterator[Iterable[list[str]]]:
    from diaphane.text.cooccur import _clean

    for i, doc in enumerate(load_corpus(part.sources[0]).documents()):
        if i % part.stop != part.start:
            continue
        if cleaning is None:
            yield doc.sentences
        else:
            sents = (_clean(s, cleaning.lowercase, cleaning.words_only) for s in doc.sentences)
            yield [s for s in sents if s]


def text_pieces(path: Path) -> Iterator[str]:
    """The text of a (maybe compressed) file in blocks of about a megabyte, cut at whitespace."""
    try:
        with open_text(path) as f:
            yield from _cut_at_spaces(_blocks(f))
    except (UnicodeDecodeError, *DECODE_ERRORS) as err:
        raise decode_error(path, err) from err


def _blocks(f: IO[str]) -> Iterator[str]:
    while block := f.read(BLOCK):
        yield block


def _cut_at_spaces(blocks: Iterable[str]) -> Iterator[str]:
    carry = ""
    for block in blocks:
        text = carry + block
        cut = text.rfind("\n") + 1
        if not cut:  # no newline: any whitespace will do
            m = _LAST_SPACE.match(text)
            cut = m.end() if m else 0
        if cut:
            yield text[:cut]
        carry = text[cut:]
    if carry:
        yield carry


# ----------------------------------------------------------------------------- byte ranges


def _text_range(path: Path, start: int, stop: int) -> Iterator[str]:
    """The text a byte range owns (see the module's docstring), in pieces."""
    try:
        with path.open("rb") as f:
            a = _space_at_or_after(f, start) if start > 0 else 0
            b = _space_at_or_after(f, stop)
            own = _cut_at_spaces(_decoded(f, a, b))
            past = _cut_at_spaces(_decoded(f, b, None))
            yield from _owned(own, past, skip=start > 0)
    except UnicodeDecodeError as err:
        raise decode_error(path, err) from err


def _owned(own: Iterator[str], past: Iterator[str], skip: bool) -> Iterator[str]:
    """From the text before and past the range's end: what follows the first sentence
    end (if ``skip``) up to and including the first sentence end past the range."""
    for piece in own:
        if skip:
            cut = _first_end(piece)
            if cut < 0:
                continue
            piece, skip = piece[cut:], False
        yield piece
    for piece in past:
        cut = _first_end(piece)
        if skip:  # the range held no sentence end: the one past it ends the previous part's
            if cut >= 0:
                return
            continue
        if cut >= 0:
            yield piece[:cut]
            return
        yield piece


def _first_end(piece: str) -> int:
    """Where the first sentence-end token of ``piece`` ends, or -1."""
    for m in _TOKEN.finditer(piece):
        if m.group() in _SENTENCE_END:
            return m.end()
    return -1


def _space_at_or_after(f: IO[bytes], pos: int) -> int:
    f.seek(pos)
    while block := f.read(BLOCK):
        m = _SPACE_BYTE.search(block)
        if m:
            return pos + m.start()
        pos += len(block)
    return pos


def _decoded(f: IO[bytes], start: int, stop: int | None) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    f.seek(start)
    left = None if stop is None else stop - start
    while left is None or left > 0:
        block = f.read(BLOCK if left is None else min(BLOCK, left))
        if not block:
            break
        if left is not None:
            left -= len(block)
        yield decoder.decode(block)
    yield decoder.decode(b"", final=True)


def _jsonl_range(path: Path, start: int, stop: int, tok: Tokenizer) -> Iterator[list[list[str]]]:
    with path.open("rb") as f:
        if start > 0:  # the line running over `start` belongs to the part before
            f.seek(start - 1)
            f.readline()
        while (pos := f.tell()) < stop:
            raw = f.readline()
            if not raw:
                break
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise CorpusError(f"{path} (byte {pos}) is not UTF-8 text ({err.reason})") from err
            if line.strip():
                yield jsonl_document(line, tok, f"{path} (byte {pos})", pos).sentences
