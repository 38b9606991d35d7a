"""A small training loop: minibatches, progress, validation, early stopping, checkpoints.

:func:`train` runs ``loss_fn`` on minibatches, takes gradients with diaphane's
engine (sparse rows for gathered embedding rows) and lets an optimiser update the
parameters. It is built to be stopped and resumed:

- the order of the data in an epoch derives only from ``(seed, epoch)``, so a run
  resumed at step k sees exactly the batches an uninterrupted run would;
- a checkpoint (parameters, optimiser state, training state) is written every
  ``checkpoint_every`` steps, at the end of each epoch and on Ctrl-C;
- a NaN or infinite loss, or one that rises a thousandfold above the first
  step's, stops training with a clear error (the step, and a lower learning rate
  as the fix) before the parameters are touched, leaving the last good checkpoint
  as it was; no parameters holding NaN are ever written;
- ``resume=True`` refuses a checkpoint written with other settings or data (its
  ``config.json`` differs from ``model_config``), naming what differs.

Entry points: :func:`train`, :class:`TrainConfig`, :class:`TrainState`,
:class:`TrainResult`, :class:`ArrayBatches`, :class:`TrainingDiverged`,
:class:`ResumeMismatch`.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.autodiff import value_and_grad
from diaphane.autodiff.core import DiaphaneError
from diaphane.errors import UsageError
from diaphane.nn._batches import ArrayBatches, Batches
from diaphane.nn._progress import Progress as _Progress
from diaphane.nn._progress import perplexity as _ppl
from diaphane.nn.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

__all__ = [
    "ArrayBatches",
    "Batches",
    "ResumeMismatch",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "TrainingDiverged",
    "train",
]

log = logging.getLogger(__name__)

LAST, BEST = "last", "best"
DONE = ("early stopping",)  # a run that stopped for this is not resumed


# A loss this many times the first step's (and above 1) is a run that diverged.
DIVERGED_RATIO = 1000.0
# Settings a resumed run may change: how long it runs and how often it saves.
RESUMABLE = frozenset({
    "diaphane_version", "version", "command", "epochs", "steps", "max_steps",
    "checkpoint_every", "patience", "history", "stopped",
})  # fmt: skip


class TrainingDiverged(DiaphaneError):
    """The loss became NaN or infinite, or rose far above where it started."""


class ResumeMismatch(UsageError):
    """``resume=True`` with settings or data other than the checkpoint's.

    Attributes:
        differences: ``(dotted key, in the checkpoint, now)`` for each difference.
    """

    def __init__(self, message: str, differences: list[tuple[str, Any, Any]]) -> None:
        super().__init__(message)
        self.differences = differences


# ----------------------------------------------------------------------------- config and state


@dataclass
class TrainConfig:
    """How to train.

    Attributes:
        epochs: passes over the data at most.
        patience: stop after this many epochs without a better validation perplexity
            (0 turns early stopping off).
        min_improvement: relative drop in validation perplexity that counts as better.
        checkpoint_dir: folder for the ``last`` and ``best`` checkpoints (None: none).
        checkpoint_every: also checkpoint every this many steps (0: only at epoch ends).
        max_steps: stop after this many steps in all (None: no limit).
        max_seconds: stop after the step that passes this much wall time in this call
            (None: no limit); the run ends as ``"time budget"``, its parameters kept.
        progress: show a progress bar on stderr (None: only when stderr is a terminal).
        loss_is_log_likelihood: the loss is a mean negative log-likelihood, so the
            progress bar shows its perplexity too (not so for GloVe's least squares).
    """

    epochs: int = 10
    patience: int = 2
    min_improvement: float = 0.0
    checkpoint_dir: str | Path | None = None
    checkpoint_every: int = 0
    max_steps: int | None = None
    max_seconds: float | None = None
    progress: bool | None = None
    loss_is_log_likelihood: bool = True


@dataclass
class TrainState:
    """Where training stands; saved in every checkpoint, enough to resume exactly."""

    step: int = 0
    epoch: int = 0
    batch: int = 0  # batches of `epoch` already done
    epoch_loss: float = 0.0  # sum of batch-mean losses x tokens in this epoch so far
    epoch_tokens: int = 0
    best_valid: float = math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    stopped: str = ""  # "", "finished", "early stopping", "max steps", "interrupted"
    history: list[dict] = field(default_factory=list)
    first_loss: float | None = None  # the loss of step 1, what divergence is measured from

    @classmethod
    def from_dict(cls, d: dict) -> TrainState:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class TrainResult:
    """What :func:`train` returns: the parameters to keep (the best ones when
    validation was used), the optimiser (with its final state) and the training state."""

    params: dict
    optimizer: Any
    state: TrainState

    @property
    def interrupted(self) -> bool:
        return self.state.stopped == "interrupted"


# ----------------------------------------------------------------------------- optimiser glue


def _opt_state(optimizer: Any) -> Any:
    return optimizer.state_dict()


def _opt_restore(optimizer: Any, state: Any) -> None:
    optimizer.load_state_dict(state)


# ----------------------------------------------------------------------------- interrupts


class _Interrupts:
    """Turn the first Ctrl-C into a request honoured between steps; a second one stops at once.

    A step is never cut in half, so the checkpoint written on Ctrl-C is consistent.
    """

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        log.warning("Stopping after this step (press Ctrl-C again to stop now).")

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


# ----------------------------------------------------------------------------- the loop


@dataclass
class _Run:
    """Everything one call of :func:`train` carries between its helpers."""

    loss_and_grad: Callable
    optimizer: Any
    batches: Batches
    evaluate: Callable[[dict], float] | None
    config: TrainConfig
    callbacks: Sequence[Callable[[TrainState, dict], None]]
    model_config: dict
    extra_files: dict[str, Any]
    params: dict
    state: TrainState
    best_params: dict | None = None
    progress: Any = None
    updating: bool = False  # inside the optimiser's in-place update
    started: float = field(default_factory=lambda: _now())

    def folder(self, name: str) -> Path | None:
        d = self.config.checkpoint_dir
        return None if d is None else Path(d) / name

    def save(self, name: str = LAST, with_optimizer: bool = True) -> None:
        folder = self.folder(name)
        if folder is None:
            return
        params = self.best_params if name == BEST and self.best_params else self.params
        _check_finite(params, self.state, folder)
        save_checkpoint(
            folder, params, _opt_state(self.optimizer) if with_optimizer else None,
            asdict(self.state), self.model_config, self.extra_files,
        )  # fmt: skip
        log.info("Saved checkpoint %s at step %d.", folder, self.state.step)


def _now() -> float:
    """The clock of the time budget (a function, so tests can drive it)."""
    return time.monotonic()


def _check_finite(params: dict, state: TrainState, folder: Path) -> None:
    from diaphane.autodiff.tree import flatten

    for leaf in flatten(params)[0]:
        if not np.all(np.isfinite(leaf)):
            raise TrainingDiverged(
                f"The parameters hold NaN or inf at step {state.step}; not writing {folder}, "
                "so the last good checkpoint stays. Lower the learning rate and resume from it."
            )


def _copy(params: dict) -> dict:
    from diaphane.autodiff.tree import tree_map

    return tree_map(np.copy, params)


def _diverged(run: _Run, value: float) -> TrainingDiverged:
    s = run.state
    last = run.folder(LAST)
    where = (
        f"the last good checkpoint in {last} is kept; resume from it"
        if last is not None and last.exists()
        else "no checkpoint was written; start again"
    )
    what = f"became {value}" if not math.isfinite(value) else (
        f"rose from {s.first_loss:.4g} to {value:.4g}, so training diverged,")  # fmt: skip
    return TrainingDiverged(
        f"The training loss {what} at step {s.step + 1} (epoch {s.epoch + 1}, "
        f"batch {s.batch + 1}); {where} with a lower learning rate (--lr)."
    )


def diverging(loss: float, first: float | None) -> bool:
    """Whether a loss says training diverged: NaN or infinite, or more than
    :data:`DIVERGED_RATIO` times the first step's loss (and above 1)."""
    if not math.isfinite(loss):
        return True
    return first is not None and first > 0 and loss > max(DIVERGED_RATIO * first, 1.0)


def _one_step(run: _Run, batch: tuple, interrupts: _Interrupts) -> None:
    loss, grads = run.loss_and_grad(run.params, *batch)
    loss = float(loss)
    if diverging(loss, run.state.first_loss):
        raise _diverged(run, loss)
    if run.state.first_loss is None:
        run.state.first_loss = loss
    # The optimiser updates in place; Ctrl-C is deferred (see _Interrupts) so it never
    # lands half-way through.
    run.updating = True
    run.optimizer.step(run.params, grads)
    run.updating = False
    s = run.state
    tokens = int(np.size(batch[-1]))
    s.step, s.batch = s.step + 1, s.batch + 1
    s.epoch_loss += loss * tokens
    s.epoch_tokens += tokens
    run.progress.update(s.epoch_loss / max(s.epoch_tokens, 1), tokens)
    for callback in run.callbacks:
        callback(s, run.params)
    if interrupts.requested:
        raise KeyboardInterrupt
    every = run.config.checkpoint_every
    if every and s.step % every == 0:
        run.save(LAST)


def _end_epoch(run: _Run) -> bool:
    """Validate, keep the best parameters, decide on early stopping. True to stop."""
    s, cfg = run.state, run.config
    train_loss = s.epoch_loss / max(s.epoch_tokens, 1)
    entry = {"epoch": s.epoch + 1, "step": s.step, "train_loss": train_loss,
             "train_ppl": _ppl(train_loss)}  # fmt: skip
    stop = False
    if run.evaluate is not None:
        valid = float(run.evaluate(run.params))
        entry["valid_ppl"] = valid
        if valid < s.best_valid * (1.0 - cfg.min_improvement):
            s.best_valid, s.best_epoch, s.bad_epochs = valid, s.epoch + 1, 0
            run.best_params = _copy(run.params)
            run.save(BEST, with_optimizer=False)
        else:
            s.bad_epochs += 1
            stop = cfg.patience > 0 and s.bad_epochs >= cfg.patience
        log.info("epoch %d: train ppl %.2f, valid ppl %.2f", s.epoch + 1, _ppl(train_loss), valid)
    s.history.append(entry)
    s.epoch, s.batch, s.epoch_loss, s.epoch_tokens = s.epoch + 1, 0, 0.0, 0
    if stop:
        s.stopped = "early stopping"
    return stop


def _run_epochs(run: _Run, interrupts: _Interrupts) -> None:
    cfg, s = run.config, run.state
    while s.epoch < cfg.epochs:
        run.progress.start_epoch(s.epoch, cfg.epochs, len(run.batches), s.batch)
        for batch in run.batches(s.epoch, s.batch):
            if cfg.max_steps is not None and s.step >= cfg.max_steps:
                s.stopped = "max steps"
                return
            if cfg.max_seconds is not None and _now() - run.started > cfg.max_seconds:
                if s.batch:  # validate the part-epoch, so its parameters can be kept
                    _end_epoch(run)
                s.stopped = "time budget"
                return
            _one_step(run, batch, interrupts)
        if _end_epoch(run):
            return
        run.save(LAST)
    s.stopped = "finished"


def train(
    loss_fn: Callable[..., Any],
    params: dict,
    optimizer: Any,
    batches: Batches,
    *,
    evaluate: Callable[[dict], float] | None = None,
    config: TrainConfig | None = None,
    callbacks: Iterable[Callable[[TrainState, dict], None]] = (),
    model_config: dict | None = None,
    extra_files: dict[str, Any] | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train ``params`` to lower ``loss_fn(params, *batch)``.

    Args:
        loss_fn: mean loss of a batch; written with :mod:`diaphane.numpy`.
        params: nested dict of arrays (not modified: training works on a copy).
        optimizer: an optimiser from :mod:`diaphane.nn.optim` (``step`` updates in place;
            ``state_dict``/``load_state_dict`` save and restore it).
        batches: ``batches(epoch, start)`` yields the batches of an epoch from batch
            ``start`` on, in an order fixed by the seed and the epoch; ``len(batches)``
            is the number of batches per epoch. See :class:`ArrayBatches`.
        evaluate: validation perplexity of some parameters, run after every epoch;
            drives early stopping and the ``best`` checkpoint.
        config: epochs, patience, checkpointing, progress; see :class:`TrainConfig`.
        callbacks: called as ``callback(state, params)`` after every step.
        model_config: written into every checkpoint's ``config.json`` (model kind,
            hyperparameters), so checkpoints are model folders.
        extra_files: text files written into every checkpoint (``vocab.txt``).
        resume: continue from ``config.checkpoint_dir/last`` when it exists.

    Returns:
        The best parameters (or the last, without ``evaluate``), the optimiser and
        the training state. On Ctrl-C a checkpoint is written and the result has
        ``interrupted`` set.

    Raises:
        TrainingDiverged: the loss became NaN or infinite.
    """
    config = config or TrainConfig()
    run = _Run(
        value_and_grad(loss_fn, sparse=True), optimizer, batches, evaluate, config,
        list(callbacks), dict(model_config or {}), dict(extra_files or {}),
        _copy(params), TrainState(),
    )  # fmt: skip
    _start(run, resume)
    if run.state.stopped in DONE:  # resuming a run that already ended
        return TrainResult(run.best_params or run.params, run.optimizer, run.state)
    run.progress = _Progress(config.progress, config.loss_is_log_likelihood)
    with _Interrupts() as interrupts:
        try:
            _run_epochs(run, interrupts)
        except KeyboardInterrupt:
            _on_interrupt(run)
        finally:
            run.progress.close()
    if run.state.stopped != "interrupted":
        run.save(LAST)
    best = run.best_params if run.best_params is not None else run.params
    return TrainResult(best, run.optimizer, run.state)


def _on_interrupt(run: _Run) -> None:
    run.state.stopped = "interrupted"
    if run.updating:  # a second Ctrl-C cut an update short: these parameters are torn
        log.warning("Interrupted during a parameter update; the last checkpoint is kept.")
        return
    run.save(LAST)
    log.warning("Interrupted at step %d; checkpoint saved.", run.state.step)


def _start(run: _Run, resume: bool) -> None:
    last = run.folder(LAST)
    if resume and last is not None and (last.exists() or last.with_name("last.old").exists()):
        ckpt: Checkpoint = load_checkpoint(last)
        _check_same_run(ckpt.config, run.model_config, last)
        run.params = _like(ckpt.params, run.params)
        _opt_restore(run.optimizer, ckpt.opt_state)
        run.state = TrainState.from_dict(ckpt.train_state)
        if run.state.stopped not in DONE:
            run.state.stopped = ""
        best = run.folder(BEST)
        if run.state.best_epoch > 0 and best is not None and best.exists():
            run.best_params = _like(load_checkpoint(best).params, run.params)
        log.info("Resuming from %s at step %d.", last, run.state.step)


def _check_same_run(saved: dict, now: dict, folder: Path) -> None:
    """Refuse to resume a checkpoint written with other settings or data."""
    differences = _differences(saved, json.loads(json.dumps(now, default=str)))
    if not differences:
        return
    shown = "; ".join(f"{key}: {_short(a)} there, {_short(b)} now" for key, a, b in differences)
    raise ResumeMismatch(
        f"{folder} was written with other settings or data ({shown}); resume it with the "
        f"settings it was written with, or start afresh without --resume (remove "
        f"{folder.parent} first).",
        differences,
    )


def _differences(old: dict, new: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """``(dotted key, old, new)`` for every setting both dicts hold and that differs."""
    out: list[tuple[str, Any, Any]] = []
    for key in sorted(set(old) & set(new) - RESUMABLE):
        a, b = old[key], new[key]
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append((f"{prefix}{key}", a, b))
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 24 else text[:12] + "..."


def _like(loaded: dict, params: dict) -> dict:
    """Loaded arrays in the structure of ``params``: checkpoints store plain nested dicts."""
    from diaphane.autodiff.tree import flatten, unflatten
    from diaphane.nn.checkpoint import flatten_params

    ours = flatten_params(params)
    names = list(ours)
    flat = flatten_params(loaded)
    missing = sorted(set(names) - set(flat))
    if missing:
        raise DiaphaneError(
            f"The checkpoint lacks parameters {missing[:5]}; it was written for another "
            "model. Use a fresh checkpoint folder or the matching model settings."
        )
    reshaped = [n for n in names if np.shape(flat[n]) != np.shape(ours[n])]
    if reshaped:
        n = reshaped[0]
        raise DiaphaneError(
            f"The checkpoint's {n} is shaped {np.shape(flat[n])}, not {np.shape(ours[n])}; it "
            "was written for another model. Use a fresh checkpoint folder or the matching "
            "model settings."
        )
    leaves = [np.array(flat[n]) for n in names]  # writable copies
    return unflatten(flatten(params)[1], leaves)
