"""The two demonstrations of diaphane.nn.hyper, small: a schedule learned on digits
lowers the validation loss; a learned optimizer trains and beats tuned SGD."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

from diaphane.autodiff import check_grads, grad
from diaphane.errors import UsageError
from diaphane.nn.hyper.learned import (
    LSTMOptimizer,
    compare_optimizers,
    preprocess,
    train_learned_optimizer,
)
from diaphane.nn.hyper.quadratics import LR_GRID, Quadratics, run_adam, run_sgd, tune_lr
from diaphane.nn.hyper.schedule import DigitsMLP, learn_schedule, load_digits_split

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def small_digits():
    return DigitsMLP.load(n_train=200, n_valid=100, hidden=16, batch=20)


def test_digits_split_is_disjoint_and_scaled():
    xtr, ytr, _, yva, xte, yte = load_digits_split(500, 300)
    assert (len(ytr), len(yva), len(yte)) == (500, 300, 1797 - 800)
    assert xtr.min() >= 0.0 and xtr.max() <= 1.0 and ytr.dtype == np.int64
    rows = {r.tobytes() for r in xtr}
    assert not any(r.tobytes() in rows for r in xte[:50])  # shuffled, not repeated
    with pytest.raises(UsageError, match="1797 images"):
        load_digits_split(1500, 400)


def test_missing_scikit_learn_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(UsageError, match="install scikit-learn"):
        load_digits_split()


@pytest.mark.parametrize("method", ["reverse", "checkpoint"])
def test_learned_schedule_lowers_the_validation_loss(small_digits, method):
    seen = []
    result = learn_schedule(
        small_digits, steps=20, meta_iterations=3, meta_lr=0.2, method=method,
        callback=lambda i, loss: seen.append((i, loss)),
    )  # fmt: skip
    losses = result.meta_losses
    assert [i for i, _ in seen] == [0, 1, 2, 3] and [v for _, v in seen] == losses
    assert all(b < a for a, b in itertools.pairwise(losses))  # falls every step
    assert result.lr.shape == result.lr_start.shape == (20, 4)
    assert not np.allclose(result.lr, result.lr_start)  # the schedule moved
    assert np.all(result.lr > 0) and np.all(result.l2 > 0)
    assert result.test_loss[1] < result.test_loss[0]  # and it generalises
    assert result.names[0] == "layer 1 weights"


# ----------------------------------------------------------------------------- quadratics


def test_quadratic_gradients_are_the_engine_gradients():
    q = Quadratics.sample(3, dim=4, seed=1)
    theta = np.random.default_rng(2).standard_normal((3, 4))
    ours = grad(lambda th: q.loss(th).sum())(theta)
    assert np.allclose(q.gradient(theta), ours)
    check_grads(q.loss, theta, modes=("rev",), order=1)


def test_baselines_run_and_tuning_picks_the_best_rate():
    q = Quadratics.sample(8, dim=5, seed=3)
    sgd = run_sgd(q, 1e-3, 30)
    assert sgd.shape == (8, 31) and np.all(sgd[:, -1] < sgd[:, 0])
    assert np.all(np.isinf(run_sgd(q, 1e3, 60)[:, -1]))  # diverged: inf, not NaN
    best, scores = tune_lr(run_adam, q, 30, LR_GRID[::4])
    assert scores[best] == min(scores.values()) and set(scores) == set(LR_GRID[::4])


def test_preprocessing_splits_magnitude_and_sign():
    first, second = preprocess(np.array([np.e**5, -(np.e**-20), 0.0]), p=10.0)
    assert np.allclose(first, [0.5, -1.0, -1.0])
    assert np.allclose(second, [1.0, -(np.e**-10), 0.0])


def test_learned_optimizer_trains_and_beats_tuned_sgd():
    opt, losses = train_learned_optimizer(
        meta_iterations=30, dim=5, batch=16, horizon=40, unroll=10, hidden=8, meta_lr=0.01
    )
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5  # the meta-loss fell
    tune, test = Quadratics.sample(32, 5, seed=100), Quadratics.sample(20, 5, seed=200)
    comparison = compare_optimizers(opt, tune, test, steps=40, grid=LR_GRID[::2])
    finals = comparison.median_final()
    assert set(comparison.curves) == {"learned", "SGD", "Adam"}
    assert comparison.curves["learned"].shape == (20, 41)
    assert finals["learned"] < finals["SGD"]
    assert comparison.learning_rates["SGD"] in LR_GRID


def test_lstm_optimizer_rejects_bad_sizes():
    with pytest.raises(UsageError, match="hidden unit"):
        LSTMOptimizer.create(hidden=0)
    with pytest.raises(UsageError, match="unroll"):
        train_learned_optimizer(meta_iterations=1, unroll=0)
    with pytest.raises(UsageError, match="at least one problem"):
        Quadratics.sample(0)
