import argparse

import numba
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from diaphane.autodiff import DiaphaneError, SparseRows, check_grads, value_and_grad
from diaphane.models import _glove_kernel
from diaphane.models._glove_kernel import row_dot
from diaphane.models.glove import (
    GloVe,
    GloVeBatches,
    GloVeConfig,
    glove_loss,
    init_params,
    pmi_target,
    svd_start,
    train_glove,
    weighting,
)
from diaphane.nn.optim import AdaGrad, Optimizer
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

    assert not (tmp_path / "g.checkpoints").exists()  # removed once the run finished
    mine = ["--checkpoint-dir", str(tmp_path / "mine")]
    assert cli([*argv, *mine]) == 0
    with pytest.raises(UsageError, match="already holds a checkpoint"):
        cli([*argv, *mine])
    with pytest.raises(UsageError, match="min-count"):
        cli(["train", "ppmi", *common[:2], "--min-count", "500", "--out", str(tmp_path / "q")])


def test_cli_defaults_are_the_best_measured_setting_and_plain_glove_is_an_option(tmp_path):
    from diaphane.cli import build_parser

    args = build_parser().parse_args(["train", "glove", "--out", str(tmp_path / "x")])
    setting = {k: getattr(args, k) for k in ("window", "dim", "target", "init", "x_max")}
    assert setting == {"window": 12, "dim": 100, "target": "pmi", "init": "svd", "x_max": 100}
    assert args.epochs is None and args.svd_oversample == 100  # None: 2 from the SVD start
    rng = np.random.default_rng(1)
    text = "\n".join(" ".join(rng.choice(list("abcdefgh"), 8)) + "." for _ in range(60))
    (tmp_path / "tiny.txt").write_text(text)
    out = tmp_path / "plain"
    argv = ["train", "glove", "--corpus", str(tmp_path / "tiny.txt"), "--min-count", "1",
            "--dim", "4", "--target", "log", "--init", "random", "--out", str(out)]  # fmt: skip
    assert cli(argv) == 0
    config = GloVe.load(out).config
    assert (config.target, config.init, config.epochs) == ("log", "random", 25)


# ----------------------------------------------------------------------------- compiled kernels


def pair_problem(dtype, n=300, V=40, dim=7, sort_rows=True, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, dim)).astype(dtype)
    C = rng.standard_normal((V + 3, dim)).astype(dtype)
    rows, cols = rng.integers(0, V, n), rng.integers(0, V + 3, n)
    if sort_rows:
        rows = np.sort(rows)
    return W, C, rows, cols, rng.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("sort_rows", [True, False])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_compiled_row_dot_matches_the_numpy_formulas(dtype, rtol, sort_rows, index):
    W, C, rows, cols, g = pair_problem(dtype, sort_rows=sort_rows)
    rows, cols = rows.astype(index), cols.astype(index)
    got = _glove_kernel._row_dot(W, C, rows, cols)
    assert got.dtype == dtype
    expected = _glove_kernel._row_dot_numpy(W, C, rows, cols)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    new = _glove_kernel._row_dot_vjp((0, 1), g, None, W, C, rows, cols)
    old = _glove_kernel._vjp_numpy((0, 1), g, W, C, rows, cols)
    for a, b in zip(new, old, strict=True):
        assert a.coalesced and a.dtype == dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_allclose(a.values, b.values, rtol=rtol, atol=rtol)


def test_compiled_row_dot_passes_gradient_checks():
    W, C, rows, cols, _ = pair_problem(np.float64, n=60, V=9, dim=3, sort_rows=False)
    check_grads(lambda W, C: row_dot(W, C, rows, cols), W, C, order=1)


def test_row_dot_takes_negative_indices_and_names_bad_ones():
    W, C, rows, cols, g = pair_problem(np.float32)
    wrapped = _glove_kernel._row_dot(W, C, rows - len(W), cols - len(C))
    np.testing.assert_array_equal(wrapped, _glove_kernel._row_dot(W, C, rows, cols))
    with pytest.raises(IndexError, match="outside a table of 40 rows"):
        _glove_kernel._row_dot(W, C, rows + len(W), cols)
    with pytest.raises(IndexError, match="outside a table"):
        _glove_kernel._row_dot_vjp((1,), g, None, W, C, rows, cols + 100)


