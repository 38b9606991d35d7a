"""``diaphane train nplm``: Bengio's neural language model, trained by diaphane's engine.

``perplexity``, ``next`` and ``generate`` for NPLM folders live in :mod:`diaphane.cli.lm`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diaphane.cli import UsageError, checkpoint_dir, drop_checkpoints, train_subparsers
from diaphane.cli.lm import check_order, check_vocabulary, load_split, split_args, streamed
from diaphane.cli.options import (
    add_force,
    check_memory,
    integer,
    learning_rate,
    prepare_out,
    real,
    resume_message,
)


def register(subparsers: Any) -> None:
    p = train_subparsers(subparsers).add_parser(
        "nplm",
        help="train Bengio's neural language model",
        description="Train a neural probabilistic language model (Bengio et al. 2003).",
    )
    add_train_arguments(p)
    p.set_defaults(func=run_train)


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``diaphane train nplm``."""
    p.add_argument("--corpus", default="brown", help="corpus name or path (default: brown)")
    split_args(p)
    p.add_argument("--out", required=True, help="folder to write the model to")
    add_force(p)
    m = p.add_argument_group("model")
    m.add_argument("--order", type=integer(2), default=5,
                   help="n: n-1 context words, at least 2 (default 5)")  # fmt: skip
    m.add_argument("--dim", type=integer(), default=60, help="embedding size m (default 60)")
    m.add_argument("--hidden", type=integer(0), default=100,
                   help="hidden units h; 0: direct connections only (default 100)")  # fmt: skip
    m.add_argument("--no-direct", dest="direct", action="store_false",
                   help="no direct connections from the embeddings to the output")  # fmt: skip
    t = p.add_argument_group("training")
    t.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    t.add_argument("--lr", type=learning_rate, default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--lr-decay", type=real(0), default=0.0,
                   help="SGD: lr / (1 + decay * step), Bengio's schedule (default 0)")  # fmt: skip
    t.add_argument("--weight-decay", type=real(0, 1), default=0.0,
                   help="L2 on H, U, W, in [0, 1] (default 0)")  # fmt: skip
    t.add_argument("--batch-size", type=integer(), default=256)
    t.add_argument("--epochs", type=integer(), default=10)
    t.add_argument("--patience", type=integer(0), default=2,
                   help="epochs without a better valid perplexity to stop (0: off)")  # fmt: skip
    t.add_argument("--max-steps", type=integer(), default=None)
    t.add_argument("--seed", type=integer(0), default=0)
    t.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    t.add_argument("--checkpoint-every", type=integer(0), default=1000,
                   help="steps (default 1000; 0: at the end of each epoch)")  # fmt: skip
    t.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip


def run_train(args: argparse.Namespace) -> int:
    """Train, save the model folder, print the validation and test perplexities."""
    from diaphane.models.nplm import NPLMConfig, train_nplm
    from diaphane.nn.train import ResumeMismatch, TrainConfig

    prepare_out(args.out, "nplm", args.force)
    if not args.hidden and not args.direct:
        raise UsageError("--hidden 0 with --no-direct leaves the NPLM nothing to predict with; "
                         "give it hidden units or direct connections.")  # fmt: skip
    min_count = 4 if args.min_count is None else args.min_count
    corpus, split, vocab, scheme = load_split(args.corpus, args.scheme, min_count)
    check_vocabulary(vocab, args.corpus, min_count)
    stream = scheme == "bengio" if args.stream is None else args.stream
    check_order(args.order, streamed(split.train, stream), args.corpus, 8 * args.order)
    _check_memory(args, len(vocab))
    ckpt_dir = checkpoint_dir(args)
    data_info = {"corpus": args.corpus, "fingerprint": corpus.fingerprint, "scheme": scheme,
                 "split": "train", "stream": stream, "min_count": min_count}  # fmt: skip
    train_config = TrainConfig(
        epochs=args.epochs, patience=args.patience, checkpoint_dir=ckpt_dir,
        checkpoint_every=args.checkpoint_every, max_steps=args.max_steps, progress=args.progress,
    )  # fmt: skip
    valid = streamed(split.valid, stream) if any(split.valid) else None
    try:
        model, result = train_nplm(
            streamed(split.train, stream), vocab,
            NPLMConfig(args.order, args.dim, args.hidden, args.direct),
            valid_sentences=valid, optimizer=args.optimizer, lr=args.lr, lr_decay=args.lr_decay,
            weight_decay=args.weight_decay, batch_size=args.batch_size, seed=args.seed,
            train_config=train_config, data_info=data_info, resume=args.resume,
        )  # fmt: skip
    except ResumeMismatch as err:
        raise UsageError(resume_message(err, ckpt_dir, {})) from None
    state = result.state
    if result.interrupted:
        print(f"diaphane: interrupted at step {state.step}; checkpoint saved in {ckpt_dir}. "
              "Run the same command with --resume to continue.", file=sys.stderr)  # fmt: skip
        return 130
    model.save(args.out, force=args.force)
    drop_checkpoints(args, ckpt_dir)
    parts = [f"saved {args.out}: NPLM n={args.order} m={args.dim} h={args.hidden}",
             f"|V| {len(vocab)}", f"{state.step:,} steps ({state.stopped})"]  # fmt: skip
    for name in ("valid", "test"):
        if any(split[name]):
            parts.append(f"{name} perplexity {model.perplexity(streamed(split[name], stream)):.1f}")
    print(", ".join(parts))
    return 0


def _check_memory(args: argparse.Namespace, vocab_size: int) -> None:
    """The parameters (with Adam's two moments) and a batch's logits must fit in memory."""
    V, m, h, ctx = vocab_size, args.dim, args.hidden, (args.order - 1) * args.dim
    weights = V * m + ctx * h + h * V + (ctx * V if args.direct else 0) + h + V
    check_memory(f"An NPLM of {V:,} words, m={m:,} and h={h:,}",
                 4 * (3 * weights + 3 * args.batch_size * (V + h + ctx)),
                 "--dim, --hidden, --order or --batch-size")  # fmt: skip
