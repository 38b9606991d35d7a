"""The hypergradient figures: data checks, static SVG, and the page in a real browser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from diaphane.errors import UsageError
from diaphane.viz.hyper_figures import (
    OKABE_ITO,
    LineChart,
    Series,
    meta_loss_figure,
    optimizer_curves_figure,
    optimizer_training_figure,
    schedule_figure,
)
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip, tooltip_text

NAMES = ("layer 1 weights", "layer 1 biases", "layer 2 weights", "layer 2 biases")


def _schedule(names=NAMES):
    lr = 0.3 * np.exp(np.sin(np.arange(30)[:, None] / 5 + np.arange(4)))
    return schedule_figure(lr, names, np.full((30, 4), 0.3), [1e-3, 2e-4, 3e-3, 4e-5])


def _curves():
    rng = np.random.default_rng(0)
    decay = np.exp(-np.arange(41) / 10)
    curves = {name: (1 + rng.random((20, 41))) * decay * s for name, s in
              [("learned", 0.1), ("SGD", 1.0), ("Adam", 0.5)]}  # fmt: skip
    curves["SGD"][:12, 30:] = np.inf  # most runs diverged late: a gap in the median
    return optimizer_curves_figure(curves, {"SGD": 0.0178, "Adam": 1.78})


def test_series_and_charts_refuse_bad_data():
    with pytest.raises(UsageError, match="equal length"):
        Series("a", [1, 2, 3], [1, 2], "#000")
    with pytest.raises(UsageError, match="increase"):
        Series("a", [2, 1], [1, 2], "#000")
    with pytest.raises(UsageError, match="log axis"):
        LineChart([Series("a", [1, 2], [1.0, 0.0], "#000")], "t", logy=True)
    with pytest.raises(UsageError, match="one column per name"):
        schedule_figure(np.ones((5, 3)), NAMES)


def test_data_uses_okabe_ito_and_gaps_for_non_finite():
    fig = _curves()
    data = fig.data()
    assert [s["colour"] for s in data["series"]] == list(OKABE_ITO[:3])
    sgd = data["series"][1]
    assert sgd["name"] == "SGD (tuned lr 0.0178)"
    assert sgd["y"][-1] is None and sgd["y"][0] is not None  # median of 12 inf of 20 runs
    assert data["logy"] is True
    assert [s["name"] for s in _schedule().data()["series"]][-1] == "where it started"


def test_static_svg_renders_deterministically(hostile_word):
    for make in (_schedule, _curves, lambda: meta_loss_figure([0.5, 0.4, 0.35], "reverse")):
        svg = make().to_svg()
        assert ET.fromstring(svg).tag.endswith("svg")
        assert svg == make().to_svg()
    svg = _schedule((hostile_word, *NAMES[1:])).to_svg()
    ET.fromstring(svg)  # a hostile layer name is still well-formed SVG
    assert "<img" not in svg


@pytest.mark.parametrize("kind", ["schedule", "meta", "curves", "training"])
def test_page_hover_keys_and_screenshot(browser_page, tmp_path, kind):
    fig = {
        "schedule": _schedule,
        "meta": lambda: meta_loss_figure([0.9, 0.7, 0.6, 0.55], "reverse"),
        "curves": _curves,
        "training": lambda: optimizer_training_figure([1.0, 0.2, -0.5, -1.0]),
    }[kind]()
    path = tmp_path / f"{kind}.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("path.hyper-line").count() == len(fig.series)
    assert page.locator("#hyper-legend .dia-legend-item").count() == len(fig.series)
    text = hover_tooltip(page, "#hyper-view svg")
    for s in fig.series:
        assert s.name in text
    assert fig.xlabel in text
    page.focus("#hyper-view svg")
    page.keyboard.press("Home")
    first = tooltip_text(page)
    assert first.splitlines()[0] == f"{fig.xlabel} {int(fig.series[0].x[0])}"
    page.keyboard.press("End")
    assert tooltip_text(page).splitlines()[0] == f"{fig.xlabel} {int(fig.series[0].x[-1])}"
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_page_reads_values_and_quartiles(browser_page, tmp_path):
    path = tmp_path / "c.html"
    fig = _curves()
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    page.focus("#hyper-view svg")
    page.keyboard.press("Home")
    lines = tooltip_text(page).splitlines()
    learned = fig.series[0]
    assert lines[1].startswith("learned: ")
    assert float(lines[1].split(": ")[1].split()[0]) == pytest.approx(learned.y[0], rel=1e-3)
    assert "quartiles" in lines[1]
    page.keyboard.press("End")
    assert "SGD (tuned lr 0.0178): —" in tooltip_text(page)  # the gap reads as a dash
    assert page.locator("path.hyper-band").count() == 3
    assert_clean(errors, requests)


def test_hostile_name_is_text(browser_page, tmp_path, hostile_word):
    path = tmp_path / "h.html"
    _schedule((hostile_word, *NAMES[1:])).to_html(path)
    page, errors, requests = browser_page(path)
    assert hostile_word in page.locator("#hyper-legend").text_content()
    assert hostile_word in hover_tooltip(page, "#hyper-view svg")
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
