"""Mixtures of language models, checked event by event against the parts."""

import numpy as np
import pytest

from diaphane.autodiff import DiaphaneError
from diaphane.models.mixture import mixture_log_probs, mixture_perplexity
from diaphane.models.ngram import NgramLM
from diaphane.text import Vocabulary

TRAIN = [s.split() for s in ["the fat cat sat", "the cat ate", "a fat dog sat on the mat"] * 5]
TEST = [s.split() for s in ["the fat dog sat", "a cat sat on the fat mat"]]


@pytest.fixture(scope="module")
def models():
    vocab = Vocabulary.build(TRAIN, min_count=1)
    return NgramLM(1, "addk").fit(TRAIN, vocab), NgramLM(3, "kn").fit(TRAIN, vocab)


def test_mixture_is_the_weighted_sum_of_probabilities(models):
    uni, tri = models
    mixed = np.exp(mixture_log_probs([uni, tri], TEST, [0.3, 0.7]))
    expected = 0.3 * np.exp(uni.log_probs(TEST)) + 0.7 * np.exp(tri.log_probs(TEST))
    np.testing.assert_allclose(mixed, expected, rtol=1e-12)


def test_all_weight_on_one_model_is_that_model(models):
    uni, tri = models
    assert mixture_perplexity([uni, tri], TEST, [0.0, 1.0]) == pytest.approx(tri.perplexity(TEST))


def test_mixture_is_no_worse_than_the_worse_part(models):
    uni, tri = models
    mixed = mixture_perplexity([uni, tri], TEST, [0.5, 0.5])
    assert mixed <= max(uni.perplexity(TEST), tri.perplexity(TEST))


def test_bad_weights_are_refused(models):
    with pytest.raises(DiaphaneError, match="sum to 1"):
        mixture_perplexity(list(models), TEST, [0.5, 0.6])
    with pytest.raises(DiaphaneError, match="one weight per model"):
        mixture_perplexity(list(models), TEST, [1.0])


# ----------------------------------------------------------------------------- fitting weights


def test_fitted_weights_beat_every_grid_weight(models):
    from diaphane.models.mixture import fit_mixture_weights

    w = fit_mixture_weights(list(models), TEST)
    assert len(w) == 2 and min(w) >= 0 and sum(w) == pytest.approx(1.0)
    best = mixture_perplexity(list(models), TEST, w)
    grid = [mixture_perplexity(list(models), TEST, [1 - g, g]) for g in np.linspace(0, 1, 101)]
    assert best <= min(grid) + 1e-9
    # and it is the optimum itself, not just near a grid point: the two sides are worse
    for d in (-0.02, 0.02):
        g = min(max(w[1] + d, 0.0), 1.0)
        assert mixture_perplexity(list(models), TEST, [1 - g, g]) >= best


def test_weights_from_log_probs_find_a_known_mixture():
    from diaphane.models.mixture import mixture_weights

    # Events drawn from 0.3 * A + 0.7 * B over 3 outcomes: EM should recover about 0.3 / 0.7.
    rng = np.random.default_rng(0)
    a, b = np.array([0.8, 0.1, 0.1]), np.array([0.1, 0.1, 0.8])
    events = rng.choice(3, size=20000, p=0.3 * a + 0.7 * b)
    w = mixture_weights([np.log(a[events]), np.log(b[events])])
    assert w == pytest.approx([0.3, 0.7], abs=0.03)


def test_three_models_are_fit_by_em():
    from diaphane.models.mixture import mixture_weights

    rng = np.random.default_rng(1)
    dists = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    events = rng.choice(4, size=30000, p=[0.2, 0.5, 0.3] @ dists)
    w = mixture_weights([np.log(d[events]) for d in dists])
    assert w == pytest.approx([0.2, 0.5, 0.3], abs=0.03) and sum(w) == pytest.approx(1.0)


def test_a_model_that_gives_an_event_zero_needs_the_other():
    from diaphane.models.mixture import mixture_weights

    sure = np.array([np.log(0.9)] * 2 + [-np.inf, np.log(0.9)])
    vague = np.log(np.full(4, 0.25))
    w = mixture_weights([sure, vague])
    assert 0.0 < w[1] < 1.0


def test_a_useless_model_gets_no_weight():
    from diaphane.models.mixture import mixture_weights

    good, bad = np.log(np.full(100, 0.5)), np.log(np.full(100, 0.01))
    w = mixture_weights([good, bad])
    assert w[0] > 0.999 and w[1] < 1e-3


def test_fitting_refuses_what_cannot_be_mixed(models):
    from diaphane.models.mixture import fit_mixture_weights, mixture_weights

    with pytest.raises(DiaphaneError, match="at least one model"):
        fit_mixture_weights([], TEST)
    with pytest.raises(DiaphaneError, match="different numbers of events"):
        mixture_weights([np.zeros(3), np.zeros(4)])
    with pytest.raises(DiaphaneError, match="empty text"):
        mixture_weights([np.zeros(0)])
    with pytest.raises(DiaphaneError, match="probability 0"):
        mixture_weights([np.array([0.0, -np.inf]), np.array([-1.0, -np.inf])])
