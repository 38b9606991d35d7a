"""The "Language models" section: a table of counts against a network that generalises.

It puts the Kneser-Ney trigram's conditional-probability table for a context (Bengio's
*the fat ___* when the corpus knows it, and contexts chosen by counting) next to
Bengio's neural LM for the same context; scores both, and their mixture, on the test
split; and shows which words the NPLM's embeddings put together, with a measurement of
whether those neighbours really are followed by similar words.

The measurements live in :mod:`diaphane.report.sections._lm_measures`; this module
turns them into blocks and prose.
"""

from __future__ import annotations

import time
from typing import Any

from diaphane.report.document import FigureBlock, Note, Prose, Section, TableBlock
from diaphane.report.run import ReportRun
from diaphane.report.sections import _lm_measures as lm

__all__ = ["ID", "TITLE", "build"]

ID = "language-models"
TITLE = "Language models"
K = 10  # next words per model and context
NEIGHBOURS = 6  # nearest words per probe
POOL = 2000  # neighbours come from the commonest words: rare words' vectors barely moved
SALT = 3  # this section's random stream (the chance baseline)
BENGIO = {"kn": 323, "nplm": 268, "mixture": 252}  # Brown test perplexity, their Table 1
NAMES = ("Kneser-Ney trigram", "neural LM (NPLM)")
WHY = {
    "bengio": "Bengio et al.'s example context.",
    "frequent": "The commonest two-word context of the training text.",
    "once": "From the test text: a context the training text has only once.",
    "unseen": "From the test text: a context the training text never has (both words known).",
}


def build(run: ReportRun) -> Section:
    """Train (or reuse) both language models, measure them, and explain the numbers."""
    split, vocab = run.lm_split
    ngram, nplm = run.ngram(), run.nplm()
    start = time.perf_counter()
    counts = lm.TextCounts(split.train, vocab)
    contexts = [_compare(c, ngram, nplm, counts) for c in lm.choose_contexts(counts, split.test)]
    ppl = lm.lm_perplexities(ngram, nplm, split)
    probes = _probes(nplm, counts, run)
    training = lm.training_summary(nplm, run.models.get("nplm", {}), run.settings["nplm"], counts)
    facts = {
        "contexts": contexts,
        "perplexity": {"valid": ppl.valid, "test": ppl.test, "fifty_fifty": ppl.half},
        "mixture_weight_nplm": ppl.weight,
        "events": ppl.events,
        "unknown_share_test": lm.unknown_share(split.test, vocab),
        "vocabulary": len(vocab),
        "nplm_training": training,
        "probes": probes,
    }
    blocks = [
        Prose(_intro(run, vocab)),
        *_context_blocks(contexts, nplm, counts),
        *_perplexity_blocks(ppl, training, facts),
        *_neighbour_blocks(probes),
    ]
    facts["section_seconds"] = round(time.perf_counter() - start, 2)
    summary = (
        f"test perplexity: KN trigram {ppl.test['kn']:.0f}, NPLM {ppl.test['nplm']:.0f}, "
        f"mixture {ppl.test['mixture']:.0f}"
    )
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


# ----------------------------------------------------------------------------- measuring


def _compare(choice: dict, ngram: Any, nplm: Any, counts: lm.TextCounts) -> dict:
    """Both models' top words after a context, and what the first context word does."""
    ctx = choice["context"]
    kn, nn = ngram.next_words(ctx, K), nplm.next_words(ctx, K)
    nearest = lm.swap_effect(nplm, ctx, POOL)
    return {
        **choice,
        "kn": [[w, p, counts([*ctx, w])] for w, p in kn],
        "nplm": [[w, p, counts([*ctx, w])] for w, p in nn],
        "shared": len({w for w, _ in kn} & {w for w, _ in nn}),
        "kn_backoff_tv": lm.total_variation(ngram.distribution(ctx), ngram.distribution(ctx[1:])),
        **nearest,
    }


def _probes(nplm: Any, counts: lm.TextCounts, run: ReportRun) -> list[dict]:
    words, vectors = nplm.vectors()
    chosen = lm.choose_probes(counts)
    near = lm.nearest_words(words, vectors, [w for _, w in chosen], NEIGHBOURS, POOL)
    rng = run.rng(SALT)
    out = []
    for kind, word in chosen:
        pairs = [(word, n) for n, _ in near[word]]
        alike, chance = lm.successor_similarity(counts, pairs, rng, POOL)
        out.append({"kind": kind, "word": word, "count": counts([word]),
                    "neighbours": [[w, s] for w, s in near[word]], "alike": alike,
                    "chance": chance})  # fmt: skip
    return out


