"""The "Inside the GPT" section on the shipped model: its numbers recomputed with the lens.

Nothing here assumes what the shipped model gets right (it is retrained); every check
compares the section with the probes run again on ``run.gpt()``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from diaphane.lens import layer_rankings, probes
from diaphane.lens.figures import AttentionFigure, FactorsFigure, RankingsFigure, SaliencyFigure
from diaphane.report.article import render_article, write_figures
from diaphane.report.document import FigureBlock, Note, Prose, TableBlock
from diaphane.report.sections import gpt as section


@pytest.fixture(scope="module")
def built(quick_run):
    return section.build(quick_run)


@pytest.fixture(scope="module")
def model(quick_run):
    return quick_run.gpt()


def _figure(built, name) -> FigureBlock:
    return next(b for b in built.figures() if b.name == name)


def _table(built, name) -> TableBlock:
    return next(b for b in built.blocks if isinstance(b, TableBlock) and b.name == name)


def test_section_has_its_parts_and_json_facts(built, quick_run, model):
    assert (built.id, built.title) == ("gpt", "Inside the GPT") == (section.ID, section.TITLE)
    kinds = {b.name: type(b.figure) for b in built.figures()}
    assert kinds == {
        "rankings": RankingsFigure, "agreement": RankingsFigure, "saliency": SaliencyFigure,
        "rollout": AttentionFigure, "flow": AttentionFigure, "induction": AttentionFigure,
        "factors": FactorsFigure,
    }  # fmt: skip
    assert all(f.caption for f in built.figures())
    assert json.loads(json.dumps(built.facts)) == built.facts
    m = built.facts["model"]
    assert m["source"] == quick_run.models["gpt"]["source"] == "shipped default"
    assert (m["n_layer"], m["n_embd"]) == (model.config.n_layer, model.config.n_embd)
    assert m["valid_ppl"] == model.info.get("valid_ppl")
    assert f"{model.config.n_layer} layers of width {model.config.n_embd}" in built.blocks[0].text


def test_rankings_figure_is_the_lens_of_the_chosen_prompt(built, model):
    chosen = built.facts["rankings"]
    fig = _figure(built, "rankings").figure
    r = layer_rankings(model, chosen["prompt"], watch=[chosen["expected"]])
    assert fig.tokens == r.tokens and fig.labels == ["model output", repr(chosen["expected"])]
    np.testing.assert_array_equal(fig.ranks[0], r.output_rank)
    np.testing.assert_array_equal(fig.ranks[1], r.watch_rank[..., 0])
    np.testing.assert_allclose(fig.probs[1], r.watch_prob[..., 0])
    assert chosen["ranks"] == r.watch_rank[:, -1, 0].tolist()


def test_the_chosen_prompt_is_right_or_the_section_says_none_is(built, model):
    chosen = built.facts["rankings"]
    scores = probes.score_candidates(model)
    right = [[c.prompt, c.expected] for c in scores if c.right]
    assert [x[:2] for x in built.facts["candidates"]["right"]] == right
    warnings = [b for b in built.blocks if isinstance(b, Note) and b.kind == "warning"]
    last = layer_rankings(model, chosen["prompt"]).output_ids[-1]
    if right:
        assert [chosen["prompt"], chosen["expected"]] in right and chosen["right"]
        assert model.token_str(int(last)) == chosen["expected"]
        assert not any("None of the" in w.text for w in warnings)
        assert len(_table(built, "right-answers").rows) == len(right)
    else:
        assert not chosen["right"] and any("None of the" in w.text for w in warnings)


def test_facts_hold_the_agreement_rates(built, model):
    a = probes.agreement_by_layer(model)
    facts = built.facts["agreement"]
    np.testing.assert_allclose(facts["rate"], a.rate, atol=5e-5)
    assert facts["prompts"] == len(a.prompts)
    rows = _table(built, "agreement").rows
    assert [row[1] for row in rows] == a.correct.sum(axis=0).tolist()
    np.testing.assert_allclose([row[2] for row in rows], a.rate)
    shown = facts["shown"]
    r = layer_rankings(model, shown["prompt"], watch=[shown["grammatical"], shown["ungrammatical"]])
    assert shown["good_rank"] == r.watch_rank[:, -1, 0].tolist()
    assert shown["bad_rank"] == r.watch_rank[:, -1, 1].tolist()


def test_facts_hold_the_induction_summary(built, model):
    facts = built.facts["induction"]
    ind = probes.induction_ranks(model, facts["length"], seed=facts["seed"])
    assert facts["median_rank_first"] == ind.median_first.tolist()
    assert facts["median_rank_second"] == ind.median_second.tolist()
    assert facts["rank_one_layer"] == ind.rank_one_layer
    layer, head = ind.best_head
    assert facts["strongest_stripe"]["layer"] == layer + 1
    assert facts["strongest_stripe"]["head"] == head
    rows = _table(built, "induction").rows
    assert [row[2] for row in rows] == ind.median_second.tolist()
    fig = _figure(built, "induction").figure
    assert (fig.view, fig.layer, fig.head) == ("attention", layer, head)


def test_saliency_delta_is_in_the_prose(built):
    s = built.facts["saliency"]
    assert s["n_steps"] == section.settings(True)["ig_steps"]
    fig = _figure(built, "saliency").figure
    assert fig.delta == pytest.approx(s["delta"], rel=1e-2)
    prose = " ".join(b.text for b in built.blocks if isinstance(b, Prose))
    assert f"miss it by {fig.delta:.2g}" in prose


def test_section_renders_escaped(built, tmp_path):
    files = write_figures(built, tmp_path)
    assert sorted(files) == sorted(f"gpt-{b.name}" for b in built.figures())
    page = render_article([built], files, "t", "s")
    assert "Inside the GPT" in page
    assert "<code>&#x27; are&#x27;</code>" in page  # token text escaped, then marked as code
    assert all((tmp_path / f["html"]).is_file() for f in files.values())
