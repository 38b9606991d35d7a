"""The covariance explainer: a data matrix's covariance, cell by cell, with the sums shown.

:meth:`CovarianceFigure.from_data` takes a data matrix with named rows and
columns and computes its covariance exactly as ``np.cov`` does (through
``dnp.cov``): by default each *row* is a variable and each column an
observation, so both indices of the covariance matrix refer to rows of the
data; ``rowvar=False`` makes the columns the variables.

The page shows the matrix with its labels, the diagonal marked as variances,
off-diagonal cells coloured by sign on a diverging map centred on 0, the data
beside it, and on hover the two variables, their means and the formula with the
numbers filled in. The PNG/SVG version uses matplotlib's ``RdBu_r`` centred on 0.

>>> import numpy as np
>>> fig = CovarianceFigure.from_data(np.array([[1., 2., 3.], [2., 4., 7.]]), ["a", "b"],
...                                  ["x", "y", "z"])
>>> fig.cov.tolist()
[[1.0, 2.5], [2.5, 6.333333333333333]]
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from diaphane.errors import DataFileError
from diaphane.viz import static
from diaphane.viz.figure import Figure

__all__ = ["CovarianceFigure", "read_named_matrix"]

MAX_TERMS = 6  # terms of the sum written out in a tooltip before "…"


@dataclass(eq=False)
class CovarianceFigure(Figure):
    """The covariance matrix of a named data matrix, explained.

    Attributes:
        values: The data as given, shape ``(rows, columns)``.
        row_names: One name per row of ``values``.
        col_names: One name per column of ``values``.
        rowvar: ``True`` when rows are the variables (``np.cov``'s default).
        cov: The covariance matrix, ``(v, v)`` for ``v`` variables.
        title: Page and figure title.
    """

    template: ClassVar[str] = "covariance.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("covariance.js",)
    styles: ClassVar[tuple[str, ...]] = ("covariance.css",)
    figsize: ClassVar[tuple[float, float]] = (6.4, 5.4)

    values: np.ndarray
    row_names: list[str]
    col_names: list[str]
    rowvar: bool
    cov: np.ndarray
    title: str = "Covariance matrix"

    @classmethod
    def from_data(
        cls,
        X: Any,
        row_names: Sequence[str] | None = None,
        col_names: Sequence[str] | None = None,
        rowvar: bool = True,
        title: str | None = None,
    ) -> CovarianceFigure:
        """Build the figure from a data matrix.

        Args:
            X: 2-D numbers, finite; rows are variables when ``rowvar`` (the default).
            row_names: Names of the rows (default ``row 0``, ``row 1``, …).
            col_names: Names of the columns (default ``col 0``, …).
            rowvar: Rows are variables (``True``, like ``np.cov``) or columns are.
            title: Title; by default says which axis holds the variables.

        Raises:
            ValueError: ``X`` is not 2-D, has non-finite values, too few observations,
                or the names do not match its shape.
        """
        import diaphane.numpy as dnp

        values = _check_matrix(X, rowvar)
        rows = _names(row_names, values.shape[0], "row")
        cols = _names(col_names, values.shape[1], "col")
        cov = np.atleast_2d(np.asarray(dnp.cov(values, rowvar=rowvar), dtype=float))
        if title is None:
            title = f"Covariance of the {'rows' if rowvar else 'columns'} of the data"
        return cls(values, rows, cols, bool(rowvar), cov, title)

    @property
    def variables(self) -> np.ndarray:
        """The data with one variable per row, whatever ``rowvar`` was."""
        return self.values if self.rowvar else self.values.T

    @property
    def var_names(self) -> list[str]:
        return self.row_names if self.rowvar else self.col_names

    @property
    def obs_names(self) -> list[str]:
        return self.col_names if self.rowvar else self.row_names

    @property
    def means(self) -> np.ndarray:
        return self.variables.mean(axis=1)

    def data(self) -> dict:
        return {
            "rowvar": self.rowvar,
            "axis": "row" if self.rowvar else "column",
            "varNames": self.var_names,
            "obsNames": self.obs_names,
            "variables": self.variables,
            "means": self.means,
            "cov": self.cov,
            "maxTerms": MAX_TERMS,
        }

    def context(self) -> dict:
        return {
            "rowvar": self.rowvar,
            "n_vars": len(self.var_names),
            "n_obs": len(self.obs_names),
        }

    def draw(self, ax: Any) -> None:
        from matplotlib.patches import Rectangle

        labels = [static.shorten(name) for name in self.var_names]
        static.heatmap(ax, self.cov, labels, labels, colorbar_label="covariance")
        for i in range(len(self.var_names)):
            ax.add_patch(
                Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.5)
            )
        axis = "rows" if self.rowvar else "columns"
        ax.set_title(self.title, fontsize=11)
        ax.set_xlabel(f"both indices: {axis} of the data; outlined: variances", fontsize=9)


def _check_matrix(X: Any, rowvar: bool) -> np.ndarray:
    try:
        values = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"the data must be numbers: {err}") from None
    if values.ndim != 2:
        raise ValueError(f"the data must be a 2-D matrix, got {values.ndim} dimension(s)")
    if values.size == 0:
        raise ValueError("the data matrix is empty")
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, j = bad[0]
        raise ValueError(
            f"the data holds {values[i, j]} at row {i}, column {j}: "
            "covariance needs finite numbers; fill or drop missing values first"
        )
    n_obs = values.shape[1] if rowvar else values.shape[0]
    if n_obs < 2:
        axis = "columns" if rowvar else "rows"
        raise ValueError(
            f"covariance needs at least 2 observations ({axis}), got {n_obs}"
            + (": did you mean rowvar=False?" if values.shape[1 - int(rowvar)] >= 2 else "")
        )
    return values


def _names(names: Sequence[str] | None, n: int, what: str) -> list[str]:
    if names is None:
        return [f"{what} {i}" for i in range(n)]
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"got {len(names)} {what} names for {n} {what}s")
    return names


def read_named_matrix(path: str | os.PathLike) -> tuple[np.ndarray, list[str], list[str]]:
    """Read a CSV with a header row of column names and a first column of row names.

    Returns:
        ``(values, row_names, col_names)``.

    Raises:
        DataFileError: The file is not UTF-8 CSV, is empty or ragged, or a cell is not a
            finite number;
            the message names the line and column.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except UnicodeDecodeError:
        raise DataFileError(f"{path} is not UTF-8 text: expected a CSV file") from None
    except csv.Error as err:
        raise DataFileError(f"{path} is not a CSV file ({err}); check the file") from None
    if not rows:
        raise DataFileError(
            f"{path} is empty: expected a header row of column names, then one row per "
            "variable starting with its name"
        )
    header, body = rows[0], rows[1:]
    col_names = [c.strip() for c in header[1:]]
    if not col_names or not body:
        raise DataFileError(
            f"{path} needs a header row with at least one column name after the corner cell "
            "and at least one data row"
        )
    values = np.empty((len(body), len(col_names)))
    for i, row in enumerate(body):
        line = i + 2
        if len(row) != len(header):
            raise DataFileError(
                f"{path}, line {line}: {len(row)} fields but the header has {len(header)}"
            )
        for j, cell in enumerate(row[1:]):
            values[i, j] = _number(cell, f"{path}, line {line}, column {col_names[j]!r}")
    return values, [r[0].strip() for r in body], col_names


def _number(cell: str, where: str) -> float:
    text = cell.strip()
    if not text:
        raise DataFileError(f"{where} is empty: covariance needs every value; fill or drop it")
    try:
        x = float(text)
    except ValueError:
        raise DataFileError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(x):
        raise DataFileError(f"{where} is {text}: covariance needs finite numbers; fill or drop it")
    return x
