"""The report's first section: the corpus, its word counts, and how examples are cut from it.

It measures the corpus (documents, sentences, tokens, word types, the language models'
vocabulary), draws Zipf's law for it, shows a real sentence cut into a language
model's sliding-window examples, and masks real sentences as BERT and SpanBERT do,
with the span lengths measured over many passages against their distribution.

Entry points: :func:`build`, :func:`corpus_stats`, :func:`passages`, :func:`masking_study`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diaphane.errors import UsageError
from diaphane.report.document import FigureBlock, Metric, Note, Prose, Section
from diaphane.report.run import ReportRun
from diaphane.text.masking import (
    ACTIONS,
    MaskedExample,
    bert_mask,
    clipped_geometric_mean,
    span_mask,
)
from diaphane.text.vocab import BOS, EOS, UNK
from diaphane.viz.masking import MaskingFigure
from diaphane.viz.windows import TrainingWindows
from diaphane.viz.zipf import ZipfPlot, fit_zipf, rank_counts

__all__ = ["ID", "TITLE", "MaskingStudy", "build", "corpus_stats", "masking_study", "passages"]

ID = "data"
TITLE = "The data"

ZIPF_MIN_COUNT = 5
PASSAGE_WORDS = 128  # BERT pre-trains mostly on 128-token sequences
PASSAGES = {True: 1500, False: 5000}  # passages masked for the histogram: quick, full
SAMPLES = 5  # sentences shown masked both ways
SAMPLE_WORDS = (18, 40)
WINDOW_WORDS = (7, 13)
SPAN_P, SPAN_MAX = 0.2, 10


# ----------------------------------------------------------------------------- measuring


def corpus_stats(run: ReportRun) -> dict:
    """Documents, sentences, tokens and word types of the corpus; the LM vocabulary size."""
    documents = run.corpus["documents"]
    _, vocab = run.lm_split
    return {
        "documents": len(documents),
        "sentences": len(run.sentences),
        "tokens": sum(len(s) for s in run.sentences),
        "types": len({w for s in run.sentences for w in s}),
        "lm_vocab": len(vocab),
    }


def passages(documents: Sequence[Sequence[Sequence[str]]], size: int) -> list[list[str]]:
    """Consecutive sentences of each document joined into passages of at most ``size`` words
    (a longer sentence stands alone), as masked LMs are trained on packed sequences."""
    out: list[list[str]] = []
    for doc in documents:
        current: list[str] = []
        for sentence in doc:
            if current and len(current) + len(sentence) > size:
                out.append(current)
                current = []
            current = current + list(sentence)
        if current:
            out.append(current)
    return out


@dataclass
class MaskingStudy:
    """Masking measured over many passages, and sample sentences masked both ways."""

    samples: list[tuple[MaskedExample, MaskedExample]]
    span_lengths: np.ndarray
    passages: int
    tokens: int
    bert_chosen: int
    span_chosen: int
    bert_actions: dict[str, int]
    span_actions: dict[str, int]

    def facts(self) -> dict:
        def shares(counts: dict[str, int]) -> dict[str, float]:
            total = max(1, sum(counts.values()))
            return {a: round(counts[a] / total, 4) for a in ACTIONS}

        return {
            "passage_words": PASSAGE_WORDS,
            "passages": self.passages,
            "tokens": self.tokens,
            "bert": {
                "rate": round(self.bert_chosen / self.tokens, 4),
                "actions": shares(self.bert_actions),
            },
            "spanbert": {
                "p": SPAN_P,
                "max_len": SPAN_MAX,
                "spans": int(self.span_lengths.size),
                "mean_length": round(float(self.span_lengths.mean()), 3),
                "theory_mean_length": round(clipped_geometric_mean(SPAN_P, SPAN_MAX), 3),
                "rate": round(self.span_chosen / self.tokens, 4),
                "actions": shares(self.span_actions),
            },
        }


def _pick(
    sentences: list[list[str]], lo: int, hi: int, k: int, rng: np.random.Generator
) -> list[list[str]]:
    """Up to ``k`` distinct sentences of ``lo … hi`` words (any lengths when none fit)."""
    pool = [s for s in sentences if lo <= len(s) <= hi] or [s for s in sentences if s]
    chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    return [pool[i] for i in sorted(chosen)]


def masking_study(run: ReportRun, vocabulary: Sequence[str]) -> MaskingStudy:
    """Mask a seeded sample of passages both ways (the measurements) and a few sentences
    (the pictures); random replacements come from ``vocabulary``."""
    rng = run.rng(11)
    every = passages(run.corpus["documents"], PASSAGE_WORDS)
    take = min(PASSAGES[run.quick], len(every))
    sample = [every[i] for i in sorted(rng.choice(len(every), size=take, replace=False))]
    lengths: list[int] = []
    tokens = bert_chosen = span_chosen = 0
    bert_actions = dict.fromkeys(ACTIONS, 0)
    span_actions = dict.fromkeys(ACTIONS, 0)
    for words in sample:
        b = bert_mask(words, vocabulary, rng)
        s = span_mask(words, vocabulary, rng, p=SPAN_P, max_len=SPAN_MAX)
        tokens += len(words)
        bert_chosen += len(b.positions)
        span_chosen += len(s.positions)
        lengths += [stop - start for start, stop in s.spans]
        for a in b.actions:
            bert_actions[a] += 1
        for a in s.actions:
            span_actions[a] += 1
    shown = _pick(run.sentences, *SAMPLE_WORDS, SAMPLES, run.rng(12))
    pictures = _mask_both_ways(shown, vocabulary, run.rng(13))
    return MaskingStudy(
        pictures,
        np.asarray(lengths, dtype=np.int64),
        len(sample),
        tokens,
        bert_chosen,
        span_chosen,
        bert_actions,
        span_actions,
    )


def _mask_both_ways(
    sentences: list[list[str]], vocabulary: Sequence[str], rng: np.random.Generator
) -> list[tuple[MaskedExample, MaskedExample]]:
    """Each sentence masked BERT's way and SpanBERT's way."""
    return [
        (bert_mask(s, vocabulary, rng), span_mask(s, vocabulary, rng, p=SPAN_P, max_len=SPAN_MAX))
        for s in sentences
    ]


def _window_sentence(run: ReportRun) -> list[str]:
    """A short real sentence as the LM sees it: words outside its vocabulary become <unk>."""
    _, vocab = run.lm_split
    short = [s for s in run.sentences if WINDOW_WORDS[0] <= len(s) <= WINDOW_WORDS[1]]
    known = [s for s in short if all(w in vocab for w in s)]
    sentence = _pick(known or short or run.sentences, 1, 10**9, 1, run.rng(10))[0]
    return [w if w in vocab else UNK for w in sentence]


# ----------------------------------------------------------------------------- the section


def build(run: ReportRun) -> Section:
    """The data section: corpus numbers, Zipf's law, sliding windows, masked-LM examples."""
    run.status("data: counting words")
    stats = corpus_stats(run)
    if stats["tokens"] == 0:
        raise UsageError("the corpus holds no words to describe")
    words, counts = rank_counts(run.sentences)
    fit = fit_zipf(counts, ZIPF_MIN_COUNT)
    _, vocab = run.lm_split
    order = run.settings["ngram"]["order"]
    window = _window_sentence(run)
    run.status("data: masking passages")
    study = masking_study(run, [w for w in vocab.words if w not in (UNK, BOS, EOS)])
    facts = {
        **stats,
        "lm_settings": {k: run.settings["lm"][k] for k in ("min_count", "max_vocab")},
        "zipf": {
            "slope": round(fit.slope, 4),
            "intercept": round(fit.intercept, 4),
            "fit_ranks": [fit.lo, fit.hi],
            "min_count": ZIPF_MIN_COUNT,
            "top": [[w, int(c)] for w, c in zip(words[:10], counts[:10], strict=True)],
        },
        "window": {"order": order, "sentence": window, "examples": len(window) + 1},
        "masking": study.facts(),
    }
    blocks = [
        *_intro(run, stats),
        *_zipf_blocks(words, counts, fit, stats),
        *_window_blocks(window, order, run),
        *_masking_blocks(study),
    ]
    summary = (
        f"{stats['tokens']:,} tokens in {stats['documents']:,} documents; "
        f"Zipf slope {fit.slope:.2f}; SpanBERT spans average "
        f"{facts['masking']['spanbert']['mean_length']:.2f} words"
    )
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


