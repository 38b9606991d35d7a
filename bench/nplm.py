"""NPLM training throughput: diaphane's engine against the same model in PyTorch (CPU).

Bengio's model with n = 5, m = 60, h = 100 and direct connections, |V| of Bengio's
Brown split (17,905 on NLTK's copy; a Zipf-distributed synthetic stream of the same
|V| when the archive is not there), batch 256, Adam 1e-3, 2 threads for both. Both
models start from the same weights and see the same batches; each run times a
fixed number of training steps, ours and torch's alternating, and the result is
the median tokens/s.

    python bench/nplm.py [--steps 40] [--runs 5] [--threads 2]
    python bench/nplm.py --epoch      # also: one epoch of Brown, valid/test perplexity
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40, help="training steps per timed run")
    p.add_argument("--runs", type=int, default=5, help="timed runs of each (median)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epoch", action="store_true", help="also train one epoch on Brown")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    import common

    common.pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

ORDER, DIM, HIDDEN = 5, 60, 100


def load_data(order: int = ORDER):
    """(train contexts, train targets, vocabulary size, description, split, vocab)."""
    from diaphane.text import bengio_split, load_corpus, pad_sentences, windows

    try:
        corpus = load_corpus("brown")
        split, vocab = bengio_split(corpus)
    except Exception as err:  # no archive here: a synthetic stream of the same size
        print(f"Brown not available ({err}); using a synthetic Zipf stream.", file=sys.stderr)
        rng = np.random.default_rng(0)
        v = 17_905
        ranks = np.minimum(rng.zipf(1.1, 800_000), v - 3) + 2
        ctx = np.lib.stride_tricks.sliding_window_view(ranks, order)[:, :-1].astype(np.int32)
        return ctx, ranks[order - 1 :].astype(np.int32), v, "synthetic Zipf, |V|=17905", None, None
    ctx, tgt = windows(pad_sentences(split.train, vocab, order), order, vocab.bos_id)
    return ctx, tgt, len(vocab), f"Brown (Bengio split), |V|={len(vocab)}", split, vocab


def torch_model(params: dict):
    import torch

    class NPLM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            t = lambda a: torch.nn.Parameter(torch.from_numpy(np.array(a)))
            self.C, self.H, self.d = t(params["C"]), t(params["H"]), t(params["d"])
            self.U, self.W, self.b = t(params["U"]), t(params["W"]), t(params["b"])

        def forward(self, ctx):
            x = torch.nn.functional.embedding(ctx, self.C).reshape(len(ctx), -1)
            hidden = torch.tanh(torch.addmm(self.d, x, self.H))
            return torch.addmm(self.b, hidden, self.U) + x @ self.W

    return NPLM()


def make_ours(params: dict, batches):
    from diaphane.autodiff import value_and_grad
    from diaphane.models.nplm import nplm_loss
    from diaphane.nn.optim import Adam

    params = {k: np.array(v) for k, v in params.items()}
    step = value_and_grad(nplm_loss, sparse=True)
    opt = Adam(lr=1e-3)

    def run() -> float:
        loss = 0.0
        for ctx, tgt in batches:
            loss, grads = step(params, ctx, tgt)
            opt.step(params, grads)
        return float(loss)

    return run


def make_torch(params: dict, batches):
    import torch

    model = torch_model(params)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tb = [
        (torch.from_numpy(c.astype(np.int64)), torch.from_numpy(t.astype(np.int64)))
        for c, t in batches
    ]

    def run() -> float:
        loss = None
        for ctx, tgt in tb:
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(ctx), tgt)
            loss.backward()
            opt.step()
        return loss.item()

    return run


def throughput(args) -> list[dict]:
    import torch
    from common import interleaved, row

    from diaphane.models.nplm import NPLMConfig, init_params

    torch.set_num_threads(args.threads)
    ctx, tgt, v, what, _, _ = load_data()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(tgt))[: args.steps * args.batch]
    batches = [(ctx[order[i : i + args.batch]], tgt[order[i : i + args.batch]])
               for i in range(0, len(order), args.batch)]  # fmt: skip
    params = init_params(NPLMConfig(ORDER, DIM, HIDDEN, True), v, seed=0,
                         unigram=np.bincount(tgt, minlength=v))  # fmt: skip
    fns = {"ours": make_ours(params, batches), "torch": make_torch(params, batches)}
    times = interleaved(fns, runs=args.runs, warmup=1)
    tokens = args.steps * args.batch
    ours, peer = tokens / times["ours"], tokens / times["torch"]
    print(f"{what}: ours {ours:,.0f} tokens/s, torch {peer:,.0f} tokens/s, "
          f"time ratio {times['ours'] / times['torch']:.2f}")  # fmt: skip
    label = f"NPLM n=5 m=60 h=100 direct, batch {args.batch}, Adam, {args.threads} threads, {what}"
    # The time row's ratio (ours / torch, lower is better) is the goal's measure (<= 1.2);
    # the throughput row's ratio is its inverse, so it is no claim of its own.
    r = row(label + ": time per step", times["ours"] / args.steps, times["torch"] / args.steps,
            "torch 2.13 CPU", "s", args.runs)  # fmt: skip
    r2 = row(label + ": tokens/s", ours, peer, "torch 2.13 CPU", "tokens/s", args.runs,
             kind="sweep")  # fmt: skip
    return [r, r2]


def one_epoch(args) -> list[dict]:
    """Train one epoch on Brown with early-stopping machinery off; valid/test perplexity."""
    from diaphane.models.nplm import NPLMConfig, train_nplm
    from diaphane.nn.train import TrainConfig

    _, _, _, _, split, vocab = load_data()
    if split is None:
        return []
    t0 = time.perf_counter()
    model, _ = train_nplm(
        split.train, vocab, NPLMConfig(ORDER, DIM, HIDDEN, True), valid_sentences=split.valid,
        lr=1e-3, batch_size=args.batch, train_config=TrainConfig(epochs=1, progress=None),
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    valid, test = model.perplexity(split.valid), model.perplexity(split.test)
    print(f"one epoch: {seconds:.0f} s, valid ppl {valid:.1f}, test ppl {test:.1f}")
    return [
        {"what": "NPLM one epoch on Brown (Bengio split): seconds", "value": seconds},
        {"what": "valid perplexity", "value": valid},
        {"what": "test perplexity", "value": test},
    ]


def main() -> None:
    from common import machine_info, print_rows, write_result

    args = ARGS
    rows = throughput(args)
    print_rows("NPLM training throughput", rows)
    if args.epoch:
        one_epoch(args)
    if not args.no_write:
        machine = machine_info()
        machine["env"]["threads"] = str(args.threads)
        path = write_result("nplm", rows, command="python bench/nplm.py", machine=machine)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