# ----------------------------------------------------------------------------- writing


def _intro(run: ReportRun, vocab: Any) -> str:
    s = run.settings["nplm"]
    return (
        "A language model gives a probability to every word that could come next. "
        "The *n-gram* model does it by counting: the Kneser-Ney trigram looks up how often each "
        "word followed the last two words in the training text, discounts those counts a little "
        "and gives the mass it saved to a shorter context (*backing off*) for the words it "
        "never saw there.\n\n"
        f"Bengio et al.'s *neural probabilistic language model* (NPLM, 2003) turns each of the "
        f"last {s['order'] - 1} words into a learned vector of {s['dim']} numbers and lets a "
        f"small network ({s['hidden']} hidden units) map them to the next word's "
        "probabilities. Words that occur in similar contexts end up with similar vectors, so "
        "what it learned from *the cat is walking* also helps with *a dog was running*. "
        f"Both models here share one vocabulary of {len(vocab):,} words (rarer words are "
        "`<unk>`) and were trained on the same 80% of the documents."
    )


def _context_blocks(contexts: list[dict], nplm: Any, counts: lm.TextCounts) -> list:
    from diaphane.viz.next_words import NextWords, NextWordsContext

    blocks: list[Any] = []
    if not any(c["why"] == "bengio" for c in contexts):
        blocks.append(Note(_no_fat(counts)))
    elif contexts[0]["seen"] < 5:
        n = contexts[0]["seen"]
        blocks.append(Note(
            f"*the fat* occurs {_times(n)} in this training text, too rarely for a table of "
            "counts, so a second table and the figure show contexts this corpus does have."
        ))  # fmt: skip
    blocks.append(_table(contexts[0], nplm))
    if contexts[0]["why"] == "bengio" and contexts[0]["seen"] < 5:
        blocks.append(_table(contexts[1], nplm, "ngram-table-frequent"))
    panels = [
        NextWordsContext(c["context"], c["seen"], [_rows(c["kn"]), _rows(c["nplm"])],
                         WHY[c["why"]])
        for c in contexts
    ]  # fmt: skip
    figure = NextWords(list(NAMES), panels, title="What comes next: counts vs. a network")
    caption = _figure_caption(nplm.order - 1)
    blocks.append(FigureBlock("next-words", figure, caption, height=620))
    blocks.append(Prose(_context_prose(contexts)))
    return blocks


def _rows(rows: list) -> list[tuple[str, float, int | None]]:
    return [(w, p, n) for w, p, n in rows]


def _no_fat(counts: lm.TextCounts) -> str:
    missing = [w for w in ("the", "fat") if w not in counts.vocab]
    return (
        f"Bengio's example *the fat ___* cannot be shown: *{missing[0]}* is too rare in this "
        "corpus to have its own entry in the vocabulary (it became `<unk>`), so the contexts "
        "below were chosen by counting instead."
    )


def _table(c: dict, nplm: Any, name: str = "ngram-table") -> TableBlock:
    ctx = " ".join(c["context"])
    dist = nplm.distribution(c["context"])
    rows = [[r, w, n, p, float(dist[nplm.vocab[w]])] for r, (w, p, n) in enumerate(c["kn"], 1)]
    return TableBlock(
        ["rank", "next word w", f"count of “{ctx} w”", "trigram p(w | ctx)", "NPLM p(w | ctx)"],
        rows,
        caption=(
            f"The trigram's conditional-probability table after *{ctx}* (seen "
            f"{_times(c['seen'])} in training), its {K} likeliest words, and what the NPLM gives "
            "the same words. Where the count is 0 the trigram's probability came from backing off."
        ),
        name=name,
    )


def _figure_caption(reads: int) -> str:
    return (
        "Each model's ten likeliest next words (`<unk>` stands for every word too rare for the "
        "vocabulary); pick a context in the menu. Look at how much of "
        "the trigram's list repeats words that followed the context in training (hover: the "
        "count), and whether the NPLM's lists for the rare contexts resemble each other. The "
        f"NPLM reads {reads} words, so the two context words are given it at a sentence's start."
    )


def _context_prose(contexts: list[dict]) -> str:
    parts = [_describe_context(c) for c in contexts]
    return "\n\n".join(p for p in parts if p)


