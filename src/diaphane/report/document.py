"""The pieces a report section is made of: prose, figures, tables and notes.

A section module's ``build(run)`` returns a :class:`Section`: a title, an id and a
list of blocks in reading order. Blocks are plain data; :mod:`diaphane.report.article`
turns them into HTML, escaping every string. Prose may use two marks, ``*emphasis*``
and ```code```, applied after escaping, so text from a corpus can never become markup.

>>> s = Section("data", "The data", [Prose("A *small* corpus of `1,000` words.")])
>>> s.blocks[0].paragraphs
['A *small* corpus of `1,000` words.']
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FigureBlock",
    "Metric",
    "Note",
    "Prose",
    "Section",
    "TableBlock",
    "inline_markup",
]


@dataclass
class Prose:
    """Paragraphs of explanation (``*emphasis*`` and ```code``` allowed)."""

    text: str

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.strip().split("\n\n") if p.strip()]


@dataclass
class FigureBlock:
    """An interactive figure with its caption: what to look at in it.

    Attributes:
        name: file stem, unique within the section (``figures/<section>-<name>.html``).
        figure: a :class:`diaphane.viz.figure.Figure` (HTML page and static SVG).
        caption: one or two sentences that tell the reader what to look for.
        height: the frame's height in pixels before the page reports its own.
        static: also write the static SVG, shown when the article is printed.
    """

    name: str
    figure: Any
    caption: str
    height: int = 560
    static: bool = True


@dataclass
class TableBlock:
    """A plain HTML table: a header row, body rows of cells, a caption.

    Cells are strings or numbers (numbers are right-aligned); ``highlight`` lists
    ``(row, column)`` cells to emphasise.
    """

    header: list[str]
    rows: list[list[Any]]
    caption: str = ""
    highlight: list[tuple[int, int]] = field(default_factory=list)
    name: str = ""


@dataclass
class Metric:
    """A row of headline numbers: ``(label, value)`` pairs shown as cards."""

    items: list[tuple[str, str]]


@dataclass
class Note:
    """A short aside: something the reader should know (a limit, a fallback)."""

    text: str
    kind: str = "info"  # "info" or "warning"


Block = Prose | FigureBlock | TableBlock | Metric | Note


@dataclass
class Section:
    """One section of the article, in reading order.

    Attributes:
        id: the anchor (``#id``) and file-name prefix; lower-case letters and dashes.
        title: the heading.
        blocks: prose, figures, tables, metrics and notes.
        summary: one line for the table of contents and the manifest.
        facts: numbers the section measured, recorded in the manifest.
        skipped: why the section could not be built on this run (then it says so).
    """

    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    summary: str = ""
    facts: dict = field(default_factory=dict)
    skipped: str = ""

    def figures(self) -> list[FigureBlock]:
        return [b for b in self.blocks if isinstance(b, FigureBlock)]


_EMPH = re.compile(r"\*([^*\n]+)\*")
_CODE = re.compile(r"`([^`\n]+)`")


def inline_markup(text: str) -> str:
    """Escape ``text`` for HTML, then turn ``*x*`` into ``<em>`` and ```x``` into ``<code>``.

    >>> inline_markup("a *b* `<c>`")
    'a <em>b</em> <code>&lt;c&gt;</code>'
    """
    escaped = html.escape(text, quote=True)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _EMPH.sub(r"<em>\1</em>", escaped)
