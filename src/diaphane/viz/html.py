"""Self-contained HTML pages: Jinja2 templates with inlined CSS/JS and embedded JSON data.

:func:`render_page` is the one entry point. Every page extends ``base.html.j2``,
which inlines ``base.css`` and ``base.js`` (tooltip, element and zoom helpers)
before the figure's own assets, puts the figure's data in
``<script type="application/json" id="figure-data">`` and forbids every outside
load with a Content-Security-Policy. Templates are autoescaped; the JSON is
encoded so that no string in it can close the script element (``<``, ``>``,
``&``, U+2028 and U+2029 become ``\\uXXXX`` escapes), and the page scripts put
text into the DOM with ``textContent`` only. Bidirectional controls and control
characters in any text become visible code points (:mod:`diaphane.viz.safe_text`).

The output is a pure function of the arguments: no timestamps, no random ids.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from diaphane.files import write_atomic
from diaphane.viz.safe_text import clean_data, clean_text

__all__ = [
    "asset_text",
    "dumps_json",
    "render_page",
    "write_bytes_atomic",
    "write_text_atomic",
]

BASE_SCRIPTS = ("base.js",)
BASE_STYLES = ("base.css",)

# JSON is valid JavaScript inside <script> only once these can no longer end the element
# or the line: "</script>" and "<!--" need '<', HTML entities need '&', and U+2028/2029
# are line terminators in older JS engines.
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_TABLE = str.maketrans(_JSON_ESCAPES)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"figure data holds a {type(obj).__name__}, which has no JSON form")


def _check_finite(obj: Any) -> None:
    """Raise a ValueError naming the first NaN/inf, since JSON has no spelling for them."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError(
                f"figure data holds {x}: replace NaN/inf with None (shown as a gap) first"
            )
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list | tuple):
            stack.extend(x)
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f" and not np.isfinite(x).all():
            raise ValueError("figure data holds NaN/inf: replace them with None first")


def dumps_json(data: Any) -> str:
    """Encode ``data`` as compact JSON that is safe to place inside a ``<script>`` element.

    NumPy arrays and scalars are converted; NaN and infinities are refused.

    >>> dumps_json({"word": "</script><b>"})
    '{"word":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    _check_finite(data)
    text = json.dumps(
        data, default=_json_default, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    return text.translate(_JSON_TABLE)


@functools.cache
def asset_text(name: str) -> str:
    """The text of ``viz/assets/NAME`` from the installed package data."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"asset names are plain file names, not paths: {name!r}")
    path = resources.files("diaphane.viz").joinpath("assets", name)
    if not path.is_file():
        raise FileNotFoundError(f"no asset {name!r} in diaphane/viz/assets")
    text = path.read_text(encoding="utf-8")
    end_tag = "</script" if name.endswith(".js") else "</style"
    # An inlined asset must not be able to close its own element.
    if end_tag in text.lower():
        raise ValueError(f"asset {name!r} contains {end_tag!r} and cannot be inlined")
    return text


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("diaphane.viz", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json_script"] = lambda data: Markup(dumps_json(data))
    return env


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def render_page(
    template: str,
    title: str,
    data: Any,
    scripts: Sequence[str] = (),
    styles: Sequence[str] = (),
    **context: Any,
) -> str:
    """Render a self-contained HTML page.

    Args:
        template: A template file under ``diaphane/viz/templates`` (it should
            ``{% extends "base.html.j2" %}`` and fill ``{% block body %}``).
        title: The page title (escaped).
        data: JSON-able figure data; the page script reads it with ``Diaphane.data()``.
        scripts: Asset names (under ``diaphane/viz/assets``) inlined after ``base.js``.
        styles: Asset names inlined after ``base.css``.
        **context: Extra template variables (autoescaped when printed).

    Returns:
        The page text. Same arguments, same text.
    """
    scripts = _unique([*BASE_SCRIPTS, *scripts])
    styles = _unique([*BASE_STYLES, *styles])
    page = (
        _environment()
        .get_template(template)
        .render(
            title=clean_text(title),
            data=clean_data(data),
            scripts=[Markup(asset_text(s)) for s in scripts],
            styles=[Markup(asset_text(s)) for s in styles],
            **clean_data(context),
        )
    )
    # And the whole page once more, for text that reached it some other way.
    return clean_text(page)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :mod:`diaphane.files`)."""
    return write_atomic(path, text)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :mod:`diaphane.files`)."""
    return write_atomic(path, data)
