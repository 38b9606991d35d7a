"""Language models trained by diaphane. Entry point so far: :class:`NgramLM`."""

from diaphane.models.ngram import NgramLM, load_ngram

__all__ = ["NgramLM", "load_ngram"]