def _intro(run: ReportRun, stats: dict) -> list:
    names = " + ".join(run.corpus["names"])
    s = run.settings["lm"]
    return [
        Prose(
            f"Every model in this report learns from the same text: the *{names}* corpus, "
            "lower-cased, split into sentences and words, punctuation dropped. Before looking "
            "at what the models learned, it helps to see what they were given.\n\n"
            f"The language models keep words seen at least {s['min_count']} times in their "
            f"training part, at most {s['max_vocab']:,} entries; every other word becomes "
            "`<unk>`, so the models never have to guess a word they saw only once or twice."
        ),
        Metric(
            [
                ("documents", f"{stats['documents']:,}"),
                ("sentences", f"{stats['sentences']:,}"),
                ("tokens", f"{stats['tokens']:,}"),
                ("word types", f"{stats['types']:,}"),
                ("LM vocabulary", f"{stats['lm_vocab']:,}"),
            ]
        ),
    ]


def _zipf_blocks(words: list[str], counts: np.ndarray, fit, stats: dict) -> list:
    top = ", ".join(f"*{w}* ({int(c):,})" for w, c in zip(words[:5], counts[:5], strict=True))
    share = counts[:10].sum() / stats["tokens"]
    once = int(np.sum(counts == 1))
    return [
        Prose(
            f"A handful of words do most of the work. The five commonest are {top}; the top "
            f"ten alone make up {share:.0%} of all tokens, while {once:,} of the "
            f"{stats['types']:,} word types ({once / stats['types']:.0%}) occur only once.\n\n"
            "Sort the words by count and plot count against rank on log-log axes, and the "
            "points fall close to a straight line: *Zipf's law*, count ≈ C / rank^s. Fitted "
            f"by least squares over ranks 1 to {fit.hi:,} (words seen at least "
            f"{ZIPF_MIN_COUNT} times), the slope here is `{fit.slope:.2f}`, near the -1 "
            "Zipf described. This is why a vocabulary cut-off loses few tokens but many "
            "types, and why rare words are the hard part for every model below."
        ),
        FigureBlock(
            "zipf",
            ZipfPlot(words, counts, fit),
            "Count against rank, both on log scales. Look at how straight the middle is and "
            "how the rarest words form flat steps (counts 1, 2, 3 …) at the right; hover a dot, "
            "or type a word, to see its rank and count.",
            height=680,
        ),
    ]


