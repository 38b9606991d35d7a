"""The base of every diaphane figure: plain data in, HTML / SVG / PNG / Jupyter out.

How to write a figure
---------------------
A figure is a dataclass holding plain data (arrays, labels, graphs — never a
model). Subclass :class:`Figure` and give it:

- ``template``: a Jinja2 file under ``diaphane/viz/templates/`` that starts
  ``{% extends "base.html.j2" %}`` and fills ``{% block body %}`` with the
  static skeleton (autoescaped; ``title`` and any :meth:`context` keys are
  available). ``base.html.j2`` adds ``<h1>{{ title }}</h1>``, the tooltip
  ``<div id="dia-tooltip">``, the data script and the inlined assets.
- ``scripts`` / ``styles``: asset file names under ``diaphane/viz/assets/``,
  inlined after ``base.js`` / ``base.css`` (which are always there).
- ``title``: a field or property (shown as the page title and heading).
- ``data(self) -> dict``: JSON-able data (NumPy arrays and scalars are
  converted; NaN/inf are refused — use ``None``). The page script reads it
  with ``Diaphane.data()`` (from ``<script type="application/json"
  id="figure-data">``) and must put text in the DOM with ``textContent`` /
  ``Diaphane.el`` only, never ``innerHTML``.
- ``draw(self, ax) -> None``: the static version, drawn on a matplotlib Axes
  (use :mod:`diaphane.viz.static` helpers; ``figsize`` sets the size).

Then ``fig.to_html(path)``, ``fig.to_svg()``, ``fig.to_png(path)`` and
``fig._repr_html_()`` work, with deterministic output. Example::

    @dataclass
    class Bars(Figure):
        template: ClassVar[str] = "bars.html.j2"
        scripts: ClassVar[tuple[str, ...]] = ("bars.js",)
        values: np.ndarray
        labels: list[str]
        title: str = "Bars"

        def data(self) -> dict:
            return {"values": self.values, "labels": self.labels}

        def draw(self, ax) -> None:
            ax.bar(self.labels, self.values)

Browser tests use ``tests/viz/browser.py`` through the ``browser_page``
fixture in ``tests/viz/conftest.py``.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from diaphane.viz import static
from diaphane.viz.html import render_page, write_bytes_atomic, write_text_atomic
from diaphane.viz.safe_text import clean_figure

__all__ = ["Figure"]

log = logging.getLogger(__name__)


class Figure:
    """Base class for figures; see the module docstring for what a subclass provides."""

    template: ClassVar[str]
    scripts: ClassVar[tuple[str, ...]] = ()
    styles: ClassVar[tuple[str, ...]] = ()
    figsize: ClassVar[tuple[float, float]] = (6.4, 4.8)
    iframe_height: ClassVar[int] = 560
    title: str

    def data(self) -> dict:
        """The JSON-able data the page script draws from."""
        raise NotImplementedError

    def draw(self, ax: Any) -> None:
        """Draw the static version on a matplotlib Axes."""
        raise NotImplementedError

    def context(self) -> dict:
        """Extra template variables (autoescaped when printed); none by default."""
        return {}

    def to_html(self, path: str | os.PathLike | None = None) -> str:
        """The figure as one self-contained HTML page (no network needed).

        Args:
            path: When given, the page is also written there (atomically, UTF-8).

        Returns:
            The page text; the same figure always gives the same text.
        """
        page = render_page(
            self.template,
            title=self.title,
            data=self.data(),
            scripts=self.scripts,
            styles=self.styles,
            **self.context(),
        )
        if path is not None:
            write_text_atomic(path, page)
            log.info("wrote %s (%d bytes)", path, len(page.encode()))
        return page

    def _matplotlib(self) -> Any:
        fig, ax = static.new_figure(self.figsize)
        self.draw(ax)
        return clean_figure(fig)  # words may hold what no SVG or font can take

    def to_svg(self, path: str | os.PathLike | None = None) -> str:
        """The static figure as SVG text (reproducible); written atomically if ``path``."""
        text = static.svg_text(self._matplotlib())
        if path is not None:
            write_text_atomic(path, text)
        return text

    def to_png(self, path: str | os.PathLike, dpi: float = 150) -> Path:
        """Write the static figure as a PNG file (atomically) and return its path."""
        data = static.png_bytes(self._matplotlib(), dpi=dpi)
        return write_bytes_atomic(path, data)

    def _repr_html_(self) -> str:
        # srcdoc keeps the page's scripts inside a sandboxed frame: they cannot reach the
        # notebook's DOM or cookies, and the page still works without a server.
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(self.iframe_height)}px;border:0" '
            f'title="{html.escape(self.title, quote=True)}"></iframe>'
        )
