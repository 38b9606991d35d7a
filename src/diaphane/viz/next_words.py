"""What comes next: two language models' likeliest next words, side by side.

:class:`NextWords` shows, for a context such as *the fat ___*, each model's top-k
next words as bars of probability in its own column, with the count of the
context-plus-word in the training text on hover. Several contexts are precomputed;
a select switches between them (and the keys ``[`` and ``]`` step through them).
Hovering or focusing a word lights the same word in the other column, so one sees
where the models agree. The static SVG draws every context, one block under another.

Entry points: :class:`NextWords`, :class:`NextWordsContext`, :meth:`NextWords.from_models`.

>>> from diaphane.models.ngram import NgramLM
>>> lm = NgramLM(2, "kn").fit([["the", "fat", "cat"], ["the", "cat"], ["the", "cat"]])
>>> fig = NextWords.from_models([lm], ["bigram"], [["the"]], k=2)
>>> [w for w, _, _ in fig.contexts[0].columns[0]]
['cat', 'fat']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from diaphane.errors import DiaphaneError
from diaphane.viz.figure import Figure

__all__ = ["COLOURS", "NextWords", "NextWordsContext"]

# Okabe-Ito: distinguishable with every common form of colour blindness.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#e69f00")

Row = tuple[str, float, int | None]  # (next word, probability, count of context + word)


@dataclass
class NextWordsContext:
    """One context and each model's likeliest next words.

    Attributes:
        context: the context words, oldest first.
        seen: how often the context occurs in the training text (None: not known).
        columns: per model, rows ``(word, p, count)``, likeliest first; ``count`` is
            how often the context followed by the word occurs (None: not known).
        note: a line about this context (why it was chosen, what to look for).
    """

    context: list[str]
    seen: int | None
    columns: list[list[Row]]
    note: str = ""


@dataclass
class NextWords(Figure):
    """Side-by-side next-word distributions of several language models.

    Args:
        models: the name of each column (one per model).
        contexts: the contexts offered, each with one column of rows per model.
        title: the heading.
        count_label: what the hover says the counts are.
    """

    template: ClassVar[str] = "next_words.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("next_words.js",)
    styles: ClassVar[tuple[str, ...]] = ("next_words.css",)
    iframe_height: ClassVar[int] = 520

    models: list[str]
    contexts: list[NextWordsContext]
    title: str = "What comes next"
    count_label: str = "in the training text"
    colours: list[str] = field(default_factory=lambda: list(COLOURS))

    def __post_init__(self) -> None:
        if not self.models or len(self.models) > len(COLOURS):
            raise DiaphaneError(f"Show 1 to {len(COLOURS)} models, not {len(self.models)}.")
        if not self.contexts:
            raise DiaphaneError("Give at least one context to show.")
        for c in self.contexts:
            if len(c.columns) != len(self.models):
                raise DiaphaneError(
                    f"The context {' '.join(c.context)!r} has {len(c.columns)} columns "
                    f"for {len(self.models)} models."
                )

    @classmethod
    def from_models(
        cls,
        models: Sequence[Any],
        names: Sequence[str],
        contexts: Sequence[Sequence[str]],
        k: int = 10,
        count: Callable[[Sequence[str]], int] | None = None,
        notes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> NextWords:
        """Ask each model (anything with ``next_words(context, k)``) for its top ``k``.

        Args:
            count: the number of times a word sequence occurs in the training text,
                for the hover (None: counts are not shown).
            notes: one line per context.
        """
        out = []
        for i, ctx in enumerate(contexts):
            ctx = list(ctx)
            columns = [
                [(w, float(p), None if count is None else int(count([*ctx, w])))
                 for w, p in m.next_words(ctx, k)]
                for m in models
            ]  # fmt: skip
            seen = None if count is None else int(count(ctx))
            out.append(NextWordsContext(ctx, seen, columns, notes[i] if notes else ""))
        return cls(list(names), out, **kwargs)

    def data(self) -> dict:
        return {
            "models": self.models,
            "colours": self.colours[: len(self.models)],
            "countLabel": self.count_label,
            "contexts": [
                {
                    "context": c.context,
                    "seen": c.seen,
                    "note": c.note,
                    "columns": [[{"w": w, "p": p, "c": n} for w, p, n in col] for col in c.columns],
                }
                for c in self.contexts
            ],
        }

    # ------------------------------------------------------------------ static picture

    @property
    def figsize(self) -> tuple[float, float]:  # type: ignore[override]
        rows = sum(1.6 + max(map(len, c.columns)) for c in self.contexts)
        return (3.2 * len(self.models) + 1.0, min(24.0, 0.6 + 0.22 * rows))

    def draw(self, ax: Any) -> None:
        from diaphane.viz.static import shorten

        ax.set_axis_off()
        width, y = 1.6, 0.0  # each column: labels left of 0, bars from 0 to 1
        for c in self.contexts:  # bars share one scale within a context, as on the page
            top = max((p for col in c.columns for _, p, _ in col), default=0.0) or 1.0
            head = f"{' '.join(c.context)} ___" + (
                "" if c.seen is None else f"  (seen {c.seen} times)"
            )
            ax.text(-0.55, y, head, fontsize=9, weight="bold", va="center")
            y += 1.0
            for m, col in enumerate(c.columns):
                x0 = m * width
                ax.text(x0 + 0.5, y, self.models[m], fontsize=8, color=self.colours[m],
                        ha="center", va="center", weight="bold")  # fmt: skip
                for j, (w, p, _) in enumerate(col, 1):
                    ax.barh(y + j, p / top, left=x0, height=0.7, color=self.colours[m])
                    ax.text(x0 - 0.03, y + j, shorten(w, 14), fontsize=7, ha="right",
                            va="center")  # fmt: skip
                    ax.text(x0 + p / top + 0.02, y + j, f"{p:.3f}", fontsize=6, va="center")
            y += 1.6 + max(map(len, c.columns))
        ax.set_xlim(-0.6, width * len(self.models))
        ax.set_ylim(y - 0.5, -1.0)
