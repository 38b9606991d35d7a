"""Hypergradients and the learned optimizer (diaphane.nn.hyper): time, memory, quality.

(a) The checkpointed hypergradient of T = 1000 steps of momentum SGD on the digits MLP
    (64-50-10, tanh, minibatches of 50) against the 1000 forward training steps alone
    (goal: at most 3x); exact reversal and plain unrolling timed the same way.
(b) Peak memory (tracemalloc) of the exact-reversal and checkpointed hypergradients
    against the unrolled trace at T = 1000 (goal: reversal at most 1/10), and the bits
    per parameter per step the reversal's buffer needed against ``log2(1 / momentum)``.
(c) The learned LSTM optimizer's median final loss on held-out random quadratics
    against tuned SGD and tuned Adam (learning rates tuned on a grid on other problems).

Everything runs on one BLAS thread in float64; timings are medians of interleaved runs.

    python bench/hyper.py [--runs 3] [--steps 1000] [--meta-iterations 400] [--seeds 3]
                          [--parts time,memory,learned]

The learned optimizer is trained with the defaults of ``diaphane hyper learned`` once per
seed; its row is the median over seeds of the median final loss (the margin over Adam
depends on the seed). ``--parts`` reruns some parts and keeps the other rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only, so threads can be pinned before NumPy loads

common.pin_single_thread()

import numpy as np  # noqa: E402

from diaphane.nn.hyper import hypergrad, make_hyper, momentum_sgd  # noqa: E402
from diaphane.nn.hyper.learned import compare_optimizers, train_learned_optimizer  # noqa: E402
from diaphane.nn.hyper.quadratics import Quadratics  # noqa: E402
from diaphane.nn.hyper.schedule import DigitsMLP  # noqa: E402
from diaphane.nn.hyper.steps import Unroll  # noqa: E402

MOMENTUM = 0.875  # on the 2**-16 grid exact reversal multiplies by, so all runs agree


def _parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    p.add_argument("--steps", type=int, default=1000, help="T, training steps")
    p.add_argument("--meta-iterations", type=int, default=400, help="learned optimizer runs")
    p.add_argument("--problems", type=int, default=100, help="held-out quadratics")
    p.add_argument("--seeds", type=int, default=3, help="learned optimizers trained (median)")
    p.add_argument("--parts", default="time,memory,learned", help="which parts to run")
    p.add_argument("--loaded", action="store_true",
                   help="time beside a CPU-bound process (rows named so)")  # fmt: skip
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    return p.parse_args(argv)


def _setup(steps: int):
    problem = DigitsMLP.load()
    p0 = problem.init_params(0)
    hyper = make_hyper(p0, steps, lr=0.3, momentum=MOMENTUM, l2=1e-4, per_leaf=True)
    step = momentum_sgd(problem.train_loss)
    return problem, p0, hyper, step


def bench_time(steps: int, runs: int) -> tuple[list[dict], dict]:
    problem, p0, hyper, step = _setup(steps)
    unroll = Unroll(step, p0)

    def forward():
        return unroll.run(unroll.initial(hyper), hyper, 0, steps)

    def method(name):
        return lambda: hypergrad(step, problem.valid_loss, hyper, p0, steps, method=name)

    times = common.interleaved(
        {"forward": forward, "checkpoint": method("checkpoint"), "reverse": method("reverse")},
        runs=runs, warmup=0,
    )  # fmt: skip
    unrolled = common.interleaved({"forward": forward, "unrolled": method("unrolled")}, 1, 0)
    baseline = f"{steps} forward training steps"
    rows = []
    for key, label in (("checkpoint", "checkpointed"), ("reverse", "exact-reversal")):
        what = f"{label} hypergradient, T = {steps}, digits MLP"
        rows.append(common.row(what, times[key], times["forward"], baseline, "s", runs))
    what = f"unrolled hypergradient, T = {steps}, digits MLP"
    rows.append(common.row(what, unrolled["unrolled"], unrolled["forward"], baseline, "s", 1))
    return rows, times


def bench_memory(steps: int) -> list[dict]:
    problem, p0, hyper, step = _setup(steps)
    peaks, results = {}, {}
    for name in ("unrolled", "checkpoint", "reverse"):

        def call(name=name):
            results[name] = hypergrad(step, problem.valid_loss, hyper, p0, steps, method=name)

        peaks[name] = common.peak_memory(call)
    agree = max(
        float(np.max(np.abs(results[m].grad["lr"] - results["unrolled"].grad["lr"])))
        / float(np.max(np.abs(results["unrolled"].grad["lr"])))
        for m in ("checkpoint", "reverse")
    )
    stats = results["reverse"].stats
    print(
        f"hypergradients agree to {agree:.2e} (relative, learning rates); reversal exact: "
        f"{stats['recovered_exactly']}; buffer + state {stats['buffer_and_state_bytes']:,} B"
    )
    unrolled_name = f"unrolled trace, T = {steps}"
    return [
        common.row(f"exact-reversal hypergradient peak memory, T = {steps}", peaks["reverse"],
                   peaks["unrolled"], unrolled_name, "B", 1),
        common.row(f"checkpointed hypergradient peak memory, T = {steps}", peaks["checkpoint"],
                   peaks["unrolled"], unrolled_name, "B", 1),
        common.row("exact-reversal buffer, bits per parameter per step",
                   stats["bits_per_param_per_step"], stats["theoretical_bits_per_param_per_step"],
                   f"log2(1 / {MOMENTUM}) lost by each product", "bits", 1),
    ]  # fmt: skip


def bench_learned(meta_iterations: int, problems: int, seeds: int) -> list[dict]:
    tune = Quadratics.sample(128, seed=1000)
    test = Quadratics.sample(problems, seed=2000)
    finals = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        opt, losses = train_learned_optimizer(meta_iterations=meta_iterations, seed=seed)
        print(f"seed {seed}: trained the LSTM optimizer in {time.perf_counter() - t0:.0f} s; "
              f"meta-loss {np.mean(losses[:20]):.3f} -> {np.mean(losses[-20:]):.3f}")  # fmt: skip
        comparison = compare_optimizers(opt, tune, test, steps=100)
        finals.append(comparison.median_final())
        print(f"  tuned learning rates: {comparison.learning_rates}; medians {finals[-1]}")
    median = {k: float(np.median([f[k] for f in finals])) for k in finals[0]}
    what = (f"learned LSTM optimizer, median final loss, {problems} held-out quadratics "
            f"(median of {seeds} trained optimizers)")  # fmt: skip
    return [
        common.row(what, median["learned"], median[name],
                   f"{name} (lr {comparison.learning_rates[name]:.3g}, tuned)", "loss", problems)
        for name in ("Adam", "SGD")
    ]  # fmt: skip


def main(argv=None) -> None:
    args = _parse(argv)
    parts = set(args.parts.split(","))
    rows = []
    if "time" in parts:
        with common.cpu_bound_neighbour(args.loaded):
            timed = bench_time(args.steps, args.runs)[0]
        for r in timed if args.loaded else ():
            r["what"] += ", beside a CPU-bound process"
        common.print_rows("hypergradient time", timed)
        rows += timed
    if "memory" in parts:
        memory = bench_memory(args.steps)
        common.print_rows("hypergradient memory", memory)
        rows += memory
    if "learned" in parts:
        learned = bench_learned(args.meta_iterations, args.problems, args.seeds)
        common.print_rows("learned optimizer", learned)
        rows += learned
    if not args.no_write:
        path = common.merge_result("hyper", rows, command="python bench/hyper.py")
        print(f"wrote {path}")
        import make_table

        print(make_table.write_markdown())


if __name__ == "__main__":
    main()
