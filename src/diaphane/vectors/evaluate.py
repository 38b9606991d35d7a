"""Benchmarks for word vectors: word-pair similarity and the Google analogy questions.

- :func:`evaluate_word_pairs`: Spearman's rho between the cosine of each pair and
  human judgements (WordSim353, SimLex-999), out-of-vocabulary pairs counted and
  left out.
- :func:`evaluate_analogies`: accuracy on ``questions-words.txt``, per section and
  overall, by 3CosAdd or 3CosMul, answers restricted to the first ``restrict``
  words (30,000 by default) and questions with a word outside them skipped and
  counted. All questions are answered in a few batched matrix products.
- :func:`evaluate`: all of them, as the rows of the benchmark table.

Both follow gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies`` rules
(upper-cased matching where the first spelling of a word in vocabulary order wins,
``#`` comment lines, ``: section`` headers), so 3CosAdd accuracies and rho equal
gensim's on the same vectors; gensim's own evaluator always uses 3CosAdd.

The data files ship in the gensim wheel (:func:`dataset_path`).

Entry points: :func:`evaluate`, :func:`evaluate_word_pairs`, :func:`evaluate_analogies`,
:func:`dataset_path`, :class:`PairsResult`, :class:`AnalogyResult`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.vectors.analogies import EPSILON, solve_analogies
from diaphane.vectors.keyed import WordVectors

__all__ = [
    "DATASETS",
    "AnalogyResult",
    "PairsResult",
    "dataset_path",
    "evaluate",
    "evaluate_analogies",
    "evaluate_word_pairs",
]

DATASETS = {
    "wordsim353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
    "google": "questions-words.txt",
}


def dataset_path(name: str) -> Path:
    """The path of an evaluation set shipped in the gensim wheel (see :data:`DATASETS`)."""
    import gensim

    if name not in DATASETS:
        raise DiaphaneError(f"Unknown evaluation set {name!r}; known: {', '.join(DATASETS)}.")
    return Path(gensim.__file__).parent / "test" / "test_data" / DATASETS[name]


def _restricted_index(wv: WordVectors, restrict: int | None, case_insensitive: bool) -> dict:
    """Word → row among the first ``restrict`` words; upper-cased, first spelling wins."""
    words = wv.words[: restrict or len(wv)]
    index: dict[str, int] = {}
    for i, w in enumerate(words):
        index.setdefault(w.upper() if case_insensitive else w, i)
    return index


# ----------------------------------------------------------------------------- word pairs


@dataclass
class PairsResult:
    """Spearman's rho (and Pearson's r) of model cosines against human similarity scores."""

    name: str
    spearman: float
    pearson: float
    pairs: int  # judged pairs used
    oov: int  # pairs skipped for an unknown word

    @property
    def oov_share(self) -> float:
        return self.oov / max(self.pairs + self.oov, 1)


def read_pairs(path: str | os.PathLike, delimiter: str = "\t") -> list[tuple[str, str, float]]:
    """``(word, word, score)`` triples of a WordSim/SimLex-style file (``#`` lines skipped)."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            a, b, score = parts
            pairs.append((a, b, float(score)))
        except ValueError:
            continue  # gensim skips malformed lines too
    if not pairs:
        raise DiaphaneError(f"{path} holds no 'word<TAB>word<TAB>score' lines.")
    return pairs


def evaluate_word_pairs(
    wv: WordVectors,
    pairs: str | os.PathLike = "wordsim353",
    restrict: int | None = 300_000,
    case_insensitive: bool = True,
) -> PairsResult:
    """Spearman's rho between cosine similarities and the human scores of a pairs file.

    Args:
        wv: the word vectors.
        pairs: ``"wordsim353"``, ``"simlex999"`` or a path to a ``word<TAB>word<TAB>score`` file.
        restrict: only the first ``restrict`` words count as known (gensim's default).
        case_insensitive: match words upper-cased.
    """
    from scipy import stats

    path = dataset_path(str(pairs)) if str(pairs) in DATASETS else Path(pairs)
    name = str(pairs) if str(pairs) in DATASETS else Path(pairs).stem
    index = _restricted_index(wv, restrict, case_insensitive)
    fold = str.upper if case_insensitive else str
    known = [
        (index[fold(a)], index[fold(b)], s)
        for a, b, s in read_pairs(path)
        if fold(a) in index and fold(b) in index
    ]
    n_all = len(read_pairs(path))
    if len(known) < 2:  # no correlation to speak of; the table shows n/a
        return PairsResult(name, float("nan"), float("nan"), len(known), n_all - len(known))
    ia, ib, gold = (np.array(x) for x in zip(*known, strict=True))
    unit = wv.unit.astype(np.float64)
    model = np.einsum("ij,ij->i", unit[ia], unit[ib])
    spearman = float(stats.spearmanr(gold, model).statistic)
    pearson = float(stats.pearsonr(gold, model).statistic)
    return PairsResult(name, spearman, pearson, len(known), n_all - len(known))


# ----------------------------------------------------------------------------- analogies


@dataclass
class SectionScore:
    """Correct answers out of the questions answered in one section."""

    name: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")


@dataclass
class AnalogyResult:
    """Accuracy on an analogy set, overall and per section."""

    method: str
    sections: list[SectionScore] = field(default_factory=list)
    oov: int = 0  # questions skipped for a word outside the restricted vocabulary

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def oov_share(self) -> float:
        return self.oov / max(self.total + self.oov, 1)

    def part(self, syntactic: bool) -> SectionScore:
        """Semantic or syntactic (``gram*``) sections together."""
        chosen = [s for s in self.sections if s.name.startswith("gram") == syntactic]
        name = "syntactic" if syntactic else "semantic"
        return SectionScore(name, sum(s.correct for s in chosen), sum(s.total for s in chosen))


def read_questions(path: str | os.PathLike) -> list[tuple[str, list[list[str]]]]:
    """Sections of a ``questions-words.txt``-style file: ``[(name, [[a, b, c, d], ...])]``."""
    sections: list[tuple[str, list[list[str]]]] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(": "):
            sections.append((line[2:].strip(), []))
        elif line.split():
            if not sections:
                raise DiaphaneError(f"{path}:{n}: a question before any ': section' header.")
            words = line.split()
            if len(words) == 4:  # gensim skips malformed lines too
                sections[-1][1].append(words)
    return sections


@functools.lru_cache(maxsize=4)
def _question_table(path: str, mtime: float) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """The questions as arrays: section names, section of each question, the distinct
    words, and ``(n, 4)`` indices into them (parsed once per file version)."""
    del mtime  # part of the cache key only
    names, section, quads = [], [], []
    words: dict[str, int] = {}
    for name, qs in read_questions(path):
        names.append(name)
        section += [len(names) - 1] * len(qs)
        quads += [[words.setdefault(w, len(words)) for w in q] for q in qs]
    table = np.array(quads, dtype=np.int64).reshape(-1, 4)
    return names, np.array(section, dtype=np.int64), list(words), table


def evaluate_analogies(
    wv: WordVectors,
    questions: str | os.PathLike = "google",
    method: str = "3cosadd",
    restrict: int | None = 30_000,
    case_insensitive: bool = True,
    epsilon: float = EPSILON,
) -> AnalogyResult:
    """Accuracy on the analogy questions ``a b c d`` (``a : b :: c : d``).

    Args:
        wv: the word vectors; answers come from the first ``restrict`` of them.
        questions: ``"google"`` or the path of a file in its format.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        restrict: the vocabulary size searched; questions with a word outside it
            are skipped and counted in ``oov``.
        case_insensitive: match words upper-cased (a case variant of a question word
            is no answer; one of the expected word is a right answer).
        epsilon: 3CosMul's ε.
    """
    path = dataset_path(str(questions)) if str(questions) in DATASETS else Path(questions)
    names, section, qwords, table = _question_table(str(path), path.stat().st_mtime)
    index = _restricted_index(wv, restrict, case_insensitive)
    fold = str.upper if case_insensitive else str
    n_cand = min(restrict or len(wv), len(wv))
    # A row's canonical row is the first spelling of its folded form; variants of a
    # question word are excluded from its answers.
    canon = np.array([index[fold(w)] for w in wv.words[:n_cand]], dtype=np.int64)
    ids = np.array([index.get(fold(w), -1) for w in qwords], dtype=np.int64)[table]
    known = (ids >= 0).all(axis=1)
    ids, section = ids[known], section[known]
    result = AnalogyResult(method.lower(), [], int((~known).sum()))
    total = np.bincount(section, minlength=len(names))
    correct: np.ndarray = np.zeros(len(names))
    if len(ids):
        exclude = _exclusions(ids[:, :3], canon)
        answers = solve_analogies(wv.unit, ids[:, :3], method, n_cand, exclude, 1, epsilon)[:, 0]
        right = (canon[answers] == ids[:, 3]).astype(np.float64)
        correct = np.bincount(section, weights=right, minlength=len(names))
    result.sections = [
        SectionScore(n, int(c), int(t)) for n, c, t in zip(names, correct, total, strict=True)
    ]
    return result


def _exclusions(abc: np.ndarray, canon: np.ndarray) -> np.ndarray:
    """Per question, every row folding to one of its three words (-1 pads)."""
    uniq, counts = np.unique(canon, return_counts=True)
    if not len(counts) or counts.max() == 1:
        return abc
    variants = np.full((len(canon), counts.max()), -1, dtype=np.int64)
    variants[:, 0] = np.arange(len(canon))
    for u in uniq[counts > 1]:  # few: words spelled several ways
        rows = np.flatnonzero(canon == u)
        variants[u, : len(rows)] = rows
    return variants[abc].reshape(len(abc), -1)


# ----------------------------------------------------------------------------- all together


def evaluate(
    wv: WordVectors, restrict: int = 30_000, methods: tuple[str, ...] = ("3cosadd", "3cosmul")
) -> dict:
    """WordSim353 rho, SimLex-999 rho and Google analogy accuracy by each method.

    Returns:
        ``{"wordsim353": PairsResult, "simlex999": PairsResult,
        "analogy": {method: AnalogyResult}}``.
    """
    return {
        "wordsim353": evaluate_word_pairs(wv, "wordsim353"),
        "simlex999": evaluate_word_pairs(wv, "simlex999"),
        "analogy": {m: evaluate_analogies(wv, "google", m, restrict) for m in methods},
    }
