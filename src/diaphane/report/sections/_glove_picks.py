"""What the GloVe section shows, chosen by measurement: probe words, analogies, capital pairs.

Nothing here is hand-picked for a particular corpus. :func:`probe_words` takes
frequent words whose nearest neighbours sit closest; :func:`analogy_outcomes`
answers every Google analogy question the vectors can (both 3CosAdd and 3CosMul,
with the rules of :func:`diaphane.vectors.evaluate_analogies`, so the counts of
right answers are the benchmark's) and :func:`pick_analogies` takes a few that
work and a few that fail from different sections; :func:`capital_pairs` finds the
country → capital pairs of the question set that the vocabulary holds.

Entry points: :func:`probe_words`, :func:`analogy_outcomes`, :func:`pick_analogies`,
:func:`expected_rank`, :func:`capital_pairs`, :class:`Outcome`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diaphane.vectors import WordVectors, most_similar
from diaphane.vectors.analogies import METHODS, analogy_scores, solve_analogies
from diaphane.vectors.evaluate import dataset_path, read_questions

__all__ = [
    "CAPITAL_SECTIONS",
    "PROBE_CANDIDATES",
    "Outcome",
    "analogy_outcomes",
    "capital_pairs",
    "expected_rank",
    "fold_index",
    "pick_analogies",
    "probe_words",
]

# Everyday topics a reader can judge neighbours for; the measurement picks among them.
PROBE_CANDIDATES = (
    "king", "music", "war", "city", "water", "government", "film", "school", "river",
    "church", "money", "police", "president", "game", "book", "science", "army", "language",
    "computer", "january", "food", "disease", "island", "election", "germany", "guitar",
)  # fmt: skip
CAPITAL_SECTIONS = ("capital-common-countries", "capital-world")
RESTRICT = 30_000  # answers come from the most frequent words, as the benchmark's


def fold_index(wv: WordVectors, restrict: int | None = None) -> dict[str, int]:
    """Upper-cased word → row among the first ``restrict`` words; the first spelling wins
    (the matching rule of gensim's evaluators and :mod:`diaphane.vectors.evaluate`)."""
    index: dict[str, int] = {}
    for i, w in enumerate(wv.words[: restrict or len(wv)]):
        index.setdefault(w.upper(), i)
    return index


# ----------------------------------------------------------------------------- probes


def probe_words(
    wv: WordVectors,
    n: int = 4,
    candidates: Sequence[str] = PROBE_CANDIDATES,
    max_rank: int = 3000,
    k: int = 5,
) -> list[tuple[str, float]]:
    """``n`` frequent words whose ``k`` nearest neighbours are closest (mean cosine).

    Candidates are ``candidates`` found among the ``max_rank`` most frequent words,
    topped up with other frequent words (not stop words, 4+ letters) when too few are
    there. A word already among a chosen word's neighbours is skipped, so the probes
    show different neighbourhoods.

    Returns:
        ``[(word, mean cosine of its k nearest), ...]``, tightest first.
    """
    top = wv.words[:max_rank]
    pool = [w for w in candidates if w in wv and wv.id(w) < max_rank]
    if len(pool) < 2 * n:
        pool += _frequent_content_words(top, 4 * n, exclude=set(pool))
    scored = []
    for w in pool:
        near = most_similar(wv, w, k=k)
        scored.append((float(np.mean([s for _, s in near])), w, {x for x, _ in near}))
    scored.sort(key=lambda t: (-t[0], t[1]))
    chosen: list[tuple[str, float]] = []
    taken: set[str] = set()
    for score, w, company in scored:
        if len(chosen) == n:
            break
        if w not in taken:
            chosen.append((w, score))
            taken |= company | {w}
    return chosen


def _frequent_content_words(words: Sequence[str], n: int, exclude: set[str]) -> list[str]:
    from gensim.parsing.preprocessing import STOPWORDS

    out = [w for w in words if len(w) >= 4 and w.isalpha() and w not in STOPWORDS]
    return [w for w in out if w not in exclude][:n]


# ----------------------------------------------------------------------------- analogies


@dataclass
class Outcome:
    """One analogy question ``a : b :: c : d`` and what each method answered.

    Attributes:
        section: the question set's section (``capital-world``, ``gram8-plural``, …).
        words: ``(a, b, c, d)`` as the vocabulary spells them.
        rows: their rows in the vectors.
        answers: method → the word it answered.
    """

    section: str
    words: tuple[str, ...]
    rows: tuple[int, ...]
    answers: dict[str, str]

    def right(self, method: str) -> bool:
        return self.answers[method].upper() == self.words[3].upper()

    @property
    def frequency_rank(self) -> int:
        """The rarest of its words' rows: small for questions made of common words."""
        return max(self.rows)


def analogy_outcomes(
    wv: WordVectors,
    questions: str | os.PathLike = "google",
    restrict: int | None = RESTRICT,
) -> list[Outcome]:
    """Every question whose four words are among the first ``restrict``, answered both ways.

    The rules are :func:`~diaphane.vectors.evaluate_analogies`' (upper-cased matching,
    answers among the first ``restrict`` words, the three question words excluded), so
    the number of right answers per method is the benchmark's wherever no two words
    differ only in case (as in the lower-cased corpora of a report).
    """
    path = dataset_path(str(questions)) if str(questions) == "google" else questions
    index = fold_index(wv, restrict)
    known = [
        (name, tuple(index[w.upper()] for w in q))
        for name, qs in read_questions(path)
        for q in qs
        if all(w.upper() in index for w in q)
    ]
    if not known:
        return []
    rows = np.array([r for _, r in known], dtype=np.int64)
    n_cand = min(restrict or len(wv), len(wv))
    answers = {m: solve_analogies(wv.unit, rows[:, :3], m, n_cand)[:, 0] for m in METHODS}
    return [
        Outcome(
            name,
            tuple(wv.words[i] for i in r),
            r,
            {m: wv.words[int(answers[m][j])] for m in METHODS},
        )
        for j, (name, r) in enumerate(known)
    ]


def pick_analogies(outcomes: Sequence[Outcome], n: int = 6) -> tuple[list[Outcome], list[Outcome]]:
    """Up to ``n`` questions both methods answer right and ``n`` both get wrong.

    Sections take turns (in the question file's order), and within a section the
    question made of the most frequent words comes first, so the picks are varied
    and made of words a reader knows; a question is taken once even where two
    sections hold it.
    """
    working = [o for o in outcomes if all(o.right(m) for m in METHODS)]
    failing = [o for o in outcomes if not any(o.right(m) for m in METHODS)]
    return _round_robin(working, n), _round_robin(failing, n)


def _round_robin(outcomes: Sequence[Outcome], n: int) -> list[Outcome]:
    by_section: dict[str, list[Outcome]] = {}
    seen: set[tuple[int, ...]] = set()
    for o in outcomes:  # a question can sit in two sections (capital-common and -world)
        if o.rows not in seen:
            seen.add(o.rows)
            by_section.setdefault(o.section, []).append(o)
    queues = [sorted(qs, key=lambda o: o.frequency_rank) for qs in by_section.values()]
    picked: list[Outcome] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    return picked


def expected_rank(
    wv: WordVectors, outcome: Outcome, method: str, restrict: int | None = RESTRICT
) -> int:
    """Where the expected answer ``d`` came among all candidates (1 = the answer given)."""
    unit = wv.unit
    cand = unit[: min(restrict or len(wv), len(wv))]
    a, b, c, d = outcome.rows
    scores = analogy_scores(cand, unit[[a]], unit[[b]], unit[[c]], method)[0]
    scores[[a, b, c]] = -np.inf
    return int(np.sum(scores > scores[d])) + 1


# ----------------------------------------------------------------------------- capitals


def capital_pairs(
    wv: WordVectors, questions: str | os.PathLike = "google", max_pairs: int = 24
) -> list[tuple[str, str]]:
    """``(country, capital)`` pairs of the question set's capital sections that ``wv`` holds.

    The most frequent pairs first (by the rarer word's row), at most ``max_pairs``.
    """
    path = dataset_path(str(questions)) if str(questions) == "google" else questions
    index = fold_index(wv)
    pairs: dict[tuple[int, int], None] = {}
    for name, qs in read_questions(path):
        if name not in CAPITAL_SECTIONS:
            continue
        for capital, country, capital2, country2 in qs:
            for cap, ctry in ((capital, country), (capital2, country2)):
                i, j = index.get(ctry.upper()), index.get(cap.upper())
                if i is not None and j is not None and i != j:
                    pairs.setdefault((i, j), None)
    ordered = sorted(pairs, key=lambda p: (max(p), p))[:max_pairs]
    return [(wv.words[i], wv.words[j]) for i, j in ordered]
