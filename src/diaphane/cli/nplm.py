"""``diaphane train nplm``: Bengio's neural language model, trained by diaphane's engine.

``perplexity``, ``next`` and ``generate`` for NPLM folders live in :mod:`diaphane.cli.lm`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diaphane.cli import checkpoint_dir, drop_checkpoints, train_subparsers
from diaphane.cli.lm import load_split, split_args, streamed


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
    m = p.add_argument_group("model")
    m.add_argument("--order", type=int, default=5, help="n: n-1 context words (default 5)")
    m.add_argument("--dim", type=int, default=60, help="embedding size m (default 60)")
    m.add_argument("--hidden", type=int, default=100, help="hidden units h (default 100)")
    m.add_argument("--no-direct", dest="direct", action="store_false",
                   help="no direct connections from the embeddings to the output")  # fmt: skip
    t = p.add_argument_group("training")
    t.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--lr-decay", type=float, default=0.0,
                   help="SGD: lr / (1 + decay * step), Bengio's schedule (default 0)")  # fmt: skip
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 on H, U, W (default 0)")
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--patience", type=int, default=2,
                   help="epochs without a better valid perplexity before stopping")  # fmt: skip
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    t.add_argument("--checkpoint-every", type=int, default=1000, help="steps (default 1000)")
    t.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip


def run_train(args: argparse.Namespace) -> int:
    """Train, save the model folder, print the validation and test perplexities."""
    from diaphane.models.nplm import NPLMConfig, train_nplm
    from diaphane.nn.train import TrainConfig

    min_count = 4 if args.min_count is None else args.min_count
    corpus, split, vocab, scheme = load_split(args.corpus, args.scheme, min_count)
    stream = scheme == "bengio" if args.stream is None else args.stream
    ckpt_dir = checkpoint_dir(args)
    data_info = {"corpus": args.corpus, "fingerprint": corpus.fingerprint, "scheme": scheme,
                 "split": "train", "stream": stream, "min_count": min_count}  # fmt: skip
    train_config = TrainConfig(
        epochs=args.epochs, patience=args.patience, checkpoint_dir=ckpt_dir,
        checkpoint_every=args.checkpoint_every, max_steps=args.max_steps, progress=args.progress,
    )  # fmt: skip
    valid = streamed(split.valid, stream) if any(split.valid) else None
    model, result = train_nplm(
        streamed(split.train, stream), vocab,
        NPLMConfig(args.order, args.dim, args.hidden, args.direct),
        valid_sentences=valid, optimizer=args.optimizer, lr=args.lr, lr_decay=args.lr_decay,
        weight_decay=args.weight_decay, batch_size=args.batch_size, seed=args.seed,
        train_config=train_config, data_info=data_info, resume=args.resume,
    )  # fmt: skip
    state = result.state
    if result.interrupted:
        print(f"diaphane: interrupted at step {state.step}; checkpoint saved in {ckpt_dir}. "
              "Run the same command with --resume to continue.", file=sys.stderr)  # fmt: skip
        return 130
    model.save(args.out)
    drop_checkpoints(args, ckpt_dir)
    parts = [f"saved {args.out}: NPLM n={args.order} m={args.dim} h={args.hidden}",
             f"|V| {len(vocab)}", f"{state.step:,} steps ({state.stopped})"]  # fmt: skip
    for name in ("valid", "test"):
        if any(split[name]):
            parts.append(f"{name} perplexity {model.perplexity(streamed(split[name], stream)):.1f}")
    print(", ".join(parts))
    return 0
