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
