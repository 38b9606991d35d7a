"""The sentiment section: which words the bag-of-words network put together, and its map.

Trask's lesson: after training, the input-to-hidden rows of the sentiment network
(:class:`diaphane.models.sentiment.SentimentNetwork`) are word vectors, and the
words nearest to *excellent* by the *dot product* of those rows are other strong
words of praise. The section shows those lists beside the cosine's (with how many
training reviews stand behind the words each lists), how much of the rows' spread
lies along one direction, any accuracy the model folder records, and a t-SNE map
of the most polar words, coloured by their positive/negative log ratio, with
dot-product neighbours on hover.

Entry points: :func:`build`, :func:`probe_words`, :func:`map_words`,
:func:`dot_neighbours`, :func:`line_share`, :func:`map_sign_agreement`,
:func:`recorded_accuracy`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diaphane.errors import DiaphaneError
from diaphane.report.document import FigureBlock, Metric, Note, Prose, Section, TableBlock
from diaphane.vectors import WordVectors, most_similar, nearest, tsne_map

__all__ = [
    "ID",
    "TITLE",
    "build",
    "dot_neighbours",
    "line_share",
    "map_sign_agreement",
    "map_words",
    "min_reviews_for",
    "probe_words",
    "recorded_accuracy",
]

ID = "sentiment"
TITLE = "What the sentiment network learned"
PROBES = ("excellent", "terrible")
K = 10  # neighbours listed per probe word
MAP_WORDS = 1500  # t-SNE: ~6 s on two busy cores (2,000 words took 11 s there)
QUICK_MAP_WORDS = 300  # ~2 s
MAP_NEIGHBOURS = 8
SCORE_NAME = "positive/negative log ratio"


def build(run: Any) -> Section:
    """The section for ``run``'s sentiment network."""
    net = run.sentiment()
    wv = net.word_vectors()
    n_reviews = int(net.n_pos + net.n_neg)
    min_reviews = min_reviews_for(n_reviews)
    facts: dict = {"words": len(wv), "hidden": int(net.config.hidden),
                   "training_reviews": n_reviews, "min_reviews": min_reviews}  # fmt: skip
    blocks: list = [_intro(net, wv, facts)]
    blocks += accuracy_blocks(net.info, facts)
    blocks += neighbour_blocks(wv, min_reviews, facts)
    n_map = QUICK_MAP_WORDS if run.quick else MAP_WORDS
    blocks += map_blocks(wv, n_map, min_reviews, run.seed, facts)
    summary = f"{len(wv):,} words, {net.config.hidden} hidden units: neighbours and a polarity map"
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


