"""The training loop: data order, progress, early stopping, checkpoints, exact resume,
Ctrl-C and NaN handling."""

import os
import signal

import numpy as np
import pytest

from diaphane.nn.checkpoint import load_checkpoint
from diaphane.nn.losses import cross_entropy
from diaphane.nn.optim import SGD, Adam
from diaphane.nn.train import ArrayBatches, TrainConfig, TrainingDiverged, train

V, K, C = 30, 4, 5


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # Tiny matrices gain nothing from BLAS threads, and on a busy machine OpenBLAS's
    # spinning threads can make them many times slower.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a dev dependency; without it the tests only run slower
        yield
        return
    with threadpool_limits(1):
        yield


def _problem(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, n)
    y = (x * 7 + 3) % C
    params = {"E": rng.normal(0, 0.1, (V, K)), "out": {"W": rng.normal(0, 0.1, (K, C))}}
    return x, y, params


def loss_fn(params, x, y):
    return cross_entropy(params["E"][x] @ params["out"]["W"], y)


def _evaluate(x, y):
    return lambda params: float(np.exp(loss_fn(params, x, y)))


def _run(tmp_path, name, callbacks=(), resume=False, **cfg):
    x, y, params = _problem()
    config = TrainConfig(epochs=4, checkpoint_dir=tmp_path / name, checkpoint_every=7,
                         progress=False, patience=2, **cfg)  # fmt: skip
    return train(loss_fn, params, Adam(lr=0.05), ArrayBatches([x, y], 32, seed=3),
                 evaluate=_evaluate(x[:100], y[:100]), config=config, callbacks=callbacks,
                 model_config={"kind": "toy"}, resume=resume)  # fmt: skip


def test_array_batches_order_depends_on_seed_and_epoch_only():
    data = [np.arange(10), np.arange(10) * 2]
    b = ArrayBatches(data, batch_size=4, seed=1)
    assert len(b) == 3
    first = [t[0].tolist() for t in b(0)]
    assert first == [t[0].tolist() for t in ArrayBatches(data, 4, seed=1)(0)]
    assert first != [t[0].tolist() for t in b(1)]
    assert sorted(v for t in first for v in t) == list(range(10))
    assert [t[0].tolist() for t in b(0, start=1)] == first[1:]
    assert [t[1].tolist() for t in b(0)] == [[2 * v for v in t] for t in first]


def test_training_lowers_validation_perplexity(tmp_path):
    result = _run(tmp_path, "a")
    history = result.state.history
    assert len(history) == 4 and result.state.stopped == "finished"
    assert history[-1]["valid_ppl"] < 0.5 * history[0]["valid_ppl"]
    assert history[0]["valid_ppl"] < C  # better than guessing after one epoch
    assert load_checkpoint(tmp_path / "a" / "last").train_state["step"] == 4 * 13
    assert load_checkpoint(tmp_path / "a" / "best").config == {"kind": "toy"}


def test_interrupt_and_resume_is_bit_identical(tmp_path):
    reference = _run(tmp_path, "ref")

    def stop_at(k):
        def callback(state, params):
            if state.step == k:
                raise KeyboardInterrupt

        return callback

    first = _run(tmp_path, "cut", [stop_at(20)])
    assert first.interrupted and first.state.step == 20
    assert load_checkpoint(tmp_path / "cut" / "last").train_state["step"] == 20
    second = _run(tmp_path, "cut", [stop_at(45)], resume=True)
    assert second.interrupted and second.state.step == 45
    final = _run(tmp_path, "cut", resume=True)
    assert final.state.stopped == "finished"
    assert final.state.history == reference.state.history
    for a, b in [(final.params["E"], reference.params["E"]),
                 (final.params["out"]["W"], reference.params["out"]["W"])]:  # fmt: skip
        np.testing.assert_array_equal(a, b)
    ref_opt, opt = reference.optimizer.state_dict(), final.optimizer.state_dict()
    assert ref_opt.keys() == opt.keys()
    for key in ref_opt:
        np.testing.assert_array_equal(opt[key], ref_opt[key])


