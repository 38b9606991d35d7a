import argparse

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from diaphane.autodiff import SparseRows, check_grads, value_and_grad
from diaphane.models.glove import (
    GloVe,
    GloVeBatches,
    GloVeConfig,
    glove_loss,
    init_params,
    train_glove,
    weighting,
)
from diaphane.nn.optim import AdaGrad
from diaphane.nn.train import TrainConfig
from diaphane.text import Vocabulary


def tiny_problem(seed=0, V=7, dim=4, nnz=25, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = {k: v.astype(dtype) * 20 for k, v in init_params(V, dim, seed).items()}
    rows, cols = rng.integers(0, V, nnz), rng.integers(0, V, nnz)
    x = rng.uniform(0.5, 30, nnz)
    return params, rows, cols, np.log(x).astype(dtype), weighting(x, 10.0, 0.75).astype(dtype)


def torch_loss(p, rows, cols, log_x, weight):
    diff = (p["W"][rows] * p["W_ctx"][cols]).sum(1) + p["b"][rows] + p["b_ctx"][cols] - log_x
    return 0.5 * (weight * diff**2).mean()


@pytest.mark.parametrize("fused", [True, False])
def test_loss_and_gradient_match_torch(fused):
    params, rows, cols, log_x, weight = tiny_problem()
    value, grads = value_and_grad(glove_loss)(params, rows, cols, log_x, weight, fused)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    t_rows, t_cols = torch.tensor(rows), torch.tensor(cols)
    expected = torch_loss(tp, t_rows, t_cols, torch.tensor(log_x), torch.tensor(weight))
    expected.backward()
    np.testing.assert_allclose(value, expected.item(), rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(np.asarray(grads[k]), tp[k].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_checks_against_finite_differences():
    params, rows, cols, log_x, weight = tiny_problem(1)
    check_grads(lambda p: glove_loss(p, rows, cols, log_x, weight), params, order=1)
    check_grads(lambda p: glove_loss(p, rows, cols, log_x, weight, fused=False), params, order=2)


def test_sparse_gradients_stay_float32_and_coalesced():
    params, rows, cols, log_x, weight = tiny_problem(2, dtype=np.float32)
    _, grads = value_and_grad(glove_loss, sparse=True)(params, rows, cols, log_x, weight)
    for k in ("W", "W_ctx"):
        assert isinstance(grads[k], SparseRows) and grads[k].coalesced
        assert grads[k].dtype == np.float32


def test_sparse_adagrad_step_equals_dense_step():
    params, rows, cols, log_x, weight = tiny_problem(3, V=30)
    sparse = {k: v.copy() for k, v in params.items()}
    dense = {k: v.copy() for k, v in params.items()}
    opt_s, opt_d = AdaGrad(1.0, initial_accumulator=4.0), AdaGrad(1.0, initial_accumulator=4.0)
    for _ in range(3):
        _, gs = value_and_grad(glove_loss, sparse=True)(sparse, rows, cols, log_x, weight)
        _, gd = value_and_grad(glove_loss)(dense, rows, cols, log_x, weight)
        assert isinstance(gs["W"], SparseRows) and not isinstance(gd["W"], SparseRows)
        opt_s.step(sparse, gs)
        opt_d.step(dense, gd)
    for k in params:
        np.testing.assert_allclose(sparse[k], dense[k], rtol=1e-13, atol=1e-15)
        assert not np.array_equal(sparse[k], params[k])


def tiny_counts(V=12, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(V, V, density=0.5, random_state=seed, data_rvs=lambda n: rng.uniform(1, 50, n))
    X = (X + X.T).tocsr()
    vocab = Vocabulary(["<unk>", *(f"w{i}" for i in range(1, V))])
    return X, vocab


def test_batches_cover_every_entry_once_sorted_by_row():
    X, _ = tiny_counts()
    batches = GloVeBatches(X, 10.0, 0.75, batch_size=8, seed=1)
    seen = []
    for rows, cols, log_x, _ in batches(epoch=0):
        assert np.all(np.diff(rows) >= 0)
        seen += list(zip(rows.tolist(), cols.tolist(), strict=True))
        np.testing.assert_allclose(np.exp(log_x), np.asarray(X[rows, cols]).ravel(), rtol=1e-6)
    coo = X.tocoo()
    assert sorted(seen) == sorted(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    again = [b[0].tolist() for b in batches(epoch=0)]
    assert again == [b[0].tolist() for b in batches(epoch=0)]
    assert again != [b[0].tolist() for b in batches(epoch=1)]
    assert [b[1].tolist() for b in batches(0, start=2)] == [b[1].tolist() for b in batches(0)][2:]


def test_training_lowers_the_loss():
    X, vocab = tiny_counts()
    config = GloVeConfig(dim=5, x_max=10, epochs=60, batch_size=16)
    model, result = train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
    losses = [h["train_loss"] for h in result.state.history]
    assert result.state.step > 200
    assert losses[-1] < 0.1 * losses[0]
    words, vectors = model.vectors()
    assert words == vocab.words[1:] and vectors.dtype == np.float32 and vectors.shape == (11, 5)
    np.testing.assert_array_equal(vectors, (model.params["W"] + model.params["W_ctx"])[1:])


def test_resume_is_exact(tmp_path):
    X, vocab = tiny_counts()
    config = GloVeConfig(dim=4, epochs=3, batch_size=16)
    full, _ = train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
    ckpt = tmp_path / "ckpt"
    cut = TrainConfig(checkpoint_dir=ckpt, max_steps=7, progress=False)
    _, first = train_glove(X, vocab, config, train_config=cut)
    assert first.state.stopped == "max steps"
    rest = TrainConfig(checkpoint_dir=ckpt, progress=False)
    resumed, _ = train_glove(X, vocab, config, train_config=rest, resume=True)
    for k in full.params:
        np.testing.assert_array_equal(resumed.params[k], full.params[k])


def test_save_load_round_trip(tmp_path):
    X, vocab = tiny_counts()
    model, _ = train_glove(X, vocab, GloVeConfig(dim=3, epochs=1), info={"training_data": {"w": 1}})
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "model.safetensors", "vocab.txt"
    ]  # fmt: skip
    loaded = GloVe.load(tmp_path / "m")
    assert loaded.vocab == vocab and loaded.config == model.config
    assert loaded.info["training_data"] == {"w": 1}
    for k in model.params:
        np.testing.assert_array_equal(loaded.params[k], model.params[k])
    with pytest.raises(Exception, match="not a 'ppmi'"):
        from diaphane.models.ppmi import PPMI

        PPMI.load(tmp_path / "m")


def test_bad_inputs_name_the_cause():
    X, vocab = tiny_counts()
    with pytest.raises(Exception, match="vocabulary has"):
        train_glove(X[:5, :5], vocab)
    with pytest.raises(Exception, match="empty"):
        train_glove(sp.csr_matrix((12, 12)), vocab)
    with pytest.raises(Exception, match="output"):
        GloVeConfig(output="both")


def cli(argv):
    from diaphane.cli import glove

    parser = argparse.ArgumentParser()
    glove.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_trains_glove_and_ppmi_on_a_tiny_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = list("abcdefghijkl")
    text = "\n".join(" ".join(rng.choice(words, 10)) + "." for _ in range(100))
    (tmp_path / "tiny.txt").write_text(text)
    common = ["--corpus", str(tmp_path / "tiny.txt"), "--min-count", "1", "--window", "3"]
    out = tmp_path / "g"
    argv = ["train", "glove", *common, "--out", str(out), "--dim", "6", "--epochs", "2"]
    assert cli([*argv, "--batch-size", "50"]) == 0
    model = GloVe.load(out)
    assert len(model.vocab) == 13 and model.info["training_data"]["window"] == 3
    assert "saved" in capsys.readouterr().out
    assert cli(["train", "ppmi", *common, "--out", str(tmp_path / "p"), "--dim", "4"]) == 0
    from diaphane.cli import UsageError

    with pytest.raises(UsageError, match="already holds a checkpoint"):
        cli(argv)
    with pytest.raises(UsageError, match="min-count"):
        cli(["train", "ppmi", *common[:2], "--min-count", "500", "--out", str(tmp_path / "q")])
