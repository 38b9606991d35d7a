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
from diaphane.cli.options import (
    add_force,
    check_memory,
    integer,
    learning_rate,
    prepare_out,
    real,
    resume_message,
)
from diaphane.cli.scale import add_scale_args, count_cooccurrences, scaled

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
    g.add_argument("--dim", type=integer(), default=100, help="vector size (default 100)")
    g.add_argument("--x-max", type=real(0, low_open=True), default=100.0,
                   help="weighting cutoff (default 100)")  # fmt: skip
    g.add_argument("--alpha", type=real(0), default=0.75, help="weighting exponent (default 0.75)")
    g.add_argument("--lr", type=learning_rate, default=0.05,
                   help="AdaGrad learning rate (default 0.05)")  # fmt: skip
    g.add_argument("--epochs", type=integer(0), default=None,
                   help=f"passes over the counts (default {EPOCHS['svd']} from --init svd, "
                   f"{EPOCHS['random']} from --init random)")  # fmt: skip
    g.add_argument("--batch-size", type=integer(), default=65536, help="entries per step")
    g.add_argument("--seed", type=integer(0), default=0)
    g.add_argument("--output", choices=("sum", "W"), default="sum",
                   help="word vectors: W + W_ctx (default) or W")  # fmt: skip
    g.add_argument("--target", choices=("log", "pmi"), default="pmi",
                   help="fit smoothed PMI (default) or log counts (plain GloVe)")  # fmt: skip
    g.add_argument("--cds", type=real(0, low_open=True), default=0.75,
                   help="context-distribution smoothing of --target pmi / --init svd")  # fmt: skip
    g.add_argument("--init", choices=("random", "svd"), default="svd",
                   help="start from the PPMI matrix's SVD (default) or random vectors")  # fmt: skip
    g.add_argument("--svd-oversample", type=integer(0), default=100,
                   help="extra columns of --init svd's randomised SVD (default 100)")  # fmt: skip
    g.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    g.add_argument("--checkpoint-every", type=integer(0), default=0,
                   help="steps (default 0: each epoch)")  # fmt: skip
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
    g.add_argument("--dim", type=integer(), default=100, help="SVD dimensions (default 100)")
    g.add_argument("--cds", type=real(0, low_open=True), default=0.75,
                   help="context-distribution smoothing exponent (0.75; 1: off)")  # fmt: skip
    g.add_argument("--shift", type=real(0, low_open=True), default=1.0,
                   help="k of shifted PPMI, above 0 (default 1)")  # fmt: skip
    g.add_argument("--eig", type=real(0, 1), default=0.5,
                   help="vectors U S^p: p in [0, 1] (default 0.5)")  # fmt: skip
    p.set_defaults(func=run_ppmi)


def _counting_args(p: argparse.ArgumentParser, window: int, weighting: bool = True) -> None:
    p.add_argument("--corpus", default="wiki",
                   help="corpus name or path; join several with + (default: wiki)")  # fmt: skip
    p.add_argument("--out", required=True, help="folder to write the model to")
    add_force(p)
    c = p.add_argument_group("counting")
    c.add_argument("--window", type=integer(), default=window,
                   help=f"context words (default {window})")  # fmt: skip
    c.add_argument("--symmetric", action=argparse.BooleanOptionalAction, default=True,
                   help="count context on both sides (default) or after the word only")  # fmt: skip
    c.add_argument("--distance-weighting", action=argparse.BooleanOptionalAction,
                   default=weighting, help="a pair d words apart counts 1/d")  # fmt: skip
    c.add_argument("--min-count", type=integer(), default=5,
                   help="rarer words are dropped (default 5)")  # fmt: skip
    c.add_argument("--max-vocab", type=integer(), default=None,
                   help="keep the most frequent words")  # fmt: skip
    c.add_argument("--unit", choices=("sentence", "document"), default="sentence",
                   help="windows stay inside a sentence (default) or a document")  # fmt: skip
    c.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True)
    add_scale_args(p)


