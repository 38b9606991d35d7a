"""The report's engine section: a traced training step, its gradient tables checked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from diaphane.autodiff import SparseRows, grad
from diaphane.report.document import FigureBlock, Metric, TableBlock
from diaphane.report.sections import engine
from diaphane.viz.graph_figure import GraphFigure


@pytest.fixture(scope="module")
def section(quick_run):
    return engine.build(quick_run)


@pytest.fixture(scope="module")
def step(quick_run):
    return engine.training_step(quick_run)


def _dense(g):
    return g.to_dense() if isinstance(g, SparseRows) else np.asarray(g)


def _tables(section) -> dict[str, TableBlock]:
    return {b.name: b for b in section.blocks if isinstance(b, TableBlock)}


def test_the_example_is_real_and_seeded(step, quick_run):
    assert step.sentence in quick_run.sentences
    assert step.words == list(dict.fromkeys(step.sentence))
    assert step.context == step.sentence[step.position - 2 : step.position]
    assert step.target == step.sentence[step.position]
    again = engine.training_step(quick_run)
    assert again.sentence == step.sentence and again.position == step.position
    for k in engine.PARAMS:
        np.testing.assert_array_equal(again.params[k], step.params[k])
    assert step.params["E"].shape == (len(step.words), engine.DIM)


def test_loss_is_minus_log_softmax_of_the_target(step):
    p = step.params
    x = p["E"][step.context_ids].ravel()
    logits = np.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    expected = np.log(np.sum(np.exp(logits))) - logits[step.target_id]
    assert float(step.loss(p)) == pytest.approx(expected, rel=1e-12)


def test_tables_hold_the_gradient_and_small_errors(section, step):
    tables = _tables(section)
    assert sorted(tables) == sorted(f"fd-{k.lower()}" for k in engine.PARAMS)
    g = grad(step.loss)(step.params)
    for k in engine.PARAMS:
        rows = tables[f"fd-{k.lower()}"].rows
        analytic, numeric, err = (np.array([r[c] for r in rows]) for c in (1, 2, 3))
        np.testing.assert_allclose(analytic, _dense(g[k]).ravel(), rtol=1e-12, atol=0)
        assert len(rows) == step.params[k].size
        assert err.max() < 1e-6, k
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        big = scale > 1e-8
        np.testing.assert_allclose(err[big], np.abs(analytic - numeric)[big] / scale[big])
        assert section.facts["fd_max_relative_error"][k] == pytest.approx(err.max(), rel=1e-2)


def test_finite_differences_of_one_entry_by_hand(section, step):
    p = step.params
    eps = engine.EPS
    plus = {**p, "W2": p["W2"].copy()}
    minus = {**p, "W2": p["W2"].copy()}
    plus["W2"][1, step.target_id] += eps
    minus["W2"][1, step.target_id] -= eps
    by_hand = (float(step.loss(plus)) - float(step.loss(minus))) / (2 * eps)
    row = next(r for r in _tables(section)["fd-w2"].rows if r[0] == f"W2[1, {step.target}]")
    assert row[2] == pytest.approx(by_hand, rel=1e-12)


def test_only_looked_up_rows_of_the_embedding_get_a_gradient(step):
    g = _dense(grad(step.loss)(step.params)["E"])
    used = set(step.context_ids.tolist())
    for i in range(len(step.words)):
        assert np.any(g[i] != 0) == (i in used)


def test_graph_has_values_and_gradients_on_every_node(section, step):
    fig = next(b.figure for b in section.blocks if isinstance(b, FigureBlock))
    assert isinstance(fig, GraphFigure)
    graph = fig.graph
    assert 15 <= len(graph.nodes) <= 40
    for node in graph.nodes:
        assert node.value is not None
        if node.kind != "const":
            assert node.grad is not None, node
    out = graph.nodes[graph.outputs[0]]
    assert float(out.grad) == 1.0
    assert float(out.value) == pytest.approx(float(step.loss(step.params)))
    g = grad(step.loss)(step.params)
    for nid in graph.inputs:
        key = graph.nodes[nid].name.split("'")[1]
        np.testing.assert_allclose(graph.nodes[nid].grad, _dense(g[key]), rtol=1e-12)
    assert set(fig.roles()) >= {"param", "const", "op", "output"}
    assert section.facts["graph"]["nodes"] == len(graph.nodes)


def test_one_sgd_step_lowers_the_loss(section, step):
    f = section.facts
    g = grad(step.loss)(step.params)
    after = {k: step.params[k] - engine.LR * _dense(g[k]) for k in engine.PARAMS}
    assert f["loss_before"] == pytest.approx(float(step.loss(step.params)), abs=1e-6)
    assert f["loss_after"] == pytest.approx(float(step.loss(after)), abs=1e-6)
    assert f["loss_after"] < f["loss_before"]
    assert f["check_grads"]["rev"] < 1e-6
    assert any(isinstance(b, Metric) for b in section.blocks)
    json.dumps(f)


def test_relative_error_conventions():
    err = engine.relative_error(np.array([0.0, 1.0, 2.0, 1e-12]), np.array([0.0, 1.1, 2.0, 0.0]))
    np.testing.assert_allclose(err, [0.0, 0.1 / 1.1, 0.0, 0.0])