def min_reviews_for(n_reviews: int) -> int:
    """Words must appear in this many training reviews for their log ratio to mean
    something: 10 of movie_reviews' 1,800, fewer for a small sample (at least 2)."""
    return max(2, min(10, n_reviews // 100))


# ----------------------------------------------------------------------------- the network


def line_share(matrix: Any) -> float:
    """The share of the rows' squared length along their main direction (first singular
    vector, uncentred: the rows start at the origin and training moves them along it)."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    total = float(np.sum(s**2))
    return float(s[0] ** 2 / total) if total > 0 else 0.0


def _intro(net: Any, wv: WordVectors, facts: dict) -> Prose:
    share = line_share(wv.matrix)
    facts["line_share"] = round(share, 4)
    return Prose(
        f"The network reads a review as the *set* of its words. Each of its {len(wv):,} known "
        f"words owns a row of {net.config.hidden} input-to-hidden weights; the hidden layer is "
        "the sum of the rows of the words present, and one sigmoid unit turns that into the "
        "probability that the review is positive.\n\n"
        "Every row gets the same kind of nudge in training — towards the output weights for "
        "words of positive reviews, away from them for negative ones — so the rows should line "
        f"up on one line. {_line_sentence(share)}"
    )


def _line_sentence(share: float) -> str:
    if share >= 0.5:
        return (
            f"They do: {share:.1%} of their spread lies along a single direction, and a row's "
            "place on that line is how hard the word pushes the verdict."
        )
    return (
        f"Only {share:.1%} of their spread lies along one direction here: most rows are still "
        "near their random start (too few reviews, or too little training, to move them)."
    )


def recorded_accuracy(info: dict, prefix: str = "") -> list[tuple[str, float, float | None]]:
    """Every accuracy the model folder's ``config.json`` records, as ``(label, percent,
    spread)``: a ``cross_validation`` entry (``{"folds", "accuracy", "std"}``, as
    ``docs/make_default_sentiment.py`` writes it) and any other number under a key naming
    an accuracy; fractions in [0, 1] are read as shares.

    >>> recorded_accuracy({"cross_validation": {"folds": 10, "accuracy": 0.75, "std": 0.01}})
    [('10-fold cross-validated accuracy', 75.0, 1.0)]
    """
    found: list[tuple[str, float, float | None]] = []
    for key, value in (info or {}).items():
        label = f"{prefix} {key}".strip().replace("_", " ")
        if key == "cross_validation" and isinstance(value, dict) and _number(value.get("accuracy")):
            std: Any = value.get("std")
            found.append((f"{value.get('folds', 'k')}-fold cross-validated accuracy",
                          _percent(float(value["accuracy"])),
                          _percent(float(std)) if _number(std) else None))  # fmt: skip
        elif isinstance(value, dict):
            found += recorded_accuracy(value, label)
        elif _number(value) and "accuracy" in label:
            found.append((label, _percent(float(value)), None))
    return found


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x == x


def _percent(x: float) -> float:
    return 100 * float(x) if 0 <= x <= 1 else float(x)


def accuracy_blocks(info: dict, facts: dict) -> list:
    """The accuracy the network's folder records, as metrics, or a note that it has none."""
    acc = recorded_accuracy(info)
    facts["recorded_accuracy"] = {
        k: {"percent": round(v, 2), "spread": None if s is None else round(s, 2)} for k, v, s in acc
    }
    if not acc:
        return [Note("This network's folder records no held-out accuracy, so none is shown.")]
    items = [(k, f"{v:.1f}%" + ("" if s is None else f" ± {s:.1f}")) for k, v, s in acc]
    return [Metric(items)]


# ----------------------------------------------------------------------------- neighbours


def probe_words(wv: WordVectors, min_reviews: int) -> tuple[list[str], bool]:
    """*excellent* and *terrible* when known; else the most positive and most negative
    words seen in ``min_reviews`` reviews. Returns the words and whether they stand in."""
    if all(w in wv for w in PROBES):
        return list(PROBES), False
    ok = np.flatnonzero(_often(wv, min_reviews) & np.isfinite(_scores(wv)))
    if len(ok) < 2:
        ok = np.flatnonzero(np.isfinite(_scores(wv)))
    order = ok[np.argsort(-_scores(wv)[ok], kind="stable")]
    return [wv.words[order[0]], wv.words[order[-1]]], True


def _scores(wv: WordVectors) -> np.ndarray:
    """The per-word log ratios (``WordVectors.from_model`` of a sentiment network has them)."""
    if wv.scores is None:
        raise DiaphaneError("These word vectors carry no positive/negative log ratio.")
    return wv.scores


def _often(wv: WordVectors, min_reviews: int) -> np.ndarray:
    if wv.counts is None:
        return np.ones(len(wv), dtype=bool)
    return wv.counts >= min_reviews


def neighbour_blocks(wv: WordVectors, min_reviews: int, facts: dict) -> list:
    """The nearest words to the two probes by dot product and by cosine, side by side."""
    probes, stand_in = probe_words(wv, min_reviews)
    blocks: list = []
    if stand_in:
        blocks.append(Note(
            f"This network does not know *{PROBES[0]}* and *{PROBES[1]}*; its most positive "
            f"and most negative words (seen in {min_reviews}+ reviews) stand in: "
            f"*{probes[0]}* and *{probes[1]}*."))  # fmt: skip
    lists = {f"{w} {m}": most_similar(wv, w, K, m) for w in probes for m in ("dot", "cosine")}
    signs = {w: np.sign(_scores(wv)[wv.id(w)]) for w in probes}
    facts["probes"] = probes
    facts["neighbours"] = {c: [[x, round(v, 4)] for x, v in near] for c, near in lists.items()}
    facts["sign_agreement"] = {
        c: _agreement(wv, near, signs[c.split(" ")[0]]) for c, near in lists.items()
    }
    facts["median_reviews"] = {c: _median_reviews(wv, near) for c, near in lists.items()}
    blocks.append(Prose(_neighbour_text(probes, facts, lists)))
    blocks.append(_neighbour_table(wv, probes, lists, signs))
    return blocks


def _agreement(wv: WordVectors, near: list, sign: float) -> float:
    """The share of ``near`` whose log ratio has the sign ``sign``."""
    return round(float(np.mean([np.sign(_scores(wv)[wv.id(x)]) == sign for x, _ in near])), 4)


def _median_reviews(wv: WordVectors, near: list) -> float | None:
    """The median number of training reviews that hold the words of ``near``."""
    if wv.counts is None or not near:
        return None
    return float(np.median(wv.counts[wv.ids([x for x, _ in near])]))


def _neighbour_text(probes: list[str], facts: dict, lists: dict) -> str:
    good, bad = probes
    med, agree = facts["median_reviews"], facts["sign_agreement"]
    cos = np.mean([v for c, near in lists.items() if c.endswith("cosine") for _, v in near])
    text = f"Trask's lesson: ask which words' rows are nearest to *{good}*'s and to *{bad}*'s."
    if med[f"{good} dot"] is not None:
        text += (
            f" By the dot product, the {K} nearest appear in a median of "
            f"{med[f'{good} dot']:,.0f} and {med[f'{bad} dot']:,.0f} training reviews; by the "
            f"cosine, in {med[f'{good} cosine']:,.0f} and {med[f'{bad} cosine']:,.0f}."
        )
    dot = (agree[f"{good} dot"] + agree[f"{bad} dot"]) / 2
    cosine = (agree[f"{good} cosine"] + agree[f"{bad} cosine"]) / 2
    if dot == cosine:
        text += (
            f" Both get the side right as often ({dot:.0%} of the listed words lean the "
            "probe's way): what differs is how much evidence stands behind the words."
        )
    else:
        text += (
            f" {dot:.0%} of the dot product's words lean the probe's way, {cosine:.0%} of "
            "the cosine's."
        )
    return text + (
        "\n\nWhy the dot product: rows on one line point one way or the other, so the cosine "
        f"of two same-sign words is close to 1 for nearly all of them ({cos:.4f} on average "
        "over the listed neighbours) and it ranks them by what is left off the line, which for "
        "a word seen in few reviews is mostly the noise of its few updates. The dot product "
        "also weighs how far along the line a word sits: how strongly, and how consistently, "
        "it pushes the verdict."
    )


def _neighbour_table(wv: WordVectors, probes: list[str], lists: dict, signs: dict) -> TableBlock:
    cols = [(w, m) for w in probes for m in ("dot", "cosine")]
    header = [f"{w} · {m}" for w, m in cols]
    n = len(lists[f"{probes[0]} dot"])
    rows = [[_cell(lists[f"{w} {m}"][i], m) for w, m in cols] for i in range(n)]
    wrong = [
        (i, j)
        for j, (w, m) in enumerate(cols)
        for i, (x, _) in enumerate(lists[f"{w} {m}"])
        if np.sign(_scores(wv)[wv.id(x)]) != signs[w]
    ]
    caption = (
        f"The {K} nearest words to each probe by the dot product and by the cosine of the "
        "input-to-hidden rows (the score in brackets). Highlighted: words whose log ratio has "
        "the other sign — they lean the wrong way."
    )
    return TableBlock(header, rows, caption, highlight=wrong, name="neighbours")


def _cell(pair: tuple[str, float], metric: str) -> str:
    word, score = pair
    # Cosines of rows on one line differ in the fourth decimal; dot products in the first.
    return f"{word} ({score:.4f})" if metric == "cosine" else f"{word} ({score:.2f})"


# ----------------------------------------------------------------------------- the map


def map_words(wv: WordVectors, n: int, min_reviews: int) -> WordVectors:
    """The ``n`` words with the largest |log ratio| among those seen in ``min_reviews``
    reviews, most frequent first (so the words a reader knows get labels first)."""
    ok = np.flatnonzero(_often(wv, min_reviews) & np.isfinite(_scores(wv)))
    ids = ok[np.argsort(-np.abs(_scores(wv)[ok]), kind="stable")[:n]]
    if wv.counts is not None:
        ids = ids[np.argsort(-wv.counts[ids], kind="stable")]
    return wv.take(ids)


def dot_neighbours(wv: WordVectors, k: int) -> np.ndarray:
    """Each word's ``k`` nearest other words of ``wv`` by dot product, nearest first."""
    own = np.arange(len(wv))[:, None]
    ids, _ = nearest(wv, wv.matrix, min(k + 1, len(wv)), "dot", exclude=own)
    return ids[:, : min(k, len(wv) - 1)]


def map_sign_agreement(xy: Any, scores: Any, k: int = MAP_NEIGHBOURS) -> float:
    """The share of each point's ``k`` nearest points on the map whose score has its sign."""
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=np.float64)
    k = min(k, len(xy) - 1)
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    sign = np.sign(np.asarray(scores, dtype=np.float64))
    near = np.asarray(idx).reshape(len(xy), k + 1)[:, 1:]  # the point itself comes first
    return float(np.mean(sign[near] == sign[:, None]))


