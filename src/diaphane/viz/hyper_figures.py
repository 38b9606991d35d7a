"""Figures of differentiating through training (:mod:`diaphane.nn.hyper`): the learned
learning-rate schedule per layer, the validation loss over meta-iterations, and the
loss curves of a learned optimizer beside tuned SGD and Adam.

All three are a :class:`LineChart`: named series of points, optionally with a band
(the quartiles over problems), on a linear or logarithmic y axis. Hovering the
chart (or stepping with the arrow keys once it has focus) shows every series' value
at the nearest x. Colours are Okabe-Ito's, which colour-blind readers can tell apart.

Entry points: :class:`LineChart`, :class:`Series`, :func:`schedule_figure`,
:func:`meta_loss_figure`, :func:`optimizer_curves_figure`, :func:`optimizer_training_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from diaphane.errors import UsageError
from diaphane.viz.figure import Figure

__all__ = [
    "OKABE_ITO",
    "LineChart",
    "Series",
    "meta_loss_figure",
    "optimizer_curves_figure",
    "optimizer_training_figure",
    "schedule_figure",
]

OKABE_ITO = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7")
START_COLOUR = "#777777"  # the schedule meta-optimisation started from
MARKED = 40  # series with at most this many points get a marker per point (as in hyper.js)
METHOD_NAMES = {
    "reverse": "exact reversal",
    "checkpoint": "checkpointed reverse mode",
    "unrolled": "reverse mode through the unrolled run",
}


@dataclass
class Series:
    """One line of a :class:`LineChart`.

    Attributes:
        name: Shown in the legend and the tooltip.
        x, y: The points (same length; ``x`` increasing). Non-finite ``y`` is a gap.
        colour: A CSS colour.
        lo, hi: An optional band around the line (e.g. quartiles).
        dashed: Draw the line dashed.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    colour: str
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    dashed: bool = False

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=np.float64)
        self.y = np.asarray(self.y, dtype=np.float64)
        for name in ("lo", "hi"):
            if getattr(self, name) is not None:
                setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        shapes = {a.shape for a in (self.x, self.y, self.lo, self.hi) if a is not None}
        if len(shapes) != 1 or self.x.ndim != 1 or not self.x.size:
            raise UsageError(f"series {self.name!r}: x, y (and a band) need one equal length.")
        if np.any(np.diff(self.x) <= 0):
            raise UsageError(f"series {self.name!r}: x must increase.")

    def data(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "colour": self.colour, "dashed": self.dashed}
        out["x"] = self.x
        for key in ("y", "lo", "hi"):
            value = getattr(self, key)
            if value is not None:
                out[key] = [float(v) if np.isfinite(v) else None for v in value]
        return out


@dataclass
class LineChart(Figure):
    """Named series on shared axes, with hover read-outs.

    Args:
        series: The lines.
        title: The heading.
        xlabel, ylabel: Axis labels.
        logy: A logarithmic y axis (every finite ``y`` must then be positive).
        note: A sentence under the heading saying what the chart shows.
    """

    template: ClassVar[str] = "hyper.html.j2"
    scripts: ClassVar[tuple[str, ...]] = ("hyper.js",)
    styles: ClassVar[tuple[str, ...]] = ("hyper.css",)
    figsize: ClassVar[tuple[float, float]] = (7.0, 4.4)
    iframe_height: ClassVar[int] = 620

    series: list[Series]
    title: str
    xlabel: str = "step"
    ylabel: str = ""
    logy: bool = False
    note: str = ""
    integer_x: bool = True

    def __post_init__(self) -> None:
        if not self.series:
            raise UsageError("a line chart needs at least one series.")
        if self.logy:
            for s in self.series:
                values = np.concatenate([a for a in (s.y, s.lo, s.hi) if a is not None])
                if np.any(values[np.isfinite(values)] <= 0):
                    raise UsageError(f"series {s.name!r} has values <= 0 on a log axis.")

    def data(self) -> dict:
        return {
            "series": [s.data() for s in self.series],
            "xlabel": self.xlabel,
            "ylabel": self.ylabel,
            "logy": self.logy,
            "integerX": self.integer_x,
        }

    def context(self) -> dict:
        return {"note": self.note}

    def draw(self, ax: Any) -> None:
        for s in self.series:
            style = "--" if s.dashed else "-"
            marker = "o" if len(s.x) <= MARKED else None
            ax.plot(s.x, s.y, style, color=s.colour, lw=1.6, marker=marker, ms=3, label=s.name)
            if s.lo is not None and s.hi is not None:
                ax.fill_between(s.x, s.lo, s.hi, color=s.colour, alpha=0.15, lw=0)
        if self.logy:
            ax.set_yscale("log")
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.set_title(self.title, fontsize=10)
        ax.legend(frameon=False, fontsize=8)


