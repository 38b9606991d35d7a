"""The figure machinery: page rendering, JSON escaping, determinism, Jupyter, the browser."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from diaphane.viz import Figure, render_page
from diaphane.viz.html import asset_text, dumps_json
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip


@dataclass
class Dots(Figure):
    """The smallest figure: the base template, data, and a bar chart."""

    template: ClassVar[str] = "base.html.j2"
    values: np.ndarray
    labels: list[str]
    title: str = "Dots"

    def data(self) -> dict:
        return {"values": self.values, "labels": self.labels}

    def draw(self, ax) -> None:
        ax.bar(range(len(self.labels)), self.values, tick_label=self.labels)


def _embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="figure-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_json_cannot_close_the_script(hostile_word):
    text = dumps_json({"w": [hostile_word, "a&b", "\u2028\u2029", "<!--"]})
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == {"w": [hostile_word, "a&b", "\u2028\u2029", "<!--"]}


def test_json_converts_numpy_and_refuses_nan():
    assert json.loads(dumps_json({"a": np.arange(3), "b": np.float32(0.5), "c": (1, 2)})) == {
        "a": [0, 1, 2],
        "b": 0.5,
        "c": [1, 2],
    }
    with pytest.raises(ValueError, match="NaN"):
        dumps_json({"x": [1.0, float("nan")]})
    with pytest.raises(ValueError, match="NaN"):
        dumps_json({"x": np.array([np.inf])})
    with pytest.raises(TypeError, match="object"):
        dumps_json({"x": object()})


def test_page_escapes_title_and_inlines_assets(hostile_word):
    page = render_page("base.html.j2", title=hostile_word, data={"w": hostile_word})
    assert hostile_word not in page
    assert html.escape(hostile_word) in page
    assert _embedded(page) == {"w": hostile_word}
    assert asset_text("base.js").strip() in page
    assert asset_text("base.css").strip() in page
    # Exactly one closing tag per opened script: the data and base.js.
    assert page.count("</script>") == 2
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


def test_asset_names_are_plain():
    with pytest.raises(ValueError):
        asset_text("../html.py")
    with pytest.raises(FileNotFoundError):
        asset_text("nope.js")


def test_figure_outputs_are_deterministic(tmp_path):
    fig = Dots(np.array([1.0, -2.0, 3.0]), ["a", "b", "c"])
    a, b = fig.to_html(tmp_path / "a.html"), fig.to_html()
    assert a == b == (tmp_path / "a.html").read_text(encoding="utf-8")
    svg = fig.to_svg()
    assert svg == Dots(np.array([1.0, -2.0, 3.0]), ["a", "b", "c"]).to_svg()
    assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg
    png = fig.to_png(tmp_path / "d.png", dpi=50)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert data == fig.to_png(tmp_path / "e.png", dpi=50).read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_repr_html_is_a_sandboxed_iframe(hostile_word):
    fig = Dots(np.array([1.0]), [hostile_word], title=hostile_word)
    frame = fig._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    assert "allow-same-origin" not in frame
    srcdoc = re.match(r'<iframe srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == fig.to_html()
    assert "<script" not in srcdoc and hostile_word not in frame


def test_base_page_in_browser(browser_page, tmp_path, hostile_word):
    fig = Dots(np.array([1.0, 2.0]), [hostile_word, "b"], title=hostile_word)
    path = tmp_path / "dots.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.title() == hostile_word
    assert page.locator("h1").inner_text() == hostile_word
    assert page.locator("img").count() == 0
    assert page.evaluate("Diaphane.data().labels[0]") == hostile_word
    # The shared helpers: text goes in as text, event attributes are refused.
    page.evaluate(
        """() => {
        const d = Diaphane.data();
        const row = Diaphane.el('p', {id: 'probe', tabindex: 0}, d.labels[0]);
        document.getElementById('figure').appendChild(row);
        Diaphane.attachTooltip(row, () => [{text: d.labels[0], head: true}, 'value 2']);
    }"""
    )
    assert page.locator("#probe").inner_text() == hostile_word
    assert page.locator("img").count() == 0
    assert page.evaluate(
        "(() => { try { Diaphane.el('b', {onclick: 'x'}); return false; }"
        " catch (e) { return true; } })()"
    )
    tip = hover_tooltip(page, "#probe")
    assert tip.splitlines() == [hostile_word, "value 2"]
    page.mouse.move(1000, 700)
    assert page.locator("#dia-tooltip").is_hidden()
    assert page.evaluate("[Diaphane.fmt(0.0000125), Diaphane.fmt(2.5), Diaphane.fmt(null)]") == [
        "1.25e-5",
        "2.5",
        "—",
    ]
    assert page.evaluate("Diaphane.diverging(0)") == "rgb(247,247,247)"
    assert page.evaluate("Diaphane.diverging(-1)") == "rgb(5,48,97)"
    assert page.evaluate("Diaphane.textColor('rgb(5,48,97)')") == "#fff"
    assert_clean(errors, requests)
    assert_not_blank(page, min_colors=2)


def test_outside_requests_are_caught(browser_page, tmp_path):
    path = tmp_path / "leaky.html"
    path.write_text('<html><body><img src="https://example.invalid/x.png"></body></html>')
    _page, errors, requests = browser_page(path)
    assert requests == ["https://example.invalid/x.png"]
    assert errors  # the failed load shows in the console too


def test_written_files_get_normal_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        Dots(np.array([1.0]), ["a"]).to_html(tmp_path / "p.html")
    finally:
        os.umask(old)
    assert (tmp_path / "p.html").stat().st_mode & 0o777 == 0o644