def count(args: argparse.Namespace) -> tuple[Any, Any, dict]:
    """The vocabulary, the co-occurrence matrix and a description of both, from the options."""
    if scaled(args):  # streamed within --memory, or on a --dask cluster: the same counts
        return count_cooccurrences(args)
    from diaphane.text import CorpusError
    from diaphane.text.cooccur import cooccurrence_matrix, corpus_sequences, encode_sequences

    try:
        sequences, fingerprints = corpus_sequences(args.corpus, args.lowercase, True, args.unit)
    except (CorpusError, FileNotFoundError) as err:
        raise UsageError(str(err)) from err
    vocab, ids = encode_sequences(sequences, args.min_count, args.max_vocab)
    if len(vocab) < 3:
        raise UsageError(
            f"only {len(vocab) - 1} words of {args.corpus} occur {args.min_count}+ times "
            f"(and --max-vocab is {args.max_vocab}); lower --min-count, raise --max-vocab or "
            "use a bigger corpus"
        )
    tokens = int(sum(map(len, ids)))
    if args.window >= tokens:
        raise UsageError(
            f"--window {args.window} is longer than all of {args.corpus} ({tokens:,} words); "
            "use a window of a few words (5 to 12 is usual)."
        )
    start = time.perf_counter()
    X = cooccurrence_matrix(ids, len(vocab), args.window, args.symmetric, args.distance_weighting)
    print(f"counted {X.nnz:,} co-occurrences of {len(vocab) - 1:,} words in "
          f"{time.perf_counter() - start:.2f} s", file=sys.stderr)  # fmt: skip
    return vocab, X, training_data(args, fingerprints, tokens, X)


def training_data(args: argparse.Namespace, fingerprints: Any, tokens: int, X: Any) -> dict:
    """What config.json records of the counting, whichever path counted."""
    return {"training_data": {
        "corpus": args.corpus, "fingerprints": fingerprints, "tokens": tokens,
        "window": args.window, "symmetric": args.symmetric, "unit": args.unit,
        "distance_weighting": args.distance_weighting, "min_count": args.min_count,
        "max_vocab": args.max_vocab, "lowercase": args.lowercase, "nonzeros": int(X.nnz),
    }}  # fmt: skip


def run_glove(args: argparse.Namespace) -> int:
    """Count, train, save; print the final loss and the speed."""
    from diaphane.autodiff.core import DiaphaneError
    from diaphane.models.glove import GloVeConfig, train_glove
    from diaphane.nn.train import ResumeMismatch, TrainConfig

    prepare_out(args.out, "glove", args.force)
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
    V, k = len(vocab), args.dim + (args.svd_oversample if args.init == "svd" else 0)
    # W, W_ctx and AdaGrad's two accumulators (float32), and the SVD start's float64 basis.
    check_memory(f"GloVe's tables for {V:,} words x {args.dim:,} dimensions",
                 16 * V * args.dim + 8 * 3 * V * k, "--dim or --svd-oversample")  # fmt: skip
    tc = TrainConfig(checkpoint_dir=ckpt_dir, checkpoint_every=args.checkpoint_every,
                     progress=args.progress)  # fmt: skip
    start = time.perf_counter()
    try:
        model, result = train_glove(X, vocab, config, train_config=tc, info=info,
                                    resume=args.resume)  # fmt: skip
    except ResumeMismatch as err:
        raise UsageError(resume_message(err, ckpt_dir, {})) from None
    seconds = time.perf_counter() - start
    state = result.state
    if result.interrupted:
        print(f"diaphane: interrupted at step {state.step}; checkpoint saved in {ckpt_dir}. "
              "Run the same command with --resume to continue.", file=sys.stderr)  # fmt: skip
        return 130
    model.save(args.out, force=args.force)
    drop_checkpoints(args, ckpt_dir)
    loss = state.history[-1]["train_loss"] if state.history else float("nan")
    print(f"saved {args.out}: GloVe dim {args.dim}, |V| {len(vocab) - 1:,}, {X.nnz:,} "
          f"non-zeros x {epochs} epochs in {seconds:.1f} s, loss {loss:.4f}")  # fmt: skip
    return 0


def run_ppmi(args: argparse.Namespace) -> int:
    """Count, weight, factorise, save."""
    from diaphane.autodiff.core import DiaphaneError
    from diaphane.models.ppmi import PPMIConfig, fit_ppmi

    prepare_out(args.out, "ppmi", args.force)
    try:
        config = PPMIConfig(dim=args.dim, cds=args.cds, shift=args.shift, eig=args.eig)
    except DiaphaneError as err:
        raise UsageError(str(err)) from err
    vocab, X, info = count(args)
    if args.dim > len(vocab):
        raise UsageError(
            f"--dim {args.dim} is more than the {len(vocab):,} words an SVD of their counts "
            f"can give dimensions for; use --dim {len(vocab)} or less."
        )
    k = args.dim
    check_memory(f"The SVD of {len(vocab):,} words x {k:,} dimensions",
                 8 * 4 * len(vocab) * (k + 20), "--dim")  # fmt: skip
    start = time.perf_counter()
    model = fit_ppmi(X, vocab, config, info)
    model.save(args.out, force=args.force)
    dim = model.params["vectors"].shape[1]
    print(f"saved {args.out}: PPMI + SVD dim {dim}, |V| {len(vocab) - 1:,}, "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return 0
