"""Engine benchmarks: per-operation overhead, an MLP training step, its peak memory,
and batched against looped Jacobians.

Usage: ``python bench/engine.py [--runs N] [--unset-openblas-coretype]``.

Everything runs on one thread, in float64 unless a row says otherwise. Peers: HIPS
autograd, PyTorch (eager), JAX (eager, no jit) and hand-written NumPy backprop. Writes
``bench/results/engine.json`` and regenerates ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only, so threads can be pinned before NumPy loads

if __name__ == "__main__" and "--unset-openblas-coretype" in sys.argv:
    common.unset_openblas_tuning()
common.pin_single_thread()

import numpy as np  # noqa: E402

import diaphane.numpy as dnp  # noqa: E402
from diaphane.autodiff import getval, jacobian, value_and_grad  # noqa: E402

N_PAIRS = 500  # the chain is N_PAIRS x (sin, * 1.01): 1000 operations


def _optional(name: str):
    try:
        return __import__(name)
    except ImportError:
        print(f"({name} is not installed: its rows are skipped)")
        return None


torch = _optional("torch")
autograd = _optional("autograd")
jax = _optional("jax")
if torch is not None:
    torch.set_num_threads(1)
if autograd is not None:
    import autograd.numpy as anp
    from autograd.tracer import getval as ag_getval
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp


# ----------------------------------------------------------------------------- a. per-op overhead


def make_chain(sin, total):
    def chain(x):
        for _ in range(N_PAIRS):
            x = sin(x) * 1.01
        return total(x)

    return chain


def torch_grad(fun, *arrays):
    """Forward and backward in PyTorch; fresh leaf tensors each call, like the others."""
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
    return torch.autograd.grad(fun(*leaves), leaves)


def bench_per_op(runs: int) -> list[dict]:
    x = np.random.default_rng(0).standard_normal(10)
    ours = lambda: value_and_grad(make_chain(dnp.sin, dnp.sum))(x)
    fns = {"diaphane": ours}
    if autograd is not None:
        fns["autograd 1.9.1"] = lambda: autograd.value_and_grad(make_chain(anp.sin, anp.sum))(x)
    if torch is not None:
        fns["torch (eager)"] = lambda: torch_grad(make_chain(torch.sin, torch.sum), x)
    fns["numpy forward only"] = lambda: make_chain(np.sin, np.sum)(x)
    per_op = {k: v / (2 * N_PAIRS) for k, v in common.interleaved(fns, runs).items()}
    rows = _per_op_rows(per_op, runs)
    if jax is not None:
        # JAX's runtime keeps worker threads busy after each eager call, which slows
        # whatever runs next: it is timed against ours in a group of its own.
        pair = {
            "diaphane": ours,
            "jax (eager, no jit)": lambda: jax.grad(make_chain(jnp.sin, jnp.sum))(x),
        }
        rows += _per_op_rows(
            {k: v / (2 * N_PAIRS) for k, v in common.interleaved(pair, runs).items()},
            runs,
            ", timed in a group of its own",
        )
    return rows


def _per_op_rows(per_op: dict, runs: int, how: str = "") -> list[dict]:
    what = "grad of a chain of 1000 ops on float64[10], per op" + how
    return [
        common.row(what, per_op["diaphane"], per_op[peer], peer, "s/op", runs)
        for peer in per_op
        if peer != "diaphane"
    ]


# ----------------------------------------------------------------------------- b. MLP step

BATCH, N_IN, N_HIDDEN, N_OUT = 256, 784, 512, 10


def mlp_data(dtype) -> tuple:
    rng = np.random.default_rng(1)
    params = (
        rng.standard_normal((N_IN, N_HIDDEN)) / np.sqrt(N_IN),
        0.1 * rng.standard_normal(N_HIDDEN),
        rng.standard_normal((N_HIDDEN, N_OUT)) / np.sqrt(N_HIDDEN),
        0.1 * rng.standard_normal(N_OUT),
    )
    X = rng.standard_normal((BATCH, N_IN))
    onehot = np.eye(N_OUT)[rng.integers(0, N_OUT, BATCH)]
    return tuple(p.astype(dtype) for p in params), X.astype(dtype), onehot.astype(dtype)


def make_mlp_loss(xp, row_max):
    """Mean softmax cross-entropy of a tanh MLP, written once for any NumPy-like ``xp``."""

    def loss(params, X, onehot):
        W1, b1, W2, b2 = params
        h = xp.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        m = row_max(z)
        lse = xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)) + m
        return (xp.sum(lse) - xp.sum(onehot * z)) / X.shape[0]

    return loss


# The max shift only keeps exp() finite; its gradient cancels exactly, so a constant
# (stop-gradient) shift gives the same gradients where the namespace lacks a max.
HAVE_DNP_MAX = hasattr(dnp, "max")
if HAVE_DNP_MAX:
    dnp_loss = make_mlp_loss(dnp, lambda z: dnp.max(z, axis=1, keepdims=True))
else:
    dnp_loss = make_mlp_loss(dnp, lambda z: np.max(getval(z), axis=1, keepdims=True))
if autograd is not None:
    if HAVE_DNP_MAX:
        ag_loss = make_mlp_loss(anp, lambda z: anp.max(z, axis=1, keepdims=True))
    else:
        ag_loss = make_mlp_loss(anp, lambda z: np.max(ag_getval(z), axis=1, keepdims=True))


def handwritten_step(params, X, onehot):
    """Loss and gradients by hand: the reference for both speed and memory."""
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = (np.sum(np.log(s) + m) - np.sum(onehot * z)) / n
    dz = (e / s - onehot) / n
    da = (dz @ W2.T) * (1.0 - h * h)
    return loss, (X.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0))


def torch_loss(W1, b1, W2, b2, X, onehot):
    z = torch.tanh(X @ W1 + b1) @ W2 + b2
    return (torch.logsumexp(z, 1).sum() - (onehot * z).sum()) / X.shape[0]


def mlp_steps(dtype) -> dict:
    params, X, onehot = mlp_data(dtype)
    steps = {
        "diaphane": lambda: value_and_grad(dnp_loss)(params, X, onehot),
        "hand-written NumPy": lambda: handwritten_step(params, X, onehot),
    }
    if autograd is not None:
        steps["autograd 1.9.1"] = lambda: autograd.value_and_grad(ag_loss)(params, X, onehot)
    if torch is not None:
        Xt, onehot_t = torch.from_numpy(X), torch.from_numpy(onehot)
        steps["torch (eager)"] = lambda: torch_grad(
            lambda *ps: torch_loss(*ps, Xt, onehot_t), *params
        )
    return steps


def check_mlp(steps: dict, dtype) -> None:
    """Our loss and gradients must equal the hand-written ones before we time anything."""
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    ours_loss, ours = steps["diaphane"]()
    ref_loss, ref = steps["hand-written NumPy"]()
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=rtol)
    for g, r in zip(ours, ref, strict=True):
        assert g.dtype == dtype, f"gradient dtype {g.dtype}, expected {dtype}"
        np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol * np.abs(r).max())


def bench_mlp(runs: int) -> list[dict]:
    rows = []
    for dtype in (np.float64, np.float32):
        steps = mlp_steps(dtype)
        check_mlp(steps, dtype)
        times = common.interleaved(steps, runs)
        what = f"MLP 784-512-10 step, batch 256, {np.dtype(dtype).name}"
        kind = "claim" if dtype == np.float64 else "sweep"  # float64 is the engine's default
        rows += [
            common.row(what, times["diaphane"], times[peer], peer, "s", runs, kind=kind)
            for peer in times
            if peer != "diaphane"
        ]
    return rows


# ----------------------------------------------------------------------------- c. peak memory


def bench_memory(runs: int = 3) -> list[dict]:
    steps = mlp_steps(np.float64)
    steps.pop("torch (eager)", None)  # its allocator is invisible to tracemalloc
    peaks = {k: [] for k in steps}
    for _ in range(runs):
        for name, step in steps.items():
            peaks[name].append(common.peak_memory(step))
    peak = {k: float(np.median(v)) for k, v in peaks.items()}
    what = "MLP step peak memory (tracemalloc), float64"
    return [
        common.row(what, peak["diaphane"], peak[peer], peer, "B", runs)
        for peer in peak
        if peer != "diaphane"
    ]


# ----------------------------------------------------------------------------- d. jacobians


def bench_jacobian(runs: int) -> list[dict]:
    rng = np.random.default_rng(2)
    W = rng.standard_normal((64, 64)) / 8.0
    x = rng.standard_normal(64)
    f = lambda x: dnp.tanh(W @ x)
    rows = []
    for mode, name in (("rev", "reverse"), ("fwd", "forward")):
        fns = {
            "batched": lambda mode=mode: jacobian(f, mode=mode, batched=True)(x),
            "looped": lambda mode=mode: jacobian(f, mode=mode, batched=False)(x),
        }
        np.testing.assert_allclose(fns["batched"](), fns["looped"](), rtol=1e-12, atol=1e-14)
        times = common.interleaved(fns, runs)
        what = f"jacobian of tanh(W @ x), W 64x64, {name} mode, batched"
        rows.append(
            common.row(
                what, times["batched"], times["looped"], "diaphane looped", "s", runs, kind="sweep"
            )
        )
    return rows


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=7, help="interleaved runs per median (x3 for the cheap ones)"
    )
    parser.add_argument(
        "--unset-openblas-coretype",
        action="store_true",
        help="re-run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (recorded in the result)",
    )
    args = parser.parse_args(argv)
    machine = common.machine_info()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['blas']}")
    if not HAVE_DNP_MAX:
        print("(dnp.max is missing: the MLP softmax shifts by a constant row maximum)")
    sections = [
        ("a. per-op overhead", bench_per_op(args.runs)),
        # The MLP steps and Jacobians take milliseconds: more runs steady their medians.
        ("b. MLP step", bench_mlp(3 * args.runs)),
        ("c. MLP step peak memory", bench_memory()),
        ("d. jacobian, batched vs looped", bench_jacobian(3 * args.runs)),
    ]
    for title, rows in sections:
        common.print_rows(title, rows)
    command = "python bench/engine.py"
    if args.unset_openblas_coretype:
        command += " --unset-openblas-coretype"
    if args.runs != 7:
        command += f" --runs {args.runs}"
    rows = [r for _, rows in sections for r in rows]
    path = common.write_result("engine", rows, command=command, machine=machine)
    import make_table

    print(f"\nwrote {path} and {make_table.write_markdown()}")


if __name__ == "__main__":
    main()