def test_other_layouts_and_dtypes_take_the_numpy_path():
    W, C, rows, cols, _ = pair_problem(np.float64)
    expected = _glove_kernel._row_dot(W, C, rows, cols)
    np.testing.assert_allclose(_glove_kernel._row_dot(np.asfortranarray(W), C, rows, cols),
                               expected, rtol=1e-12)  # fmt: skip
    half = _glove_kernel._row_dot(W.astype(np.float16), C.astype(np.float16), rows, cols)
    assert half.dtype == np.float16


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
def test_threads_do_not_change_the_sums():
    W, C, rows, cols, g = pair_problem(np.float32, n=5000, V=300, dim=20)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            grads = _glove_kernel._row_dot_vjp((0, 1), g, None, W, C, rows, cols)
            results.append([_glove_kernel._row_dot(W, C, rows, cols), *(r.values for r in grads)])
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_batches_match_the_argsort_order():
    X, _ = tiny_counts(V=30)
    batches = GloVeBatches(X, 10.0, 0.75, batch_size=37, seed=4)
    order, bounds = batches.order(2)
    coo = sp.csr_matrix(X).tocoo()
    weight = weighting(coo.data, 10.0, 0.75).astype(np.float32)
    for b, (rows, cols, log_x, w) in enumerate(batches(2)):
        idx = order[bounds[b] : bounds[b + 1]]
        np.testing.assert_array_equal(rows, coo.row[idx])
        np.testing.assert_array_equal(cols, coo.col[idx])
        np.testing.assert_allclose(log_x, np.log(coo.data[idx]), rtol=1e-6)
        np.testing.assert_allclose(w, weight[idx], rtol=1e-6)


def adagrad_case(rng, dtype, shape, ids):
    table = rng.standard_normal(shape).astype(dtype)
    grad = SparseRows(np.array(ids), rng.standard_normal((len(ids), *shape[1:])), shape)
    return table, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(50,), (50, 6)])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_fused_adagrad_equals_the_unfused_step(dtype, shape, weight_decay):
    rng = np.random.default_rng(5)
    table = rng.standard_normal(shape).astype(dtype)
    fused, plain = {"t": table.copy()}, {"t": table.copy()}
    opts = [AdaGrad(0.3, initial_accumulator=0.5, weight_decay=weight_decay) for _ in "ab"]
    for step in range(4):
        ids = rng.integers(-len(table), len(table), 30)  # repeats and negative ids
        g = SparseRows(ids, rng.standard_normal((30, *shape[1:])).astype(dtype), shape)
        if step == 2:
            g = g.coalesce()
        opts[0].step(fused, {"t": g})
        # The base class's gather-update-scatter: the reference for the compiled step.
        opts[1].step_count += 1
        Optimizer._sparse_step(opts[1], plain["t"], g, opts[1]._state_for("t", plain["t"]))
    np.testing.assert_allclose(fused["t"], plain["t"], rtol=1e-6 if dtype == np.float32 else 0)
    np.testing.assert_allclose(opts[0].state["t"]["sum"], opts[1].state["t"]["sum"], rtol=1e-6)
    assert fused["t"].dtype == dtype and not np.array_equal(fused["t"], table)


def test_fused_adagrad_on_a_tall_table_and_a_wrong_gradient():
    rng = np.random.default_rng(6)
    table = rng.standard_normal((5000, 3)).astype(np.float32)  # too tall for the lookup
    fused, plain = {"t": table.copy()}, {"t": table.copy()}
    g = SparseRows(np.array([7, 4000, 7]), np.ones((3, 3), np.float32), table.shape)
    AdaGrad(0.1).step(fused, {"t": g})
    Optimizer._sparse_step(AdaGrad(0.1), plain["t"], g, {"sum": np.zeros_like(table)})
    np.testing.assert_array_equal(fused["t"], plain["t"])
    bad = SparseRows(np.array([7, 5000]), np.ones((2, 3), np.float32), (6000, 3))
    with pytest.raises(DiaphaneError, match="touches row 5000 of a table of 5000 rows"):
        AdaGrad(0.1).step(fused, {"t": bad})


