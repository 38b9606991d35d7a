"""``diaphane train gpt``: a small GPT-2 style transformer trained from scratch.

The model folder it writes (``config.json``, ``model.safetensors``,
``tokenizer.json``) is a Hugging Face GPT-2 folder too, and records the command
that reproduces it, the seed, the corpus fingerprint and the validation loss.
Every size is checked before the corpus is read: what the model and one batch of
activations would take in memory, widths the heads divide, a vocabulary that holds
the 256 bytes.
"""

from __future__ import annotations

import argparse
import sys
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

# (option, attribute, default, type) of the settings recorded in the reproducing command.
RECORDED = (
    ("--corpus", "corpus", "wiki", str),
    ("--layers", "layers", 2, integer()),
    ("--width", "width", 128, integer()),
    ("--heads", "heads", 4, integer()),
    ("--context", "context", 64, integer()),
    ("--vocab-size", "vocab_size", 4096, integer(257)),  # the 256 bytes and <|endoftext|>
    ("--steps", "steps", 2000, integer()),
    ("--batch-size", "batch_size", 16, integer()),
    ("--lr", "lr", 3e-3, learning_rate),
    ("--warmup", "warmup", 100, integer(0)),
    ("--weight-decay", "weight_decay", 0.0, real(0, 1)),
    ("--seed", "seed", 0, integer(0)),
    ("--repeat-fraction", "repeat_fraction", 0.0, real(0, 1)),
    ("--init-from", "init_from", "", str),
    ("--dtype", "dtype", "float32", str),
)
# config.json's names of the settings, as options (for a refused --resume).
OPTION_OF = {"n_layer": "--layers", "n_embd": "--width", "n_head": "--heads",
             "n_positions": "--context", "n_ctx": "--context", "vocab_size": "--vocab-size",
             "batch_size": "--batch-size", "weight_decay": "--weight-decay"}  # fmt: skip


def register(subparsers: Any) -> None:
    p = train_subparsers(subparsers).add_parser(
        "gpt",
        help="train a small GPT-2 style transformer from scratch",
        description="Train a GPT-2 style transformer (byte-level BPE tokenizer, Adam) on a "
        "corpus: lee or wiki (shipped with gensim), or a text file or folder.",
    )
    for option, dest, default, kind in RECORDED:
        extra = {"choices": ("float32", "float64")} if dest == "dtype" else {}
        p.add_argument(option, dest=dest, type=kind, default=default,
                       help=f"(default {default})", **extra)  # fmt: skip
    p.add_argument("--out", required=True, help="folder to write the model to")
    add_force(p)
    p.add_argument("--checkpoint-dir", default=None,
                   help="checkpoint folder (default: OUT.checkpoints)")  # fmt: skip
    p.add_argument("--checkpoint-every", type=integer(), default=100, help="steps (default 100)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(func=run_train)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (every recorded setting spelled out)."""
    parts = ["diaphane", "train", "gpt"]
    for option, dest, _default, _kind in RECORDED:
        if getattr(args, dest) != "":  # an unset path is left out
            parts += [option, str(getattr(args, dest))]
    return " ".join([*parts, "--out", str(args.out)])


def check_sizes(args: argparse.Namespace) -> None:
    """Refuse shapes no GPT can have, and ones whose weights, Adam's two moments and one
    batch of activations would not fit in memory."""
    if args.width % args.heads:
        raise UsageError(f"--width {args.width} is not a multiple of --heads {args.heads}; "
                         "pick a width the heads divide evenly (e.g. 128 and 4).")  # fmt: skip
    d, L, V, T, B = args.width, args.layers, args.vocab_size, args.context, args.batch_size
    weights = V * d + T * d + L * 12 * d * d
    # Per token and layer: the residual stream, q/k/v, the MLP's 4d units (several copies
    # kept for the backward pass), and each head's row of attention.
    activations = B * T * (L * (24 * d + 3 * args.heads * T) + 2 * V)
    itemsize = 8 if args.dtype == "float64" else 4
    check_memory(
        f"A GPT of {L} layers x {d} wide with {V} tokens and context {T}, trained in "
        f"batches of {B},",
        itemsize * (4 * weights + activations),
        "--width, --layers, --vocab-size, --context or --batch-size",
    )


def run_train(args: argparse.Namespace) -> int:
    """Train, write the model folder, print where it went and its validation loss."""
    from diaphane.models.gpt import GPTConfig
    from diaphane.models.gpt_train import GPTTrainConfig, train_gpt
    from diaphane.nn.train import ResumeMismatch

    prepare_out(args.out, "gpt", args.force)
    check_sizes(args)
    ckpt_dir = checkpoint_dir(args)
    model_config = GPTConfig(
        n_positions=args.context, n_embd=args.width, n_layer=args.layers, n_head=args.heads,
        dtype=args.dtype,
    )  # fmt: skip
    cfg = GPTTrainConfig(
        corpus=args.corpus, vocab_size=args.vocab_size, steps=args.steps,
        batch_size=args.batch_size, lr=args.lr, warmup=args.warmup,
        weight_decay=args.weight_decay, seed=args.seed, checkpoint_every=args.checkpoint_every,
        repeat_fraction=args.repeat_fraction, init_from=args.init_from,
    )  # fmt: skip
    try:
        model = train_gpt(
            model_config, cfg, args.out, resume=args.resume, progress=args.progress,
            command=command_line(args), checkpoint_dir=ckpt_dir, force=args.force,
        )  # fmt: skip
    except ResumeMismatch as err:
        raise UsageError(resume_message(err, ckpt_dir, OPTION_OF)) from None
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
