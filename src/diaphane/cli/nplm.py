"""The neural language model's commands: ``train nplm``, and what ``perplexity``,
``next`` and ``generate`` do for a model folder of kind ``nplm``.

Entry points: :func:`add_train_arguments` and :func:`run_train` (the ``train nplm``
subcommand), :func:`load_model`, :func:`run_perplexity`, :func:`run_next`,
:func:`run_generate` (called with a loaded model by the shared subcommands).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from diaphane.cli import UsageError


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``diaphane train nplm``."""
    from diaphane.cli.ngram import _split_args

    p.add_argument("--corpus", default="brown", help="corpus name or path (default: brown)")
    _split_args(p)
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
    from diaphane.cli.ngram import _load_split, _streamed
    from diaphane.models.nplm import NPLMConfig, train_nplm
    from diaphane.nn.train import TrainConfig

    min_count = 4 if args.min_count is None else args.min_count
    corpus, split, vocab, scheme = _load_split(args.corpus, args.scheme, min_count)
    stream = scheme == "bengio" if args.stream is None else args.stream
    ckpt_dir = Path(args.checkpoint_dir or f"{args.out}.checkpoints")
    if (ckpt_dir / "last").exists() and not args.resume:
        raise UsageError(
            f"{ckpt_dir} already holds a checkpoint; add --resume to continue it, "
            "or remove the folder to start afresh."
        )
    data_info = {"corpus": args.corpus, "fingerprint": corpus.fingerprint, "scheme": scheme,
                 "split": "train", "stream": stream, "min_count": min_count}  # fmt: skip
    train_config = TrainConfig(
        epochs=args.epochs, patience=args.patience, checkpoint_dir=ckpt_dir,
        checkpoint_every=args.checkpoint_every, max_steps=args.max_steps, progress=args.progress,
    )  # fmt: skip
    valid = _streamed(split.valid, stream) if any(split.valid) else None
    model, result = train_nplm(
        _streamed(split.train, stream), vocab,
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
    parts = [f"saved {args.out}: NPLM n={args.order} m={args.dim} h={args.hidden}",
             f"|V| {len(vocab)}", f"{state.step:,} steps ({state.stopped})"]  # fmt: skip
    for name in ("valid", "test"):
        if any(split[name]):
            parts.append(
                f"{name} perplexity {model.perplexity(_streamed(split[name], stream)):.1f}"
            )
    print(", ".join(parts))
    return 0


def load_model(path: str | Path) -> Any:
    """The NPLM in a model folder, with errors as one plain line."""
    from diaphane.models.nplm import NPLM

    return NPLM.load(path)


def run_perplexity(model: Any, args: argparse.Namespace) -> int:
    """``diaphane perplexity MODEL``: the model's perplexity on a split of a corpus."""
    from diaphane.cli.ngram import _load_split, _streamed

    meta = model.meta
    corpus = args.corpus or meta.get("corpus", "brown")
    scheme = args.scheme or meta.get("scheme", "auto")
    min_count = args.min_count or meta.get("min_count", 4)
    stream = meta.get("stream", False) if args.stream is None else args.stream
    _, split, _, _ = _load_split(corpus, scheme, min_count)
    part = _streamed(split[args.split], stream)
    if not any(part):
        raise UsageError(f"the {args.split} split of {corpus} is empty")
    total, n = model.score_sentences(part)
    print(f"{corpus} {args.split}: perplexity {math.exp(-total / n):.2f} over {n:,} events")
    return 0


def _known_words(model: Any, text: str, what: str) -> list[str]:
    words = text.split()
    if words and all(w not in model.vocab or w == "<unk>" for w in words):
        raise UsageError(
            f"every word of the {what} {text!r} is unknown to the model; "
            "try words from its training corpus"
        )
    return words


def run_next(model: Any, args: argparse.Namespace) -> int:
    """``diaphane next MODEL "the fat"``: the likeliest next words as a table on stdout."""
    context = _known_words(model, args.context, "context")
    print(f"{'rank':>4}  {'word':<20} {'p':>10}")
    for rank, (word, p) in enumerate(model.next_words(context, args.k), 1):
        print(f"{rank:>4}  {word:<20} {p:>10.6f}")
    return 0


def run_generate(model: Any, args: argparse.Namespace) -> int:
    """``diaphane generate MODEL --prompt ...``: sampled text on stdout."""
    prompt = _known_words(model, args.prompt, "prompt")
    words = model.generate(prompt, args.length, args.seed, getattr(args, "temperature", 1.0))
    print(" ".join([*prompt, *words]))
    return 0
