"""Benchmarks: our rho and 3CosAdd accuracy equal gensim's evaluators on the same vectors."""

import numpy as np
import pytest

from diaphane.vectors import WordVectors, evaluate, evaluate_analogies, evaluate_word_pairs
from diaphane.vectors.evaluate import dataset_path


@pytest.mark.parametrize("restrict", [1000, 3000])
def test_analogy_accuracy_equals_gensim(synthetic, few_questions, restrict):
    kv = synthetic.to_gensim()
    score, sections = kv.evaluate_word_analogies(str(few_questions), restrict_vocab=restrict)
    ours = evaluate_analogies(synthetic, few_questions, "3cosadd", restrict=restrict)
    assert 0.1 < ours.accuracy < 0.9  # a non-trivial test
    assert ours.accuracy == score
    assert [(s.name, s.correct, s.total) for s in ours.sections] == [
        (s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
        for s in sections[:-1]
    ]


def test_case_variants_are_handled_like_gensim(synthetic, few_questions):
    """Upper-case spellings at the end of the vocabulary: gensim matches the first
    spelling and never answers with a variant of a question word."""
    assert any(w.isupper() and w.lower() in synthetic for w in synthetic.words)
    kv = synthetic.to_gensim()
    score, _ = kv.evaluate_word_analogies(str(few_questions), restrict_vocab=len(synthetic))
    assert evaluate_analogies(synthetic, few_questions, restrict=None).accuracy == score


def test_3cosmul_against_one_question_at_a_time(synthetic, few_questions):
    wv = synthetic.head(1000)
    result = evaluate_analogies(wv, few_questions, "3cosmul", restrict=1000, epsilon=1e-6)
    kv = wv.to_gensim()
    upper = {}
    for w in reversed(wv.words):
        upper[w.upper()] = w
    right = total = 0
    for line in few_questions.read_text().splitlines():
        q = line.upper().split()
        if line.startswith(":") or not all(w in upper for w in q):
            continue
        a, b, c, _ = (upper[w] for w in q)
        answers = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=10)
        best = next(w for w, _ in answers if w.upper() not in q[:3])
        right += best.upper() == q[3]
        total += 1
    assert (result.correct, result.total) == (right, total) and right > 0


def test_oov_questions_are_counted(synthetic):
    result = evaluate_analogies(synthetic, "google", restrict=1000)
    assert result.total + result.oov == 19544
    assert result.oov_share == pytest.approx(result.oov / 19544)
    sem, syn = result.part(False), result.part(True)
    assert sem.total + syn.total == result.total


@pytest.mark.parametrize(
    "name, file", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")]
)
@pytest.mark.parametrize("restrict", [300_000, 2000])
def test_word_pairs_equal_gensim(lee_model, name, file, restrict):
    kv = lee_model.wv
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(
        dataset_path(name), restrict_vocab=restrict
    )
    ours = evaluate_word_pairs(WordVectors.from_gensim(kv), name, restrict=restrict)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.oov_share * 100 == pytest.approx(oov_ratio)
    assert ours.pairs > 50 and ours.oov > 0


def test_evaluate_collects_everything(synthetic):
    table = evaluate(synthetic, restrict=3000)
    assert set(table) == {"wordsim353", "simlex999", "analogy"}
    assert set(table["analogy"]) == {"3cosadd", "3cosmul"}
    assert table["analogy"]["3cosadd"].total == 19544


def test_pairs_all_unknown_give_nan():
    wv = WordVectors(["qqq", "zzz"], np.eye(2))
    result = evaluate_word_pairs(wv, "wordsim353")
    assert np.isnan(result.spearman) and result.pairs == 0 and result.oov == 353