def schedule_figure(
    lr: np.ndarray,
    names: Sequence[str],
    lr_start: np.ndarray | None = None,
    l2: Sequence[float] | np.ndarray | None = None,
) -> LineChart:
    """The learned learning rate of every step, one line per layer.

    Args:
        lr: ``(T, L)`` learning rates.
        names: The ``L`` layers' names.
        lr_start: The schedule it started from (drawn dashed, grey, for its first column).
        l2: The learned L2 penalty per layer, named in the legend.
    """
    lr = np.asarray(lr, dtype=np.float64)
    if lr.ndim != 2 or lr.shape[1] != len(names):
        raise UsageError(f"schedule of shape {lr.shape} needs one column per name ({len(names)}).")
    steps = np.arange(1, lr.shape[0] + 1)
    series = []
    for i, name in enumerate(names):
        label = name if l2 is None else f"{name} (L2 {l2[i]:.2g})"
        series.append(Series(label, steps, lr[:, i], OKABE_ITO[i % len(OKABE_ITO)]))
    if lr_start is not None:
        start = np.asarray(lr_start, dtype=np.float64).reshape(lr.shape[0], -1)[:, 0]
        series.append(Series("where it started", steps, start, START_COLOUR, dashed=True))
    note = (
        "Each line is one layer's learning rate at each training step, learned by gradient "
        "descent on the validation loss after training (hypergradients)."
    )
    return LineChart(
        series, "Learned learning-rate schedule per layer", "training step", "learning rate",
        logy=True, note=note,
    )  # fmt: skip


def meta_loss_figure(losses: Sequence[float], method: str = "") -> LineChart:
    """The validation loss after training, at every meta-iteration."""
    values = np.asarray(losses, dtype=np.float64)
    how = f" (hypergradients by {METHOD_NAMES.get(method, method)})" if method else ""
    note = (
        "Each point trains the network from the same start with that meta-iteration's "
        f"hyperparameters and measures the validation loss{how}."
    )
    series = [Series("validation loss", np.arange(len(values)), values, OKABE_ITO[0])]
    return LineChart(
        series, "Validation loss over meta-iterations", "meta-iteration", "validation loss",
        note=note,
    )  # fmt: skip


def optimizer_training_figure(losses: Sequence[float]) -> LineChart:
    """The learned optimizer's meta-loss (mean log optimisee loss of a run) per training run."""
    values = np.asarray(losses, dtype=np.float64)
    note = (
        "Each point is one training run of the LSTM optimizer on a fresh batch of random "
        "quadratics: the mean log loss over the run's steps (lower is better)."
    )
    series = [Series("mean log loss", np.arange(1, len(values) + 1), values, OKABE_ITO[0])]
    return LineChart(
        series, "Training the learned optimizer", "training run", "mean log loss", note=note
    )


def optimizer_curves_figure(
    curves: dict[str, np.ndarray], learning_rates: dict[str, float] | None = None
) -> LineChart:
    """Median loss per step over held-out problems, with the quartile band, per optimizer.

    Args:
        curves: ``{name: (n_problems, steps + 1)}`` loss curves.
        learning_rates: The tuned learning rate of each baseline, named in the legend.
    """
    rates = learning_rates or {}
    series = []
    for i, (name, c) in enumerate(curves.items()):
        c = np.asarray(c, dtype=np.float64)
        # Diverged runs stay in as inf: a median among them is a gap, not a finite lie.
        with np.errstate(invalid="ignore"):
            lo, mid, hi = np.percentile(np.where(np.isnan(c), np.inf, c), [25, 50, 75], axis=0)
        label = f"{name} (tuned lr {rates[name]:.3g})" if name in rates else name
        steps = np.arange(c.shape[1])
        series.append(Series(label, steps, mid, OKABE_ITO[i % len(OKABE_ITO)], lo, hi))
    n = next(iter(curves.values())).shape[0]
    note = (
        f"Median loss over {n} held-out random quadratics at each step (band: quartiles). "
        "The baselines' learning rates were tuned on a grid on training problems."
    )
    return LineChart(
        series, "Learned optimizer against tuned SGD and Adam", "optimisation step",
        "loss ||W θ - y||²", logy=True, note=note,
    )  # fmt: skip