def _describe_context(c: dict) -> str:
    ctx, first = " ".join(c["context"]), c["context"][0]
    kn, nn = _top_word(c["kn"]), _top_word(c["nplm"])
    head = (
        f"After *{ctx}*, leaving `<unk>` aside, the trigram's likeliest word is *{kn[0]}* "
        f"(p = {kn[1]:.3f}) and the NPLM's *{nn[0]}* (p = {nn[1]:.3f}); their top-{K} lists "
        f"share {c['shared']} words."
    )
    similar = ""
    if c["context"][0] == "the" and c["with_a"]:
        similar = f" (but *a {c['context'][1]}* {_times(c['with_a'])})"
    if c["seen"] == 0:
        tail = (
            f" The training text never has *{ctx}*{similar}, so the trigram backs off "
            f"completely: its distribution is the one after *{c['context'][-1]}* alone (they "
            f"differ by {c['kn_backoff_tv']:.3f} of probability mass), and *{first}* plays no "
            "part. The NPLM still reads it: "
        )
    elif c["seen"] <= 3:
        followed = sum(n > 0 for _, _, n in c["kn"])
        tail = (
            f" *{ctx}* occurs only {_times(c['seen'])} in training{similar}; of the trigram's "
            f"top {K} words, {followed} followed it there, so a handful of counts decide its "
            "list. The NPLM leans on what it learned from similar words: "
        )
    else:
        tail = (
            f" *{ctx}* is common ({_times(c['seen'])} in training), so the trigram's list rests "
            "on many counts. For the NPLM, "
        )
    swap = (
        f"swapping *{first}* for its nearest word in vector space, *{c['swap_word']}*, moves "
        f"{c['swap_tv']:.3f} of its probability mass, against {c['swap_tv_common']:.3f} on "
        "average for the 50 commonest words in its place."
    )
    return head + tail + swap


def _top_word(rows: list) -> tuple[str, float]:
    return next(((w, p) for w, p, _ in rows if w != "<unk>"), (rows[0][0], rows[0][1]))


def _perplexity_blocks(ppl: Any, training: dict, facts: dict) -> list:
    t, v, w = ppl.test, ppl.valid, ppl.weight
    best = min(range(3), key=lambda i: [t["kn"], t["nplm"], t["mixture"]][i])
    table = TableBlock(
        ["model", "valid perplexity", "test perplexity"],
        [
            [NAMES[0], v["kn"], t["kn"]],
            [NAMES[1], v["nplm"], t["nplm"]],
            [f"mixture: {1 - w:.2f} trigram + {w:.2f} NPLM", v["mixture"], t["mixture"]],
            ["mixture 0.50 / 0.50 (Bengio et al.'s)", ppl.half["valid"], ppl.half["test"]],
        ],
        caption=(
            f"Perplexity: e to the average surprise per word, over {ppl.events['test']:,} test "
            f"events (every word and each sentence's end); lower is better. The mixture weight is "
            f"the one that makes the {ppl.events['valid']:,} validation events likeliest."
        ),
        highlight=[(best, 2)],
        name="perplexity",
    )
    return [Prose(_perplexity_intro()), table, Prose(_bengio_prose(ppl, training, facts))]


def _perplexity_intro() -> str:
    return (
        "*Perplexity* measures how surprised a model is by text it never saw: a perplexity of "
        "100 means that, on average, the model was as unsure as if it had to pick among 100 "
        "equally likely words. A *mixture* averages the two models' probabilities for every "
        "word, with a weight chosen on the validation text."
    )


def _bengio_prose(ppl: Any, training: dict, facts: dict) -> str:
    t, w = ppl.test, ppl.weight
    paper = (
        "Bengio et al. (2003, Table 1) trained their network on the Brown corpus for many epochs; "
        f"on its test text the best network alone reached perplexity {BENGIO['nplm']} against "
        f"{BENGIO['kn']} for a Kneser-Ney trigram (17% lower), and mixing the two gave "
        f"{BENGIO['mixture']} (22% lower), better than either."
    )
    ours = (
        f"Here the NPLM trained for {_seconds(training)} and saw about "
        f"{training['examples_seen']:,} examples, {training['epochs']:.2f} of a pass over its "
        f"{training['training_events']:,} training events. Its test perplexity is "
        f"{t['nplm']:.1f}, {_compare_to(t['nplm'], t['kn'])} the trigram's {t['kn']:.1f}."
    )
    if t["mixture"] < min(t["kn"], t["nplm"]):
        mix = (
            f" Mixed with weight {w:.2f} on the NPLM it gives {t['mixture']:.1f}, "
            f"{_compare_to(t['mixture'], t['kn'])} the trigram's: better than both, as Bengio "
            "found. The network "
            "makes different mistakes from the counts, and averaging helps where one of them is "
            "confidently wrong."
        )
    else:
        mix = (
            f" The best mixture (weight {w:.2f} on the NPLM) gives {t['mixture']:.1f}: on this "
            "run the network adds nothing the counts lack."
        )
    caveat = (
        " Perplexities of different corpora and vocabularies do not compare: this one has "
        f"{facts['vocabulary']:,} words and {facts['unknown_share_test']:.1%} of the test words "
        "are `<unk>`, which is easy to predict."
    )
    return paper + "\n\n" + ours + mix + caveat


