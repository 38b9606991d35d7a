"""The measurements behind the "Language models" section, kept apart from its prose.

- :class:`TextCounts`: how often a sequence of one to three words occurs in a text.
- :func:`choose_contexts`: the contexts the section compares, picked by counting.
- :func:`lm_perplexities`: KN trigram, NPLM and their mixture (weight fit on valid).
- :func:`swap_effect` (with :func:`nplm_distributions`): how far the NPLM's prediction
  moves when a context word is replaced by its nearest word in embedding space.
- :func:`choose_probes`, :func:`nearest_words`, :func:`successor_similarity`: the
  NPLM's embedding neighbours and whether neighbours really predict alike.
- :func:`training_summary`, :func:`unknown_share`: what the NPLM saw; how much is ``<unk>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diaphane.text.examples import pad_sentences, windows
from diaphane.text.vocab import BOS, EOS, UNK, Vocabulary

__all__ = [
    "PROBE_KINDS",
    "TextCounts",
    "choose_contexts",
    "choose_probes",
    "lm_perplexities",
    "nearest_words",
    "nplm_distributions",
    "successor_similarity",
    "swap_effect",
    "total_variation",
    "training_summary",
    "unknown_share",
]

SPECIALS = (UNK, BOS, EOS)
# Kinds of frequent words; the commonest of each kind in the vocabulary becomes a probe.
PROBE_KINDS = (
    ("pronoun", ("he", "she", "they", "we", "it")),
    ("verb", ("said", "says", "told", "made", "took")),
    ("number", ("two", "three", "four", "five", "six")),
    ("place", ("city", "country", "state", "town", "area")),
    ("institution", ("government", "police", "court", "army", "party")),
    ("event", ("war", "attack", "election", "game", "season")),
    ("time", ("year", "week", "day", "month", "years")),
    ("adjective", ("new", "first", "last", "big", "small")),
)


class TextCounts:
    """Counts of word sequences (one to three words) in sentences, after ``<unk>`` mapping.

    The text is padded as the language models read it (``<s> <s>`` in front, ``</s>``
    at the end), so ``count(["<s>", "the"])`` is how many sentences begin with *the*.
    """

    def __init__(self, sentences: Sequence[Sequence[str]], vocab: Vocabulary):
        self.vocab = vocab
        ctx, tgt = windows(pad_sentences(sentences, vocab, 3), 3, vocab.bos_id)
        V = np.int64(len(vocab))
        ctx, tgt = ctx.astype(np.int64), tgt.astype(np.int64)
        self.unigrams = np.bincount(tgt, minlength=len(vocab))
        self.bigram_keys = np.sort(ctx[:, 1] * V + tgt)
        self.trigram_keys = np.sort((ctx[:, 0] * V + ctx[:, 1]) * V + tgt)

    def __call__(self, words: Sequence[str]) -> int:
        ids = [int(i) for i in self.vocab.encode(list(words))]
        V = len(self.vocab)
        if len(ids) == 1:
            return int(self.unigrams[ids[0]])
        key, keys = 0, self.bigram_keys if len(ids) == 2 else self.trigram_keys
        if len(ids) > 3:
            raise ValueError(f"counts are kept for 1 to 3 words, not {len(ids)}")
        for i in ids:
            key = key * V + i
        return int(np.searchsorted(keys, key, "right") - np.searchsorted(keys, key, "left"))

    def bigram_counts(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Counts of the bigrams ``(first[i], second[i])`` (word ids), all at once."""
        key = np.asarray(first, np.int64) * len(self.vocab) + np.asarray(second, np.int64)
        keys = self.bigram_keys
        return np.searchsorted(keys, key, "right") - np.searchsorted(keys, key, "left")

    def bigrams(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(first ids, second ids, counts)`` of every distinct bigram."""
        keys, counts = np.unique(self.bigram_keys, return_counts=True)
        V = len(self.vocab)
        return keys // V, keys % V, counts


def _real(vocab: Vocabulary) -> np.ndarray:
    """Mask of the ordinary words (not ``<unk>``, ``<s>``, ``</s>``)."""
    mask = np.ones(len(vocab), bool)
    mask[[vocab[s] for s in SPECIALS if s in vocab]] = False
    return mask


def choose_contexts(
    counts: TextCounts, held_out: Sequence[Sequence[str]], bengio: Sequence[str] = ("the", "fat")
) -> list[dict]:
    """Two-word contexts to compare the models on, each ``{"context", "why", "seen"}``.

    Bengio's *the fat* when both words are in the vocabulary; the commonest context
    of the training text; and, from held-out text, a context the training text has
    seen once and one it has never seen (*the X* where training has *a X* often, so the
    models know the words, and a similar pair, if not the pair itself). Each also gets
    ``"with_a"``: how often *a X* occurs in training.
    """
    vocab, real = counts.vocab, _real(counts.vocab)
    out: list[dict] = []
    if all(w in vocab and real[vocab[w]] for w in bengio):
        out.append({"context": list(bengio), "why": "bengio"})
    a, b, c = counts.bigrams()
    ok = real[a] & real[b]
    best = np.lexsort((b[ok], a[ok], -c[ok]))[0]
    out.append({"context": [vocab.words[a[ok][best]], vocab.words[b[ok][best]]], "why": "frequent"})
    for why, times in (("once", 1), ("unseen", 0)):
        pick = _held_out_context(counts, held_out, times, exclude=[o["context"] for o in out])
        if pick is not None:
            out.append({"context": pick, "why": why})
    for o in out:
        o["seen"] = counts(o["context"])
        o["with_a"] = counts(["a", o["context"][1]])
    return out


def _held_out_context(
    counts: TextCounts, held_out: Sequence[Sequence[str]], times: int, exclude: list
) -> list[str] | None:
    """A held-out bigram seen ``times`` times in training.

    Bengio's argument is that a model that has seen *a X* should know about *the X*;
    so the pick is *the X* whose *a X* is commonest in training, when the text has
    such pairs; otherwise the bigram whose rarer word is commonest.
    """
    vocab, real = counts.vocab, _real(counts.vocab)
    ids = pad_sentences(held_out, vocab, 2).astype(np.int64)
    pairs = np.unique(np.column_stack([ids[:-1], ids[1:]]), axis=0)
    pairs = pairs[real[pairs[:, 0]] & real[pairs[:, 1]]]
    pairs = pairs[counts.bigram_counts(pairs[:, 0], pairs[:, 1]) == times]
    words = [[vocab.words[x], vocab.words[y]] for x, y in pairs]
    keep = np.array([w not in exclude for w in words], bool)
    score = np.minimum(counts.unigrams[pairs[:, 0]], counts.unigrams[pairs[:, 1]])
    if "a" in vocab and "the" in vocab:
        the = keep & (pairs[:, 0] == vocab["the"])
        with_a = counts.bigram_counts(np.full(len(pairs), vocab["a"]), pairs[:, 1])
        if (the & (with_a > 0)).any():
            keep, score = the & (with_a > 0), with_a
    if not keep.any():
        return None
    best = min(np.flatnonzero(keep), key=lambda i: (-score[i], words[i]))
    return words[best]


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Half the L1 distance of two distributions: the probability mass that moves."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


@dataclass
class Perplexities:
    """Valid and test perplexities of the KN trigram, the NPLM and their mixture."""

    weight: float  # the NPLM's share of the mixture, fit on the valid split
    valid: dict[str, float]
    test: dict[str, float]
    half: dict[str, float]  # the 50/50 mixture Bengio et al. used, for comparison
    events: dict[str, int]


def _ppl(lp: np.ndarray) -> float:
    return float(math.exp(-float(np.mean(lp))))


def _mix(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """log((1 - w) p_a + w p_b), event by event."""
    with np.errstate(divide="ignore"):  # a weight of exactly 0 or 1 is allowed
        return np.logaddexp(a + np.log(1.0 - w), b + np.log(w))


def lm_perplexities(ngram: Any, nplm: Any, split: Any) -> Perplexities:
    """Every event of valid and test scored once by each model; the mixture weight is the
    maximum-likelihood one on valid, then applied to test."""
    from diaphane.models.mixture import mixture_weights

    lp = {p: (ngram.log_probs(split[p]), nplm.log_probs(split[p])) for p in ("valid", "test")}
    w = mixture_weights(lp["valid"])[1]
    table = {}
    for part, (a, b) in lp.items():
        table[part] = {"kn": _ppl(a), "nplm": _ppl(b), "mixture": _ppl(_mix(a, b, w))}
    half = {part: _ppl(_mix(a, b, 0.5)) for part, (a, b) in lp.items()}
    events = {part: len(a) for part, (a, _) in lp.items()}
    return Perplexities(w, table["valid"], table["test"], half, events)


def choose_probes(counts: TextCounts, min_count: int = 20) -> list[tuple[str, str]]:
    """``(kind, word)``: the commonest word of each kind in :data:`PROBE_KINDS` that the
    training text has at least ``min_count`` times."""
    out = []
    for kind, words in PROBE_KINDS:
        there = [(counts([w]), w) for w in words if w in counts.vocab]
        there = [(n, w) for n, w in there if n >= min_count]
        if there:
            out.append((kind, max(there, key=lambda nw: (nw[0], nw[1]))[1]))
    return out


def nearest_words(
    words: Sequence[str], vectors: np.ndarray, probes: Sequence[str], k: int, pool: int
) -> dict[str, list[tuple[str, float]]]:
    """Each probe's ``k`` nearest words by cosine among the ``pool`` commonest ordinary
    words (rows in frequency order, specials first, as a :class:`Vocabulary` keeps them)."""
    index = {w: i for i, w in enumerate(words)}
    cand = np.array([i for i, w in enumerate(words) if w not in SPECIALS][:pool])
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = {}
    for probe in probes:
        sims = unit[cand] @ unit[index[probe]]
        sims[cand == index[probe]] = -np.inf
        top = np.argsort(-sims, kind="stable")[:k]
        out[probe] = [(words[cand[j]], float(sims[j])) for j in top]
    return out


def successor_similarity(
    counts: TextCounts,
    pairs: Sequence[tuple[str, str]],
    rng: np.random.Generator,
    pool: int,
    draws: int = 20,
) -> tuple[float, float]:
    """How alike the next words of paired words are, against frequency-matched chance.

    Each word's *successor profile* is the count vector of the words that follow it in
    the text. Returns the mean cosine of the profiles over ``pairs``, and the same mean
    when each pair's second word is replaced by random words of about the same
    frequency (rank within a factor 1.25; ``draws`` of them) from the ``pool`` commonest.
    """
    from scipy import sparse

    V = len(counts.vocab)
    a, b, c = counts.bigrams()
    prof = sparse.csr_matrix((c.astype(np.float64), (a, b)), shape=(V, V))
    norms = np.sqrt(np.asarray(prof.multiply(prof).sum(axis=1)).ravel())
    real = np.flatnonzero(_real(counts.vocab))[:pool]

    def cos(x: int, y: int) -> float:
        dot = float(prof[x].multiply(prof[y]).sum())
        return dot / (norms[x] * norms[y]) if norms[x] and norms[y] else 0.0

    ids = [(counts.vocab[x], counts.vocab[y]) for x, y in pairs]
    ranks = {int(w): r for r, w in enumerate(real)}
    chance = []
    for x, y in ids:
        r = ranks.get(y, len(real) - 1)
        lo, hi = int(r / 1.25), min(len(real), int(r * 1.25) + 2)
        options = [int(w) for w in real[lo:hi] if w not in (x, y)]
        if options:
            picks = rng.choice(options, size=min(draws, len(options)), replace=False)
            chance.append(float(np.mean([cos(x, int(z)) for z in picks])))
    return float(np.mean([cos(x, y) for x, y in ids])), float(np.mean(chance or [0.0]))


def swap_effect(nplm: Any, ctx: list[str], pool: int, common: int = 50) -> dict:
    """How far the NPLM's prediction after ``ctx`` moves (total variation) when its first
    word is replaced by its nearest word in embedding space (among the ``pool`` commonest),
    and on average when it is replaced by each of the ``common`` commonest words."""
    words, vectors = nplm.vectors()
    near = nearest_words(words, vectors, [ctx[0]], 1, pool)[ctx[0]][0][0]
    others = [w for w in words if w not in SPECIALS and w != ctx[0]][:common]
    p = nplm_distributions(nplm, [ctx, [near, *ctx[1:]], *([w, *ctx[1:]] for w in others)])
    moved = 0.5 * np.abs(p[2:] - p[0]).sum(axis=1)
    return {
        "swap_word": near,
        "swap_tv": total_variation(p[0], p[1]),
        "swap_tv_common": float(moved.mean()),
    }


def nplm_distributions(nplm: Any, contexts: Sequence[Sequence[str]]) -> np.ndarray:
    """``nplm.distribution`` of many contexts in one forward pass: rows ``(len, |V|)``."""
    n, bos = nplm.order - 1, nplm.vocab.bos_id
    ids = [[bos] * n + [int(i) for i in nplm.vocab.encode(list(c))] for c in contexts]
    logits = nplm.logits(np.array([row[len(row) - n :] for row in ids])).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def training_summary(nplm: Any, record: dict, settings: dict, counts: TextCounts) -> dict:
    """What the NPLM's training did: time (``record``: the run's entry for it), steps, and
    how much of the training text (``counts``) it saw."""
    info = nplm.info.get("training", {})
    history = info.get("history") or [{}]
    steps = int(history[-1].get("step", 0))
    seen = steps * int(info.get("batch_size", settings["batch_size"]))
    events = int(counts.unigrams.sum())
    return {
        "seconds": record.get("seconds"),
        "cached": record.get("cached"),
        "budget_seconds": settings["max_seconds"],
        "steps": steps,
        "stopped": info.get("stopped", ""),
        "examples_seen": seen,
        "training_events": events,
        "epochs": round(seen / max(events, 1), 3),
    }


def unknown_share(sentences: Sequence[Sequence[str]], vocab: Vocabulary) -> float:
    """The share of the words of ``sentences`` that the vocabulary maps to ``<unk>``."""
    words = [w for s in sentences for w in s]
    return sum(w not in vocab for w in words) / max(len(words), 1)
