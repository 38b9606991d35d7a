"""The GloVe section: neighbours, analogies that work and fail, country → capital, benchmarks.

Everything shown is measured on this run's vectors (:meth:`ReportRun.glove`): the
probe words, analogies and capital pairs are chosen by :mod:`._glove_picks`; the
scores are :func:`diaphane.vectors.evaluate` (gensim's rules). On a small corpus
few benchmark words are known: missing pairs are dropped and a note says what
could not be shown.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diaphane.report.document import FigureBlock, Metric, Note, Prose, Section, TableBlock
from diaphane.report.sections import _glove_picks as picks
from diaphane.vectors import WordVectors, evaluate, most_similar
from diaphane.vectors.analogies import METHODS

__all__ = ["ID", "TITLE", "build", "capital_blocks", "capital_facts"]

ID = "glove"
TITLE = "GloVe word vectors"
K = 8  # neighbours per probe word
N_ANALOGIES = 5  # shown that work, and that fail
MIN_PAIRS = 4  # fewer country-capital pairs make no picture of a direction
FEW_PAIRS = 100  # judged pairs below which a correlation says little
METHOD_NAMES = {"3cosadd": "3CosAdd", "3cosmul": "3CosMul"}
RHO, TIMES, MINUS = "\u03c1", "\u00d7", "\u2212"  # rho, times, minus: escaped, as ruff asks


def build(run: Any) -> Section:
    """The section for ``run``'s GloVe vectors."""
    model = run.glove()
    wv = model.word_vectors()
    facts: dict = {"words": len(wv), "dim": wv.dim}
    blocks: list = [_intro(run, wv)]
    blocks += neighbour_blocks(wv, facts)
    blocks += score_blocks(wv, facts)
    blocks += analogy_blocks(wv, facts)
    blocks += capital_blocks(wv, facts)
    summary = f"{len(wv):,} words {TIMES} {wv.dim} dimensions: neighbours, analogies, benchmarks"
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


def _intro(run: Any, wv: WordVectors) -> Prose:
    s = run.settings["glove"]
    names = " + ".join(run.corpus["names"])
    target = "their *PMI*" if s.get("target") == "pmi" else "the log of their count"
    start = ", starting from an SVD of that matrix" if s.get("init") == "svd" else ""
    return Prose(
        f"GloVe gives every word a vector and fits them so that the dot product of two "
        f"words' vectors predicts how strongly they co-occur — here {target} within "
        f"{s['window']} words{start}, {s['epochs']} epoch(s). "
        f"Trained on {names}, it learned {len(wv):,} vectors of {wv.dim} numbers.\n\n"
        "Nothing told the model what any word means; what follows is what it picked up from "
        "which words keep company."
    )


# ----------------------------------------------------------------------------- neighbours


def neighbour_blocks(wv: WordVectors, facts: dict) -> list:
    """A table of the nearest words (cosine) to a few probe words chosen by measurement."""
    probes = picks.probe_words(wv)
    if not probes:
        return [Note("No frequent word to probe: the vocabulary is too small.", "warning")]
    lists = {w: most_similar(wv, w, k=K) for w, _ in probes}
    facts["neighbours"] = {w: [[x, round(s, 4)] for x, s in near] for w, near in lists.items()}
    facts["probe_tightness"] = {w: round(s, 4) for w, s in probes}
    n = min(len(near) for near in lists.values())
    rows = [[f"{lists[w][i][0]} ({lists[w][i][1]:.2f})" for w, _ in probes] for i in range(n)]
    best, score = probes[0]
    text = (
        "Words used in the same contexts get vectors pointing the same way, so a word's "
        "nearest vectors are its company. The probes are the frequent words whose five "
        f"nearest neighbours sit closest; the tightest is *{best}* (mean cosine {score:.2f})."
    )
    caption = (
        f"The {K} nearest words to each probe by cosine similarity (in brackets). Read down a "
        "column: are the neighbours of one kind — same topic, same part of speech?"
    )
    return [Prose(text), TableBlock([w for w, _ in probes], rows, caption, name="neighbours")]


# ----------------------------------------------------------------------------- scores


