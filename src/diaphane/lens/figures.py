"""Figures of the lens: interactive pages (HTML) and static PNG/SVG, all offline.

- :class:`RankingsFigure`: the logit lens as heat maps (layers x positions, one
  panel per target, colour on a log scale of rank) with a per-layer top-k table.
- :class:`SaliencyFigure`: the input tokens highlighted by their attribution.
- :class:`AttentionFigure`: attention per layer and head, rollout and flow, as a
  tokens x tokens matrix and as lines between the tokens.
- :class:`FactorsFigure`: the text coloured by each neuron factor.

Each has a ``from_...`` constructor taking the lens result (and, for rankings
and attention, ``from_model(model, text)``), and the :class:`diaphane.viz.Figure`
outputs ``to_html``, ``to_png``, ``to_svg`` and ``_repr_html_``.

>>> from diaphane.models.gpt import default_model
>>> from diaphane.lens import saliency
>>> model = default_model()
>>> fig = SaliencyFigure.from_saliency(saliency(model, "The cat sat on the", method="grad"))
>>> fig.to_html().startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

from diaphane.lens.figures_attention import AttentionFigure
from diaphane.lens.figures_rankings import RankingsFigure
from diaphane.lens.figures_text import FactorsFigure, SaliencyFigure

__all__ = ["AttentionFigure", "FactorsFigure", "RankingsFigure", "SaliencyFigure"]
