"""What the training loop refuses: a loss that explodes, NaN weights on disk, and a
resume whose settings or data differ from the checkpoint's."""

from __future__ import annotations

import numpy as np
import pytest

import diaphane.numpy as dnp
from diaphane.nn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from diaphane.nn.optim import SGD
from diaphane.nn.train import (
    ArrayBatches,
    ResumeMismatch,
    TrainConfig,
    TrainingDiverged,
    diverging,
    train,
)


def quadratic(params, x):
    return dnp.sum(params["w"] ** 2) + 0.0 * dnp.sum(x)


def test_a_loss_that_explodes_stops_with_the_step_and_a_hint(tmp_path):
    # SGD at lr 1.5 on w^2 doubles |w| each step: the loss grows 4x a step.
    params, data = {"w": np.ones(3)}, ArrayBatches([np.zeros((64, 1))], 1)
    config = TrainConfig(epochs=1, checkpoint_dir=tmp_path, checkpoint_every=2, progress=False)
    with pytest.raises(TrainingDiverged, match=r"rose from 3 to .* at step 6 .*--lr") as err:
        train(quadratic, params, SGD(lr=1.5), data, config=config)
    assert "diverged" in str(err.value)
    kept = load_checkpoint(tmp_path / "last")  # the last good checkpoint stays
    assert kept.train_state["step"] == 4 and np.isfinite(kept.params["w"]).all()


def test_what_counts_as_diverging():
    assert diverging(float("nan"), None) and diverging(float("inf"), 1.0)
    assert not diverging(50.0, None) and not diverging(999.0, 1.0)
    assert diverging(1001.0, 1.0) and not diverging(0.5, 1e-4)  # tiny losses: not below 1


def test_weights_holding_nan_are_never_written(tmp_path):
    with pytest.raises(CheckpointError, match=r"NaN or infinity.*lower the learning rate"):
        save_checkpoint(tmp_path / "m", {"w": np.array([1.0, np.nan])})
    assert list(tmp_path.iterdir()) == []


def _run(tmp_path, model_config, resume):
    params, data = {"w": np.ones(3)}, ArrayBatches([np.zeros((8, 1))], 4)
    config = TrainConfig(epochs=1, checkpoint_dir=tmp_path, progress=False)
    return train(quadratic, params, SGD(lr=0.1), data, config=config,
                 model_config=model_config, resume=resume)  # fmt: skip


def test_resume_refuses_other_settings_or_data_naming_them(tmp_path):
    setting = {"kind": "t", "hyperparameters": {"dim": 3, "epochs": 1},
               "training_data": {"fingerprint": "aaa"}}  # fmt: skip
    _run(tmp_path, setting, resume=False)
    longer = {**setting, "hyperparameters": {"dim": 3, "epochs": 5}}  # may change on resume
    _run(tmp_path, longer, resume=True)
    other = {**setting, "hyperparameters": {"dim": 4, "epochs": 1},
             "training_data": {"fingerprint": "bbb"}}  # fmt: skip
    with pytest.raises(ResumeMismatch, match=r"hyperparameters\.dim: 3 there, 4 now") as err:
        _run(tmp_path, other, resume=True)
    assert [d[0] for d in err.value.differences] == ["hyperparameters.dim",
                                                     "training_data.fingerprint"]  # fmt: skip