def map_blocks(wv: WordVectors, n: int, min_reviews: int, seed: int, facts: dict) -> list:
    """The t-SNE map of the most polar words, coloured by their log ratio."""
    from diaphane.viz.embedding_map import EmbeddingMap

    chosen = map_words(wv, n, min_reviews)
    if len(chosen) < 10:
        return [Note(f"Only {len(chosen)} words were seen in {min_reviews}+ reviews: no map.")]
    # Euclidean t-SNE, as in the lesson: a row's length is the word's strength, which the
    # cosine would throw away.
    m = tsne_map(chosen, seed=seed, metric="euclidean")
    scores = _scores(chosen)
    facts["map"] = {"words": len(chosen), "positive": int(np.sum(scores > 0)),
                    "negative": int(np.sum(scores < 0)),
                    "same_sign_on_map": round(map_sign_agreement(m.xy, scores), 4)}  # fmt: skip
    fig = EmbeddingMap(
        chosen.words, m.xy, scores=chosen.scores, neighbours=dot_neighbours(chosen, MAP_NEIGHBOURS),
        title="The sentiment network's word vectors (t-SNE)", score_name=SCORE_NAME,
        description=f"The {len(chosen):,} most polar words seen in {min_reviews}+ training "
        "reviews; neighbours by dot product of the rows.",
    )  # fmt: skip
    caption = (
        "Blue words made a review likelier to be positive, orange ones negative (the log ratio of "
        "the share of positive to negative training reviews containing them). Look for the two "
        "sides pulling apart; hover a word for its nearest words by dot product, or search one."
    )
    return [Prose(_map_text(facts["map"], min_reviews, facts.get("line_share", 0.0))),
            FigureBlock("map", fig, caption, height=fig.iframe_height)]  # fmt: skip


def _map_text(f: dict, min_reviews: int, line: float) -> str:
    same = f["same_sign_on_map"]
    positive = f["positive"] / max(f["words"], 1)
    chance = positive**2 + (1 - positive) ** 2  # same sign for two words drawn at random
    return (
        f"The map places the {f['words']:,} most polar words seen in at least {min_reviews} "
        f"training reviews ({f['positive']:,} positive, {f['negative']:,} negative) with t-SNE, "
        "which keeps words with near rows near each other in the plane. Their colour is not "
        "what the network learned but what the data says: the log ratio of a word's share of "
        "positive to negative reviews.\n\n"
        f"If the rows learned that polarity, the colours sort into regions. On this map "
        f"{same:.0%} of each word's {MAP_NEIGHBOURS} nearest points share its sign, against "
        f"{chance:.0%} for words placed at random."
        + (
            " Because the rows lie almost on one line, expect a ribbon running from the most "
            "negative words to the most positive rather than separate clusters."
            if line >= 0.9
            else ""
        )
    )
