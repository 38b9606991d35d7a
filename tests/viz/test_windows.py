"""The training-examples figure: the windows agree with diaphane.text, and the page steps."""

from __future__ import annotations

import pytest

from diaphane.autodiff.core import DiaphaneError
from diaphane.text import Vocabulary, pad_sentences, windows
from diaphane.viz.windows import TrainingWindows
from tests.viz.browser import assert_clean, assert_not_blank

SENTENCE = "The cat sat on the mat ."


@pytest.mark.parametrize("order", [2, 3, 5])
def test_ngram_windows_are_the_training_windows(order):
    words = SENTENCE.split()
    fig = TrainingWindows.ngram(words, order=order)
    vocab = Vocabulary.build([words])
    ctx, tgt = windows(pad_sentences([words], vocab, order), order, vocab.bos_id)
    ours = [fig.example(i) for i in range(len(fig.rows))]
    theirs = [
        ([vocab.words[c] for c in row], vocab.words[t]) for row, t in zip(ctx, tgt, strict=True)
    ]
    assert ours == theirs
    assert all(len(c) == order - 1 for c, _ in ours)


def test_gpt_examples_are_every_prefix_of_each_block():
    tokens = [f"t{i}" for i in range(11)]
    fig = TrainingWindows.gpt(tokens, block_size=4)
    assert len(fig.rows) == 10  # every token but the first is predicted once
    assert [t for _, _, t in fig.rows] == list(range(1, 11))
    lengths = [stop - start for start, stop, _ in fig.rows]
    assert lengths == [1, 2, 3, 4, 1, 2, 3, 4, 1, 2]
    assert {start for start, _, _ in fig.rows} == {0, 4, 8}
    # The same examples a GPT batch makes: x = block[:-1], y = block[1:], position j sees x[:j+1].
    for start in (0, 4):
        x, y = tokens[start : start + 4], tokens[start + 1 : start + 5]
        for j in range(4):
            assert fig.example(start + j) == (x[: j + 1], y[j])


def test_text_is_tokenised_and_bad_arguments_are_refused():
    fig = TrainingWindows.ngram("Mr. Smith sat down.", order=2)
    assert fig.tokens == ["<s>", "Mr.", "Smith", "sat", "down", ".", "</s>"]
    with pytest.raises(DiaphaneError, match="at least 2"):
        TrainingWindows.ngram(SENTENCE, order=1)
    with pytest.raises(DiaphaneError, match="no tokens"):
        TrainingWindows.ngram("", order=3)
    with pytest.raises(DiaphaneError, match="two tokens"):
        TrainingWindows.gpt(["alone"], block_size=4)
    with pytest.raises(DiaphaneError, match="outside"):
        TrainingWindows(["a", "b"], [(0, 1, 2)], "ngram", 2)


def test_html_svg_png_are_deterministic(tmp_path):
    a, b = (TrainingWindows.gpt(SENTENCE, block_size=3) for _ in range(2))
    assert a.to_html() == b.to_html()
    assert a.to_svg() == b.to_svg()
    png = a.to_png(tmp_path / "w.png")
    assert png.read_bytes() == b.to_png(tmp_path / "v.png").read_bytes()
    assert png.read_bytes()[:4] == b"\x89PNG"


def _state(page):
    return {
        "context": page.locator(".win-token.is-context").all_text_contents(),
        "target": page.locator(".win-token.is-target").all_text_contents(),
        "row": page.locator("tr.is-current").get_attribute("data-i"),
        "count": page.locator("#win-count").text_content(),
    }


def test_page_steps_through_the_examples(browser_page, tmp_path):
    path = tmp_path / "w.html"
    fig = TrainingWindows.ngram(SENTENCE, order=3)
    fig.to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator(".win-token").count() == len(fig.tokens)
    assert page.locator("tr.win-row").count() == len(fig.rows) == 8
    assert _state(page) == {"context": ["<s>", "<s>"], "target": ["The"], "row": "0",
                            "count": "example 1 of 8"}  # fmt: skip
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _state(page)["context"] == ["The", "cat"] and _state(page)["target"] == ["sat"]
    page.click("#win-prev")
    assert _state(page)["row"] == "1"
    page.keyboard.press("End")
    assert _state(page)["target"] == ["</s>"] and page.locator("#win-next").is_disabled()
    page.locator("tr.win-row[data-i='4']").click()
    assert _state(page)["context"] == ["sat", "on"]
    assert "[sat on]  →  the" in page.locator("#win-example").text_content()
    assert_not_blank(page)
    assert_clean(errors, requests)


def test_gpt_page_marks_blocks_and_plays(browser_page, tmp_path):
    path = tmp_path / "g.html"
    TrainingWindows.gpt(SENTENCE, block_size=3).to_html(path)
    page, errors, requests = browser_page(path)
    assert page.locator(".win-token.is-block-start").count() == 1  # blocks at 0 and 3
    page.click("#win-play")
    page.wait_for_function("() => document.querySelector('tr.is-current').dataset.i === '1'")
    page.click("#win-play")  # pause
    assert page.locator("#win-play").text_content() == "Play"
    assert_clean(errors, requests)


def test_hostile_token_is_text(browser_page, tmp_path, hostile_word):
    path = tmp_path / "h.html"
    TrainingWindows.ngram(["a", hostile_word, "b"], order=2).to_html(path)
    page, errors, requests = browser_page(path)
    page.keyboard.press("ArrowRight")
    assert _state(page)["target"] == [hostile_word]
    assert hostile_word in page.locator("#win-example").text_content()
    assert page.locator("img").count() == 0
    assert_clean(errors, requests)
