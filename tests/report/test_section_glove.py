"""The GloVe section: its choices on hand-made vectors with known answers, and a quick run."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from diaphane.report.article import render_article, write_figures
from diaphane.report.document import FigureBlock, Metric, Note, TableBlock
from diaphane.report.sections import _glove_picks as glove_picks
from diaphane.report.sections import glove
from diaphane.vectors import WordVectors, analogy, evaluate, evaluate_analogies, most_similar
from diaphane.viz.projection import offset_cosines, pca_2d

COUNTRIES = ["greece", "germany", "france", "italy", "spain", "russia"]
CAPITALS = ["athens", "berlin", "paris", "rome", "madrid", "moscow"]
QUESTIONS = """\
: capital-common-countries
Athens Greece Berlin Germany
Berlin Germany Paris France
Paris France Rome Italy
: family
he she his her
"""


def world(drop: tuple[str, ...] = ()) -> WordVectors:
    """Countries e_i, capitals e_i + one shared 'capital' direction, and a family of
    pronouns where a decoy ('him') sits exactly on she - he + his, so that question fails."""
    n = len(COUNTRIES)
    dim = n + 5
    rows = {}
    for i, (country, capital) in enumerate(zip(COUNTRIES, CAPITALS, strict=True)):
        rows[country] = np.eye(dim)[i]
        rows[capital] = np.eye(dim)[i] + np.eye(dim)[n]
    e = np.eye(dim)[n + 1 :]
    rows["he"], rows["she"], rows["his"], rows["her"] = e[0], e[0] + e[1], e[2], e[3]
    unit = {w: v / np.linalg.norm(v) for w, v in rows.items()}
    rows["him"] = unit["she"] - unit["he"] + unit["his"]
    words = [w for w in rows if w not in drop]
    return WordVectors(words, np.array([rows[w] for w in words]))


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(QUESTIONS, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- hand-made


def test_outcomes_answer_every_known_question_as_analogy_does(questions):
    wv = world()
    outcomes = glove_picks.analogy_outcomes(wv, questions)
    assert [o.words for o in outcomes] == [
        ("athens", "greece", "berlin", "germany"),
        ("berlin", "germany", "paris", "france"),
        ("paris", "france", "rome", "italy"),
        ("he", "she", "his", "her"),
    ]
    for o in outcomes:
        for m in ("3cosadd", "3cosmul"):
            assert o.answers[m] == analogy(wv, *o.words[:3], method=m)[0][0]
    assert all(o.right("3cosadd") and o.right("3cosmul") for o in outcomes[:3])
    assert outcomes[3].answers == {"3cosadd": "him", "3cosmul": "him"}


def test_picks_split_working_from_failing_and_rank_the_missed_answer(questions):
    wv = world()
    working, failing = glove_picks.pick_analogies(glove_picks.analogy_outcomes(wv, questions))
    assert [o.words[3] for o in working] == ["germany", "france", "italy"]
    assert [o.words for o in failing] == [("he", "she", "his", "her")]
    # 'her' scores 0 against the question; only the decoy scores more.
    assert glove_picks.expected_rank(wv, failing[0], "3cosadd") == 2
    assert glove_picks.expected_rank(wv, working[0], "3cosmul") == 1
    # Second place is a tie at 0 ('her' among others): the rank counts only better words.
    second = analogy(wv, "he", "she", "his", k=2)[1][1]
    her = wv.unit[wv.id("her")] @ (wv.unit[wv.ids(["she", "his"])].sum(0) - wv.unit[wv.id("he")])
    assert second == pytest.approx(her, abs=1e-6)


def test_picks_take_turns_between_sections_and_skip_repeated_questions():
    def outcome(section, rows, right=True):
        words = tuple(f"w{r}" for r in rows)
        answer = words[3] if right else "other"
        return glove_picks.Outcome(section, words, rows, {"3cosadd": answer, "3cosmul": answer})

    outcomes = [
        outcome("a", (5, 6, 7, 9)),
        outcome("a", (1, 2, 3, 4)),
        outcome("b", (1, 2, 3, 4)),  # the same question in a second section
        outcome("b", (10, 11, 12, 13)),
        outcome("c", (20, 21, 22, 23), right=False),
    ]
    working, failing = glove_picks.pick_analogies(outcomes, n=3)
    assert [(o.section, o.rows[0]) for o in working] == [("a", 1), ("b", 10), ("a", 5)]
    assert [o.section for o in failing] == ["c"]


def test_outcomes_count_what_the_benchmark_counts_on_the_real_question_set():
    wv = world()
    outcomes = glove_picks.analogy_outcomes(wv)
    for m in ("3cosadd", "3cosmul"):
        bench = evaluate_analogies(wv, "google", m)
        assert len(outcomes) == bench.total
        assert sum(o.right(m) for o in outcomes) == bench.correct


def test_capital_pairs_are_the_known_ones_most_frequent_first():
    assert glove_picks.capital_pairs(world()) == list(zip(COUNTRIES, CAPITALS, strict=True))
    pairs = glove_picks.capital_pairs(world(drop=("moscow", "rome")))
    kept = [0, 1, 2, 4]
    assert pairs == [(COUNTRIES[i], CAPITALS[i]) for i in kept]
    assert glove_picks.capital_pairs(world(), max_pairs=2) == pairs[:2]


def test_probe_words_are_the_tightest_candidates_with_distinct_neighbourhoods():
    wv = world()
    probes = glove_picks.probe_words(wv, n=3, candidates=["greece", "athens", "he", "spain"], k=2)
    words = [w for w, _ in probes]
    for w, score in probes:
        assert score == pytest.approx(np.mean([s for _, s in most_similar(wv, w, k=2)]))
    assert [s for _, s in probes] == sorted((s for _, s in probes), reverse=True)
    for i, w in enumerate(words):
        for later in words[i + 1 :]:
            assert later not in {x for x, _ in most_similar(wv, w, k=2)}


def test_capital_blocks_draw_the_pca_of_the_pairs_unit_vectors():
    wv = world()
    facts: dict = {}
    blocks = glove.capital_blocks(wv, facts)
    fig = next(b for b in blocks if isinstance(b, FigureBlock)).figure
    s, t = wv.unit[wv.ids(COUNTRIES)], wv.unit[wv.ids(CAPITALS)]
    xy, _, _ = pca_2d(np.vstack([s, t]))
    np.testing.assert_allclose(fig.source_xy, xy[:6])
    np.testing.assert_allclose(fig.target_xy, xy[6:])
    np.testing.assert_allclose(fig.cosines, offset_cosines(s, t))
    assert fig.sources == COUNTRIES and fig.targets == CAPITALS
    assert facts["capitals"]["mean_cosine"] == pytest.approx(offset_cosines(s, t).mean(), abs=1e-4)
    shifted = [offset_cosines(s, np.roll(t, r, axis=0)).mean() for r in range(1, 6)]
    assert facts["capitals"]["mismatched_cosine"] == pytest.approx(np.mean(shifted), abs=1e-4)
    # The shared direction makes the true pairs line up better than mismatched ones.
    assert facts["capitals"]["mean_cosine"] > facts["capitals"]["mismatched_cosine"]


def test_too_few_capital_pairs_give_a_note_and_no_figure():
    wv = world(drop=("moscow", "rome", "madrid"))
    facts: dict = {}
    blocks = glove.capital_blocks(wv, facts)
    assert [type(b) for b in blocks] == [Note]
    assert "3 country → capital pair(s)" in blocks[0].text and "left out" in blocks[0].text
    assert len(facts["capitals"]["pairs"]) == 3


def test_build_on_hand_made_vectors_shows_the_figure_and_the_analogies(tmp_path):
    wv = world()
    run = SimpleNamespace(
        glove=lambda: SimpleNamespace(word_vectors=lambda: wv),
        settings={"glove": {"window": 12, "epochs": 2}},
        corpus={"names": ["toy"]},
    )
    section = glove.build(run)
    assert len(section.figures()) == 1
    working = next(b for b in section.blocks if getattr(b, "name", "") == "analogies-working")
    assert all(row[2] == row[3] == row[4] for row in working.rows)
    assert {row[0] for row in working.rows} >= {"capital-common-countries"}
    json.dumps(section.facts)
    files = write_figures(section, tmp_path)
    assert (tmp_path / files["glove-capitals"]["html"]).is_file()


# ----------------------------------------------------------------------------- quick run


@pytest.fixture(scope="module")
def quick(quick_run):
    return quick_run, glove.build(quick_run), quick_run.glove().word_vectors()


def test_quick_section_neighbours_are_most_similar(quick):
    _, section, wv = quick
    table = next(b for b in section.blocks if isinstance(b, TableBlock) and b.name == "neighbours")
    assert table.header == list(section.facts["neighbours"])
    for j, probe in enumerate(table.header):
        near = most_similar(wv, probe, k=glove.K)
        assert [row[j] for row in table.rows] == [f"{w} ({s:.2f})" for w, s in near]


def test_quick_section_metrics_are_the_evaluators_scores(quick):
    _, section, wv = quick
    metric = next(b for b in section.blocks if isinstance(b, Metric))
    r = evaluate(wv)
    items = dict(metric.items)
    assert items["WordSim353 \u03c1"] == glove._rho(r["wordsim353"].spearman, r["wordsim353"].pairs)
    add = r["analogy"]["3cosadd"]
    assert items["analogies, 3CosAdd"] == f"{add.accuracy:.1%} of {add.total:,}"
    assert section.facts["scores"]["3cosmul"]["correct"] == r["analogy"]["3cosmul"].correct


def test_quick_section_analogy_verdicts_match_the_vectors(quick):
    _, section, wv = quick
    facts = section.facts["analogies"]
    outcomes = glove_picks.analogy_outcomes(wv)
    for m in ("3cosadd", "3cosmul"):
        assert sum(o.right(m) for o in outcomes) == evaluate_analogies(wv, "google", m).correct
    for group, right in (("working", True), ("failing", False)):
        for item in facts[group]:
            a, b, c, d = item["question"]
            for m in ("3cosadd", "3cosmul"):
                answer = analogy(wv, a, b, c, method=m, restrict=30_000)[0][0]
                assert answer == item["answers"][m]
                assert (answer == d) is right
    for item in facts["failing"]:
        a, b, c, d = item["question"]
        rank = item["ranks"]["3cosadd"]
        assert rank > 1
        assert analogy(wv, a, b, c, k=rank)[rank - 1][0] == d


def test_quick_section_handles_the_missing_capitals(quick, tmp_path):
    _, section, wv = quick
    pairs = glove_picks.capital_pairs(wv)
    has_figure = any(b.name == "capitals" for b in section.figures())
    assert has_figure == (len(pairs) >= glove.MIN_PAIRS)
    if not has_figure:
        assert any(isinstance(b, Note) and "left out" in b.text for b in section.blocks)
    assert section.id == glove.ID and section.title == glove.TITLE
    json.dumps(section.facts)
    files = write_figures(section, tmp_path)
    page = render_article([section], files, "t", "s")
    assert glove.TITLE in page