def score_blocks(wv: WordVectors, facts: dict) -> list:
    """WordSim353, SimLex-999 and the Google analogies (gensim's evaluators) as metrics."""
    r = evaluate(wv)
    ws, sl = r["wordsim353"], r["simlex999"]
    facts["scores"] = {
        "wordsim353": {"spearman": _num(ws.spearman), "pairs": ws.pairs, "oov": ws.oov},
        "simlex999": {"spearman": _num(sl.spearman), "pairs": sl.pairs, "oov": sl.oov},
        **{m: {"accuracy": round(a.accuracy, 4), "correct": a.correct, "total": a.total,
               "oov": a.oov} for m, a in r["analogy"].items()},
    }  # fmt: skip
    items = [
        (f"WordSim353 {RHO}", _rho(ws.spearman, ws.pairs)),
        (f"SimLex-999 {RHO}", _rho(sl.spearman, sl.pairs)),
    ]
    for m, a in r["analogy"].items():
        items.append((f"analogies, {METHOD_NAMES[m]}", f"{a.accuracy:.1%} of {a.total:,}"))
    return [Metric(items), Prose(_score_text(r))]


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 4)  # JSON has no NaN


def _rho(rho: float, pairs: int) -> str:
    return "n/a" if math.isnan(rho) else f"{rho:.3f} ({pairs:,} pairs)"


def _score_text(r: dict) -> str:
    ws, sl, add = r["wordsim353"], r["simlex999"], r["analogy"]["3cosadd"]
    parts = [
        f"WordSim353 and SimLex-999 ask people how alike two words are; {RHO} is Spearman's "
        "rank correlation between their judgements and the cosine of the two vectors "
        f"(1 = the same order). The model knows both words of {ws.pairs} of the "
        f"{ws.pairs + ws.oov} WordSim353 pairs and {sl.pairs} of the {sl.pairs + sl.oov} "
        "SimLex pairs; the rest are left out."
    ]
    if ws.pairs < FEW_PAIRS:
        parts.append(
            f"On so few pairs {RHO} is noisy: this corpus is too small to know most of the words "
            "people were asked about."
        )
    elif not math.isnan(sl.spearman) and sl.spearman < ws.spearman:
        parts.append(
            f"SimLex-999 is lower ({sl.spearman:.2f} against {ws.spearman:.2f}): it scores "
            "*similarity* (cup ~ mug) and marks merely *related* words (cup ~ coffee) low, "
            "while co-occurrence puts related words close."
        )
    analogies = (
        f"Of the {add.total + add.oov:,} analogy questions, {add.total:,} use only words it "
        f"knows; 3CosAdd gets {add.correct:,} of them right."
    )
    sections = [s for s in add.sections if s.total >= 20 and s.correct >= 5]
    if sections:
        best = max(sections, key=lambda s: (s.accuracy, s.name))
        analogies += f" Its best section is `{best.name}` ({best.accuracy:.0%} of {best.total})."
    parts.append(analogies)
    return "\n\n".join([" ".join(parts[:2]), *parts[2:]])


# ----------------------------------------------------------------------------- analogies


def analogy_blocks(wv: WordVectors, facts: dict) -> list:
    """Analogies both methods answer right, and ones both get wrong, with what came out."""
    outcomes = picks.analogy_outcomes(wv)
    if not outcomes:
        return [Note("No Google analogy question has all four words in this vocabulary.")]
    working, failing = picks.pick_analogies(outcomes, N_ANALOGIES)
    disagree = [o for o in outcomes if o.right("3cosadd") != o.right("3cosmul")]
    mul_wins = sum(o.right("3cosmul") for o in disagree)
    facts["analogies"] = {
        "answered": len(outcomes),
        "working": [_fact(o) for o in working],
        "failing": [{**_fact(o), "ranks": _ranks(wv, o)} for o in failing],
        "disagree": len(disagree),
        "disagree_3cosmul_right": mul_wins,
    }
    blocks: list = [Prose(_analogy_text(len(outcomes), disagree, mul_wins))]
    if working:
        blocks.append(_analogy_table(working, None, "analogies-working", "Analogies that work"))
    else:
        blocks.append(Note("No question is answered right by both methods on this run."))
    if failing:
        ranks = facts["analogies"]["failing"]
        blocks.append(_analogy_table(failing, ranks, "analogies-failing", "Analogies that fail"))
    return blocks


def _fact(o: picks.Outcome) -> dict:
    return {"section": o.section, "question": list(o.words), "answers": dict(o.answers)}


def _ranks(wv: WordVectors, o: picks.Outcome) -> dict[str, int]:
    return {m: picks.expected_rank(wv, o, m) for m in METHODS}


def _analogy_text(answered: int, disagree: list, mul_wins: int) -> str:
    text = (
        "An analogy *a : b :: c : ?* is answered with vector arithmetic. *3CosAdd* takes the "
        f"word nearest to `b {MINUS} a + c`; *3CosMul* multiplies the similarities instead of "
        "adding them, so one very close word cannot swamp the other two. The three question "
        "words are never answers."
    )
    if disagree:
        text += (
            f"\n\nThe two methods disagree on {len(disagree)} of the {answered:,} questions; "
            f"3CosMul is the right one on {mul_wins} of them."
        )
    return text


