"""The "Language models" section: every number it shows is recomputed here another way."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from diaphane.models.mixture import mixture_perplexity
from diaphane.report.article import render_article, write_figures
from diaphane.report.document import Prose, TableBlock
from diaphane.report.sections import _lm_measures as lm
from diaphane.report.sections import language_models as section
from diaphane.text import Vocabulary
from diaphane.viz.next_words import NextWords

SPECIALS = {"<unk>", "<s>", "</s>"}


@pytest.fixture(scope="module")
def built(quick_run):
    return section.build(quick_run)


@pytest.fixture(scope="module")
def grams(quick_run):
    """Counts of 2- and 3-word sequences in the padded training text, counted plainly."""
    split, vocab = quick_run.lm_split
    out: Counter = Counter()
    for s in split.train:
        words = ["<s>", "<s>", *(w if w in vocab else "<unk>" for w in s), "</s>"]
        for i in range(2, len(words)):  # each predicted position, as the models see them
            for n in (1, 2, 3):
                out[tuple(words[i - n + 1 : i + 1])] += 1
    return out


def _table(built, name):
    return next(b for b in built.blocks if isinstance(b, TableBlock) and b.name == name)


def test_section_has_its_parts_and_json_facts(built):
    assert (built.id, built.title) == ("language-models", "Language models")
    assert [b.name for b in built.blocks if isinstance(b, TableBlock)] == [
        "ngram-table", "perplexity", "neighbours"]  # fmt: skip
    figures = built.figures()
    assert len(figures) == 1 and isinstance(figures[0].figure, NextWords)
    assert all(f.caption for f in figures)
    assert json.loads(json.dumps(built.facts)) == built.facts
    assert not built.skipped


def test_counts_agree_with_plain_counting(quick_run, grams):
    split, vocab = quick_run.lm_split
    counts = lm.TextCounts(split.train, vocab)
    for gram in [("<s>", "the"), ("of", "the"), ("in", "the", "<unk>"), ("said", "the")]:
        assert counts(list(gram)) == grams[gram], gram
    assert counts(["the"]) == grams[("the",)]


def test_contexts_are_what_they_claim(built, quick_run, grams):
    split, vocab = quick_run.lm_split
    by_why = {c["why"]: c for c in built.facts["contexts"]}
    assert "bengio" not in by_why  # "fat" is too rare in Lee to be in the vocabulary
    assert "fat" not in vocab
    bigrams = {g: n for g, n in grams.items() if len(g) == 2 and not SPECIALS & set(g)}
    top = max(bigrams.values())
    assert grams[tuple(by_why["frequent"]["context"])] == top
    test_bigrams = {
        tuple(w if w in vocab else "<unk>" for w in s[i : i + 2])
        for s in split.test
        for i in range(len(s) - 1)
    }
    for why, times in (("once", 1), ("unseen", 0)):
        ctx = tuple(by_why[why]["context"])
        assert grams[ctx] == times == by_why[why]["seen"]
        assert ctx in test_bigrams and ctx[0] == "the" and ctx[1] in vocab
        # the X whose "a X" training has most often, among the test's "the X" seen that often
        rivals = [x for t, x in test_bigrams if t == "the" and x not in SPECIALS
                  and grams[("the", x)] == times]  # fmt: skip
        assert by_why[why]["with_a"] == grams[("a", ctx[1])] == max(grams[("a", x)] for x in rivals)
    assert by_why["unseen"]["kn_backoff_tv"] == pytest.approx(0.0, abs=1e-12)


def test_table_is_the_trigrams_own_table(built, quick_run, grams):
    ngram, nplm = quick_run.ngram(), quick_run.nplm()
    ctx = built.facts["contexts"][0]["context"]
    rows = _table(built, "ngram-table").rows
    assert [(w, p) for _, w, _, p, _ in rows] == ngram.next_words(ctx, section.K)
    assert [n for _, _, n, _, _ in rows] == [grams[(*ctx, w)] for _, w, _, _, _ in rows]
    dist = nplm.distribution(ctx)
    assert [q for *_, q in rows] == pytest.approx([dist[nplm.vocab[w]] for _, w, *_ in rows])


def test_figure_shows_both_models_lists(built, quick_run):
    ngram, nplm = quick_run.ngram(), quick_run.nplm()
    fig = built.figures()[0].figure
    assert [c.context for c in fig.contexts] == [c["context"] for c in built.facts["contexts"]]
    for c in fig.contexts:
        assert [(w, p) for w, p, _ in c.columns[0]] == ngram.next_words(c.context, section.K)
        assert [(w, p) for w, p, _ in c.columns[1]] == nplm.next_words(c.context, section.K)


def test_perplexities_are_recomputed_independently(built, quick_run):
    split, _ = quick_run.lm_split
    ngram, nplm = quick_run.ngram(), quick_run.nplm()
    facts = built.facts["perplexity"]
    w = built.facts["mixture_weight_nplm"]
    for part in ("valid", "test"):
        assert facts[part]["kn"] == pytest.approx(ngram.perplexity(split[part]), rel=1e-9)
        assert facts[part]["nplm"] == pytest.approx(nplm.perplexity(split[part]), rel=1e-9)
        mixed = mixture_perplexity([ngram, nplm], split[part], [1 - w, w])
        assert facts[part]["mixture"] == pytest.approx(mixed, rel=1e-9)
    rows = _table(built, "perplexity").rows
    assert rows[0][1:] == [facts["valid"]["kn"], facts["test"]["kn"]]
    prose = " ".join(b.text for b in built.blocks if isinstance(b, Prose))
    assert f"{facts['test']['nplm']:.1f}" in prose and f"{facts['test']['kn']:.1f}" in prose


def test_mixture_weight_is_no_worse_on_valid_than_simple_choices(built, quick_run):
    split, _ = quick_run.lm_split
    models = [quick_run.ngram(), quick_run.nplm()]
    w = built.facts["mixture_weight_nplm"]
    fitted = mixture_perplexity(models, split.valid, [1 - w, w])
    for g in (0.0, 0.25, 0.5, 0.75, 1.0):
        assert fitted <= mixture_perplexity(models, split.valid, [1 - g, g]) + 1e-9


def test_neighbours_are_the_cosine_top_k(built, quick_run):
    words, vectors = quick_run.nplm().vectors()
    pool = [i for i, w in enumerate(words) if w not in SPECIALS][: section.POOL]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert built.facts["probes"], "Lee has common pronouns, verbs and numbers"
    for probe in built.facts["probes"]:
        q = words.index(probe["word"])
        sims = {words[i]: float(unit[i] @ unit[q]) for i in pool if i != q}
        expected = sorted(sims, key=lambda w: -sims[w])[: section.NEIGHBOURS]
        assert [w for w, _ in probe["neighbours"]] == expected
        assert [s for _, s in probe["neighbours"]] == pytest.approx([sims[w] for w in expected],
                                                                     abs=1e-5)  # fmt: skip


def test_probes_are_the_commonest_of_their_kind(built, quick_run, grams):
    _, vocab = quick_run.lm_split
    kinds = dict(lm.PROBE_KINDS)
    for probe in built.facts["probes"]:
        there = [w for w in kinds[probe["kind"]] if w in vocab]
        assert probe["word"] == max(there, key=lambda w: (grams[(w,)], w))
        assert probe["count"] == grams[(probe["word"],)] >= 20


def test_successor_similarity_is_one_for_words_followed_alike_and_zero_for_none():
    text = [s.split() for s in ["a x", "b x", "a y", "b y", "c z", "d q"] * 5]
    counts = lm.TextCounts(text, Vocabulary.build(text))
    alike, _ = lm.successor_similarity(counts, [("a", "b")], np.random.default_rng(0), 100)
    apart, _ = lm.successor_similarity(counts, [("a", "c")], np.random.default_rng(0), 100)
    assert alike == pytest.approx(1.0) and apart == pytest.approx(0.0)


def test_section_renders_into_an_article(built, tmp_path):
    files = write_figures(built, tmp_path)
    page = render_article([built], files, "t", "s")
    assert (tmp_path / "figures" / "language-models-next-words.html").is_file()
    assert (tmp_path / "figures" / "language-models-next-words.svg").is_file()
    assert "Kneser-Ney" in page and "<script>alert" not in page


def test_swap_effect_is_the_models_own_distributions(built, quick_run):
    nplm = quick_run.nplm()
    words, vectors = nplm.vectors()
    for c in built.facts["contexts"]:
        ctx, near = c["context"], c["swap_word"]
        assert near == lm.nearest_words(words, vectors, [ctx[0]], 1, section.POOL)[ctx[0]][0][0]
        moved = lm.total_variation(nplm.distribution(ctx), nplm.distribution([near, ctx[1]]))
        assert c["swap_tv"] == pytest.approx(moved, abs=1e-6)  # float32 logits, batched
        assert 0.0 <= c["swap_tv"] <= 1.0 and 0.0 < c["swap_tv_common"] <= 1.0


def test_contexts_on_a_text_that_has_the_fat():
    train = [s.split() for s in ["the fat cat sat", "a dog ran", "a cat sat", "the dog sat"] * 4]
    held_out = [s.split() for s in ["the fat dog ran", "the cat ran", "a fat dog"]]
    vocab = Vocabulary.build(train)
    chosen = lm.choose_contexts(lm.TextCounts(train, vocab), held_out)
    assert [c["why"] for c in chosen] == ["bengio", "frequent", "unseen"]
    assert chosen[0] == {"context": ["the", "fat"], "why": "bengio", "seen": 4, "with_a": 0}
    assert chosen[1]["context"] in (["cat", "sat"], ["the", "fat"], ["fat", "cat"], ["a", "dog"])
    assert chosen[2]["context"] == ["the", "cat"] and chosen[2]["with_a"] == 4  # "a cat" x 4


def test_neighbour_prose_claims_only_what_the_numbers_show(built):
    probes = built.facts["probes"]
    alike = np.mean([p["alike"] for p in probes])
    chance = np.mean([p["chance"] for p in probes])
    wins = sum(p["alike"] > p["chance"] for p in probes)
    prose = [b.text for b in built.blocks if isinstance(b, Prose)][-1]
    assert f"{alike:.2f} on average, against {chance:.2f}" in prose
    at_chance = alike <= 1.2 * chance or 2 * wins <= len(probes)
    assert ("about chance" in prose) == at_chance
    if at_chance:
        assert "distributed representation" not in prose
