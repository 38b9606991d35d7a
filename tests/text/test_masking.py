"""Masked-LM examples: BERT's 15% and 80/10/10, SpanBERT's clipped-geometric spans."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from diaphane.errors import UsageError
from diaphane.text.masking import (
    MASK,
    bert_mask,
    bert_positions,
    clipped_geometric_mean,
    clipped_geometric_pmf,
    corrupt,
    mask_budget,
    span_lengths,
    span_mask,
    span_positions,
)

VOCAB = [f"v{i}" for i in range(50)]


def _sentence(n: int) -> list[str]:
    return [f"w{i}" for i in range(n)]


def _within(observed: float, p: float, n: int, sigmas: float = 4.0) -> bool:
    """``observed`` is a share of ``n`` draws within ``sigmas`` binomial deviations of ``p``."""
    return abs(observed - p) <= sigmas * np.sqrt(p * (1 - p) / n)


# ----------------------------------------------------------------------------- distribution


def test_clipped_geometric_pmf_is_a_truncated_renormalised_geometric():
    pmf = clipped_geometric_pmf(0.2, 10)
    assert pmf.shape == (10,)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pmf[1:] / pmf[:-1], 0.8)  # geometric ratio kept
    assert clipped_geometric_mean(0.2, 10) == pytest.approx(3.797, abs=1e-3)  # the paper's 3.8
    assert clipped_geometric_mean(0.2, 10) == pytest.approx(float(np.arange(1, 11) @ pmf))
    assert clipped_geometric_pmf(1.0, 5).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("p, max_len", [(0.0, 10), (1.5, 10), (0.2, 0)])
def test_bad_distribution_arguments_are_refused(p, max_len):
    with pytest.raises(UsageError):
        clipped_geometric_pmf(p, max_len)


def test_span_lengths_follow_the_pmf():
    rng = np.random.default_rng(0)
    draws = span_lengths(rng, 40_000)
    assert draws.min() >= 1 and draws.max() <= 10
    pmf = clipped_geometric_pmf()
    shares = np.bincount(draws - 1, minlength=10) / draws.size
    assert all(_within(s, p, draws.size) for s, p in zip(shares, pmf, strict=True))


def test_budget_rounds_half_up_and_is_at_least_one():
    assert [mask_budget(n) for n in (1, 3, 6, 10, 20, 100)] == [1, 1, 1, 2, 3, 15]
    assert mask_budget(0) == 0
    with pytest.raises(UsageError, match="rate"):
        mask_budget(10, rate=0.0)


# ----------------------------------------------------------------------------- BERT


def test_bert_chooses_fifteen_percent_of_distinct_positions():
    rng = np.random.default_rng(1)
    chosen = total = 0
    for n in rng.integers(5, 80, size=2000):
        pos = bert_positions(int(n), rng)
        assert pos == sorted(set(pos)) and all(0 <= i < n for i in pos)
        assert len(pos) == mask_budget(int(n))
        chosen += len(pos)
        total += int(n)
    assert 0.145 < chosen / total < 0.155


def test_bert_positions_are_uniform_over_the_sentence():
    rng = np.random.default_rng(2)
    hits = np.zeros(20)
    for _ in range(4000):
        hits[bert_positions(20, rng)] += 1
    # Each position is chosen 3 times in 20 on average: 600 of 4000 draws.
    assert all(_within(h / 4000, 3 / 20, 4000) for h in hits)


def test_bert_eighty_ten_ten_rule():
    rng = np.random.default_rng(3)
    counts = {"mask": 0, "random": 0, "keep": 0}
    for _ in range(3000):
        words = _sentence(40)
        ex = bert_mask(words, VOCAB, rng)
        assert ex.original == words
        chosen = set(ex.positions)
        for i, (old, new) in enumerate(zip(ex.original, ex.tokens, strict=True)):
            if i not in chosen:
                assert new == old
        for i, act in zip(ex.positions, ex.actions, strict=True):
            counts[act] += 1
            if act == "mask":
                assert ex.tokens[i] == MASK
            elif act == "random":
                assert ex.tokens[i] in VOCAB
            else:
                assert ex.tokens[i] == ex.original[i]
        assert ex.spans == [(i, i + 1) for i in ex.positions]
    n = sum(counts.values())
    assert n == 3000 * 6
    assert _within(counts["mask"] / n, 0.8, n)
    assert _within(counts["random"] / n, 0.1, n)
    assert _within(counts["keep"] / n, 0.1, n)


# ----------------------------------------------------------------------------- SpanBERT


def test_spans_are_contiguous_disjoint_and_clipped():
    rng = np.random.default_rng(4)
    for n in rng.integers(12, 200, size=1500):
        n = int(n)
        spans = span_positions(n, rng)
        assert spans == sorted(spans)
        covered = [i for a, b in spans for i in range(a, b)]
        assert len(covered) == len(set(covered)), "spans overlap"
        assert all(1 <= b - a <= 10 and 0 <= a < b <= n for a, b in spans)
        budget = mask_budget(n)
        # Spans are added until the budget is met; only the last may overshoot it.
        assert budget <= len(covered) < budget + 10
        assert all(a1 >= b0 for (_, b0), (a1, _) in itertools.pairwise(spans))


def test_span_example_replaces_whole_spans_alike():
    rng = np.random.default_rng(5)
    for _ in range(500):
        words = _sentence(60)
        ex = span_mask(words, VOCAB, rng)
        action = dict(zip(ex.positions, ex.actions, strict=True))
        assert ex.positions == [i for a, b in ex.spans for i in range(a, b)]
        for a, b in ex.spans:
            assert len({action[i] for i in range(a, b)}) == 1  # one decision per span
            if action[a] == "mask":
                assert ex.tokens[a:b] == [MASK] * (b - a)
            elif action[a] == "keep":
                assert ex.tokens[a:b] == words[a:b]
        assert ex.span_of(ex.spans[0][0]) == 0
        outside = [i for i in range(60) if i not in action]
        assert all(ex.tokens[i] == words[i] for i in outside)
        assert all(ex.span_of(i) is None for i in outside)


def test_measured_mean_span_length_matches_the_clipped_geometric():
    rng = np.random.default_rng(6)
    lengths = []
    for n in rng.integers(60, 200, size=1500):
        lengths += [b - a for a, b in span_positions(int(n), rng)]
    lengths = np.asarray(lengths)
    mean, sd = (
        clipped_geometric_mean(),
        np.sqrt(clipped_geometric_pmf() @ (np.arange(1, 11) - clipped_geometric_mean()) ** 2),
    )
    assert lengths.size > 5000
    assert abs(lengths.mean() - mean) < 4 * sd / np.sqrt(lengths.size)
    assert abs(lengths.mean() - 3.8) < 0.15


def test_span_rate_approaches_fifteen_percent_on_long_passages():
    rng = np.random.default_rng(7)
    covered = total = 0
    for _ in range(300):
        covered += sum(b - a for a, b in span_positions(512, rng))
        total += 512
    assert 0.15 <= covered / total < 0.16


def test_a_sentence_too_short_for_long_spans_still_gets_a_span():
    rng = np.random.default_rng(8)
    for _ in range(200):
        spans = span_positions(2, rng)
        assert spans and all(b - a <= 2 for a, b in spans)


# ----------------------------------------------------------------------------- seeds, errors


def test_seeds_reproduce():
    words = _sentence(50)
    for fn in (bert_mask, span_mask):
        a = fn(words, VOCAB, np.random.default_rng(9))
        b = fn(words, VOCAB, np.random.default_rng(9))
        c = fn(words, VOCAB, np.random.default_rng(10))
        assert a == b
        assert (a.positions, a.tokens) != (c.positions, c.tokens)


def test_bad_inputs_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(UsageError, match="at least one token"):
        bert_mask([], VOCAB, rng)
    with pytest.raises(UsageError, match="vocabulary"):
        span_mask(["a", "b"], [], rng)
    with pytest.raises(UsageError, match="three probabilities"):
        corrupt(["a"], [(0, 1)], VOCAB, rng, rule=(0.5, 0.5, 0.5))