def test_real_ctrl_c_finishes_the_step_then_saves(tmp_path):
    def press_ctrl_c(state, params):
        if state.step == 5:
            os.kill(os.getpid(), signal.SIGINT)

    result = _run(tmp_path, "sig", [press_ctrl_c])
    assert result.interrupted and result.state.step == 5
    assert load_checkpoint(tmp_path / "sig" / "last").train_state["stopped"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_early_stopping_keeps_the_best_parameters(tmp_path):
    x, y, params = _problem()
    scores = iter([5.0, 4.0, 4.5, 4.6, 1.0])
    seen = []

    def evaluate(p):
        seen.append(np.array(p["E"]))
        return next(scores)

    config = TrainConfig(epochs=5, patience=2, progress=False, checkpoint_dir=tmp_path)
    result = train(loss_fn, params, SGD(lr=0.1), ArrayBatches([x, y], 50), evaluate=evaluate,
                   config=config)  # fmt: skip
    assert result.state.stopped == "early stopping"
    assert result.state.epoch == 4 and result.state.best_epoch == 2
    np.testing.assert_array_equal(result.params["E"], seen[1])
    np.testing.assert_array_equal(load_checkpoint(tmp_path / "best").params["E"], seen[1])


def test_nan_loss_stops_without_overwriting_the_checkpoint(tmp_path):
    x, y, params = _problem()
    calls = {"n": 0}

    def exploding(params, x, y):
        calls["n"] += 1
        loss = loss_fn(params, x, y)
        return loss * np.nan if calls["n"] == 12 else loss

    config = TrainConfig(epochs=3, checkpoint_dir=tmp_path, checkpoint_every=5, progress=False)
    with pytest.raises(TrainingDiverged, match=r"became nan at step 12 .*last good checkpoint"):
        train(exploding, params, Adam(lr=0.01), ArrayBatches([x, y], 32), config=config)
    kept = load_checkpoint(tmp_path / "last")
    assert kept.train_state["step"] == 10
    assert np.all(np.isfinite(kept.params["E"]))


def test_progress_bar_only_when_asked(tmp_path, capsys):
    x, y, params = _problem(64)
    train(loss_fn, params, Adam(lr=0.01), ArrayBatches([x, y], 32),
          config=TrainConfig(epochs=1, progress=None))  # fmt: skip
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    train(loss_fn, params, Adam(lr=0.01), ArrayBatches([x, y], 32),
          config=TrainConfig(epochs=1, progress=True))  # fmt: skip
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "ppl=" in err and "tok_s=" in err
    # A loss that is no log-likelihood (GloVe's least squares) shows no perplexity.
    config = TrainConfig(epochs=1, progress=True, loss_is_log_likelihood=False)
    train(loss_fn, params, Adam(lr=0.01), ArrayBatches([x, y], 32), config=config)
    err = capsys.readouterr().err
    assert "loss=" in err and "ppl=" not in err and "per_s=" in err


def test_parameters_passed_in_are_not_modified():
    x, y, params = _problem(64)
    before = np.array(params["E"])
    result = train(loss_fn, params, Adam(lr=0.1), ArrayBatches([x, y], 32),
                   config=TrainConfig(epochs=1, progress=False))  # fmt: skip
    np.testing.assert_array_equal(params["E"], before)
    assert not np.array_equal(result.params["E"], before)


def test_time_budget_stops_and_keeps_the_validated_parameters(tmp_path, monkeypatch):
    import diaphane.nn.train as train_mod

    # A fake clock: every reading is 1 s later, so a 9.5 s budget allows a known number
    # of steps whatever the machine's speed.
    clock = iter(range(10**6))
    monkeypatch.setattr(train_mod, "_now", lambda: float(next(clock)))
    result = _run(tmp_path, "budget", max_seconds=9.5)
    s = result.state
    assert s.stopped == "time budget"
    assert 0 < s.step < 4 * 13  # stopped inside the first epochs, not at their end
    # the part-epoch was validated, so the history has an entry for it
    assert s.history and s.history[-1]["step"] == s.step and "valid_ppl" in s.history[-1]


def test_time_budget_of_zero_takes_no_step(tmp_path):
    result = _run(tmp_path, "zero", max_seconds=0.0)
    assert result.state.step == 0 and result.state.stopped == "time budget"
