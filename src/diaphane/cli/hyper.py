"""``diaphane hyper``: differentiating through training.

    diaphane hyper schedule --out hyper/      # learn a learning-rate schedule on digits
    diaphane hyper learned --out hyper/       # train an LSTM optimizer on quadratics

``schedule`` learns per-step, per-layer learning rates and per-layer L2 penalties of a
small MLP on scikit-learn's digits by gradient descent on the validation loss, and
writes ``schedule.html`` and ``meta_loss.html``. ``learned`` trains a coordinate-wise
LSTM optimizer on random quadratics and writes ``optimizer_curves.html`` beside tuned
SGD and Adam. Progress goes to standard error (a bar on a terminal; one log line per
iteration with ``-v``), the summary to standard output; ``--svg`` adds static SVGs.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import Any

from diaphane.cli import UsageError
from diaphane.cli.options import add_force, check_out_file, integer

log = logging.getLogger(__name__)

METHODS = ("reverse", "checkpoint", "unrolled")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "hyper",
        help="hypergradients: learn a training schedule, or an optimizer",
        description="Differentiate through training: learn a learning-rate schedule by "
        "hypergradients, or train a learned optimizer on random quadratics.",
    )
    sub = p.add_subparsers(dest="demo", metavar="DEMO", required=True)
    _schedule_parser(sub)
    _learned_parser(sub)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="hyper", metavar="DIR", help="folder for the figures (hyper)")
    p.add_argument("--svg", action="store_true", help="also write each figure as static SVG")
    p.add_argument("--seed", type=integer(0), default=0, help="random seed (0)")
    add_force(p, files=True)


def _schedule_parser(sub: Any) -> None:
    p = sub.add_parser(
        "schedule",
        help="learn learning rates per step and layer, and L2 per layer, on digits",
        description="Meta-optimise an MLP's learning-rate schedule and L2 penalties on "
        "scikit-learn's digits by gradient descent on the validation loss.",
    )
    p.add_argument("--steps", type=int, default=100, help="training steps per run (100)")
    p.add_argument("--meta-iterations", type=int, default=20, help="meta-gradient steps (20)")
    p.add_argument("--meta-lr", type=float, default=0.1, help="Adam step on log rates (0.1)")
    p.add_argument("--lr", type=float, default=0.3, help="starting learning rate (0.3)")
    p.add_argument("--momentum", type=float, default=0.9, help="momentum, fixed (0.9)")
    p.add_argument("--l2", type=float, default=1e-3, help="starting L2 penalty (1e-3)")
    p.add_argument("--method", choices=METHODS, default="reverse", help="hypergradient method")
    p.add_argument("--train", type=int, default=1000, help="training images (1000)")
    p.add_argument("--valid", type=int, default=400, help="validation images (400)")
    p.add_argument("--hidden", type=int, default=50, help="hidden units (50)")
    p.add_argument("--batch", type=int, default=50, help="minibatch size (50)")
    _common(p)
    p.set_defaults(func=run_schedule)


def _learned_parser(sub: Any) -> None:
    p = sub.add_parser(
        "learned",
        help="train a coordinate-wise LSTM optimizer on quadratics; compare with SGD, Adam",
        description="Train an LSTM optimizer by truncated backpropagation through unrolled "
        "optimisation of random quadratics, then compare it with tuned SGD and Adam.",
    )
    p.add_argument("--meta-iterations", type=int, default=400, help="training runs (400)")
    p.add_argument("--horizon", type=int, default=100, help="steps per run (100)")
    p.add_argument("--unroll", type=int, default=20, help="steps per truncation (20)")
    p.add_argument("--batch", type=int, default=32, help="problems per run (32)")
    p.add_argument("--hidden", type=int, default=20, help="LSTM units per layer (20)")
    p.add_argument("--meta-lr", type=float, default=0.005, help="Adam step on the LSTM (0.005)")
    p.add_argument("--dim", type=int, default=10, help="dimension of the quadratics (10)")
    p.add_argument("--test-problems", type=int, default=32, help="held-out problems (32)")
    p.add_argument("--tune-problems", type=int, default=64, help="problems to tune on (64)")
    _common(p)
    p.set_defaults(func=run_learned)


def positive_int(value: int, option: str) -> int:
    """``value`` if it is at least 1; else a :class:`UsageError` naming ``option``."""
    if value < 1:
        raise UsageError(f"{option} must be a positive integer, not {value}.")
    return value


def finite_float(value: float, option: str, positive: bool = False) -> float:
    """``value`` if it is finite (and above 0 with ``positive``); else a :class:`UsageError`."""
    if not math.isfinite(value) or (positive and value <= 0):
        kind = "a finite number above 0" if positive else "a finite number"
        raise UsageError(f"{option} must be {kind}, not {value}.")
    return value


def _check_schedule(args: argparse.Namespace) -> None:
    for name in ("steps", "meta_iterations", "train", "valid", "hidden", "batch"):
        positive_int(getattr(args, name), "--" + name.replace("_", "-"))
    for name in ("meta_lr", "lr", "l2"):
        finite_float(getattr(args, name), "--" + name.replace("_", "-"), positive=True)
    if not 0.0 < finite_float(args.momentum, "--momentum") < 1.0:
        raise UsageError(f"--momentum must lie between 0 and 1, not {args.momentum}.")


def _check_learned(args: argparse.Namespace) -> None:
    for name in ("meta_iterations", "horizon", "unroll", "batch", "hidden", "dim"):
        positive_int(getattr(args, name), "--" + name.replace("_", "-"))
    for name in ("test_problems", "tune_problems"):
        positive_int(getattr(args, name), "--" + name.replace("_", "-"))
    finite_float(args.meta_lr, "--meta-lr", positive=True)
    if args.unroll > args.horizon:
        raise UsageError(f"--unroll ({args.unroll}) cannot exceed --horizon ({args.horizon}).")


class _Progress:
    """A tqdm bar on a terminal's stderr, and a log line per iteration either way."""

    def __init__(self, total: int, what: str) -> None:
        self.what = what
        self.bar = None
        if sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=what, unit="it", file=sys.stderr, leave=True)

    def __call__(self, i: int, loss: float) -> None:
        log.info("%s %d: loss %.4f", self.what, i, loss)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _figure_paths(args: argparse.Namespace, names: tuple[str, ...]) -> list[Path]:
    """The files ``--out`` will get (HTML, and SVG with ``--svg``), checked before any work."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; name a folder for the figures.")
    suffixes = (".html", ".svg") if args.svg else (".html",)
    paths = [out / f"{name}{suffix}" for name in names for suffix in suffixes]
    for path in paths:
        check_out_file(path, args.force)
    return paths


def _write(figures: dict[str, Any], paths: list[Path]) -> list[Path]:
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.suffix == ".html":
            figures[path.stem].to_html(path)
        else:
            figures[path.stem].to_svg(path)
    return paths


def run_schedule(args: argparse.Namespace) -> int:
    _check_schedule(args)
    paths = _figure_paths(args, ("schedule", "meta_loss"))
    from diaphane.nn.hyper.schedule import DigitsMLP, learn_schedule
    from diaphane.viz.hyper_figures import meta_loss_figure, schedule_figure

    problem = DigitsMLP.load(args.train, args.valid, args.hidden, args.batch, args.seed)
    progress = _Progress(args.meta_iterations + 1, "meta-iteration")
    try:
        result = learn_schedule(
            problem, args.steps, args.meta_iterations, args.meta_lr, args.lr, args.momentum,
            args.l2, args.method, args.seed, callback=progress,
        )  # fmt: skip
    finally:
        progress.close()
    figures = {
        "schedule": schedule_figure(result.lr, result.names, result.lr_start, result.l2),
        "meta_loss": meta_loss_figure(result.meta_losses, result.method),
    }
    _write(figures, paths)
    losses = result.meta_losses
    print(f"validation loss {losses[0]:.4f} -> {losses[-1]:.4f} ({len(losses) - 1} meta-steps)")
    print(f"test loss {result.test_loss[0]:.4f} -> {result.test_loss[1]:.4f}; test accuracy "
          f"{result.test_accuracy[0]:.3f} -> {result.test_accuracy[1]:.3f}")  # fmt: skip
    for name, value in zip(result.names, result.l2, strict=True):
        print(f"L2 {name}: {value:.3g}")
    for path in paths:
        print(f"wrote {path}")
    return 0


def run_learned(args: argparse.Namespace) -> int:
    _check_learned(args)
    paths = _figure_paths(args, ("optimizer_curves", "optimizer_training"))
    from diaphane.nn.hyper.learned import compare_optimizers, train_learned_optimizer
    from diaphane.nn.hyper.quadratics import Quadratics
    from diaphane.viz.hyper_figures import optimizer_curves_figure, optimizer_training_figure

    progress = _Progress(args.meta_iterations, "meta-iteration")
    try:
        opt, losses = train_learned_optimizer(
            args.meta_iterations, args.dim, args.batch, args.horizon, args.unroll,
            args.meta_lr, args.hidden, args.seed, callback=progress,
        )  # fmt: skip
    finally:
        progress.close()
    tune = Quadratics.sample(args.tune_problems, args.dim, seed=args.seed + 1000)
    test = Quadratics.sample(args.test_problems, args.dim, seed=args.seed + 2000)
    comparison = compare_optimizers(opt, tune, test, steps=args.horizon)
    curves = optimizer_curves_figure(comparison.curves, comparison.learning_rates)
    figures = {"optimizer_curves": curves, "optimizer_training": optimizer_training_figure(losses)}
    _write(figures, paths)
    for name, value in comparison.median_final().items():
        rate = comparison.learning_rates.get(name)
        tuned = f" (tuned lr {rate:.3g})" if rate is not None else ""
        print(f"{name}{tuned}: median final loss {value:.4g} over {args.test_problems} problems")
    for path in paths:
        print(f"wrote {path}")
    return 0
