"""Writing the report folder: ``index.html``, each figure's page and static SVG, the manifest.

:func:`write_figures` renders a section's figures into ``figures/`` and
:func:`render_article` turns the sections into one article page (every string
escaped; prose marks applied after escaping). The figures open in frames beside
the text, each a self-contained page that reports its height to the article, and
each has a static SVG that the print stylesheet shows instead.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup

from diaphane.report.document import (
    FigureBlock,
    Metric,
    Note,
    Prose,
    Section,
    TableBlock,
    inline_markup,
)

__all__ = ["figure_stem", "render_article", "write_figures"]

log = logging.getLogger(__name__)

FIGURES = "figures"
_SAFE = re.compile(r"[^a-z0-9-]+")


def figure_stem(section: Section, block: FigureBlock) -> str:
    """The file stem of a figure: ``<section>-<name>``, lower-case letters, digits, dashes."""
    return _SAFE.sub("-", f"{section.id}-{block.name}".lower()).strip("-")


def write_figures(section: Section, folder: Path) -> dict[str, dict]:
    """Write each figure of ``section`` as ``figures/STEM.html`` (and ``.svg`` for print).

    Returns:
        ``{stem: {"html": relative path, "svg": relative path or None}}``.
    """
    out = {}
    (folder / FIGURES).mkdir(parents=True, exist_ok=True)
    for block in section.figures():
        stem = figure_stem(section, block)
        html_path = folder / FIGURES / f"{stem}.html"
        block.figure.to_html(html_path)
        svg = None
        if block.static:
            try:
                block.figure.to_svg(folder / FIGURES / f"{stem}.svg")
                svg = f"{FIGURES}/{stem}.svg"
            except NotImplementedError:
                log.info("figure %s has no static version", stem)
        out[stem] = {"html": f"{FIGURES}/{stem}.html", "svg": svg}
    return out


def _cell(value: Any) -> tuple[str, bool]:
    """A table cell's text and whether it is a number (right-aligned)."""
    if isinstance(value, bool) or value is None:
        return ("—" if value is None else str(value)), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return (
            f"{value:.3g}"
            if abs(value) < 1e-2 or abs(value) >= 1e5
            else f"{value:.3f}"
            if abs(value) < 10
            else f"{value:,.1f}"
        ), True
    return str(value), False


def _block_context(section: Section, block: Any, files: dict[str, dict]) -> dict:
    if isinstance(block, Prose):
        return {"kind": "prose", "paragraphs": [Markup(inline_markup(p)) for p in block.paragraphs]}
    if isinstance(block, FigureBlock):
        stem = figure_stem(section, block)
        return {
            "kind": "figure",
            "stem": stem,
            "height": int(block.height),
            "caption": Markup(inline_markup(block.caption)),
            "title": block.caption,
            **files[stem],
        }
    if isinstance(block, TableBlock):
        marks = set(map(tuple, block.highlight))
        rows = [
            [(*_cell(v), (r, c) in marks) for c, v in enumerate(row)]
            for r, row in enumerate(block.rows)
        ]
        return {
            "kind": "table",
            "header": block.header,
            "rows": rows,
            "name": block.name,
            "caption": Markup(inline_markup(block.caption)),
        }
    if isinstance(block, Metric):
        return {"kind": "metric", "items": block.items}
    if isinstance(block, Note):
        return {"kind": "note", "text": Markup(inline_markup(block.text)), "level": block.kind}
    raise TypeError(
        f"a section block must be prose, a figure, a table, metrics or a note, "
        f"not {type(block).__name__}"
    )


def render_article(
    sections: list[Section], files: dict[str, dict], title: str, subtitle: str
) -> str:
    """The article page: a table of contents, then each section's blocks in order."""
    from diaphane.viz.html import render_page

    context = [
        {
            "id": s.id,
            "title": s.title,
            "summary": s.summary,
            "skipped": s.skipped,
            "blocks": [_block_context(s, b, files) for b in s.blocks],
        }
        for s in sections
    ]
    return render_page(
        "report.html.j2",
        title=title,
        data={},
        scripts=("report.js",),
        styles=("report.css",),
        subtitle=subtitle,
        sections=context,
    )
