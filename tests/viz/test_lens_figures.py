"""The lens figures (rankings, saliency, attention, neuron factors) and ``--out`` on the CLI.

Everything runs on the small GPT shipped with diaphane; the browser tests open
each page from disk in Chromium with the network blocked.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import diaphane.cli
from diaphane.autodiff.core import DiaphaneError
from diaphane.lens import (
    attention_flow,
    attention_rollout,
    layer_rankings,
    model_attentions,
    neuron_factors,
    saliency,
)
from diaphane.lens.figures import AttentionFigure, FactorsFigure, RankingsFigure, SaliencyFigure
from diaphane.lens.figures_text import display, layout_tokens
from diaphane.viz import static
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

TEXT = "Heathrow airport is located in the city of"
WATCH = [" London", " Paris"]


@pytest.fixture(scope="module")
def model():
    from diaphane.models.gpt import default_model

    return default_model()


@pytest.fixture(scope="module")
def rankings(model):
    return layer_rankings(model, TEXT, watch=WATCH, k=4)


@pytest.fixture
def rank_fig(rankings, model, hostile_word):
    fig = RankingsFigure.from_rankings(
        rankings, targets=("output", "next", "watch"), vocab_size=model.config.vocab_size
    )
    fig.tokens[2] = hostile_word  # as if the model had read it as one token
    fig.topk_tokens[1][-1][3] = hostile_word
    return fig


def _number(tip: str, after: str) -> float:
    m = re.search(re.escape(after) + r"\s*(-?[0-9.]+(?:e[-+]?\d+)?)", tip)
    assert m, f"no number after {after!r} in {tip!r}"
    return float(m.group(1))


def _rgb(locator) -> tuple[int, int, int]:
    css = locator.evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = map(int, re.findall(r"\d+", css)[:3])
    return r, g, b


# ----------------------------------------------------------------------------- rankings


def test_rankings_panels_hold_the_lens_numbers(rankings, model):
    fig = RankingsFigure.from_rankings(rankings, targets=("output", "next", " Paris"))
    assert fig.labels == ["model output", "actual next token", "' Paris'"]
    np.testing.assert_array_equal(fig.ranks[0], rankings.output_rank)
    np.testing.assert_array_equal(fig.ranks[1, :, :-1], rankings.next_rank)
    assert (fig.ranks[1, :, -1] == 0).all()  # no next token after the last position
    np.testing.assert_array_equal(fig.ranks[2], rankings.watch_rank[..., 1])
    assert fig.data()["ranks"][1][0][-1] is None
    assert fig.position == len(rankings.ids) - 1
    default = RankingsFigure.from_rankings(rankings)
    assert default.labels == ["model output", "' London'", "' Paris'"]
    with pytest.raises(DiaphaneError, match="Unknown target ' Rome'"):
        RankingsFigure.from_rankings(rankings, targets=(" Rome",))
    with pytest.raises(DiaphaneError, match="outside"):
        RankingsFigure.from_rankings(rankings, position=40)


def test_rankings_static_uses_a_log_scale(rank_fig):
    from matplotlib.colors import LogNorm

    _, ax = static.new_figure(rank_fig.figsize)
    rank_fig.draw(ax)
    image = ax.images[0]
    assert isinstance(image.norm, LogNorm) and image.norm.vmin == 1
    assert image.norm.vmax == rank_fig.vocab_size
    # Rank 1 is the darkest colour of the map.
    assert sum(image.cmap(image.norm(1))[:3]) < sum(image.cmap(image.norm(100))[:3])
    texts = {t.get_text() for t in ax.texts}
    assert {"1", "model output", "' London'"} <= texts


def test_rankings_in_browser(browser_page, rank_fig, rankings, model, tmp_path, hostile_word):
    path = tmp_path / "rankings.html"
    rank_fig.to_html(path)
    page, errors, requests = browser_page(path)
    n_rows, n = rankings.n_layers, len(rankings.ids)
    assert page.locator("td.rk-cell").count() == 4 * n_rows * n
    assert page.locator("#rk-panel-0 td.rk-cell").count() == n_rows * n
    assert page.locator("#rk-panel-1 td.rk-empty").count() == n_rows  # the last column
    labels = page.locator("#rk-panel-0 thead th.lens-tok").all_text_contents()
    assert labels == [display(t) for t in rank_fig.tokens] and labels[2] == hostile_word
    assert page.locator("img").count() == 0

    # A watched token's cell: its rank, probability, and that layer's top-k.
    layer, pos = 1, 5
    rank = int(rankings.watch_rank[layer, pos, 0])
    cell = f"#rk-cell-2-{layer}-{pos}"
    assert page.locator(cell).inner_text() == str(rank)
    tip = hover_tooltip(page, cell)
    assert f"rank {rank} of {model.config.vocab_size}" in tip and "\u201c London\u201d" in tip
    prob = _number(tip, "probability")
    assert prob == pytest.approx(float(rankings.watch_prob[layer, pos, 0]), rel=1e-3)
    assert f"\u201c{rankings.topk_tokens[layer][pos][0]}\u201d" in tip
    # Rank 1 is darker than a poor rank.
    best = np.argwhere(rankings.output_rank == 1)[0]
    worst = np.unravel_index(np.argmax(rankings.output_rank), rankings.output_rank.shape)
    dark = sum(_rgb(page.locator(f"#rk-cell-0-{best[0]}-{best[1]}")))
    light = sum(_rgb(page.locator(f"#rk-cell-0-{worst[0]}-{worst[1]}")))
    assert dark < light

    # The top-k table follows the clicked column.
    assert f"position {n - 1}" in page.locator("#rk-topk-title").inner_text()
    assert page.locator("#rk-topk td").count() == n_rows * 4
    assert page.locator("#rk-topk-1-3").text_content().startswith(hostile_word)
    page.locator("#rk-col-0-3").click()
    title = page.locator("#rk-topk-title").inner_text()
    assert f"position 3 (\u201c{display(rank_fig.tokens[3])}\u201d)" in title
    first = page.locator("#rk-topk-0-0 .lens-tok").text_content()
    assert first == display(rankings.topk_tokens[0][3][0])
    assert page.locator("th.rk-selected").count() == 4
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
    assert_not_blank(page)


# ----------------------------------------------------------------------------- saliency


@pytest.fixture(scope="module")
def sal_ig(model):
    return saliency(model, TEXT + " </script><img src=x onerror=alert(1)>", n_steps=16)


def test_saliency_in_browser(browser_page, sal_ig, tmp_path):
    fig = SaliencyFigure.from_saliency(sal_ig)
    path = tmp_path / "saliency.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    spans = page.locator("#sal-text .sal-tok")
    assert spans.count() == len(sal_ig.tokens)
    # The text, hostile tail included, comes back as text; nothing became an element.
    assert "".join(spans.all_text_contents()) == "".join(display(t) for t in sal_ig.tokens)
    assert "</script><img src=x" in "".join(spans.all_text_contents())
    assert page.locator("#sal-text img, #figure img").count() == 0
    summary = page.locator("#sal-summary").inner_text()
    assert "integrated gradients" in summary and f"prob({sal_ig.target!r})" in summary
    assert _number(page.locator("#sal-delta").inner_text(), "") == pytest.approx(
        sal_ig.delta, rel=2e-3, abs=1e-12
    )
    i = int(np.argmax(sal_ig.scores))
    tip = hover_tooltip(page, f"#sal-tok-{i}")
    assert _number(tip, "(share of L2 norms)") == pytest.approx(sal_ig.scores[i], rel=1e-3)
    assert page.locator("#sal-target").text_content() == display(sal_ig.target)
    assert_clean(errors, requests)
    assert_not_blank(page)


def test_signed_saliency_is_diverging(browser_page, model, tmp_path):
    s = saliency(model, TEXT, method="gradxinput", aggregate="sum", target=" London")
    assert (s.scores > 0).any() and (s.scores < 0).any()
    fig = SaliencyFigure.from_saliency(s)
    path = tmp_path / "signed.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    up, down = int(np.argmax(s.scores)), int(np.argmin(s.scores))
    r, _, b = _rgb(page.locator(f"#sal-tok-{up}"))
    assert r > b
    r, _, b = _rgb(page.locator(f"#sal-tok-{down}"))
    assert b > r
    tip = hover_tooltip(page, f"#sal-tok-{down}")
    assert _number(tip, "(signed sum)") == pytest.approx(s.scores[down], rel=1e-3)
    assert "delta" not in page.locator("#sal-summary").inner_text()
    assert_clean(errors, requests)
    _, norm, cmap = fig.colors()
    assert cmap == "RdBu_r" and norm.vcenter == 0 and norm.vmin == -norm.vmax
    _, ax = static.new_figure(fig.figsize)
    fig.draw(ax)
    r, _, b, _ = ax.patches[up].get_facecolor()  # the PNG colours the same way
    assert r > b


def test_token_layout_wraps():
    placed = layout_tokens([["ab", "\n", "c" * 70, "d"]], width=64)[0]
    assert placed[0] == (0, 0, 2, "ab") and placed[1] == (0, 2, 1, "\u21b5")
    assert placed[2][:2] == (1, 0) and placed[3][:2] == (2, 0)  # a long token gets its own line


# ----------------------------------------------------------------------------- attention


@pytest.fixture(scope="module")
def att_fig(model):
    return AttentionFigure.from_model(model, TEXT)


def test_attention_figure_numbers(att_fig, model):
    att = model_attentions(model, TEXT)
    np.testing.assert_allclose(att_fig.rollout, attention_rollout(att))
    np.testing.assert_allclose(att_fig.flow[-1], attention_flow(att))
    assert att_fig.causal
    np.testing.assert_allclose(att_fig.matrix("attention", 0, 1), att[0, 1])
    np.testing.assert_allclose(att_fig.matrix("attention", 1, "mean"), att[1].mean(0), atol=1e-7)
    with pytest.raises(DiaphaneError, match="no head 9"):
        AttentionFigure(att_fig.tokens, att_fig.attentions, att_fig.rollout, head=9)
    with pytest.raises(DiaphaneError, match="missing view"):
        AttentionFigure(att_fig.tokens, att_fig.attentions, att_fig.rollout, view="flow")


def test_attention_in_browser(browser_page, att_fig, model, tmp_path):
    path = tmp_path / "attention.html"
    att_fig.to_html(path)
    page, errors, requests = browser_page(path)
    n = len(att_fig.tokens)
    assert page.locator("td.att-cell").count() == n * n
    assert page.locator("td.att-masked").count() == n * (n - 1) // 2
    assert "masked" in hover_tooltip(page, "#att-cell-2-5")
    tip = hover_tooltip(page, "#att-cell-7-3")
    last = model.config.n_layer
    assert f"rollout through layer {last}" in tip
    assert _number(tip, f"layer {last}:") == pytest.approx(att_fig.rollout[-1, 7, 3], rel=1e-3)
    assert page.locator("#att-head").is_disabled()

    page.select_option("#att-view", "attention")
    page.select_option("#att-layer", "0")
    page.select_option("#att-head", "1")
    tip = hover_tooltip(page, "#att-cell-6-2")
    assert "attention, layer 1, head 1" in tip
    assert _number(tip, "head 1:") == pytest.approx(att_fig.attentions[0, 1, 6, 2], rel=1e-3)
    page.select_option("#att-view", "flow")
    tip = hover_tooltip(page, f"#att-cell-{n - 1}-0")
    assert _number(tip, "layer 1:") == pytest.approx(att_fig.flow[0, n - 1, 0], rel=1e-3)

    lines = page.locator("line.att-line")
    assert lines.count() > n
    page.locator("#att-word-4").hover()
    shown = page.locator("line.att-line[visibility=visible]")
    assert shown.count() >= 1
    assert set(shown.evaluate_all("ls => ls.map(l => l.dataset.from)")) == {"4"}
    assert_clean(errors, requests)
    assert_not_blank(page)


def test_attention_hostile_token(browser_page, att_fig, tmp_path, hostile_word):
    tokens = list(att_fig.tokens)
    tokens[0] = hostile_word
    fig = AttentionFigure(tokens, att_fig.attentions, att_fig.rollout, att_fig.flow)
    path = tmp_path / "hostile.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("#att-matrix tbody th").first.text_content() == hostile_word
    assert page.locator("#att-word-0").text_content() == hostile_word
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)


# ----------------------------------------------------------------------------- factors


@pytest.fixture(scope="module")
def factors(model):
    return neuron_factors(model, [TEXT, "The cat sat on the mat."], k=3)


def test_factors_in_browser(browser_page, factors, tmp_path, hostile_word):
    fig = FactorsFigure.from_factors(factors)
    fig.tokens[1][2] = hostile_word
    path = tmp_path / "factors.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    for t, toks in enumerate(fig.tokens):
        for k in range(3):
            assert page.locator(f"#fac-row-{t}-{k} .fac-tok").count() == len(toks)
    assert page.locator("#fac-tok-1-0-2").text_content() == hostile_word
    assert page.locator("img").count() == 0
    a = factors.activations[0]
    tok, k = int(np.argmax(a[:, 1])), 1
    tip = hover_tooltip(page, f"#fac-tok-0-{k}-{tok}")
    assert _number(tip, "factor 1:") == pytest.approx(a[tok, 1], rel=1e-3)
    assert "100% of its largest" in tip  # the token it fires on most
    page.select_option("#fac-select", "2")
    assert page.locator(".fac-row:visible").count() == 2  # factor 2 of each text
    assert page.locator("#fac-row-0-2").is_visible()
    assert not page.locator("#fac-row-0-1").is_visible()
    assert_clean(errors, requests)
    assert_not_blank(page)


# ----------------------------------------------------------------------------- outputs


def test_outputs_are_deterministic(rank_fig, sal_ig, att_fig, factors, tmp_path):
    twins = [
        (rank_fig, lambda: RankingsFigure(**{**rank_fig.__dict__})),
        (SaliencyFigure.from_saliency(sal_ig), lambda: SaliencyFigure.from_saliency(sal_ig)),
        (att_fig, lambda: AttentionFigure(**{**att_fig.__dict__})),
        (FactorsFigure.from_factors(factors), lambda: FactorsFigure.from_factors(factors)),
    ]
    for fig, twin in twins:
        page = fig.to_html(tmp_path / "f.html")
        assert page == twin().to_html() and (tmp_path / "f.html").read_text() == page
        assert len(page.encode()) < 120_000
        assert fig.to_svg() == twin().to_svg()
        png = fig.to_png(tmp_path / "f.png", dpi=50).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 2000
        assert 'sandbox="allow-scripts"' in fig._repr_html_()


# ----------------------------------------------------------------------------- CLI --out


@pytest.fixture
def run(capsys):
    def go(*argv):
        code = diaphane.cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return go


def test_cli_out_writes_figures(run, model, tmp_path):
    html = tmp_path / "lens.html"
    code, out, err = run("lens", TEXT, "--watch", " London", "--show", "next", "--out", html)
    last = f"position {len(model.encode(TEXT)) - 1}"
    assert code == 0 and out.startswith(last) and f"wrote {html}" in err
    page = html.read_text()
    assert "figure-data" in page and "actual next token" in page
    png = tmp_path / "sal.png"
    code, out, _ = run("saliency", TEXT, "--method", "grad", "--out", png)
    assert code == 0 and "grad attributions" in out
    assert png.read_bytes().startswith(b"\x89PNG")
    code, out, _ = run("attention", TEXT, "--method", "flow", "--format", "svg", "--out", "-")
    assert code == 0 and out.startswith("<?xml") and last not in out
    svg = tmp_path / "att.figure"
    code, _, _ = run("attention", TEXT, "--format", "svg", "--out", svg)
    assert code == 0 and svg.read_text().startswith("<?xml")


def test_cli_out_errors(run, tmp_path):
    code, _, err = run("lens", TEXT, "--format", "png", "--out", "-")
    assert code == 2 and "PNG output is binary" in err
    code, _, err = run("saliency", TEXT, "--format", "html")
    assert code == 2 and "--out FILE" in err
