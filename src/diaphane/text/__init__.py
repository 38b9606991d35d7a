"""Text for diaphane's models: corpora, tokeniser, vocabularies, splits and examples.

Entry points: :func:`load_corpus` (named corpora ``brown``, ``movie_reviews``,
``inaugural``, ``wiki``, ``lee``, or a user's file/folder/JSON-lines),
:class:`Tokenizer`, :class:`Vocabulary`, :func:`bengio_split`, :func:`batches`.
"""

from diaphane.text.corpora import CORPORA, Corpus, CorpusError, Document, load_corpus
from diaphane.text.examples import batches, pad_sentences, windows
from diaphane.text.fetch import ChecksumError, DataNotFoundError, find_archive
from diaphane.text.splits import Split, bengio_split, split_documents, split_words
from diaphane.text.tokenize import Tokenizer
from diaphane.text.vocab import BOS, EOS, UNK, Vocabulary

__all__ = [
    "BOS",
    "CORPORA",
    "EOS",
    "UNK",
    "ChecksumError",
    "Corpus",
    "CorpusError",
    "DataNotFoundError",
    "Document",
    "Split",
    "Tokenizer",
    "Vocabulary",
    "batches",
    "bengio_split",
    "find_archive",
    "load_corpus",
    "pad_sentences",
    "split_documents",
    "split_words",
    "windows",
]
