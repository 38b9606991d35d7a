"""A small regular-expression tokeniser: text → sentences → tokens.

Entry point: :class:`Tokenizer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Abbreviations and initials stay one token so they do not end a sentence.
_ABBREV = (
    r"(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Gov|Sen|Rep|vs|etc|Inc|Co|No)\.|(?:[A-Za-z]\.){2,}"
)
_TOKEN = re.compile(rf"{_ABBREV}|\w+(?:[-'\u2019.]\w+)*|[^\w\s]")
_SENTENCE_END = {".", "!", "?"}


@dataclass(frozen=True)
class Tokenizer:
    """Split text into word and punctuation tokens, and tokens into sentences.

    Args:
        lowercase: fold tokens to lower case.
        punctuation: keep punctuation tokens (they still end sentences when dropped).

    >>> Tokenizer().sentences("Mr. Smith arrived. He sat down!")
    [['Mr.', 'Smith', 'arrived', '.'], ['He', 'sat', 'down', '!']]
    >>> Tokenizer(lowercase=True, punctuation=False).words("The U.S. isn't big, is it?")
    ['the', 'u.s.', "isn't", 'big', 'is', 'it']
    """

    lowercase: bool = False
    punctuation: bool = True

    def words(self, text: str) -> list[str]:
        """All tokens of ``text``, ignoring sentence boundaries."""
        return [w for sent in self.sentences(text) for w in sent]

    def sentences(self, text: str) -> list[list[str]]:
        """Tokens of ``text`` grouped into sentences ending at ``.``, ``!`` or ``?``."""
        return list(self.iter_sentences([text]))

    def iter_sentences(self, pieces: Iterable[str]) -> Iterator[list[str]]:
        """The sentences of the text ``pieces`` make when joined, as they complete.

        Each piece must end where a token cannot continue: at whitespace, or right
        after a token of the whole text. A sentence may run over several pieces, so a
        file read a block at a time gives the same sentences as the whole file.

        >>> list(Tokenizer().iter_sentences(["It rained ", "all day. Then", " it stopped"]))
        [['It', 'rained', 'all', 'day', '.'], ['Then', 'it', 'stopped']]
        """
        current: list[str] = []
        for piece in pieces:
            chunks = piece.split()  # str.split and the pattern's \s agree on whitespace
            start = 0
            # A run of letters and digits between spaces is one word token, always kept:
            # only the other chunks (about one in eight in English) need the pattern.
            for i in [i for i, c in enumerate(chunks) if not c.isalnum()]:
                current.extend(self._fold(chunks[start:i]))
                start = i + 1
                for tok in _TOKEN.findall(chunks[i]):
                    if self.punctuation or _is_word(tok):
                        current.append(tok.lower() if self.lowercase else tok)
                    if tok in _SENTENCE_END and current:
                        yield current
                        current = []
            current.extend(self._fold(chunks[start:]))
        if current:
            yield current

    def _fold(self, words: list[str]) -> Iterable[str]:
        return map(str.lower, words) if self.lowercase else words


def _is_word(token: str) -> bool:
    return any(c.isalnum() for c in token)
