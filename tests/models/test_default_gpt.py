"""The shipped default GPT (issue 13), measured on its own weights.

Held-out perplexity is measured on the documents the trainer held out (every 20th of
the gensim wheel's Wikipedia sample, so this runs offline without ../shared), per
token and per whitespace word: per word compares fairly with the model shipped before,
whose tokenizer was different (2 layers x 128, 600 steps; 23,773 per held-out wiki word
and 264.5 per token measured with ``bench/default_gpt.py``; the issue quoted its
validation perplexity as 284).
"""

from __future__ import annotations

import pytest

from diaphane.lens.probes import (
    agreement_by_layer,
    induction_ranks,
    right_answers,
    score_candidates,
)
from diaphane.models.gpt import default_model
from diaphane.models.gpt_train import _fingerprint, corpus_texts, heldout_perplexity, split_texts

OLD_PER_WORD = 23_773
OLD_VALID_PPL = 284
# The README's and the report's examples: the default model must get each one right.
README_PROMPTS = [
    ("The president of the United", " States"),
    ("the Second World", " War"),
]


@pytest.fixture(scope="module")
def model():
    return default_model()


def test_recipe_is_recorded(model):
    info = model.info
    assert info["command"].startswith("diaphane train gpt --corpus wiki+lee+brown ")
    assert model.config.n_layer >= 4 and model.config.n_embd >= 256
    curve = [h for h in info["history"] if "valid_loss" in h]  # the validation curve
    steps = [h["step"] for h in curve]
    assert steps[-1] == info["steps"] and len(set(steps)) >= 20
    losses = [h["valid_loss"] for h in curve]
    assert min(losses[-3:]) < losses[0] - 1.0
    assert set(info["corpus_fingerprint"]) == {"wiki", "lee", "brown"}


def test_heldout_wiki_perplexity_is_at_most_half_the_old_models(model):
    docs, _ = corpus_texts("wiki")
    # the same Wikipedia text it was trained on, so the held-out split really was held out
    assert _fingerprint(docs) == model.info["text_fingerprint"]["wiki"]
    held = split_texts(docs)[1]
    result = heldout_perplexity(model, held)
    assert result["words"] > 20_000
    assert result["ppl_word"] <= OLD_PER_WORD / 2
    assert result["ppl_token"] <= OLD_VALID_PPL / 2


def test_common_words_are_single_tokens(model):
    for word in (" cat", " London", " president", " government", " because"):
        assert len(model.encode(word)) == 1, word


def test_readme_prompts_are_right_and_many_candidates_are(model):
    for score in score_candidates(model, README_PROMPTS):
        assert score.right, (score.prompt, score.expected)
    assert len(right_answers(model)) >= 12


@pytest.mark.xfail(strict=True, reason="issue 13's agreement goal (>= 80% at the output) is "
                   "not met by the shipped model: it follows the attractor noun")  # fmt: skip
def test_final_layer_agrees_with_the_subject(model):
    result = agreement_by_layer(model)
    assert len(result.prompts) >= 20
    assert result.rate[-1] >= 0.8


NO_INDUCTION = (
    "issue 13's induction goal (rank 1 in the second repeat) is not met: no "
    "induction head formed in 2,400 steps (9.8 M tokens seen)"
)


@pytest.mark.xfail(strict=True, reason=NO_INDUCTION)
def test_second_repeat_is_predicted_by_induction(model):
    result = induction_ranks(model)
    assert result.rank_one_layer is not None
