"""How a language model's training examples are cut from text, one position at a time.

:class:`TrainingWindows` shows a sentence as a row of tokens and, for every
position, the example it gives: a *context* and the *next token* to predict.

- :meth:`TrainingWindows.ngram`: an n-gram model or Bengio's neural LM sees a
  window of the ``n - 1`` previous words; the sentence is padded with ``<s>`` in
  front and ends with ``</s>``, exactly as :func:`diaphane.text.pad_sentences`
  and :func:`diaphane.text.windows` cut them for training.
- :meth:`TrainingWindows.gpt`: a GPT-style model reads the text in blocks of
  ``block_size + 1`` tokens; inside a block every prefix (1 … ``block_size``
  tokens) predicts the token after it, so one block gives ``block_size`` examples
  in one forward pass.

The page steps through the examples with buttons or the arrow keys; the PNG
shows every example as one row of a table.

Entry points: :class:`TrainingWindows`, :meth:`TrainingWindows.ngram`,
:meth:`TrainingWindows.gpt`.

>>> fig = TrainingWindows.ngram("the cat sat", order=3)
>>> [fig.example(i) for i in range(len(fig.rows))]  # doctest: +NORMALIZE_WHITESPACE
[(['<s>', '<s>'], 'the'), (['<s>', 'the'], 'cat'), (['the', 'cat'], 'sat'),
 (['cat', 'sat'], '</s>')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from diaphane.autodiff.core import DiaphaneError
from diaphane.text.vocab import BOS, EOS
from diaphane.viz.figure import Figure

__all__ = ["TrainingWindows"]

CONTEXT_COLOUR = "#cfe3fb"
TARGET_COLOUR = "#fbd38d"
OTHER_COLOUR = "#f4f4f6"
PAD_COLOUR = "#e8e8ec"


def _tokens(text: str | Sequence[str]) -> list[str]:
    if isinstance(text, str):
        from diaphane.text.tokenize import Tokenizer

        tokens = Tokenizer().words(text)
    else:
        tokens = [str(t) for t in text]
    if not tokens:
        raise DiaphaneError("The sentence has no tokens: give at least one word.")
    return tokens


@dataclass
class TrainingWindows(Figure):
    """Training examples of a language model, each a context span and a target position.

    Args:
        tokens: The token row shown (padding included).
        rows: One ``(start, stop, target)`` per example: the context is
            ``tokens[start:stop]``, the word to predict is ``tokens[target]``.
        kind: ``'ngram'`` or ``'gpt'``.
        size: The model order ``n`` (n-gram) or the block size (GPT).
        title: The heading.
    """

    template: ClassVar[str] = "windows.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("windows.js",)
    styles: ClassVar[tuple[str, ...]] = ("windows.css",)
    iframe_height: ClassVar[int] = 520

    tokens: list[str]
    rows: list[tuple[int, int, int]]
    kind: str
    size: int
    title: str = "Training examples"

    def __post_init__(self) -> None:
        if self.kind not in ("ngram", "gpt"):
            raise DiaphaneError(f"kind must be 'ngram' or 'gpt', not {self.kind!r}.")
        n = len(self.tokens)
        for start, stop, target in self.rows:
            if not 0 <= start <= stop <= target < n:
                raise DiaphaneError(f"example ({start}, {stop}, {target}) lies outside the text.")
        self.rows = [(int(a), int(b), int(c)) for a, b, c in self.rows]

    @classmethod
    def ngram(cls, sentence: str | Sequence[str], order: int = 3) -> TrainingWindows:
        """The windows of an ``order``-gram model (``order - 1`` words of context).

        Raises:
            DiaphaneError: for an order below 2 or an empty sentence.
        """
        if order < 2:
            raise DiaphaneError(f"order must be at least 2 (one word of context), not {order}.")
        tokens = [BOS] * (order - 1) + _tokens(sentence) + [EOS]
        rows = [(t - order + 1, t, t) for t in range(order - 1, len(tokens))]
        title = f"Training examples of a {order}-gram model: {order - 1} words → the next"
        return cls(tokens, rows, "ngram", order, title)

    @classmethod
    def gpt(cls, text: str | Sequence[str], block_size: int = 8) -> TrainingWindows:
        """The examples of a GPT context of ``block_size`` tokens.

        The text is cut into blocks of ``block_size + 1`` tokens that overlap by one
        (the last token of a block is the first of the next); in each block the
        prefixes of length 1 … ``block_size`` predict the token that follows.
        """
        if block_size < 1:
            raise DiaphaneError(f"block_size must be at least 1, not {block_size}.")
        tokens = _tokens(text)
        rows = []
        for start in range(0, len(tokens) - 1, block_size):
            stop = min(start + block_size, len(tokens) - 1)
            rows += [(start, t, t) for t in range(start + 1, stop + 1)]
        if not rows:
            raise DiaphaneError("A GPT example needs at least two tokens.")
        title = f"Training examples of a GPT context: every prefix up to {block_size} tokens"
        return cls(tokens, rows, "gpt", block_size, title)

    def example(self, i: int) -> tuple[list[str], str]:
        """Example ``i`` as ``(context tokens, next token)``."""
        start, stop, target = self.rows[i]
        return self.tokens[start:stop], self.tokens[target]

    def data(self) -> dict:
        return {
            "kind": self.kind,
            "size": self.size,
            "tokens": self.tokens,
            "rows": [list(r) for r in self.rows],
            "pads": [BOS, EOS],
        }

    def context(self) -> dict:
        if self.kind == "ngram":
            what = (
                f"The {self.size}-gram model predicts each word from the {self.size - 1} "
                f"before it; {BOS} pads the start and {EOS} marks the end, so every word "
                "of the sentence, and its end, is predicted once."
            )
        else:
            what = (
                f"A GPT model reads blocks of {self.size + 1} tokens; inside a block each "
                f"prefix of 1 to {self.size} tokens predicts the token after it, so one "
                f"block gives {self.size} examples at once."
            )
        return {"what": what, "n_examples": len(self.rows)}

    # ------------------------------------------------------------------ static picture

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        width = min(16.0, 1.0 + 0.75 * len(self.tokens))
        return (max(4.0, width), min(18.0, 1.0 + 0.32 * (len(self.rows) + 1)))

    def draw(self, ax: Any) -> None:
        from matplotlib.patches import Rectangle

        n_rows, n_cols = len(self.rows), len(self.tokens)
        ax.set_xlim(-0.9, n_cols + 1.4)
        ax.set_ylim(n_rows + 0.2, -1.2)
        ax.set_axis_off()
        for j, tok in enumerate(self.tokens):  # the header: the text itself
            ax.text(j + 0.5, -0.55, tok, ha="center", va="center", fontsize=8, weight="bold")
        for i, (start, stop, target) in enumerate(self.rows):
            ax.text(-0.3, i + 0.5, f"{i + 1}", ha="right", va="center", fontsize=7, color="#666")
            for j, tok in enumerate(self.tokens):
                colour, shown = _cell(j, start, stop, target)
                ax.add_patch(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, facecolor=colour,
                                       edgecolor="none"))  # fmt: skip
                if shown:
                    ax.text(j + 0.5, i + 0.5, tok, ha="center", va="center", fontsize=7)
            ax.text(n_cols + 0.2, i + 0.5, f"→ {self.tokens[target]}", ha="left",
                    va="center", fontsize=7, color="#7a4a00")  # fmt: skip


def _cell(j: int, start: int, stop: int, target: int) -> tuple[str, bool]:
    if start <= j < stop:
        return CONTEXT_COLOUR, True
    if j == target:
        return TARGET_COLOUR, True
    return OTHER_COLOUR, False