def test_compiled_training_matches_the_numpy_and_scipy_path(monkeypatch):
    X, vocab = tiny_counts(V=40, seed=3)
    config = GloVeConfig(dim=6, epochs=3, batch_size=64)
    compiled, _ = train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
    from diaphane.nn import optim

    monkeypatch.setattr(_glove_kernel, "_compiled", lambda W, C: False)
    monkeypatch.setattr(optim, "_fusable", lambda p, total, g: False)
    reference, _ = train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
    for k in compiled.params:
        np.testing.assert_allclose(compiled.params[k], reference.params[k], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------- PMI target, SVD start


def test_pmi_target_matches_the_dense_formula():
    X, _ = tiny_counts(V=15, seed=3)
    dense = X.toarray()
    row = dense.sum(axis=1, keepdims=True)
    ctx = dense.sum(axis=0) ** 0.75
    with np.errstate(divide="ignore"):
        expected = np.log(dense) - np.log(row) - np.log(ctx / ctx.sum())
    T = pmi_target(X, cds=0.75)
    assert T.nnz == X.nnz
    nz = dense > 0
    np.testing.assert_allclose(T.toarray()[nz], expected[nz], rtol=1e-12)


def test_batches_carry_another_target_on_the_same_entries():
    X, _ = tiny_counts()
    T = pmi_target(X, cds=0.5)
    batches = GloVeBatches(X, 10.0, 0.75, batch_size=8, seed=1, target=T)
    for rows, cols, target, _ in batches(epoch=0):
        np.testing.assert_allclose(target, np.asarray(T[rows, cols]).ravel(), rtol=1e-6)
    with pytest.raises(DiaphaneError, match="non-zeros"):
        GloVeBatches(X, 10.0, 0.75, batch_size=8, target=sp.identity(12, format="csr"))


def test_svd_start_is_the_best_low_rank_fit_of_ppmi():
    from diaphane.models.ppmi import ppmi_matrix

    X, _ = tiny_counts(V=20, seed=4)
    params = svd_start(X, dim=4, cds=0.75, dtype=np.float64)
    M = ppmi_matrix(X, cds=0.75).toarray()
    U, s, Vt = np.linalg.svd(M)
    best = (U[:, :4] * s[:4]) @ Vt[:4]
    np.testing.assert_allclose(params["W"] @ params["W_ctx"].T, best, atol=1e-6)
    assert not params["b"].any() and params["W"].shape == (20, 4)


def test_svd_start_oversampling_brings_it_closer_to_the_exact_fit():
    from diaphane.models.ppmi import ppmi_matrix

    X, _ = tiny_counts(V=80, seed=5)
    M = ppmi_matrix(X, cds=0.75).toarray()
    U, s, Vt = np.linalg.svd(M)
    best = (U[:, :12] * s[:12]) @ Vt[:12]

    def error(oversample: int) -> float:
        params = svd_start(X, dim=12, oversample=oversample, dtype=np.float64)
        return float(np.linalg.norm(params["W"] @ params["W_ctx"].T - best))

    assert error(60) < 0.1 * error(0)
    with pytest.raises(DiaphaneError, match="svd_oversample"):
        GloVeConfig(svd_oversample=-1)


def test_pmi_target_with_svd_start_fits_the_pmi_values():
    X, vocab = tiny_counts()
    config = GloVeConfig(dim=6, x_max=1, epochs=150, batch_size=16, target="pmi", init="svd")
    model, result = train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
    p = model.params
    coo = X.tocoo()
    fit = np.sum(p["W"][coo.row] * p["W_ctx"][coo.col], axis=1) + p["b"][coo.row]
    fit = fit + p["b_ctx"][coo.col]
    target = np.asarray(pmi_target(X)[coo.row, coo.col]).ravel()
    first = result.state.history[0]["train_loss"]
    assert result.state.history[-1]["train_loss"] < 0.2 * first
    assert np.sqrt(np.mean((fit - target) ** 2)) < 0.5 * np.std(target)
    with pytest.raises(DiaphaneError, match="target must be"):
        GloVeConfig(target="ppmi")
