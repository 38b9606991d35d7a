"""Word vectors and what they know: neighbours, analogies, benchmarks, 2-D maps.

>>> from diaphane.vectors import WordVectors
>>> wv = WordVectors(["man", "woman", "king", "queen"],
...                  [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1]])
>>> wv.analogy("man", "woman", "king")[0][0]
'queen'

Entry points: :class:`WordVectors` (from arrays, :meth:`~WordVectors.from_model`,
:meth:`~WordVectors.from_gensim`), :func:`load_vectors` (model folder or
word2vec/GloVe file), :func:`most_similar`, :func:`nearest`, :func:`analogy`,
:func:`solve_analogies`, :func:`evaluate`, :func:`evaluate_word_pairs`,
:func:`evaluate_analogies`, :func:`make_map` / :class:`Map2D`, :func:`covariance`.
"""

from diaphane.vectors.analogies import analogy, solve_analogies
from diaphane.vectors.evaluate import (
    AnalogyResult,
    PairsResult,
    dataset_path,
    evaluate,
    evaluate_analogies,
    evaluate_word_pairs,
)
from diaphane.vectors.io import load_vectors
from diaphane.vectors.keyed import UnknownWordError, WordVectors, closest_spellings
from diaphane.vectors.maps import (
    Map2D,
    covariance,
    extreme_words,
    make_map,
    near_words,
    pca_map,
    top_words,
    tsne_map,
    umap_map,
)
from diaphane.vectors.neighbours import doesnt_match, most_similar, nearest, similarity

__all__ = [
    "AnalogyResult",
    "Map2D",
    "PairsResult",
    "UnknownWordError",
    "WordVectors",
    "analogy",
    "closest_spellings",
    "covariance",
    "dataset_path",
    "doesnt_match",
    "evaluate",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "extreme_words",
    "load_vectors",
    "make_map",
    "most_similar",
    "near_words",
    "nearest",
    "pca_map",
    "similarity",
    "solve_analogies",
    "top_words",
    "tsne_map",
    "umap_map",
]
