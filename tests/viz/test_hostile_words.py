"""Words from files are data: in figures and exports they can neither reorder text,
break a file's format, nor run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from diaphane.viz.safe_text import BIDI_CONTROLS, clean_data, clean_text

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(1)", "nul\x00word",
           "evil\u202etxt.exe", "iso\u2066late\u2069", "bell\x07", "lone\udc80"]  # fmt: skip
WORDS = ["cat", "dog", "fish", *HOSTILE]


def _raw_unsafe(text: str) -> list[str]:
    bad = set(BIDI_CONTROLS) | {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}
    return [c for c in text if c in bad or 0xD800 <= ord(c) <= 0xDFFF]


def test_clean_text_makes_every_unsafe_character_visible():
    for ch in [*BIDI_CONTROLS, "\x00", "\x1b", "\x7f", "\udc80"]:
        cleaned = clean_text(f"a{ch}b")
        assert cleaned == f"a[U+{ord(ch):04X}]b" and not _raw_unsafe(cleaned)
    assert clean_text("tab\tnew\nline é 猫") == "tab\tnew\nline é 猫"  # the rest is kept
    data = clean_data({"w\u202e": ["x\x00", ("y\u2066",)], "n": np.array(["z\u202a"])})
    assert data == {"w[U+202E]": ["x[U+0000]", ("y[U+2066]",)], "n": ["z[U+202A]"]}


@pytest.fixture(scope="module")
def figure():
    from diaphane.viz.embedding_map import EmbeddingMap

    xy = np.random.default_rng(0).standard_normal((len(WORDS), 2))
    return EmbeddingMap(words=WORDS, xy=xy, labels=WORDS, title="map \u202eof words")


def test_the_page_holds_no_raw_bidi_or_control_character(figure):
    page = figure.to_html()
    assert not _raw_unsafe(page)
    assert "evil[U+202E]txt.exe" in page


def test_the_svg_is_valid_xml_whatever_the_words(figure):
    text = figure.to_svg()
    ET.fromstring(text.encode("utf-8"))  # a NUL anywhere would make this fail
    assert not _raw_unsafe(text)


def test_covariance_figure_with_hostile_names_is_valid_svg():
    from diaphane.viz.covariance import CovarianceFigure

    fig = CovarianceFigure.from_data(np.array([[1.0, 2, 4], [2, 1, 0]]), ["a\x00", "b\u202e"],
                                     ["=x", "y", "z"])  # fmt: skip
    ET.fromstring(fig.to_svg().encode("utf-8"))
    assert not _raw_unsafe(fig.to_html())


def test_csv_cells_cannot_run_as_formulas():
    from diaphane.vectors.maps import Map2D

    m = Map2D(WORDS, np.zeros((len(WORDS), 2)) - 1.5, "pca", labels=["=1+1"] * len(WORDS))
    rows = list(csv.DictReader(io.StringIO(m.to_csv())))
    assert [r["word"] for r in rows][:3] == ["cat", "dog", "fish"]
    for row in rows:
        assert row["word"][0] not in "=+-@" and row["label"] == "'=1+1"
        assert float(row["x"]) == -1.5  # numbers are numbers, not quoted text
    assert {r["word"] for r in rows} >= {"'=cmd|' /C calc'!A0", "'+SUM(A1)", "'-2+3", "'@SUM(1)"}
