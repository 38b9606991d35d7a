"""Parse einsum subscripts against operand shapes, with errors that point at the bad letter.

:func:`parse_einsum` follows NumPy's rules: letters ``a-zA-Z`` name axes, a
letter repeated across operands is the same axis, letters missing from the
output are summed away, ``...`` stands for broadcast leading axes, and without
``->`` (implicit mode) the output is ``...`` followed by the letters used once,
in ASCII order. Sizes broadcast where one of them is 1.

Axes under an ellipsis get Greek names (alpha, beta, ... in ``ELLIPSIS_NAMES``) so that
loops and
explanations can name them.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["EinsumSpec", "parse_einsum"]

ELLIPSIS_NAMES = "αβγδεζηθκλμνξπρστφχψω"
_ALLOWED = set(string.ascii_letters) | set(",->. ")


@dataclass(frozen=True)
class EinsumSpec:
    """A checked einsum: which letter indexes which axis of which operand.

    Attributes:
        subscripts: The subscripts as given.
        operands: Per operand, the letter of each axis (ellipsis axes Greek).
        output: The output's letters, in order.
        shapes: The operands' shapes.
        sizes: Each letter's (broadcast) size, in order of first appearance.
        implicit: ``True`` when the output was inferred (no ``->``).
        ellipsis: The letters standing for ``...`` (empty when there is none).
        terms: Each operand's subscript text as written (``'...ij'``).
        output_term: The output's subscript text (inferred in implicit mode).
    """

    subscripts: str
    operands: tuple[tuple[str, ...], ...]
    output: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    sizes: dict[str, int]
    implicit: bool
    ellipsis: tuple[str, ...]
    terms: tuple[str, ...]
    output_term: str

    @property
    def summed(self) -> tuple[str, ...]:
        """Letters summed away (in inputs, not in the output), by first appearance."""
        return tuple(x for x in self.sizes if x not in self.output)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(self.sizes[x] for x in self.output)

    @property
    def loop_order(self) -> tuple[str, ...]:
        """Output letters first, then the summed ones: the loop nest from outside in."""
        return self.output + self.summed


def _fail(subscripts: str, message: str, positions: Sequence[int]) -> ValueError:
    marks = [" "] * (max(positions, default=0) + 1)
    for p in positions:
        marks[p] = "^"
    return ValueError(f"{message}\n  {subscripts}\n  {''.join(marks).rstrip()}")


def _tokens(s: str, start: int, end: int) -> list[tuple[str, int]]:
    """(label, position) pairs of s[start:end]; a label is a letter or '...'."""
    out, i, seen_ellipsis = [], start, False
    while i < end:
        ch = s[i]
        if ch == " ":
            i += 1
        elif ch == ".":
            if s[i : i + 3] != "..." or i + 3 > end:
                raise _fail(s, "a '.' must be part of an ellipsis '...'", [i])
            if seen_ellipsis:
                raise _fail(s, "only one ellipsis '...' is allowed per operand", [i, i + 1, i + 2])
            seen_ellipsis = True
            out.append(("...", i))
            i += 3
        else:
            out.append((ch, i))
            i += 1
    return out


def _split(s: str) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """Spans of the input terms, and of the output term (None in implicit mode)."""
    for i, ch in enumerate(s):
        if ch not in _ALLOWED:
            raise _fail(
                s, f"{ch!r} cannot appear in einsum subscripts (letters a-z, A-Z only)", [i]
            )
    arrow = s.find("->")
    if arrow >= 0 and s.find("->", arrow + 2) >= 0:
        raise _fail(s, "einsum subscripts take at most one '->'", [s.find("->", arrow + 2)])
    for i, ch in enumerate(s):
        if ch in "->" and not (arrow >= 0 and i in (arrow, arrow + 1)):
            raise _fail(s, f"stray {ch!r}: the output is introduced by '->'", [i])
    in_end = arrow if arrow >= 0 else len(s)
    spans, start = [], 0
    for i in range(in_end + 1):
        if i == in_end or s[i] == ",":
            spans.append((start, i))
            start = i + 1
    if arrow >= 0 and "," in s[arrow:]:
        raise _fail(s, "the output after '->' is one term: no ','", [s.index(",", arrow)])
    return spans, ((arrow + 2, len(s)) if arrow >= 0 else None)


def _axes(s, tokens, shape, k, n_ellipsis_max):
    """The letter of each axis of operand k, checking its rank."""
    letters = [lab for lab, _ in tokens if lab != "..."]
    has_ellipsis = len(letters) < len(tokens)
    if tokens:
        last_lab, last_pos = tokens[-1]
        positions = list(range(tokens[0][1], last_pos + len(last_lab)))
    else:
        positions = [0]
    if not has_ellipsis and len(letters) != len(shape):
        raise _fail(
            s,
            f"operand {k} has {len(letters)} letter(s) but its shape {tuple(shape)} has "
            f"{len(shape)} axis/axes",
            positions,
        )
    if has_ellipsis and len(letters) > len(shape):
        raise _fail(
            s,
            f"operand {k} names {len(letters)} axes besides '...' but its shape "
            f"{tuple(shape)} has only {len(shape)}",
            positions,
        )
    n_ell = len(shape) - len(letters)
    names = list(ELLIPSIS_NAMES[n_ellipsis_max - n_ell : n_ellipsis_max]) if has_ellipsis else []
    axes, where = [], []
    for lab, p in tokens:
        if lab == "...":
            axes.extend(names)
            where.extend([p] * len(names))
        else:
            axes.append(lab)
            where.append(p)
    return axes, where


def _sizes(s, operands, wheres, shapes):
    sizes: dict[str, int] = {}
    first: dict[str, tuple[int, int]] = {}
    for k, (axes, where, shape) in enumerate(zip(operands, wheres, shapes, strict=True)):
        for letter, pos, size in zip(axes, where, shape, strict=True):
            if letter not in sizes or (sizes[letter] == 1 and size != 1):
                first[letter] = (k, pos)
                sizes[letter] = int(size)
            elif size not in (1, sizes[letter]):
                k0, pos0 = first[letter]
                label = f"letter {letter!r}" if letter.isascii() else "the '...' axes"
                raise _fail(
                    s,
                    f"{label} has size {sizes[letter]} in operand {k0} "
                    f"(shape {tuple(shapes[k0])}) but {size} in operand {k} (shape {tuple(shape)})",
                    sorted({pos0, pos}),
                )
    return sizes


def _output(s, out_span, operands, n_ell):
    ell = tuple(ELLIPSIS_NAMES[:n_ell])
    if out_span is None:
        counts: dict[str, int] = {}
        for axes in operands:
            for x in axes:
                counts[x] = counts.get(x, 0) + 1
        once = sorted(x for x, c in counts.items() if c == 1 and x.isascii())
        return ell + tuple(once), ("..." if n_ell else "") + "".join(once)
    tokens = _tokens(s, *out_span)
    used = {x for axes in operands for x in axes}
    out: list[str] = []
    for lab, pos in tokens:
        if lab == "...":
            out.extend(ell)
        elif lab not in used:
            raise _fail(s, f"output letter {lab!r} does not appear in any input", [pos])
        elif lab in out:
            raise _fail(s, f"output letter {lab!r} appears twice", [pos])
        else:
            out.append(lab)
    if n_ell and not any(lab == "..." for lab, _ in tokens):
        raise _fail(
            s, "the inputs broadcast over '...' axes, so the output needs '...' too", [out_span[0]]
        )
    return tuple(out), s[out_span[0] : out_span[1]].replace(" ", "")


def parse_einsum(subscripts: str, shapes: Sequence[Sequence[int]]) -> EinsumSpec:
    """Check ``subscripts`` against operand ``shapes`` and say which letter is which axis.

    Args:
        subscripts: NumPy einsum subscripts (``"ij,jk->ik"``, ``"ij"``, ``"...ij,...jk"``).
        shapes: One shape per operand.

    Raises:
        ValueError: With the subscripts and a caret under the offending letter(s).

    >>> spec = parse_einsum("ij,jk->ik", [(2, 3), (3, 4)])
    >>> spec.summed, spec.out_shape
    (('j',), (2, 4))
    >>> parse_einsum("ij,jk->iq", [(2, 3), (3, 4)])
    Traceback (most recent call last):
    ...
    ValueError: output letter 'q' does not appear in any input
      ij,jk->iq
              ^
    """
    s = str(subscripts)
    shapes = [tuple(int(n) for n in shape) for shape in shapes]
    if any(n < 0 for shape in shapes for n in shape):
        raise ValueError(f"shapes cannot have negative sizes: {shapes}")
    spans, out_span = _split(s)
    if len(spans) != len(shapes):
        raise _fail(
            s,
            f"the subscripts name {len(spans)} operand(s) but {len(shapes)} shape(s) were given",
            [spans[-1][1] - 1 if spans[-1][1] > 0 else 0],
        )
    tokens = [_tokens(s, a, b) for a, b in spans]
    n_letters = [sum(lab != "..." for lab, _ in t) for t in tokens]
    n_ell = max(
        (len(sh) - n for t, sh, n in zip(tokens, shapes, n_letters, strict=True) if len(t) > n),
        default=0,
    )
    n_ell = max(n_ell, 0)
    if n_ell > len(ELLIPSIS_NAMES):
        raise ValueError(f"'...' stands for {n_ell} axes; at most {len(ELLIPSIS_NAMES)} allowed")
    axes_where = [
        _axes(s, t, sh, k, n_ell) for k, (t, sh) in enumerate(zip(tokens, shapes, strict=True))
    ]
    operands = tuple(tuple(a) for a, _ in axes_where)
    sizes = _sizes(s, operands, [w for _, w in axes_where], shapes)
    output, output_term = _output(s, out_span, operands, n_ell)
    return EinsumSpec(
        subscripts=s,
        operands=operands,
        output=output,
        shapes=tuple(tuple(shape) for shape in shapes),
        sizes=sizes,
        implicit=out_span is None,
        ellipsis=tuple(ELLIPSIS_NAMES[:n_ell]),
        terms=tuple(s[a:b].replace(" ", "") for a, b in spans),
        output_term=output_term,
    )