def _neighbour_blocks(probes: list[dict]) -> list:
    if not probes:
        return [Note(
            "None of the probe words (*he*, *said*, *two*, *city*, ...) occurs 20 times in this "
            "training text, so the NPLM's word vectors are not shown; an English corpus of some "
            "tens of thousands of words has them.",
            kind="warning",
        )]  # fmt: skip
    rows = [
        [p["kind"], p["word"], p["count"],
         ", ".join(f"{w} ({s:.2f})" for w, s in p["neighbours"]), p["alike"], p["chance"]]
        for p in probes
    ]  # fmt: skip
    table = TableBlock(
        ["kind", "word", "count", f"{NEIGHBOURS} nearest words (cosine)",
         "next-word similarity: neighbours", "…: random words"],
        rows,
        caption=(
            f"The NPLM's embedding neighbours of common words (searched among the {POOL:,} "
            "commonest words). The last two columns compare the words that follow each word in "
            "the training text (cosine of the counts): with its neighbours, and with random words "
            "of about the same frequency."
        ),
        name="neighbours",
    )  # fmt: skip
    return [Prose(_neighbour_intro()), table, Prose(_neighbour_prose(probes))]


def _neighbour_intro() -> str:
    return (
        "The NPLM's first layer is a table of word vectors. It has no notion of meaning; it was "
        "only pushed to predict next words. Words that predict the same next words are pushed "
        "towards the same place, so the nearest vectors (by cosine, the angle between them) "
        "should belong to words used alike."
    )


def _neighbour_prose(probes: list[dict]) -> str:
    alike = sum(p["alike"] for p in probes) / len(probes)
    chance = sum(p["chance"] for p in probes) / len(probes)
    better = sum(p["alike"] > p["chance"] for p in probes)
    head = (
        f"Over these {len(probes)} words, the words that follow a word and those that follow its "
        f"vector-space neighbours have similarity {alike:.2f} on average, against {chance:.2f} "
        f"for random words of the same frequency; the neighbours win for {better} of "
        f"{len(probes)}."
    )
    if alike <= 1.2 * chance or 2 * better <= len(probes):
        return head + (
            " That is about chance: in so short a training the vectors have barely moved from "
            "their random start, so nearness in this table means little yet (a larger "
            "`--budget` trains longer)."
        )
    clear = [p for p in probes if p["alike"] >= 1.5 * p["chance"]]
    weak = [p for p in probes if p["alike"] < 1.5 * p["chance"]]
    out = [head]
    if clear:
        out.append(
            f" Clearest: {_listing(clear)}. Their neighbours are followed by the same words as "
            "they are: the distributed representation Bengio et al. argued for, found by "
            "gradient descent alone."
        )
    if weak:
        words = ", ".join(f"*{p['word']}*" for p in weak)
        out.append(
            f" For {words} the neighbours are little better than chance: so short a training "
            "has not sorted them yet (a larger `--budget` trains longer)."
        )
    return "".join(out)


def _listing(probes: list[dict]) -> str:
    return "; ".join(
        f"*{p['word']}* ({', '.join(w for w, _ in p['neighbours'][:3])})" for p in probes
    )


def _times(n: int) -> str:
    return {0: "0 times", 1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _compare_to(x: float, y: float) -> str:
    """``x`` against ``y`` in words: "12% below", "3.4 times"."""
    if x >= 2 * y:
        return f"{x / y:.1f} times"
    return f"{abs(x / y - 1):.0%} {'above' if x > y else 'below'}"


def _seconds(training: dict) -> str:
    budget = f"a budget of {training['budget_seconds']:g} s"
    if training.get("cached"):
        return f"{budget} (in an earlier run; reused from the cache)"
    return f"{budget} ({training['steps']:,} steps, stopped by: {training['stopped'] or 'done'})"
