"""``diaphane train glove`` and ``diaphane train ppmi``: word vectors from co-occurrence counts.

``train glove``'s defaults are the best setting measured in ``bench/glove.py`` (window
12, 100 dimensions, the smoothed-PMI target started from the PPMI matrix's SVD, 2
epochs): on wiki+brown, WordSim353 0.556, SimLex-999 0.201, analogies 0.101. Plain
GloVe, as Stanford's C code trains it, is ``--target log --init random`` (25 epochs
unless ``--epochs`` says otherwise).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from diaphane.cli import UsageError, checkpoint_dir, drop_checkpoints, train_subparsers

# Default epochs by start: from the SVD start, 2 (more epochs drift away from it: at
# x_max 10, WS353 0.456 after 5 and 0.413 after 25; bench/glove.py); from random
# vectors GloVe needs Stanford's 25.
EPOCHS = {"svd": 2, "random": 25}


def register(subparsers: Any) -> None:
    models = train_subparsers(subparsers)
    p = models.add_parser(
        "glove", help="train GloVe word vectors",
        description="Count co-occurrences in a corpus and fit GloVe vectors to them. The "
        "defaults are the best measured setting (PMI target, SVD start, 2 epochs); plain "
        "GloVe is --target log --init random.",
    )  # fmt: skip
    _counting_args(p, window=12)
    g = p.add_argument_group("GloVe")
    g.add_argument("--dim", type=int, default=100, help="vector size (default 100)")
    g.add_argument("--x-max", type=float, default=100.0, help="weighting cutoff (default 100)")
    g.add_argument("--alpha", type=float, default=0.75, help="weighting exponent (default 0.75)")
    g.add_argument("--lr", type=float, default=0.05, help="AdaGrad learning rate (default 0.05)")
    g.add_argument("--epochs", type=int, default=None,
                   help=f"passes over the counts (default {EPOCHS['svd']} from --init svd, "
                   f"{EPOCHS['random']} from --init random)")  # fmt: skip
    g.add_argument("--batch-size", type=int, default=65536, help="entries per step")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--output", choices=("sum", "W"), default="sum",
                   help="word vectors: W + W_ctx (default) or W")  # fmt: skip
    g.add_argument("--target", choices=("log", "pmi"), default="pmi",
                   help="fit smoothed PMI (default) or log counts (plain GloVe)")  # fmt: skip
    g.add_argument("--cds", type=float, default=0.75,
                   help="context-distribution smoothing of --target pmi / --init svd")  # fmt: skip
    g.add_argument("--init", choices=("random", "svd"), default="svd",
                   help="start from the PPMI matrix's SVD (default) or random vectors")  # fmt: skip
    g.add_argument("--svd-oversample", type=int, default=100,
                   help="extra columns of --init svd's randomised SVD (default 100)")  # fmt: skip
    g.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    g.add_argument("--checkpoint-every", type=int, default=0, help="steps (default: each epoch)")
    g.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(func=run_glove)

    p = models.add_parser(
        "ppmi", help="PPMI + SVD word vectors (deterministic)",
        description="Count co-occurrences, weight them by shifted positive PMI with "
        "context-distribution smoothing, and reduce with a truncated SVD.",
    )  # fmt: skip
    _counting_args(p, window=5, weighting=False)
    g = p.add_argument_group("PPMI + SVD")
    g.add_argument("--dim", type=int, default=100, help="SVD dimensions (default 100)")
    g.add_argument("--cds", type=float, default=0.75,
                   help="context-distribution smoothing exponent (0.75; 1: off)")  # fmt: skip
    g.add_argument("--shift", type=float, default=1.0, help="k of shifted PPMI (default 1)")
    g.add_argument("--eig", type=float, default=0.5, help="vectors U S^p: p (default 0.5)")
    p.set_defaults(func=run_ppmi)


def _counting_args(p: argparse.ArgumentParser, window: int, weighting: bool = True) -> None:
    p.add_argument("--corpus", default="wiki",
                   help="corpus name or path; join several with + (default: wiki)")  # fmt: skip
    p.add_argument("--out", required=True, help="folder to write the model to")
    c = p.add_argument_group("counting")
    c.add_argument("--window", type=int, default=window, help=f"context words (default {window})")
    c.add_argument("--symmetric", action=argparse.BooleanOptionalAction, default=True,
                   help="count context on both sides (default) or after the word only")  # fmt: skip
    c.add_argument("--distance-weighting", action=argparse.BooleanOptionalAction,
                   default=weighting, help="a pair d words apart counts 1/d")  # fmt: skip
    c.add_argument("--min-count", type=int, default=5, help="rarer words are dropped (default 5)")
    c.add_argument("--max-vocab", type=int, default=None, help="keep the most frequent words")
    c.add_argument("--unit", choices=("sentence", "document"), default="sentence",
                   help="windows stay inside a sentence (default) or a document")  # fmt: skip
    c.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True)


def count(args: argparse.Namespace) -> tuple[Any, Any, dict]:
    """The vocabulary, the co-occurrence matrix and a description of both, from the options."""
    from diaphane.text import CorpusError
    from diaphane.text.cooccur import cooccurrence_matrix, corpus_sequences, encode_sequences

    if args.window < 1 or args.min_count < 1:
        raise UsageError("--window and --min-count must be at least 1")
    try:
        sequences, fingerprints = corpus_sequences(args.corpus, args.lowercase, True, args.unit)
    except (CorpusError, FileNotFoundError) as err:
        raise UsageError(str(err)) from err
    vocab, ids = encode_sequences(sequences, args.min_count, args.max_vocab)
    if len(vocab) < 3:
        raise UsageError(
            f"only {len(vocab) - 1} words of {args.corpus} occur {args.min_count}+ times; "
            "lower --min-count or use a bigger corpus"
        )
    start = time.perf_counter()
    X = cooccurrence_matrix(ids, len(vocab), args.window, args.symmetric, args.distance_weighting)
    info = {"training_data": {
        "corpus": args.corpus, "fingerprints": fingerprints, "tokens": int(sum(map(len, ids))),
        "window": args.window, "symmetric": args.symmetric, "unit": args.unit,
        "distance_weighting": args.distance_weighting, "min_count": args.min_count,
        "max_vocab": args.max_vocab, "lowercase": args.lowercase, "nonzeros": int(X.nnz),
    }}  # fmt: skip
    print(f"counted {X.nnz:,} co-occurrences of {len(vocab) - 1:,} words in "
          f"{time.perf_counter() - start:.2f} s", file=sys.stderr)  # fmt: skip
    return vocab, X, info


def run_glove(args: argparse.Namespace) -> int:
    """Count, train, save; print the final loss and the speed."""
    from diaphane.autodiff.core import DiaphaneError
    from diaphane.models.glove import GloVeConfig, train_glove
    from diaphane.nn.train import TrainConfig

    ckpt_dir = checkpoint_dir(args)
    epochs = EPOCHS[args.init] if args.epochs is None else args.epochs
    try:
        config = GloVeConfig(
            dim=args.dim, x_max=args.x_max, alpha=args.alpha, lr=args.lr, epochs=epochs,
            batch_size=args.batch_size, seed=args.seed, output=args.output,
            target=args.target, cds=args.cds, init=args.init,
            svd_oversample=args.svd_oversample,
        )  # fmt: skip
    except DiaphaneError as err:
        raise UsageError(str(err)) from err
    vocab, X, info = count(args)
    tc = TrainConfig(checkpoint_dir=ckpt_dir, checkpoint_every=args.checkpoint_every,
                     progress=args.progress)  # fmt: skip
    start = time.perf_counter()
    model, result = train_glove(X, vocab, config, train_config=tc, info=info, resume=args.resume)
    seconds = time.perf_counter() - start
    state = result.state
    if result.interrupted:
        print(f"diaphane: interrupted at step {state.step}; checkpoint saved in {ckpt_dir}. "
              "Run the same command with --resume to continue.", file=sys.stderr)  # fmt: skip
        return 130
    model.save(args.out)
    drop_checkpoints(args, ckpt_dir)
    loss = state.history[-1]["train_loss"] if state.history else float("nan")
    print(f"saved {args.out}: GloVe dim {args.dim}, |V| {len(vocab) - 1:,}, {X.nnz:,} "
          f"non-zeros x {epochs} epochs in {seconds:.1f} s, loss {loss:.4f}")  # fmt: skip
    return 0


def run_ppmi(args: argparse.Namespace) -> int:
    """Count, weight, factorise, save."""
    from diaphane.autodiff.core import DiaphaneError
    from diaphane.models.ppmi import PPMIConfig, fit_ppmi

    try:
        config = PPMIConfig(dim=args.dim, cds=args.cds, shift=args.shift, eig=args.eig)
    except DiaphaneError as err:
        raise UsageError(str(err)) from err
    vocab, X, info = count(args)
    start = time.perf_counter()
    model = fit_ppmi(X, vocab, config, info)
    model.save(args.out)
    dim = model.params["vectors"].shape[1]
    print(f"saved {args.out}: PPMI + SVD dim {dim}, |V| {len(vocab) - 1:,}, "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return 0
