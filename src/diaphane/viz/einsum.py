"""The einsum explainer: which letter is which axis, what is summed away, and the numbers.

``EinsumFigure("ij,jk->ik", [(2, 3), (3, 4)])`` checks the subscripts against
the shapes (a mistake raises a ValueError with a caret under the bad letter),
then shows which letters index which axes of which operand, which are summed
away, the output shape, the equivalent nested loops and NumPy expression, and
a worked example: small arrays of counting numbers pushed through
``dnp.einsum``, where hovering an output cell shows its sum and lights up the
input cells it came from.

>>> fig = EinsumFigure("ij->i", [(2, 3)])
>>> fig.spec.summed, fig.spec.out_shape
(('j',), (2,))
>>> fig.equivalent
'A.sum(axis=1)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from diaphane.viz import einsum_text
from diaphane.viz._einsum_parse import EinsumSpec, parse_einsum
from diaphane.viz.figure import Figure

__all__ = ["EinsumFigure", "EinsumSpec", "parse_einsum"]

# Letter colours (Okabe-Ito, then a few more): one per letter, in order of first appearance.
PALETTE = (
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
    "#8c6d31", "#7b4173", "#3a7d44", "#b5495b", "#5254a3", "#637939",
)  # fmt: skip


@dataclass(eq=False)
class EinsumFigure(Figure):
    """An einsum explained for given operand shapes.

    Args:
        subscripts: NumPy einsum subscripts (explicit ``->``, implicit, or with ``...``).
        shapes: One shape per operand.
        title: Page title (default: the subscripts).

    Raises:
        ValueError: The subscripts do not fit the shapes; the message points at the letter.
    """

    template: ClassVar[str] = "einsum.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("einsum.js",)
    styles: ClassVar[tuple[str, ...]] = ("einsum.css",)
    figsize: ClassVar[tuple[float, float]] = (8.0, 3.6)
    iframe_height: ClassVar[int] = 760

    subscripts: str
    shapes: Sequence[Sequence[int]]
    title: str = ""
    spec: EinsumSpec = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.shapes = [tuple(int(n) for n in s) for s in self.shapes]
        self.spec = parse_einsum(self.subscripts, self.shapes)
        if not self.title:
            self.title = f"einsum “{self.subscripts}”"

    @property
    def equivalent(self) -> str | None:
        """A NumPy expression without einsum that gives the same array, where one is known."""
        return einsum_text.equivalent(self.spec)

    def letters(self) -> list[dict]:
        """One row per letter: size, where it indexes, and whether it is kept or summed."""
        spec, names = self.spec, einsum_text.operand_names(self.spec)
        rows = []
        for n, x in enumerate(spec.sizes):
            where = [
                f"{names[k]} axis {a}"
                for k, axes in enumerate(spec.operands)
                for a, y in enumerate(axes)
                if y == x
            ]
            kept = x in spec.output
            rows.append(
                {
                    "letter": x,
                    "label": x if x.isascii() else f"{x} (…)",
                    "size": spec.sizes[x],
                    "where": ", ".join(where),
                    "kept": kept,
                    "fate": f"kept: output axis {spec.output.index(x)}" if kept else "summed away",
                    "color": PALETTE[n % len(PALETTE)],
                }
            )
        return rows

    def summary(self) -> list[str]:
        """Plain sentences: the operands' axes, what is summed, the output."""
        spec, names = self.spec, einsum_text.operand_names(self.spec)
        out = [
            f"{name} has shape {tuple(shape)}: "
            + ", ".join(f"axis {a} is {x}" for a, x in enumerate(axes))
            + ("." if axes else "a scalar.")
            for name, axes, shape in zip(names, spec.operands, spec.shapes, strict=True)
        ]
        if spec.ellipsis:
            out.append(f"'...' stands for the broadcast axes {', '.join(spec.ellipsis)}.")
        if spec.summed:
            out.append(
                f"{', '.join(spec.summed)} {'is' if len(spec.summed) == 1 else 'are'} not in the "
                "output, so the product is summed over "
                f"{'it' if len(spec.summed) == 1 else 'them'}."
            )
        else:
            out.append("Every letter is kept: nothing is summed, entries are only multiplied.")
        if spec.implicit:
            out.append(
                f"No '->': the output is the letters used once, in alphabetical order "
                f"(“{spec.output_term or 'a scalar'}”)."
            )
        out.append(f"The output has shape {spec.out_shape}.")
        return out

    def _tokens(self, text: str) -> list[dict]:
        order = list(self.spec.sizes)
        tokens = []
        for ch in text.replace("...", "…"):
            if ch in order:
                n = order.index(ch)
                tokens.append({"text": ch, "letter": n, "color": PALETTE[n % len(PALETTE)]})
            elif ch != " ":
                tokens.append({"text": "→" if ch == ">" else ch, "letter": None})
        return [t for t in tokens if t["text"] != "-"]

    def context(self) -> dict:
        spec, ex = self.spec, einsum_text.worked_example(self.spec)
        shapes = [tuple(op["shape"]) for op in ex["operands"]]
        note = "Operands filled with counting numbers 1, 2, 3, …"
        if ex["shrunk"]:
            note += f" (every size cut to at most 3 to keep it small: shapes {shapes})"
        note += "; the result comes from diaphane's own einsum. Hover an output cell."
        return {
            "tokens": self._tokens(spec.subscripts),
            "output_tokens": self._tokens(spec.output_term),
            "implicit": spec.implicit,
            "summary": self.summary(),
            "formula": einsum_text.formula(spec),
            "letters": self.letters(),
            "operands": [
                {"name": n, "tokens": self._tokens(t), "shape": tuple(s)}
                for n, t, s in zip(
                    einsum_text.operand_names(spec), spec.terms, spec.shapes, strict=True
                )
            ],
            "out_shape": spec.out_shape,
            "loops": einsum_text.loops_code(spec),
            "numpy": einsum_text.numpy_call(spec),
            "equivalent": self.equivalent,
            "example_note": note,
        }

    def data(self) -> dict:
        spec = self.spec
        return {
            "subscripts": spec.subscripts,
            "terms": list(spec.terms),
            "outputTerm": spec.output_term,
            "implicit": spec.implicit,
            "operands": [
                {"name": n, "letters": list(a), "shape": list(s), "term": t}
                for n, a, s, t in zip(
                    einsum_text.operand_names(spec),
                    spec.operands,
                    spec.shapes,
                    spec.terms,
                    strict=True,
                )
            ],
            "output": {"letters": list(spec.output), "shape": list(spec.out_shape)},
            "letters": self.letters(),
            "summary": self.summary(),
            "formula": einsum_text.formula(spec),
            "loops": einsum_text.loops_code(spec),
            "numpy": einsum_text.numpy_call(spec),
            "equivalent": self.equivalent,
            "example": einsum_text.worked_example(spec),
        }

    def draw(self, ax: Any) -> None:
        from diaphane.viz.einsum_static import draw_example

        draw_example(ax, self.data())


def parse_shape(text: str) -> tuple[int, ...]:
    """``'2x3'`` → ``(2, 3)``; ``''`` or ``'scalar'`` → ``()``.

    >>> parse_shape("2x3x4")
    (2, 3, 4)
    """
    text = text.strip().lower()
    if text in ("", "scalar", "()"):
        return ()
    try:
        shape = tuple(int(p) for p in text.replace("\u00d7", "x").replace(",", "x").split("x"))
    except ValueError:
        raise ValueError(
            f"cannot read shape {text!r}: write sizes joined by 'x', like 2x3"
        ) from None
    if any(n < 0 for n in shape):
        raise ValueError(f"shape {text!r} has a negative size")
    return shape
