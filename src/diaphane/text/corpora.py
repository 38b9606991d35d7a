"""Named corpora and user files as documents → sentences → tokens.

Entry point: :func:`load_corpus` (a name from :data:`CORPORA`, or a path to a
text file, a folder of text files, or a JSON-lines file with a ``"text"`` field;
any of these files may be compressed: ``.gz``, ``.bz2``, ``.xz``).
Each :class:`Corpus` streams its documents and has a :attr:`~Corpus.fingerprint`,
the sha256 of its source bytes.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO

from diaphane.errors import CorpusError
from diaphane.text.fetch import find_archive, sha256_file
from diaphane.text.tokenize import Tokenizer

GENSIM_WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
COMPRESSED: dict[str, Callable[..., IO]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
JSONL_SUFFIXES = (".jsonl", ".ndjson")
# What a damaged or mislabelled compressed file raises while it is read.
DECODE_ERRORS = (EOFError, OSError, lzma.LZMAError)


@dataclass(frozen=True)
class Document:
    """One document: its sentences of tokens, an optional label and POS tags."""

    id: str
    sentences: list[list[str]]
    label: str | None = None
    tags: list[list[str]] | None = field(default=None, repr=False)


@dataclass
class Corpus:
    """A named, streamable corpus. Iterating yields :class:`Document` objects."""

    name: str
    sources: list[Path]
    reader: Callable[[], Iterator[Document]] = field(repr=False)

    def __iter__(self) -> Iterator[Document]:
        return self.documents()

    def documents(self) -> Iterator[Document]:
        """Documents in a fixed order."""
        return self.reader()

    def sentences(self) -> Iterator[list[str]]:
        """All sentences, document by document."""
        for doc in self.reader():
            yield from doc.sentences

    def words(self) -> Iterator[str]:
        """All tokens in corpus order."""
        for sent in self.sentences():
            yield from sent

    def tagged_sentences(self) -> Iterator[list[tuple[str, str]]]:
        """``(word, tag)`` sentences, for corpora that carry tags (Brown)."""
        for doc in self.reader():
            if doc.tags is None:
                raise CorpusError(f"corpus {self.name!r} has no tags")
            for words, tags in zip(doc.sentences, doc.tags, strict=True):
                yield list(zip(words, tags, strict=True))

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the source bytes (of each file's digest, for several files)."""
        if len(self.sources) == 1:
            return sha256_file(self.sources[0])
        digest = hashlib.sha256()
        for src in self.sources:
            digest.update(f"{src.name}\0{sha256_file(src)}\n".encode())
        return digest.hexdigest()


def load_corpus(name_or_path: str | os.PathLike, tokenizer: Tokenizer | None = None) -> Corpus:
    """A named corpus (see :data:`CORPORA`) or a user's file, folder or JSON-lines file.

    ``tokenizer`` applies to raw text (user files, inaugural); the pre-tokenised
    corpora (Brown, movie reviews) keep their own tokens.

    >>> load_corpus("lee").name
    'lee'
    """
    key = str(name_or_path)
    if key in CORPORA:
        return CORPORA[key](tokenizer)
    path, files = user_files(name_or_path)
    corpus = _user_corpus(path, files, tokenizer or Tokenizer())
    if next(corpus.words(), None) is None:
        raise CorpusError(f"corpus {path} is empty: it holds no tokens; give it some text")
    return corpus