def _analogy_table(outcomes, ranks, name: str, what: str) -> TableBlock:
    header = ["section", "question", "expected", *METHOD_NAMES.values()]
    rows = []
    for i, o in enumerate(outcomes):
        a, b, c, d = o.words
        cells = [o.answers[m] for m in METHODS]
        if ranks is not None:
            cells = [f"{o.answers[m]} ({d}: {_ordinal(ranks[i]['ranks'][m])})" for m in METHODS]
        rows.append([o.section, f"{a} : {b} :: {c} : ?", d, *cells])
    if ranks is None:
        caption = f"{what}: both methods put the expected word first."
    else:
        near = sum(min(r["ranks"].values()) <= 10 for r in ranks)
        caption = (
            f"{what}: what each method answered instead, and where the expected word came "
            f"(1st would have been right). {near} of these {len(outcomes)} expected words "
            "still came within a method's top 10."
        )
    return TableBlock(header, rows, caption, name=name)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


# ----------------------------------------------------------------------------- capitals


def capital_facts(wv: WordVectors, pairs: list[tuple[str, str]]) -> dict:
    """How well the country → capital offsets line up, on unit vectors (as 3CosAdd sees them).

    ``mismatched`` is the same mean cosine with each country paired with another
    country's capital (every shift of the list): the share of the direction that is
    only "country → some city".
    """
    from diaphane.viz.projection import offset_cosines

    s, t = _pair_vectors(wv, pairs)
    shifts = [offset_cosines(s, np.roll(t, r, axis=0)).mean() for r in range(1, len(pairs))]
    return {
        "pairs": [list(p) for p in pairs],
        "mean_cosine": round(float(offset_cosines(s, t).mean()), 4),
        "mismatched_cosine": round(float(np.mean(shifts)), 4) if shifts else None,
    }


def _pair_vectors(wv: WordVectors, pairs: list[tuple[str, str]]) -> tuple:
    countries, capitals = zip(*pairs, strict=True)
    return wv.unit[wv.ids(countries)], wv.unit[wv.ids(capitals)]


def capital_blocks(wv: WordVectors, facts: dict) -> list:
    """The country → capital arrows in a PCA of those words, or a note when too few."""
    from diaphane.viz.projection import PairProjection

    pairs = picks.capital_pairs(wv)
    facts["capitals"] = {"pairs": [list(p) for p in pairs]}
    if len(pairs) < MIN_PAIRS:
        found = ", ".join(f"{a} → {b}" for a, b in pairs) or "none"
        return [Note(
            f"Only {len(pairs)} country → capital pair(s) of the analogy set are in this "
            f"vocabulary ({found}); the projection needs {MIN_PAIRS}, so it is left out. "
            "A larger corpus (the default one) has more.")]  # fmt: skip
    facts["capitals"] = capital_facts(wv, pairs)
    s, t = _pair_vectors(wv, pairs)
    fig = PairProjection.from_vectors(
        [a for a, _ in pairs], [b for _, b in pairs], s, t,
        title="Countries and their capitals (PCA of these words' unit vectors)",
    )  # fmt: skip
    facts["capitals"]["explained"] = [round(x, 4) for x in fig.explained]
    caption = (
        "Each arrow runs from a country to its capital; the dashed arrow is their mean. Look "
        "at whether the arrows point the same way, and hover one for how well it lines up."
    )
    return [Prose(_capital_text(facts["capitals"], wv.dim)),
            FigureBlock("capitals", fig, caption, height=700)]  # fmt: skip


def _capital_text(f: dict, dim: int) -> str:
    n, mean, other = len(f["pairs"]), f["mean_cosine"], f["mismatched_cosine"]
    text = (
        "Mikolov's famous picture: project countries and their capitals to two dimensions "
        "with PCA, draw an arrow from each country to its capital, and the arrows run "
        "nearly parallel: one direction means *the capital of*, the idea behind solving "
        f"analogies by adding offsets. Here are the {n} pairs this vocabulary holds. In all "
        f"{dim} dimensions, each pair's offset has a mean cosine of {mean:.2f} "
        "with the mean offset"
    )
    if other is not None:
        text += (
            f"; pairing each country with *another* country's capital gives {other:.2f}, so "
            f"part of the direction is only *country → city* and {mean - other:+.2f} is "
            "the capital itself"
        )
    explained = sum(f["explained"])
    return text + (
        f".\n\nThe plane keeps {explained:.0%} of these words' variance, so arrows that look "
        "crossed may still be close in the full space: the hover gives the full-space cosine."
    )
