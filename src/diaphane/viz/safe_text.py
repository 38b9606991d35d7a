"""Text from models and users, made safe to show in a figure.

Words come from corpora and model files, which are data, never instructions. Some
characters in them can still do harm in a figure without any markup:

- the bidirectional controls U+202A-202E and U+2066-2069 reorder the text around
  them ("Trojan Source"), so a label can show something other than what it holds;
- NUL and the other C0 controls (but tab, newline, carriage return) are not allowed
  in XML, so one of them makes an SVG file invalid; lone surrogates cannot be
  written as UTF-8 at all.

:func:`clean_text` replaces each with a visible ``[U+202E]``; :func:`clean_data` does
so for every string (and key) in figure data, :func:`clean_figure` for every text of a
matplotlib figure. :func:`diaphane.viz.html.render_page`, :meth:`Figure.to_svg
<diaphane.viz.figure.Figure.to_svg>` and ``to_png`` apply them to every page, SVG and
PNG, so every figure is covered without each one remembering to.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from markupsafe import Markup

__all__ = ["BIDI_CONTROLS", "clean_data", "clean_figure", "clean_text"]

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _visible(match: re.Match[str]) -> str:
    return f"[U+{ord(match.group()):04X}]"


def clean_text(text: str) -> str:
    """``text`` with every bidirectional control, XML-forbidden control and lone
    surrogate replaced by its visible code point.

    >>> clean_text("evil\u202etxt.exe"), clean_text("a\\x00b")
    ('evil[U+202E]txt.exe', 'a[U+0000]b')
    """
    return _UNSAFE.sub(_visible, text)


def clean_data(data: Any) -> Any:
    """``data`` (dicts, lists, tuples, strings, anything else) with every string cleaned;
    already-escaped :class:`~markupsafe.Markup` stays markup."""
    if isinstance(data, Markup):
        return Markup(clean_text(str(data)))
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_data(k): clean_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [clean_data(v) for v in data]
    if isinstance(data, tuple):
        return tuple(clean_data(v) for v in data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "OU":
        return clean_data(data.tolist())
    return data


def clean_figure(fig: Any) -> Any:
    """Clean every text of a matplotlib figure in place (titles, labels, annotations, and
    the fixed tick labels drawn later from their formatters); returns the figure."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for text in fig.findobj(Text):
        raw = text.get_text()
        if isinstance(raw, str) and _UNSAFE.search(raw):
            text.set_text(clean_text(raw))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                if isinstance(formatter, FixedFormatter):
                    formatter.seq = [clean_text(str(label)) for label in formatter.seq]
                elif isinstance(formatter, FuncFormatter):  # set_ticks(..., labels) makes one
                    formatter.func = _cleaning(formatter.func)
    return fig


def _cleaning(func: Any) -> Any:
    if getattr(func, "_diaphane_clean", False):
        return func

    def cleaned(x: Any, pos: Any = None) -> str:
        return clean_text(str(func(x, pos)))

    cleaned._diaphane_clean = True  # type: ignore[attr-defined]
    return cleaned
