"""Regenerate the README's pictures: ``python docs/make_pictures.py [NAME ...]``.

Each entry of :data:`PICTURES` is ``(name, builder)``: ``builder()`` returns a
figure, saved as ``docs/img/NAME.png``. To add a picture, define a builder
and append one line to the list. The pictures are deterministic, so running
this twice leaves the files unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

IMG = Path(__file__).resolve().parent / "img"
DPI = 110


def covariance():
    from diaphane.viz import CovarianceFigure

    # Four made-up measurements of five days: rows are the variables, as np.cov expects.
    X = np.array(
        [
            [22.0, 25.0, 19.0, 30.0, 27.0],  # temperature
            [30.0, 41.0, 22.0, 60.0, 48.0],  # ice creams sold
            [12.0, 9.0, 15.0, 4.0, 6.0],  # umbrellas sold
            [7.0, 7.5, 6.5, 8.0, 7.0],  # hours of sleep
        ]
    )
    names = ["temperature", "ice creams", "umbrellas", "sleep"]
    return CovarianceFigure.from_data(X, names, ["Mon", "Tue", "Wed", "Thu", "Fri"])


def einsum():
    from diaphane.viz import EinsumFigure

    return EinsumFigure("ij,jk->ik", [(2, 3), (3, 4)])


def graph():
    from diaphane.viz.graph_figure import GraphFigure

    return GraphFigure.from_example("logistic")


def _lee_vectors(n_words: int = 1500, dim: int = 50):
    """PPMI + SVD word vectors of the Lee corpus (shipped in gensim's wheel): seconds, offline."""
    from collections import Counter

    from gensim.test.utils import datapath
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import svds

    from diaphane.text import Tokenizer

    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        words = Tokenizer(lowercase=True, punctuation=False).words(fh.read())
    vocab = [w for w, _ in Counter(words).most_common(n_words)]
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.array([index.get(w, -1) for w in words])
    rows, cols = [], []
    for off in (1, 2):  # a window of two words each side
        a, b = ids[:-off], ids[off:]
        keep = (a >= 0) & (b >= 0)
        rows += [a[keep], b[keep]]
        cols += [b[keep], a[keep]]
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts = coo_matrix((np.ones(len(r)), (r, c)), shape=(n_words, n_words)).toarray()
    total = counts.sum()
    pmi = np.log(np.maximum(counts * total, 1e-12) / np.outer(counts.sum(1), counts.sum(0)))
    u, s, _ = svds(np.maximum(pmi, 0), k=dim, random_state=0)
    return vocab, u * np.sqrt(s)


def _word_class(word: str) -> str:
    if word.isdigit():
        return "number"
    for end in ("ing", "ed", "ly"):
        if word.endswith(end) and len(word) > len(end) + 2:
            return f"-{end}"
    return "other"


def embedding_map():
    from diaphane.vectors.keyed import WordVectors
    from diaphane.vectors.maps import tsne_map
    from diaphane.viz.embedding_map import EmbeddingMap

    words, vectors = _lee_vectors()
    labels = [_word_class(w) for w in words]
    wv = WordVectors(words, vectors, labels=labels)
    return EmbeddingMap.from_map2d(
        tsne_map(wv, seed=0), vectors=vectors, title="Lee corpus words (PPMI + SVD, t-SNE)"
    )


def windows():
    from diaphane.viz.windows import TrainingWindows

    return TrainingWindows.ngram("The cat sat on the mat.", order=4)


# A prompt the shipped model gets right (tests/models/test_default_gpt.py checks it).
LENS_TEXT = "The president of the United"


def lens():
    from diaphane.lens.figures import RankingsFigure
    from diaphane.models.gpt import default_model

    return RankingsFigure.from_model(default_model(), LENS_TEXT, watch=[" States", " Kingdom"])


def saliency():
    from diaphane.lens import saliency as attribute
    from diaphane.lens.figures import SaliencyFigure
    from diaphane.models.gpt import default_model

    s = attribute(default_model(), LENS_TEXT, target=" States", contrast=" Kingdom")
    return SaliencyFigure.from_saliency(s)


PICTURES: list[tuple[str, Callable]] = [
    ("covariance", covariance),
    ("einsum", einsum),
    ("graph", graph),
    ("map", embedding_map),
    ("windows", windows),
    ("lens", lens),
    ("saliency", saliency),
]


def main(names: list[str]) -> int:
    known = dict(PICTURES)
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown picture(s) {unknown}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    for name in names or list(known):
        path = known[name]().to_png(IMG / f"{name}.png", dpi=DPI)
        print(path.relative_to(IMG.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