def _window_blocks(window: list[str], order: int, run: ReportRun) -> list:
    nplm = run.settings["nplm"]["order"]
    return [
        Prose(
            f"A language model learns to predict the next word from the words before it. The "
            f"{order}-gram model below sees the {order - 1} previous words, so its training "
            "examples are cut by a *sliding window*: pad the sentence with `<s>` at the start "
            "and `</s>` at the end, then slide a window one word at a time; each stop gives "
            f"one (context, next word) pair. The neural LM does the same with {nplm - 1} words "
            "of context. The sentence is a real one from the corpus, as the model sees it."
        ),
        FigureBlock(
            "windows",
            TrainingWindows.ngram(window, order=order),
            f"Step through the examples (buttons or ← →): the blue window of {order - 1} words "
            "moves one place at a time, and the amber word after it is the target.",
            height=630,
        ),
    ]


def _masking_blocks(study: MaskingStudy) -> list:
    f = study.facts()
    bert, span = f["bert"], f["spanbert"]
    figure = MaskingFigure(
        study.samples, study.span_lengths, SPAN_P, SPAN_MAX, passages=study.passages
    )
    return [
        Prose(
            "A *masked* language model (BERT) learns differently: it hides some words of a "
            "passage and predicts them from both sides. BERT chooses 15% of the tokens at "
            "random; each chosen token becomes `[MASK]` 80% of the time, a random word 10%, "
            "and stays itself 10% — the model must still predict it, so it cannot assume "
            "that every visible word is right.\n\n"
            "SpanBERT hides *spans* of neighbouring words instead, so the model must rebuild a "
            "whole phrase, not one word from its neighbours. Each span's length is drawn from "
            f"a geometric distribution (p = {SPAN_P:g}) clipped at {SPAN_MAX} words, whose "
            f"mean is {span['theory_mean_length']:.2f}; spans are added until 15% of the "
            "words are covered, and the 80/10/10 rule applies to each span as a whole."
        ),
        FigureBlock(
            "masking",
            figure,
            "The same sentence masked both ways: look at BERT's isolated marks against "
            "SpanBERT's runs (underlined). Below, the measured share of spans of each length "
            "(bars) should sit on the theoretical dots.",
            height=890,
        ),
        Prose(
            f"Measured over {study.passages:,} passages of up to {PASSAGE_WORDS} words "
            f"({study.tokens:,} tokens): BERT chose {bert['rate']:.1%} of the tokens, and of "
            f"those {bert['actions']['mask']:.0%} became `[MASK]`, "
            f"{bert['actions']['random']:.0%} a random word and {bert['actions']['keep']:.0%} "
            f"stayed. SpanBERT drew {span['spans']:,} spans with a mean length of "
            f"*{span['mean_length']:.2f}* words, against {span['theory_mean_length']:.2f} in "
            f"theory, covering {span['rate']:.1%} of the tokens."
        ),
        Note(
            "The last span of a passage is kept whole rather than cut at the 15% budget, so "
            "every span length is a true draw and the measured mean matches the theory; the "
            "price is a coverage a little above 15%, more so in short passages."
        ),
    ]
