"""The einsum explainer: parsing against NumPy, the generated code, the page, the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import diaphane.cli
from diaphane.viz import EinsumFigure
from diaphane.viz import einsum_text as text
from diaphane.viz.einsum import parse_einsum, parse_shape
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

CASES = [
    ("ij->i", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("...ij,...jk", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("ba,Ab", [(2, 3), (4, 2)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("i,,i", [(3,), (), (3,)]),
    ("", [()]),
]


def _operands(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


@pytest.mark.parametrize(("subscripts", "shapes"), CASES)
def test_agrees_with_numpy(subscripts, shapes):
    spec = parse_einsum(subscripts, shapes)
    ops = _operands(shapes)
    want = np.einsum(subscripts, *ops)
    assert spec.out_shape == want.shape
    names = text.operand_names(spec)
    env = {"np": np, **dict(zip(names, ops, strict=True))}
    # The loops and the einsum-free expression compute the same array as NumPy's einsum.
    exec(text.loops_code(spec), env)
    np.testing.assert_allclose(env["out"], want, rtol=1e-12, atol=1e-12)
    equivalent = text.equivalent(spec)
    if equivalent is not None:
        np.testing.assert_allclose(eval(equivalent, env), want, rtol=1e-12, atol=1e-12)
    ex = text.worked_example(spec)
    arrays = [np.reshape(op["values"], op["shape"]) for op in ex["operands"]]
    np.testing.assert_allclose(
        np.ravel(ex["output"]["values"]), np.ravel(np.einsum(subscripts, *arrays))
    )


def test_reading_of_letters():
    spec = parse_einsum("bhqd,bhkd->bhqk", [(2, 4, 5, 8), (2, 4, 6, 8)])
    assert spec.operands == (tuple("bhqd"), tuple("bhkd"))
    assert spec.summed == ("d",) and spec.out_shape == (2, 4, 5, 6)
    assert text.equivalent(spec) == "A @ B.swapaxes(-1, -2)"
    assert text.formula(spec) == "out[b, h, q, k] = Σ_d A[b, h, q, d]·B[b, h, k, d]"
    implicit = parse_einsum("ij,jk", [(2, 3), (3, 4)])
    assert implicit.implicit and implicit.output_term == "ik"
    ell = parse_einsum("...ij,...jk", [(7, 2, 3), (3, 4)])
    alpha = "\u03b1"
    assert ell.ellipsis == (alpha,) and ell.output == (alpha, "i", "k")
    assert text.equivalent(parse_einsum("ij->i", [(2, 3)])) == "A.sum(axis=1)"
    assert text.equivalent(parse_einsum("ij,jk->ik", [(2, 3), (3, 4)])) == "A @ B"


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message", "caret"),
    [
        ("ij,jk->iq", [(2, 3), (3, 4)], "output letter 'q' does not appear", "        ^"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "'j' has size 3 in operand 0 (shape (2, 3)) but 4", " ^ ^"),
        ("ijk,jk->ik", [(2, 3), (3, 4)], "operand 0 has 3 letter(s) but its shape (2, 3)", "^^^"),
        ("ij,jk->ik", [(2, 3)], "name 2 operand(s) but 1 shape(s)", "    ^"),
        ("ij,j$", [(2, 3), (3,)], "'$' cannot appear", "    ^"),
        ("ij->ii", [(2, 2)], "output letter 'i' appears twice", "     ^"),
        ("..ij", [(2, 3)], "part of an ellipsis", "^"),
        ("...ij->ij", [(4, 2, 3)], "output needs '...' too", "       ^"),
        ("ij->i->j", [(2, 3)], "at most one '->'", "     ^"),
        ("i...j", [(2,)], "besides '...'", "^^^^^"),
    ],
)
def test_errors_point_at_the_letter(subscripts, shapes, message, caret):
    with pytest.raises(ValueError) as info:
        EinsumFigure(subscripts, shapes)
    first, shown, marks = str(info.value).split("\n")
    assert message in first
    assert shown == "  " + subscripts
    assert marks == "  " + caret


def test_worked_example_rows():
    fig = EinsumFigure("ij->i", [(2, 3)])
    ex = fig.data()["example"]
    assert ex["operands"][0]["values"].tolist() == [1, 2, 3, 4, 5, 6]
    assert ex["output"]["values"].tolist() == [6, 15]
    assert ex["cells"][1]["lines"] == ["out[1] = 15", "out[1] = Σ_j A[1, j]", "= 4 + 5 + 6", "= 15"]
    assert ex["cells"][1]["sources"] == [[3, 4, 5]]
    big = EinsumFigure("ij,jk->ik", [(100, 50), (50, 20)]).data()["example"]
    assert big["shrunk"] and big["operands"][0]["shape"] == [3, 3]


def test_outputs(tmp_path, hostile_word):
    fig = EinsumFigure("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 3, 4)], title=hostile_word)
    page = fig.to_html(tmp_path / "e.html")
    twin = EinsumFigure("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 3, 4)], title=hostile_word)
    assert page == twin.to_html() and fig.to_svg() == twin.to_svg()
    assert hostile_word not in page and len(page.encode()) < 50_000
    assert fig.to_png(tmp_path / "e.png", dpi=60).read_bytes().startswith(b"\x89PNG")
    assert '<iframe srcdoc="' in fig._repr_html_()


def test_in_browser(browser_page, tmp_path, hostile_word):
    fig = EinsumFigure("ij,jk->ik", [(2, 3), (3, 4)], title=hostile_word)
    path = tmp_path / "einsum.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("h1").inner_text() == hostile_word
    assert page.locator("img").count() == 0
    assert page.locator("#ein-letters tbody tr").count() == 3
    assert "summed away" in page.locator("#ein-letters tr.ein-summed").inner_text()
    assert "A @ B" in page.locator("#ein-numpy").inner_text()
    assert page.locator("#ein-out-shape").inner_text() == "(2, 4)"
    assert page.locator("#ein-array-A td").count() == 6
    assert page.locator("#ein-array-out td.ein-out-cell").count() == 8
    tip = hover_tooltip(page, "#ein-out-1")
    assert tip.splitlines() == [
        "out[0, 1] = 44",
        "out[0, 1] = Σ_j A[0, j]·B[j, 1]",
        "= 1·2 + 2·6 + 3·10",
        "= 44",
    ]
    lit = page.locator("#ein-array-B td.ein-src").all_inner_texts()
    assert lit == ["2", "6", "10"]
    assert page.locator("#ein-array-A td.ein-src").all_inner_texts() == ["1", "2", "3"]
    page.locator("#ein-subscripts .ein-letter").first.hover()
    assert page.locator(".ein-hl").count() >= 3
    assert_clean(errors, requests)
    assert_not_blank(page)


def test_parse_shape():
    assert parse_shape("2x3") == (2, 3) and parse_shape("scalar") == () and parse_shape("4") == (4,)
    with pytest.raises(ValueError, match="2x3"):
        parse_shape("2by3")


def test_cli(tmp_path, capsys):
    out = tmp_path / "e.html"
    argv = ["explain", "einsum", "ij,jk->ik", "--shapes", "2x3", "3x4", "--out", str(out)]
    assert diaphane.cli.main(argv) == 0
    assert "A @ B" in out.read_text()
    assert diaphane.cli.main(["explain", "einsum", "ij,jk->iq", "--shapes", "2x3", "3x4"]) == 2
    err = capsys.readouterr().err
    assert "output letter 'q'" in err and "ij,jk->iq\n          ^" in err
    assert diaphane.cli.main(["explain", "einsum", "ij", "--shapes", "2y3"]) == 2
    assert "cannot read shape" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [("...ij,...jk", [(2, 2, 3), (3, 2)]), ("i,i->", [(3,), (3,)]), ("ii", [(3, 3)])],
)
def test_other_pages_in_browser(browser_page, tmp_path, subscripts, shapes):
    fig = EinsumFigure(subscripts, shapes)
    path = tmp_path / "e.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    n_out = int(np.prod(fig.spec.out_shape))
    assert page.locator("#ein-array-out td.ein-out-cell").count() == n_out
    value = np.einsum(subscripts, *[np.arange(1, np.prod(s) + 1.0).reshape(s) for s in shapes])
    tip = hover_tooltip(page, "#ein-out-0")
    assert tip.splitlines()[-1] == f"= {np.ravel(value)[0]:g}"
    assert_clean(errors, requests)
