"""A small regular-expression tokeniser: text → sentences → tokens.

Entry point: :class:`Tokenizer`.
"""

from __future__ import annotations

import re
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
        sentences: list[list[str]] = []
        current: list[str] = []
        for tok in _TOKEN.findall(text):
            if self.punctuation or _is_word(tok):
                current.append(tok.lower() if self.lowercase else tok)
            if tok in _SENTENCE_END and current:
                sentences.append(current)
                current = []
        if current:
            sentences.append(current)
        return sentences


def _is_word(token: str) -> bool:
    return any(c.isalnum() for c in token)
