"""The computation-graph figure: layout, page data, static picture, and the page in Chromium."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest

import diaphane.numpy as dnp
from diaphane import examples
from diaphane.autodiff import grad
from diaphane.viz.graph_figure import GraphFigure
from diaphane.viz.graph_layout import (
    assign_layers,
    count_crossings,
    layered_layout,
    order_layers,
)
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

# ----------------------------------------------------------------------------- layout


def _brute_crossings(orders, segments):
    pos = {v: i for o in orders for i, v in enumerate(o)}
    n = 0
    for (a, b), (c, d) in itertools.combinations(segments, 2):
        same_cols = any(a in o for o in orders[:-1]) and any(c in o for o in orders)
        if same_cols and (pos[a] - pos[c]) * (pos[b] - pos[d]) < 0:
            n += 1
    return n


def test_layers_are_longest_paths_with_sources_next_to_first_use():
    # 0 → 2 → 3 → 4 and 1 → 4: source 1 moves right next to its only use.
    layers = assign_layers(5, [(0, 2), (2, 3), (3, 4), (1, 4)])
    assert layers == [0, 2, 1, 2, 3]
    for s, d in [(0, 2), (2, 3), (3, 4), (1, 4)]:
        assert layers[d] > layers[s]


def test_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        assign_layers(2, [(0, 1), (1, 0)])


def test_crossing_count_matches_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        top, bottom = list(range(5)), list(range(5, 10))
        rng.shuffle(top), rng.shuffle(bottom)
        segs = sorted({(int(rng.integers(5)), int(rng.integers(5, 10))) for _ in range(7)})
        orders = [top, bottom]
        assert count_crossings(orders, segs) == _brute_crossings(orders, segs)


def test_barycentre_sweeps_remove_avoidable_crossings():
    # Two columns wired in reverse: 0-5, 1-4, 2-3 cross pairwise (3 crossings) in id order.
    segs = [(0, 5), (1, 4), (2, 3)]
    layer = [0, 0, 0, 1, 1, 1]
    assert count_crossings([[0, 1, 2], [3, 4, 5]], segs) == 3
    orders = order_layers(layer, segs)
    assert count_crossings(orders, segs) == 0


def test_long_edges_get_routed_through_the_columns_they_cross():
    lay = layered_layout([(40, 20)] * 4, [(0, 1), (1, 2), (2, 3), (0, 3)])
    assert lay.layer == [0, 1, 2, 3]
    assert [len(r) for r in lay.routes] == [2, 2, 2, 4]
    xs = [p[0] for p in lay.routes[3]]
    assert xs == sorted(xs)
    # Boxes in one column never overlap.
    assert lay.width > 0 and lay.height > 0


def test_examples_lay_out_without_crossings_and_without_overlap():
    for name in ("logistic", "mlp"):
        fig = GraphFigure.from_example(name)
        assert fig.layout.crossings == 0
        d = fig.data()
        for a, b in itertools.combinations(d["nodes"], 2):
            apart_x = abs(a["x"] - b["x"]) >= (a["w"] + b["w"]) / 2
            apart_y = abs(a["y"] - b["y"]) >= (a["h"] + b["h"]) / 2
            assert apart_x or apart_y, (a["lines"], b["lines"])
        for e in d["edges"]:  # each edge flows left to right
            assert e["points"][0][0] < e["points"][-1][0]


# ----------------------------------------------------------------------------- data


def test_logistic_roles_values_and_gradients():
    fig = GraphFigure.from_example("logistic")
    d = fig.data()
    by_name = {n["lines"][0]: n for n in d["nodes"]}
    assert by_name["w"]["role"] == "param" and by_name["b"]["role"] == "param"
    assert by_name["x"]["role"] == "input" and by_name["t"]["role"] == "input"
    assert sum(n["role"] == "output" for n in d["nodes"]) == 1
    assert len(d["nodes"]) == 13 and len(d["edges"]) == 12
    ex = examples.load("logistic")
    gw = float(grad(ex.fun)(*ex.args))
    tip = " ".join(line["text"] for line in by_name["w"]["tip"])
    assert f"gradient = {gw:.4g}" in tip
    assert "value = 0.8" in tip


def test_mlp_parameters_are_the_params_tree():
    d = GraphFigure.from_example("mlp").data()
    params = [n["lines"][0] for n in d["nodes"] if n["role"] == "param"]
    assert params == ["params['W1']", "params['b1']", "params['W2']", "params['b2']"]
    tip = " ".join(
        t["text"] for n in d["nodes"] if n["lines"][0] == "params['W1']" for t in n["tip"]
    )
    assert "float64[4,5]" in tip and "min" in tip and "…" in tip


def test_html_and_svg_are_deterministic(tmp_path):
    a = GraphFigure.from_example("mlp")
    b = GraphFigure.from_example("mlp")
    assert a.to_html() == b.to_html()
    assert a.to_svg() == b.to_svg()
    png = a.to_png(tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.read_bytes() == b.to_png(tmp_path / "h.png").read_bytes()


# ----------------------------------------------------------------------------- browser


def test_page_draws_every_node_and_edge_and_shows_gradients(browser_page, tmp_path):
    path = tmp_path / "logistic.html"
    fig = GraphFigure.from_example("logistic")
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator(".graph-node").count() == 13
    assert page.locator("path.graph-edge").count() == 12
    assert page.locator(".role-param").count() == 2
    assert page.locator(".role-output rect").count() == 2  # the double border
    text = hover_tooltip(page, ".graph-node[data-id='0']")
    assert "value = 0.8" in text and "gradient = -0.07932" in text
    assert page.locator("path.graph-edge.is-hot").count() == 1
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_wheel_zooms_the_drawing(browser_page, tmp_path):
    path = tmp_path / "mlp.html"
    GraphFigure.from_example("mlp").to_html(path)
    page, errors, requests = browser_page(path)
    world = page.locator(".graph-world")
    before = world.get_attribute("transform")
    box = page.locator("#graph-view svg").bounding_box()
    page.mouse.move(box["x"] + 50, box["y"] + 30)
    page.mouse.wheel(0, -400)
    after = world.get_attribute("transform")
    k = lambda t: float(re.search(r"scale\(([^)]+)\)", t).group(1))
    assert k(after) > k(before)
    assert_clean(errors, requests)


def test_hostile_names_show_as_text(browser_page, tmp_path, hostile_word):
    def f(params):
        return dnp.sum(dnp.tanh(params[hostile_word]))

    fig = GraphFigure.from_function(f, {hostile_word: np.ones(2)}, params=("params",))
    fig.title = hostile_word
    path = tmp_path / "hostile.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("img").count() == 0
    first = page.locator(".graph-node[data-id='0'] text").first.text_content()
    assert first == f"params[{hostile_word!r}]"[:29] + "…"
    tip = hover_tooltip(page, ".graph-node[data-id='0']")
    assert hostile_word in tip
    assert page.title() == hostile_word
    assert_clean(errors, requests)
    assert json.loads(page.locator("#figure-data").text_content())["nodes"][0]["tip"]