def user_files(name_or_path: str | os.PathLike) -> tuple[Path, list[Path]]:
    """A user's corpus path and the files it holds (itself, or a folder's files in order).

    Raises:
        CorpusError: the path does not exist (or names no known corpus), or is an empty folder.
    """
    key = str(name_or_path)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        if os.sep not in key and "." not in key:
            raise CorpusError(
                f"unknown corpus {key!r}; known corpora: {', '.join(CORPORA)}, or a path: "
                "use one of them or name a text file or folder"
            )
        raise CorpusError(f"no such corpus file or folder: {path}; check the path")
    if not path.is_dir():
        return path, [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise CorpusError(f"folder {path} holds no files; put text files in it")
    return path, files


def open_text(path: Path) -> IO[str]:
    """``path`` opened as UTF-8 text, decompressed when it ends in .gz, .bz2 or .xz."""
    opener = COMPRESSED.get(path.suffix.lower())
    if opener is None:
        return path.open(encoding="utf-8")
    return opener(path, "rt", encoding="utf-8")


def is_jsonl(path: Path) -> bool:
    """Whether ``path`` is a JSON-lines file (``.jsonl``/``.ndjson``, maybe compressed)."""
    name = path.name.lower()
    if path.suffix.lower() in COMPRESSED:
        name = name[: -len(path.suffix)]
    return name.endswith(JSONL_SUFFIXES)


def decode_error(path: Path, err: Exception) -> CorpusError:
    """The one-line error for a file that is not UTF-8, or not the compressed file it says."""
    if isinstance(err, UnicodeDecodeError):
        return CorpusError(
            f"{path} is not UTF-8 text ({err.reason}); convert it to UTF-8 "
            "(e.g. iconv -f LATIN1 -t UTF-8)"
        )
    if path.suffix.lower() in COMPRESSED:
        return CorpusError(
            f"{path} is not a readable {path.suffix} file ({err}); check or rename the file"
        )
    return CorpusError(f"cannot read {path} ({err}); check the file")


def _user_corpus(path: Path, files: list[Path], tok: Tokenizer) -> Corpus:
    def read() -> Iterator[Document]:
        for f in files:
            if is_jsonl(f):
                yield from _jsonl_docs(f, tok)
            else:
                yield Document(
                    str(f.relative_to(path) if path.is_dir() else f.name),
                    tok.sentences(_read_text(f)),
                )

    return Corpus(path.name, files, read)


def _read_text(path: Path) -> str:
    try:
        with open_text(path) as f:
            return f.read()
    except (UnicodeDecodeError, *DECODE_ERRORS) as err:
        raise decode_error(path, err) from err


def _jsonl_docs(path: Path, tok: Tokenizer) -> Iterator[Document]:
    try:
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    yield jsonl_document(line, tok, f"{path}:{n}", n)
    except (UnicodeDecodeError, *DECODE_ERRORS) as err:
        raise decode_error(path, err) from err


def jsonl_document(line: str, tok: Tokenizer, where: str, n: int) -> Document:
    """The document of one JSON-lines record (``where`` names it in errors)."""
    try:
        record = json.loads(line)
        text = record["text"]
        if not isinstance(text, str):
            raise TypeError("the text is not a string")
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CorpusError(
            f"{where}: expected a JSON object with a 'text' field holding a string; fix that line"
        ) from err
    label = record.get("label")
    return Document(
        str(record.get("id", n)), tok.sentences(text), None if label is None else str(label)
    )


# --- NLTK archives -------------------------------------------------------------------


def _zip_members(archive: Path, pattern: str) -> list[str]:
    with zipfile.ZipFile(archive) as z:
        return sorted(n for n in z.namelist() if re.fullmatch(pattern, n))


def _brown(tokenizer: Tokenizer | None) -> Corpus:
    archive = find_archive("brown")

    def read() -> Iterator[Document]:
        with zipfile.ZipFile(archive) as z:
            cats = dict(
                line.split()[:2]
                for line in z.read("brown/cats.txt").decode().splitlines()
                if line.strip()
            )
            for member in _zip_members(archive, r"brown/c[a-r]\d\d"):
                sents, tags = [], []
                for line in z.read(member).decode("latin-1").splitlines():
                    pairs = [_split_tag(t) for t in line.split()]
                    if pairs:
                        sents.append([w for w, _ in pairs])
                        tags.append([t for _, t in pairs])
                fid = member.split("/")[1]
                yield Document(fid, sents, cats.get(fid), tags)

    return Corpus("brown", [archive], read)


def _split_tag(token: str) -> tuple[str, str]:
    # As NLTK's str2tuple: the tag follows the last slash and is upper-cased.
    word, _, tag = token.rpartition("/")
    return (word, tag.upper()) if word else (token, "")


def _movie_reviews(tokenizer: Tokenizer | None) -> Corpus:
    archive = find_archive("movie_reviews")

    def read() -> Iterator[Document]:
        with zipfile.ZipFile(archive) as z:
            for member in _zip_members(archive, r"movie_reviews/(pos|neg)/[^/]+\.txt"):
                text = z.read(member).decode("utf-8", errors="replace")
                sents = [line.split() for line in text.splitlines() if line.strip()]
                label = member.split("/")[1]
                yield Document(member.split("/", 1)[1], sents, label)

    return Corpus("movie_reviews", [archive], read)


def _inaugural(tokenizer: Tokenizer | None) -> Corpus:
    archive = find_archive("inaugural")
    tok = tokenizer or Tokenizer()

    def read() -> Iterator[Document]:
        with zipfile.ZipFile(archive) as z:
            for member in _zip_members(archive, r"inaugural/[^/]+\.txt"):
                name = member.split("/")[1][:-4]
                text = z.read(member).decode("utf-8", errors="replace")
                yield Document(name, tok.sentences(text), name)

    return Corpus("inaugural", [archive], read)


# --- corpora shipped in the gensim wheel -----------------------------------------------


def _gensim_data(filename: str) -> Path:
    try:
        from gensim.test.utils import datapath
    except ImportError as err:  # pragma: no cover - gensim is a dependency
        raise CorpusError(f"the {filename} corpus ships with gensim; pip install gensim") from err
    path = Path(datapath(filename))
    if not path.is_file():
        raise CorpusError(f"gensim's test data lacks {filename} ({path})")
    return path


def _lee(tokenizer: Tokenizer | None) -> Corpus:
    path = _gensim_data("lee_background.cor")
    tok = tokenizer or Tokenizer()

    def read() -> Iterator[Document]:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for n, line in enumerate(lines):
            if line.strip():
                yield Document(str(n), tok.sentences(line))

    return Corpus("lee", [path], read)


def _wiki(tokenizer: Tokenizer | None, min_words: int = 50) -> Corpus:
    path = _gensim_data(GENSIM_WIKI)
    tok = tokenizer or Tokenizer(lowercase=True, punctuation=False)

    def read() -> Iterator[Document]:
        import bz2

        from gensim.corpora.wikicorpus import extract_pages, filter_wiki

        with bz2.open(path) as f:
            for title, text, _pageid in extract_pages(f):
                if text.lstrip().upper().startswith("#REDIRECT"):
                    continue
                sents = tok.sentences(filter_wiki(text))
                if sum(map(len, sents)) >= min_words:
                    yield Document(title, sents)

    return Corpus("wiki", [path], read)


CORPORA: dict[str, Callable[[Tokenizer | None], Corpus]] = {
    "brown": _brown,
    "movie_reviews": _movie_reviews,
    "inaugural": _inaugural,
    "wiki": _wiki,
    "lee": _lee,
}
