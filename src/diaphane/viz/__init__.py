"""Figures: plain data in; a self-contained HTML page, SVG, PNG, or a Jupyter cell out.

Every figure subclasses :class:`~diaphane.viz.figure.Figure` (see that module for
how to write one) and renders offline: templates, CSS and JS ship as package data
and are inlined, data goes in as escaped JSON, nothing loads from the network.

Entry points: :class:`Figure`, :func:`render_page`, :class:`CovarianceFigure`,
:class:`EinsumFigure`, :class:`GraphFigure`, :class:`EmbeddingMap`,
:class:`TrainingWindows`.
"""

from __future__ import annotations

import importlib
from typing import Any

from diaphane.viz.figure import Figure
from diaphane.viz.html import render_page

# Figures are imported on first use, so importing diaphane.viz stays light.
_LAZY = {
    "CovarianceFigure": "diaphane.viz.covariance",
    "EinsumFigure": "diaphane.viz.einsum",
    "EinsumSpec": "diaphane.viz.einsum",
    "parse_einsum": "diaphane.viz.einsum",
    "GraphFigure": "diaphane.viz.graph_figure",
    "EmbeddingMap": "diaphane.viz.embedding_map",
    "TrainingWindows": "diaphane.viz.windows",
}

__all__ = ["Figure", "render_page", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'diaphane.viz' has no attribute {name!r}")
