"""The next-word figure: its data are the models' own lists, and the page switches and hovers."""

from __future__ import annotations

import pytest

from diaphane.errors import DiaphaneError
from diaphane.models.ngram import NgramLM
from diaphane.text import Vocabulary
from diaphane.viz.next_words import COLOURS, NextWords, NextWordsContext
from tests.viz.browser import assert_clean, assert_not_blank, hover_tooltip

TEXT = [s.split() for s in ["the fat cat sat", "the fat dog ran", "the cat sat", "a dog sat"] * 3]


@pytest.fixture(scope="module")
def models():
    vocab = Vocabulary.build(TEXT)
    return NgramLM(2, "kn").fit(TEXT, vocab), NgramLM(3, "kn").fit(TEXT, vocab)


def _count(words):
    n = len(words)
    return sum(s[i : i + n] == list(words) for s in TEXT for i in range(len(s)))


def _figure(models, k=4):
    return NextWords.from_models(
        models, ["bigram", "trigram"], [["the", "fat"], ["a", "dog"]], k=k, count=_count,
        notes=["first note", "second note"],
    )  # fmt: skip


def test_from_models_holds_each_models_top_k_and_the_counts(models):
    fig = _figure(models)
    for c in fig.contexts:
        for model, column in zip(models, c.columns, strict=True):
            assert [(w, p) for w, p, _ in column] == model.next_words(c.context, 4)
            assert [n for _, _, n in column] == [_count([*c.context, w]) for w, _, _ in column]
    assert fig.contexts[0].seen == 6 and fig.contexts[1].seen == 3
    assert fig.data()["colours"] == list(COLOURS[:2])


def test_bad_figures_are_refused():
    ctx = NextWordsContext(["a"], 1, [[("b", 0.5, 1)]])
    with pytest.raises(DiaphaneError, match="columns"):
        NextWords(["one", "two"], [ctx])
    with pytest.raises(DiaphaneError, match="at least one context"):
        NextWords(["one"], [])
    with pytest.raises(DiaphaneError, match="models"):
        NextWords([], [ctx])


def test_html_and_svg_are_deterministic_and_static_svg_draws_every_word(models):
    a, b = _figure(models), _figure(models)
    assert a.to_html() == b.to_html()
    svg = a.to_svg()
    assert svg == b.to_svg() and svg.lstrip().startswith("<?xml")
    assert svg.count("<path") > 16  # glyphs as paths, plus 2 x 2 x 4 bars


def _bars(page, column):
    sel = f".nw-column[data-model='{column}'] .nw-bar"
    return page.locator(sel).evaluate_all("gs => gs.map(g => g.dataset.word)")


def test_page_shows_both_columns_hovers_and_switches(browser_page, tmp_path, models):
    fig = _figure(models)
    path = tmp_path / "nw.html"
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    first, second = fig.contexts
    assert _bars(page, 0) == [w for w, _, _ in first.columns[0]]
    assert _bars(page, 1) == [w for w, _, _ in first.columns[1]]
    assert page.locator("#nw-note").text_content() == "first note"
    word, p, n = first.columns[1][0]
    tip = hover_tooltip(page, ".nw-column[data-model='1'] .nw-bar")
    assert word in tip and f"p = {p:.4g}" in tip and f"“the fat {word}”" in tip
    assert (f"{n} times" if n > 1 else "once") in tip
    linked = page.locator(".nw-bar.is-linked").evaluate_all("gs => gs.map(g => g.dataset.word)")
    assert set(linked) == {word} and len(linked) == 1 + (word in _bars(page, 0))
    page.select_option("#nw-context", "1")
    assert _bars(page, 0) == [w for w, _, _ in second.columns[0]]
    assert page.locator("#nw-note").text_content() == "second note"
    assert "“a dog” occurs 3 times" in page.locator("#nw-seen").text_content()
    page.locator("body").press("[")  # the keys step through the contexts too
    assert page.locator("#nw-context").input_value() == "0"
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_bars_are_reachable_by_keyboard(browser_page, tmp_path, models):
    path = tmp_path / "nw.html"
    fig = _figure(models)
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    page.focus("#nw-context")
    page.keyboard.press("ArrowDown")  # a focused select changes with the arrow keys
    assert page.locator("#nw-context").input_value() == "1"
    page.keyboard.press("Tab")
    active = "document.activeElement"
    focused = page.evaluate(f"[{active}.classList.contains('nw-bar'), {active}.dataset.word]")
    word = fig.contexts[1].columns[0][0][0]
    assert focused == [True, word]
    assert word in page.locator("#dia-tooltip:not([hidden])").inner_text()
    assert_clean(errors, requests)


def test_hostile_word_is_text(browser_page, tmp_path, hostile_word):
    ctx = NextWordsContext(["the", hostile_word], 2, [[(hostile_word, 0.4, 2), ("x", 0.1, 0)]],
                           note=hostile_word)  # fmt: skip
    path = tmp_path / "h.html"
    NextWords([hostile_word], [ctx], title=hostile_word).to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator("img").count() == 0
    assert hostile_word in page.locator("#nw-context option").first.text_content()
    assert page.locator("#nw-note").text_content() == hostile_word
    assert page.locator("h2").first.text_content() == hostile_word
    assert hostile_word in hover_tooltip(page, ".nw-bar")
    assert_clean(errors, requests)
