"""Word vectors for the tests: synthetic ones built so that analogies partly work,
and a tiny word2vec model trained on the Lee corpus shipped with gensim."""

from __future__ import annotations

import numpy as np
import pytest

from diaphane.vectors import WordVectors, dataset_path


def analogy_vectors(n_words: int = 3000, dim: int = 24, noise: float = 1.0, seed: int = 0):
    """Vectors for every word of the Google questions (plus random filler words) where
    each section's pairs differ by a shared offset plus noise, so 3CosAdd gets some
    questions right and many wrong; case variants are mixed in to test case folding."""
    rng = np.random.default_rng(seed)
    vec: dict[str, np.ndarray] = {}
    for line in dataset_path("google").read_text().splitlines():
        if line.startswith(": "):
            offset = rng.normal(size=dim) * 2
            continue
        a, b, c, d = line.lower().split()
        for x, y in ((a, b), (c, d)):
            vec.setdefault(x, rng.normal(size=dim))
            vec.setdefault(y, vec[x] + offset + noise * rng.normal(size=dim))
    words = list(vec)
    rng.shuffle(words)  # frequency order unrelated to the sections
    words = [w.capitalize() if i % 7 == 0 else w for i, w in enumerate(words)]
    fillers = [f"w{i}" for i in range(max(0, n_words - len(words) - 20))]
    variants = [w.upper() for w in words[:20]]  # later spellings of known words
    matrix = np.concatenate(
        [
            np.stack([vec[w.lower()] for w in words]),
            rng.normal(size=(len(fillers), dim)) * 1.5,
            np.stack([vec[w.lower()] + 0.3 * rng.normal(size=dim) for w in variants]),
        ]
    )
    n = len(words) + len(fillers)
    order = np.concatenate([rng.permutation(n), n + np.arange(len(variants))])
    all_words = [*words, *fillers, *variants]
    return WordVectors([all_words[i] for i in order], matrix[order])


@pytest.fixture(scope="session")
def synthetic() -> WordVectors:
    return analogy_vectors()


@pytest.fixture(scope="session")
def lee_model():
    """gensim Word2Vec, 3 epochs on the Lee background corpus (~2 s)."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    from gensim.test.utils import datapath

    return Word2Vec(
        LineSentence(datapath("lee_background.cor")),
        vector_size=32,
        min_count=2,
        epochs=3,
        workers=1,
        seed=1,
    )


@pytest.fixture(scope="session")
def few_questions(tmp_path_factory):
    """Every 15th Google question with its section headers (~1,300 questions), so gensim's
    one-question-at-a-time evaluator stays quick."""
    lines, n = [], 0
    for line in dataset_path("google").read_text().splitlines():
        if line.startswith(": "):
            lines.append(line)
        else:
            n += 1
            if n % 15 == 0:
                lines.append(line)
    path = tmp_path_factory.mktemp("questions") / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    return path
