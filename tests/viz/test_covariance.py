"""The covariance explainer: numbers against np.cov, the page in Chromium, the CLI."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import diaphane.cli
from diaphane.viz import CovarianceFigure
from diaphane.viz.covariance import read_named_matrix
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

# Means 3 and 4 and covariances with short decimals, so the tooltip text is easy to check.
MINUS = "\u2212"
X = np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 7.0, 3.0], [5.0, 1.0, 0.0, 2.0]])


@pytest.fixture
def fig(hostile_word):
    return CovarianceFigure.from_data(X, ["height", "weight", hostile_word], list("wxyz"))


@pytest.mark.parametrize("rowvar", [True, False])
def test_matches_numpy(rowvar):
    data = np.random.default_rng(0).normal(size=(4, 6))
    f = CovarianceFigure.from_data(data, rowvar=rowvar)
    np.testing.assert_allclose(f.cov, np.cov(data, rowvar=rowvar), rtol=1e-12)
    n_vars = 4 if rowvar else 6
    assert f.cov.shape == (n_vars, n_vars) and len(f.var_names) == n_vars
    assert f.var_names[0] == ("row 0" if rowvar else "col 0")
    np.testing.assert_allclose(f.means, data.mean(axis=1 if rowvar else 0))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="2-D"):
        CovarianceFigure.from_data(np.ones(3))
    with pytest.raises(ValueError, match=r"nan at row 0, column 1"):
        CovarianceFigure.from_data([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError, match=r"at least 2 observations.*rowvar=False"):
        CovarianceFigure.from_data([[1.0], [2.0]])
    with pytest.raises(ValueError, match="3 row names for 2 rows"):
        CovarianceFigure.from_data(np.ones((2, 3)), ["a", "b", "c"])
    with pytest.raises(ValueError, match="numbers"):
        CovarianceFigure.from_data([["a", "b"], ["c", "d"]])


def test_page_text_says_rows(fig):
    page = fig.to_html()
    note = re.search(r'<p class="dia-note" id="cov-note">(.*?)</p>', page, re.S).group(1)
    assert "refer to <strong>rows</strong>" in note and "rowvar=False" in note
    flipped = CovarianceFigure.from_data(X.T, list("wxyz"), ["a", "b", "c"], rowvar=False)
    assert "refer to <strong>columns</strong>" in flipped.to_html()
    np.testing.assert_allclose(flipped.cov, fig.cov)


def test_outputs_deterministic_and_small(fig, tmp_path):
    page = fig.to_html(tmp_path / "c.html")
    twin = CovarianceFigure.from_data(X.copy(), fig.row_names, fig.col_names)
    assert page == twin.to_html()
    assert fig.to_svg() == twin.to_svg()
    assert len(page.encode()) < 40_000
    png = fig.to_png(tmp_path / "c.png", dpi=60).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    frame = fig._repr_html_()
    assert 'sandbox="allow-scripts"' in frame and html.escape("cov-note") in frame


def test_static_uses_centred_diverging_map(fig):
    from diaphane.viz import static

    _, ax = static.new_figure()
    fig.draw(ax)
    image = ax.images[0]
    assert image.cmap.name.startswith("RdBu_r")
    assert image.norm.vcenter == 0 and image.norm.vmin == -image.norm.vmax
    assert len(ax.patches) == 3  # the outlined variances


def test_in_browser(browser_page, fig, tmp_path, hostile_word):
    path = tmp_path / "cov.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("#cov-matrix td.cov-cell").count() == 9
    assert page.locator("#cov-matrix td.cov-diag").count() == 3
    labels = page.locator("#cov-matrix tbody th").all_inner_texts()
    assert labels == ["height", "weight", hostile_word]
    assert page.locator("#cov-data").inner_text().count(hostile_word) == 1
    assert page.locator("img").count() == 0
    # Signs: cov(height, weight) = 1/3 > 0 is red-ish, cov(weight, hostile) = -4 is blue.
    red = page.locator("#cov-cell-0-1").evaluate("e => getComputedStyle(e).backgroundColor")
    blue = page.locator("#cov-cell-1-2").evaluate("e => getComputedStyle(e).backgroundColor")
    r, _, b = map(int, re.findall(r"\d+", red)[:3])
    assert r > b
    r, _, b = map(int, re.findall(r"\d+", blue)[:3])
    assert b > r

    tip = hover_tooltip(page, "#cov-cell-0-1")
    assert "cov(height, weight) = 0.3333" in tip
    assert "mean ā = 3" in tip and "mean b̄ = 4" in tip
    assert "(1 - 3)(2 - 4) + (2 - 3)(4 - 4) + (3 - 3)(7 - 4) + (6 - 3)(3 - 4)" in tip.replace(
        MINUS, "-"
    )
    assert "= 1 / 3 = 0.3333" in tip
    assert page.locator("#cov-data .hl-a").count() == 6  # the row's name, 4 values, mean
    tip = hover_tooltip(page, "#cov-cell-2-2")
    assert tip.startswith(f"var({hostile_word})") and "mean ā = 2" in tip
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
    assert_not_blank(page)


def _csv(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_read_csv(tmp_path):
    values, rows, cols = read_named_matrix(_csv(tmp_path, ",a,b,c\nx,1,2,3\ny,2,4,7\n"))
    assert rows == ["x", "y"] and cols == ["a", "b", "c"]
    np.testing.assert_array_equal(values, [[1, 2, 3], [2, 4, 7]])
    for text, message in [
        ("", "is empty"),
        (",a,b\n", "at least one data row"),
        (",a,b\nx,1\n", "line 2: 2 fields but the header has 3"),
        (",a,b\nx,1,zz\n", "line 2, column 'b': 'zz' is not a number"),
        (",a,b\nx,1,nan\n", "column 'b' is nan"),
        (",a,b\nx,1, \n", "column 'b' is empty"),
    ]:
        with pytest.raises(ValueError, match=message):
            read_named_matrix(_csv(tmp_path, text))


@pytest.fixture
def cli():
    return diaphane.cli.main


def test_cli_cov(cli, tmp_path, capsys):
    data = _csv(tmp_path, ",a,b,c\nx,1,2,3\ny,2,4,7\n")
    out = tmp_path / "cov.html"
    assert cli(["explain", "cov", str(data), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "refer to <strong>rows</strong>" in out.read_text()
    assert cli(["explain", "cov", str(data), "--no-rowvar", "--format", "svg", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("<?xml")
    png = tmp_path / "c.png"
    assert cli(["explain", "cov", str(data), "--format", "png", "--out", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "is empty"), (",a\nx,1\n", "at least 2 observations"), (",a,b\nx,1,q\n", "'q'")],
)
def test_cli_cov_errors(cli, tmp_path, capsys, text, message):
    assert cli(["explain", "cov", str(_csv(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("diaphane: ") and message in err
    assert cli(["explain", "cov", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_columns_as_variables_in_browser(browser_page, tmp_path):
    data = np.random.default_rng(1).normal(size=(8, 15))  # 15 column variables: no numbers
    fig = CovarianceFigure.from_data(data, rowvar=False)
    path = tmp_path / "cols.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("td.cov-cell").count() == 15 * 15
    assert page.locator("#cov-note").inner_text().count("columns") >= 1
    tip = hover_tooltip(page, "#cov-cell-3-7")
    assert tip.startswith("cov(col 3, col 7) = ") and "(column 3 of the data)" in tip
    assert "+ … (8 terms)" in tip and "/ (8 \u2212 1)" in tip
    # The data keeps its orientation: column 3 lights up in all 8 rows and its mean.
    assert page.locator("#cov-data td.hl-a").count() == 9
    assert_clean(errors, requests)
    assert_not_blank(page)


def test_jupyter_iframe_in_browser(browser_page, fig, tmp_path):
    # What Jupyter does with _repr_html_: put it in the notebook page as is.
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><body>{fig._repr_html_()}</body></html>")
    page, errors, requests = browser_page(path)
    frame = page.frame_locator("iframe")
    assert frame.locator("td.cov-cell").count() == 9
    assert frame.locator("img").count() == 0
    assert_clean(errors, requests)
