"""``diaphane train gpt``: a small GPT-2 style transformer trained from scratch.

The model folder it writes (``config.json``, ``model.safetensors``,
``tokenizer.json``) is a Hugging Face GPT-2 folder too, and records the command
that reproduces it, the seed, the corpus fingerprint and the validation loss.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diaphane.cli import checkpoint_dir, drop_checkpoints, train_subparsers

# (option, attribute, default) of the settings recorded in the reproducing command.
RECORDED = (
    ("--corpus", "corpus", "wiki"),
    ("--layers", "layers", 2),
    ("--width", "width", 128),
    ("--heads", "heads", 4),
    ("--context", "context", 64),
    ("--vocab-size", "vocab_size", 4096),
    ("--steps", "steps", 2000),
    ("--batch-size", "batch_size", 16),
    ("--lr", "lr", 3e-3),
    ("--warmup", "warmup", 100),
    ("--weight-decay", "weight_decay", 0.0),
    ("--seed", "seed", 0),
    ("--dtype", "dtype", "float32"),
)


def register(subparsers: Any) -> None:
    p = train_subparsers(subparsers).add_parser(
        "gpt",
        help="train a small GPT-2 style transformer from scratch",
        description="Train a GPT-2 style transformer (byte-level BPE tokenizer, Adam) on a "
        "corpus: lee or wiki (shipped with gensim), or a text file or folder.",
    )
    for option, dest, default in RECORDED:
        kind = type(default)
        p.add_argument(option, dest=dest, type=kind, default=default,
                       help=f"(default {default})")  # fmt: skip
    p.add_argument("--out", required=True, help="folder to write the model to")
    p.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    p.add_argument("--checkpoint-every", type=int, default=100, help="steps (default 100)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(func=run_train)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (every recorded setting spelled out)."""
    parts = ["diaphane", "train", "gpt"]
    for option, dest, _default in RECORDED:
        parts += [option, str(getattr(args, dest))]
    return " ".join([*parts, "--out", str(args.out)])


def run_train(args: argparse.Namespace) -> int:
    """Train, write the model folder, print where it went and its validation loss."""
    from diaphane.models.gpt import GPTConfig
    from diaphane.models.gpt_train import GPTTrainConfig, train_gpt

    ckpt_dir = checkpoint_dir(args)
    model_config = GPTConfig(
        n_positions=args.context, n_embd=args.width, n_layer=args.layers, n_head=args.heads,
        dtype=args.dtype,
    )  # fmt: skip
    cfg = GPTTrainConfig(
        corpus=args.corpus, vocab_size=args.vocab_size, steps=args.steps,
        batch_size=args.batch_size, lr=args.lr, warmup=args.warmup,
        weight_decay=args.weight_decay, seed=args.seed, checkpoint_every=args.checkpoint_every,
    )  # fmt: skip
    model = train_gpt(
        model_config, cfg, args.out, resume=args.resume, progress=args.progress,
        command=command_line(args), checkpoint_dir=ckpt_dir,
    )  # fmt: skip
    info = model.info
    if info.get("stopped") == "interrupted":
        print(f"diaphane: interrupted at step {info['steps']}; checkpoint saved in {ckpt_dir}. "
              "Run the same command with --resume to continue.", file=sys.stderr)  # fmt: skip
        return 130
    drop_checkpoints(args, ckpt_dir)
    c = model.config
    print(
        f"saved {args.out}: GPT {c.n_layer} layers x {c.n_embd} wide, {c.n_head} heads, "
        f"context {c.n_positions}, {c.vocab_size} BPE tokens; {info['steps']:,} steps; "
        f"validation loss {info['valid_loss']:.4f} (perplexity {info['valid_ppl']:.1f})"
    )
    return 0
